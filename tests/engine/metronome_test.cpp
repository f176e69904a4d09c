// The metronome and the count-in, through the Renderer as the engine runs it: clicks start on
// the frame the song reaches each beat (as heard: after the chain's delay), downbeats are
// accented, nothing of them reaches the analysis tap, and a count-in of one bar ends exactly
// where the song goes on, before the first pass or before every pass of a loop.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "support/test_tracks.h"
#include "woodshed/core/audio_ring.h"
#include "woodshed/engine/renderer.h"

namespace woodshed::engine {
namespace {

constexpr double kRate = 44100.0;
constexpr FrameCount kBlock = 128;
constexpr double kBpm = 120.0;
constexpr double kPeriod = 60.0 / kBpm * kRate;  // 22050 frames a beat

struct Output {
  std::vector<float> left;
  std::vector<SourcePosition> positions;
};

Output render(Renderer& renderer, std::size_t frames) {
  Output out;
  for (std::size_t done = 0; done < frames; done += kBlock) {
    const RenderedBlock block = renderer.render(kBlock);
    out.left.insert(out.left.end(), block.audio.channels[0], block.audio.channels[0] + block.audio.numFrames);
    out.positions.insert(out.positions.end(), block.positions, block.positions + block.audio.numFrames);
  }
  return out;
}

/// Frames where a click starts: the first sample above the floor after at least 10 ms below it.
std::vector<std::size_t> clickOnsets(const std::vector<float>& samples) {
  std::vector<std::size_t> onsets;
  std::size_t quiet = 441;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (std::fabs(samples[i]) > 1e-4f) {
      if (quiet >= 441) onsets.push_back(i);
      quiet = 0;
    } else {
      ++quiet;
    }
  }
  return onsets;
}

/// The largest sample of the click starting at `onset`.
float clickPeak(const std::vector<float>& samples, std::size_t onset) {
  float peak = 0.0f;
  for (std::size_t i = onset; i < std::min(samples.size(), onset + 1323); ++i) peak = std::max(peak, std::fabs(samples[i]));
  return peak;
}

class MetronomeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A silent song, so what comes out is the clicks alone.
    track = std::make_shared<Track>(1, "silence", std::vector<TrackSource>{{"mix", test::constantPcm(budget, 44100 * 20, 0.0f)}});
    renderer.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
    renderer.apply(command::LoadTrack{track.get()});
  }
  void setGrid(double offsetSeconds, int beatsPerBar = 4) {
    renderer.apply(command::SetBeatGrid{BeatGridFrames{kPeriod, offsetSeconds * kRate, beatsPerBar}});
  }
  void setMetronome(bool enabled, CountIn countIn) {
    renderer.apply(command::SetMetronome{enabled, 0.5, countIn, 1});
  }

  core::MemoryBudget budget{"test budget", 64 << 20};
  std::shared_ptr<Track> track;
  Renderer renderer;
};

TEST_F(MetronomeTest, ClicksStartOnTheFrameTheSongReachesEachBeatWithDownbeatsAccented) {
  setGrid(0.25, 3);
  setMetronome(true, CountIn::Off);
  renderer.apply(command::Seek{static_cast<std::uint64_t>(0.1 * kRate)});
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(5 * kRate));
  const std::vector<std::size_t> onsets = clickOnsets(out.left);
  // Beats at 0.25, 0.75, ... 4.75 s of the song, heard from 0.1 s on: 10 in 5 s of output
  // (the last beat's frame comes out just after 4.9 s of song time... counted below).
  std::size_t expected = 0;
  for (double beat = 0.25 * kRate; beat < 0.1 * kRate + static_cast<double>(out.left.size()) - kPeriod * 0.01; beat += kPeriod) {
    // The song frame of each beat comes out somewhere: its click starts there.
    const auto frame = static_cast<SourcePosition>(std::ceil(beat));
    const auto at = std::find(out.positions.begin(), out.positions.end(), frame);
    if (at == out.positions.end()) continue;
    ++expected;
    const auto index = static_cast<std::size_t>(at - out.positions.begin());
    EXPECT_NE(std::find(onsets.begin(), onsets.end(), index), onsets.end()) << "no click where song frame " << frame << " plays";
  }
  EXPECT_EQ(onsets.size(), expected);
  ASSERT_GE(expected, 9u);
  // 3/4 from 0.25 s: beats 0, 3, 6... are downbeats, 4 dB louder.
  for (std::size_t k = 0; k < onsets.size(); ++k) {
    const float peak = clickPeak(out.left, onsets[k]);
    const float expectedPeak = k % 3 == 0 ? 0.5f : 0.5f * static_cast<float>(Metronome::kBeatGain);
    EXPECT_NEAR(peak, expectedPeak, 0.05f * expectedPeak) << "click " << k;
  }
}

TEST_F(MetronomeTest, NothingOfTheClicksReachesTheAnalysisTap) {
  core::AudioRing tap(2, 1 << 16);
  renderer.setAnalysisTap(&tap);
  setGrid(0.0);
  setMetronome(true, CountIn::First);
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(3 * kRate));
  ASSERT_GE(clickOnsets(out.left).size(), 5u) << "the clicks are heard";
  std::vector<float> left(kBlock), right(kBlock);
  float* channels[2] = {left.data(), right.data()};
  float loudest = 0.0f;
  while (tap.readableFrames() >= kBlock) {
    tap.tryPopBlock(channels, kBlock, nullptr);
    for (float s : left) loudest = std::max(loudest, std::fabs(s));
  }
  EXPECT_EQ(loudest, 0.0f) << "meters, spectrum and loudness see the song only";
}

TEST_F(MetronomeTest, ACountInOfOneBarEndsExactlyWhereTheSongGoesOn) {
  const auto a = static_cast<std::uint64_t>(2.0 * kRate);
  setGrid(0.5);
  setMetronome(false, CountIn::First);  // the count-in clicks even with the metronome off
  renderer.apply(command::Seek{a});
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(3 * kRate));
  const auto first = std::find(out.positions.begin(), out.positions.end(), static_cast<SourcePosition>(a));
  ASSERT_NE(first, out.positions.end());
  // The clicks and the song come out through the same delay; the song's first frame is one
  // bar of clicks after the first click.
  const std::vector<std::size_t> onsets = clickOnsets(out.left);
  ASSERT_EQ(onsets.size(), 4u) << "four clicks, then the song (with the metronome off, no more)";
  const auto songAt = static_cast<std::size_t>(first - out.positions.begin());
  EXPECT_EQ(songAt - onsets[0], static_cast<std::size_t>(std::llround(4 * kPeriod)));
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(onsets[k] - onsets[0], static_cast<std::size_t>(std::ceil(static_cast<double>(k) * kPeriod))) << "click " << k;
  }
  // The clicks stand for the song's beats before A (2.0 s): 0.0, 0.5, 1.0 and 1.5 s. The bars
  // start at 0.5 s, so the second click is the accented one.
  EXPECT_GT(clickPeak(out.left, onsets[1]), clickPeak(out.left, onsets[0]) * 1.4f) << "accented on the song's bar";
  std::printf("[ measure  ] count-in of 1 bar at %.0f BPM: song after %zu frames (%.3f s)\n", kBpm, songAt - onsets[0],
              static_cast<double>(songAt - onsets[0]) / kRate);
}

TEST_F(MetronomeTest, WithEveryPassCountedInEachWrapHoldsForABarAtTheLoopStart) {
  const auto a = static_cast<std::uint64_t>(1.0 * kRate), b = static_cast<std::uint64_t>(3.0 * kRate);
  setGrid(0.0);
  setMetronome(false, CountIn::Every);
  renderer.apply(command::SetLoopRegion{a, b});
  renderer.apply(command::SetLooping{true});
  renderer.apply(command::Seek{a});
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(11 * kRate));
  // Passes: where the song plays A, and where it last played B - 1.
  std::vector<std::size_t> starts, ends;
  for (std::size_t i = 0; i < out.positions.size(); ++i) {
    if (out.positions[i] == static_cast<SourcePosition>(a)) starts.push_back(i);
    if (out.positions[i] == static_cast<SourcePosition>(b - 1)) ends.push_back(i);
  }
  ASSERT_GE(starts.size(), 3u);
  const auto bar = static_cast<std::size_t>(std::llround(4 * kPeriod));
  for (std::size_t pass = 1; pass < starts.size(); ++pass) {
    EXPECT_EQ(starts[pass] - ends[pass - 1], bar + 1) << "pass " << pass << " is counted in for exactly one bar";
  }
  EXPECT_EQ(clickOnsets(out.left).size(), 4 * starts.size()) << "four clicks before each pass, none during it";
}

// Off 100 % the stretcher reads ahead of what is heard; the count-in still ends where the song
// comes in, within a millisecond, before the first pass and before every pass of a loop.
class MetronomeAtSpeedTest : public MetronomeTest, public ::testing::WithParamInterface<double> {};

TEST_P(MetronomeAtSpeedTest, ACountInEndsWhereTheSongComesIn) {
  const double tempo = GetParam();
  const auto a = static_cast<std::uint64_t>(2.0 * kRate);
  renderer.apply(command::SetTempoPitch{tempo, 0.0});
  setGrid(0.5);
  setMetronome(false, CountIn::First);
  renderer.apply(command::Seek{a});
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(4 * kPeriod / tempo + kRate));
  const auto first = std::find_if(out.positions.begin(), out.positions.end(), [](SourcePosition p) { return p != kNoSourcePosition; });
  ASSERT_NE(first, out.positions.end());
  EXPECT_NEAR(static_cast<double>(*first), static_cast<double>(a), 2.0) << "the song goes on where it was";
  const std::vector<std::size_t> onsets = clickOnsets(out.left);
  ASSERT_EQ(onsets.size(), 4u);
  const double songAt = static_cast<double>(first - out.positions.begin());
  const double late = songAt - static_cast<double>(onsets[0]) - 4.0 * kPeriod / tempo;
  std::printf("[ measure  ] count-in at %.2f: the song comes in %+.0f frames (%.2f ms) from the bar's end\n", tempo, late,
              1000.0 * late / kRate);
  EXPECT_LE(std::fabs(late), 0.001 * kRate);
  EXPECT_NEAR(static_cast<double>(onsets[3] - onsets[0]), 3.0 * kPeriod / tempo, 1.0) << "clicks at the heard tempo";
}

TEST_P(MetronomeAtSpeedTest, EveryPassOfALoopIsCountedInForABarAtTheHeardTempo) {
  const double tempo = GetParam();
  const auto a = static_cast<std::uint64_t>(1.0 * kRate), b = static_cast<std::uint64_t>(3.0 * kRate);
  renderer.apply(command::SetTempoPitch{tempo, 0.0});
  setGrid(0.0);
  setMetronome(false, CountIn::Every);
  renderer.apply(command::SetLoopRegion{a, b});
  renderer.apply(command::SetLooping{true});
  renderer.apply(command::Seek{a});
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(3.2 * (2.0 * kRate + 4 * kPeriod) / tempo));
  // Where each pass starts (the first positioned frame after silence) and ends.
  std::vector<std::size_t> starts, ends;
  for (std::size_t i = 1; i < out.positions.size(); ++i) {
    const bool now = out.positions[i] != kNoSourcePosition, before = out.positions[i - 1] != kNoSourcePosition;
    if (now && !before) starts.push_back(i);
    if (!now && before) ends.push_back(i);
  }
  ASSERT_GE(starts.size(), 3u);
  const std::vector<std::size_t> onsets = clickOnsets(out.left);
  for (std::size_t pass = 1; pass < starts.size(); ++pass) {
    // The bar of clicks before this pass starts at its first click after the last pass ended.
    const auto click = std::find_if(onsets.begin(), onsets.end(), [&](std::size_t o) { return o + 2 >= ends[pass - 1]; });
    ASSERT_NE(click, onsets.end());
    const double late = static_cast<double>(starts[pass]) - static_cast<double>(*click) - 4.0 * kPeriod / tempo;
    EXPECT_LE(std::fabs(late), 0.001 * kRate) << "pass " << pass << " comes in " << late << " frames off the bar's end";
  }
  const auto counted = std::count_if(onsets.begin(), onsets.end(), [&](std::size_t o) { return o < starts.back(); });
  EXPECT_EQ(static_cast<std::size_t>(counted), 4 * starts.size()) << "four clicks before each pass, none during it";
}

INSTANTIATE_TEST_SUITE_P(Speeds, MetronomeAtSpeedTest, ::testing::Values(0.5, 1.5),
                         [](const ::testing::TestParamInfo<double>& param) { return param.param < 1.0 ? "Half" : "OneAndAHalf"; });

TEST_F(MetronomeTest, PausingDuringTheCountInStopsItAndPlayingCountsInAgain) {
  setGrid(0.0);
  setMetronome(false, CountIn::First);
  renderer.apply(command::Play{});
  render(renderer, static_cast<std::size_t>(kPeriod * 2));
  EXPECT_TRUE(renderer.countingIn());
  renderer.apply(command::Pause{});
  EXPECT_FALSE(renderer.countingIn());
  const Output paused = render(renderer, static_cast<std::size_t>(kRate));
  // A click already under way (or in the chain's delay) ends; none starts after it.
  for (std::size_t onset : clickOnsets(paused.left)) EXPECT_LT(onset, 0.05 * kRate) << "a click while paused";
  renderer.apply(command::Play{});
  const Output again = render(renderer, static_cast<std::size_t>(4 * kPeriod + kRate * 0.5));
  EXPECT_EQ(clickOnsets(again.left).size(), 4u);
  const auto first = std::find_if(again.positions.begin(), again.positions.end(),
                                  [](SourcePosition p) { return p != kNoSourcePosition; });
  ASSERT_NE(first, again.positions.end()) << "the song goes on after the new count-in";
  EXPECT_EQ(*first, 0) << "from where it was";
}

// A loud song under the count-in and the clicks: the count-in is clicks only, and clicks added
// to a song at the limiter's ceiling stay within full scale.
class LoudSongTest : public ::testing::Test {
 protected:
  void SetUp() override {
    track = std::make_shared<Track>(1, "loud", std::vector<TrackSource>{{"mix", test::constantPcm(budget, 44100 * 20, 0.95f)}});
    renderer.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
    renderer.apply(command::LoadTrack{track.get()});
    renderer.apply(command::SetBeatGrid{BeatGridFrames{kPeriod, 0.0, 4}});
  }
  core::MemoryBudget budget{"test budget", 64 << 20};
  std::shared_ptr<Track> track;
  Renderer renderer;
};

TEST_F(LoudSongTest, TheCountInIsClicksOnlyAndTheSongComesAfterIt) {
  renderer.apply(command::SetMetronome{false, 0.5, CountIn::First, 1});
  renderer.apply(command::Seek{static_cast<std::uint64_t>(4 * kPeriod)});
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(5 * kPeriod));
  const std::vector<std::size_t> onsets = clickOnsets(out.left);
  ASSERT_GE(onsets.size(), 1u);
  // Outside the clicks, the count-in is silence: no scrap of the song before it comes in.
  std::size_t songFrames = 0;
  for (std::size_t i = onsets[0]; i < onsets[0] + static_cast<std::size_t>(4 * kPeriod) - 1; ++i) {
    const bool inClick = std::any_of(onsets.begin(), onsets.end(), [&](std::size_t o) { return i >= o && i < o + 1323; });
    if (!inClick && out.left[i] != 0.0f) ++songFrames;
  }
  EXPECT_EQ(songFrames, 0u);
  // Under the first click too: the song is a constant 0.95, a click's decaying sine sums to
  // about 2; a scrap of the song under it would add tens.
  double sum = 0.0;
  for (std::size_t i = onsets[0]; i < onsets[0] + 1323; ++i) sum += out.left[i];
  EXPECT_LT(std::fabs(sum), 5.0) << "no scrap of the song under the first click";
}

TEST_F(LoudSongTest, ClicksOnASongAtTheCeilingStayWithinFullScale) {
  renderer.apply(command::SetMetronome{true, 1.0, CountIn::Off, 1});  // 0 dBFS clicks
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(3 * kRate));
  float peak = 0.0f;
  for (float s : out.left) peak = std::max(peak, std::fabs(s));
  EXPECT_LE(peak, 1.0f);
  EXPECT_GT(peak, 0.95f) << "the clicks are there";
}

TEST_F(MetronomeTest, ACountInFromBetweenBeatsKeepsTheSongsPulseAndBars) {
  // From 0.2 s after the song's beat 5 (in a 4/4 bar from 0.5 s: beat 5 is the bar's second).
  setGrid(0.5);
  setMetronome(false, CountIn::First);
  const double resume = 0.5 + 5 * 0.5 + 0.2;
  renderer.apply(command::Seek{static_cast<std::uint64_t>(std::llround(resume * kRate))});
  renderer.apply(command::Play{});
  const Output out = render(renderer, static_cast<std::size_t>(3 * kRate));
  const std::vector<std::size_t> onsets = clickOnsets(out.left);
  ASSERT_EQ(onsets.size(), 5u) << "a bar of clicks and the song's own beat 5, which the song comes in after";
  const auto first = std::find(out.positions.begin(), out.positions.end(),
                               static_cast<SourcePosition>(std::llround(resume * kRate)));
  ASSERT_NE(first, out.positions.end());
  const auto songAt = static_cast<std::size_t>(first - out.positions.begin());
  // The song's beat 6 would be heard one period after the last click: the pulse goes on.
  EXPECT_EQ(songAt - onsets[0], static_cast<std::size_t>(std::llround(4 * kPeriod + 0.2 * kRate)));
  // The clicks count the song's beats 1..5: beat 4 (the fourth click) starts a bar.
  for (std::size_t k = 0; k < onsets.size(); ++k) {
    const bool accented = clickPeak(out.left, onsets[k]) > 0.45f;
    EXPECT_EQ(accented, k == 3) << "click " << k;
  }
}

TEST(MetronomeLongBlocks, ACountInShorterThanABlockStillEndsOnItsFrame) {
  // 8 kHz, blocks of 4096, one beat a bar at 300 BPM: a count-in of 1600 frames, well inside
  // a block.
  constexpr double rate = 8000.0;
  core::MemoryBudget budget{"test budget", 64 << 20};
  const auto track = std::make_shared<Track>(1, "ramp", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 8000 * 10, 2, rate)}});
  Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{rate, 4096, 2});
  renderer.apply(command::LoadTrack{track.get()});
  renderer.apply(command::SetBeatGrid{BeatGridFrames{1600.0, 0.0, 1}});
  renderer.apply(command::SetMetronome{false, 0.5, CountIn::Every, 1});
  renderer.apply(command::SetLoopRegion{3200, 8000});
  renderer.apply(command::SetLooping{true});
  renderer.apply(command::Seek{3200});
  renderer.apply(command::Play{});
  std::vector<SourcePosition> positions;
  for (int block = 0; block < 12; ++block) {
    const RenderedBlock out = renderer.render(4096);
    positions.insert(positions.end(), out.positions, out.positions + out.audio.numFrames);
  }
  std::vector<std::size_t> starts, ends;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (positions[i] == 3200) starts.push_back(i);
    if (positions[i] == 7999) ends.push_back(i);
  }
  ASSERT_GE(starts.size(), 3u);
  for (std::size_t pass = 1; pass < starts.size(); ++pass) EXPECT_EQ(starts[pass] - ends[pass - 1], 1601u) << "pass " << pass;
}

}  // namespace
}  // namespace woodshed::engine
