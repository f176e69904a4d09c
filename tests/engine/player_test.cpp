#include "woodshed/engine/player.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "support/player_output.h"
#include "support/test_tracks.h"

namespace woodshed::engine {
namespace {

constexpr double kRate = 44100.0;
constexpr FrameCount kBlock = 128;
const auto kFadeFrames = static_cast<std::size_t>(Player::kFadeSeconds * kRate) + 1;

using Rendered = test::PlayerOutput;

Rendered render(Player& player, std::size_t frames, FrameCount block = kBlock) {
  return test::renderPlayer(player, frames, block);
}

class PlayerTest : public ::testing::Test {
 protected:
  void SetUp() override { player.prepare(dsp::ProcessSpec{kRate, kBlock, 2}); }
  std::shared_ptr<Track> rampTrack(std::uint64_t frames) {
    return std::make_shared<Track>(1, "ramp", std::vector<TrackSource>{{"mix", test::rampPcm(budget, frames)}});
  }
  // After the fade-in, every frame must be the track's own sample at its recorded position.
  void expectFramesMatchPositions(const Rendered& out, std::size_t from, std::size_t to) {
    std::size_t mismatches = 0;
    for (std::size_t i = from; i < to; ++i) {
      const auto position = static_cast<std::uint64_t>(out.positions[i]);
      mismatches += std::fabs(out.left[i] - test::storedRampSample(position, 0)) > 1e-6f;
      mismatches += std::fabs(out.right[i] - test::storedRampSample(position, 1)) > 1e-6f;
    }
    EXPECT_EQ(mismatches, 0u);
  }

  core::MemoryBudget budget{"test budget", 256 << 20};
  Player player;
};

TEST_F(PlayerTest, PlaysFramesInOrderAndBitExactAfterTheFadeIn) {
  auto track = rampTrack(50000);
  player.setTrack(track.get());
  player.play();
  const Rendered out = render(player, 20000);
  for (std::size_t i = 0; i < out.positions.size(); ++i) ASSERT_EQ(out.positions[i], static_cast<SourcePosition>(i));
  expectFramesMatchPositions(out, kFadeFrames, out.positions.size());
  EXPECT_LT(std::fabs(out.left[0]), 0.01f) << "starts from silence (fade-in), no click";
  EXPECT_EQ(player.position(), 20000u);
}

TEST_F(PlayerTest, SeekingWhilePausedIsExactAndImmediate) {
  auto track = rampTrack(100000);
  player.setTrack(track.get());
  player.seek(54321);
  EXPECT_EQ(player.position(), 54321u);
  player.play();
  const Rendered out = render(player, 1000);
  EXPECT_EQ(out.positions[0], 54321);
  EXPECT_EQ(out.positions[999], 54321 + 999);
}

TEST_F(PlayerTest, SeekingWhilePlayingFadesOutThenLandsOnTheExactFrame) {
  auto track = rampTrack(100000);
  player.setTrack(track.get());
  player.play();
  render(player, 1000);
  player.seek(70000);
  const Rendered out = render(player, 2000);
  // Fade-out frames continue from 1000; then the next frame is exactly 70000.
  std::size_t jump = 0;
  while (jump < out.positions.size() && out.positions[jump] != 70000) ++jump;
  ASSERT_LT(jump, out.positions.size()) << "never reached the seek target";
  EXPECT_LE(jump, kFadeFrames) << "the jump waits only for the fade-out";
  for (std::size_t i = 0; i < jump; ++i) EXPECT_EQ(out.positions[i], static_cast<SourcePosition>(1000 + i));
  for (std::size_t i = jump; i < out.positions.size(); ++i) {
    ASSERT_EQ(out.positions[i], static_cast<SourcePosition>(70000 + i - jump));
  }
  expectFramesMatchPositions(out, jump + kFadeFrames, out.positions.size());
}

TEST_F(PlayerTest, LoopsAtTheExactEndFrameInsideABlock) {
  auto track = rampTrack(1000);  // ends mid-block (1000 = 7 x 128 + 104)
  player.setTrack(track.get());
  player.setLooping(true);
  player.play();
  const Rendered out = render(player, 3500);
  for (std::size_t i = 0; i < out.positions.size(); ++i) {
    ASSERT_EQ(out.positions[i], static_cast<SourcePosition>(i % 1000)) << i;
  }
  expectFramesMatchPositions(out, kFadeFrames, out.positions.size());
  EXPECT_TRUE(player.playing());
}

TEST_F(PlayerTest, StopsAtTheEndWithoutLoop) {
  auto track = rampTrack(1000);
  player.setTrack(track.get());
  player.play();
  const Rendered out = render(player, 2000);
  EXPECT_EQ(out.positions[999], 999);
  for (std::size_t i = 1000; i < 2000; ++i) ASSERT_EQ(out.positions[i], kNoSourcePosition);
  for (std::size_t i = 1000; i < 2000; ++i) ASSERT_EQ(out.left[i], 0.0f);
  EXPECT_FALSE(player.playing());
  player.play();  // play after the end starts over
  EXPECT_EQ(render(player, 10).positions[0], 0);
}

// A long import plays while it is written: at the frontier the player waits in silence,
// still playing, and goes on from the exact frame when more arrives; a seek beyond it waits there.
TEST_F(PlayerTest, ATrackStillBeingWrittenPlaysUpToItsFrontierAndWaitsThere) {
  auto pcm = std::make_shared<dsp::PcmBuffer>(2, 50000, kRate, budget);
  pcm->publishWrites();
  test::writeRamp(*pcm, 0, 3000);
  auto track = std::make_shared<Track>(1, "arriving", std::vector<TrackSource>{{"mix", pcm}});
  EXPECT_EQ(track->readableFrames(), 3000u);
  EXPECT_FALSE(track->complete());
  player.setTrack(track.get());
  player.play();
  Rendered out = render(player, 5000);
  for (std::size_t i = 0; i < 3000; ++i) ASSERT_EQ(out.positions[i], static_cast<SourcePosition>(i));
  for (std::size_t i = 3000; i < 5000; ++i) ASSERT_EQ(out.positions[i], kNoSourcePosition) << i;
  for (std::size_t i = 3000; i < 5000; ++i) ASSERT_EQ(out.left[i], 0.0f) << "silence while it waits, nothing stale";
  EXPECT_TRUE(player.playing()) << "waiting is not the end";
  EXPECT_EQ(player.position(), 3000u);

  // One channel alone moves nothing: a frame is readable once every channel has it.
  std::vector<float> left(1000);
  for (std::size_t i = 0; i < left.size(); ++i) left[i] = test::rampSample(3000 + i, 0);
  pcm->write(0, 3000, left.data(), left.size());
  EXPECT_EQ(track->readableFrames(), 3000u);
  test::writeRamp(*pcm, 3000, 10000);
  out = render(player, 4000);
  for (std::size_t i = 0; i < out.positions.size(); ++i) ASSERT_EQ(out.positions[i], static_cast<SourcePosition>(3000 + i));
  expectFramesMatchPositions(out, kFadeFrames, out.positions.size());

  // A seek past what has arrived lands there (after the fade-out) and waits for it.
  player.seek(30000);
  out = render(player, 4000);
  for (std::size_t i = kFadeFrames + kBlock; i < out.positions.size(); ++i) ASSERT_EQ(out.positions[i], kNoSourcePosition) << i;
  EXPECT_EQ(player.position(), 30000u);
  test::writeRamp(*pcm, 10000, 50000);
  pcm->publishAll();
  EXPECT_TRUE(track->complete());
  out = render(player, 4000);
  EXPECT_EQ(out.positions[0], 30000);
  for (std::size_t i = 0; i < out.positions.size(); ++i) ASSERT_EQ(out.positions[i], static_cast<SourcePosition>(30000 + i));
  expectFramesMatchPositions(out, kFadeFrames, out.positions.size());
}

TEST_F(PlayerTest, PauseFadesOutAndHolds) {
  auto track = rampTrack(100000);
  player.setTrack(track.get());
  player.play();
  render(player, 5000);
  player.pause();
  const Rendered out = render(player, 2000);
  std::size_t sounding = 0;
  while (sounding < out.positions.size() && out.positions[sounding] != kNoSourcePosition) ++sounding;
  EXPECT_LE(sounding, kFadeFrames);
  EXPECT_EQ(player.position(), 5000u + sounding);
  for (std::size_t i = 1; i < sounding; ++i) {
    EXPECT_LE(std::fabs(out.left[i] - out.left[i - 1]), 0.01f) << "no click while fading out";
  }
}

TEST_F(PlayerTest, MixerGainMuteAndSoloReallyToggle) {
  // Two mono sources, constant 0.25 and 0.5, on both output channels.
  auto track = std::make_shared<Track>(
      2, "two sources",
      std::vector<TrackSource>{{"a", test::constantPcm(budget, 200000, 0.25f)}, {"b", test::constantPcm(budget, 200000, 0.5f)}});
  player.setTrack(track.get());
  player.play();
  auto settled = [&] {
    const Rendered out = render(player, 4096);  // 93 ms: past the 20 ms gain ramps
    EXPECT_NEAR(out.left.back(), out.right.back(), 1e-6f) << "mono sources play on both channels";
    return out.left.back();
  };
  EXPECT_NEAR(settled(), 0.75f, 1e-4f);
  player.setSourceMute(1, true);
  EXPECT_NEAR(settled(), 0.25f, 1e-4f);
  player.setSourceMute(1, false);
  player.setSourceSolo(1, true);
  EXPECT_NEAR(settled(), 0.5f, 1e-4f);
  player.setSourceSolo(0, true);
  EXPECT_NEAR(settled(), 0.75f, 1e-4f);
  player.setSourceSolo(0, false);
  player.setSourceSolo(1, false);
  player.setSourceGain(0, 0.5);
  EXPECT_NEAR(settled(), 0.625f, 1e-4f);
}

// A float song peaking at +3 dBFS (a decoder's overs), stored as the import stores it, plays at
// -6.02 dB track gain as the source x 0.5: the peak was kept, not clipped at full scale. (At
// -6.00 dB the gain alone would differ from 0.5 by 0.24 %, -52 dB.)
TEST_F(PlayerTest, ASongAboveFullScalePlaysBackWithItsPeakAtATrackGainBelowUnity) {
  const std::size_t frames = 44100;
  const double peak = std::pow(10.0, 3.0 / 20.0);
  std::vector<float> left(frames), right(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / kRate;
    left[i] = static_cast<float>(peak * std::sin(2.0 * M_PI * 441.0 * t));
    right[i] = static_cast<float>(peak * (0.6 * std::sin(2.0 * M_PI * 1234.5 * t) + 0.4 * std::sin(2.0 * M_PI * 97.0 * t)));
  }
  dsp::PcmBuffer::Peaks peaks;
  peaks.include(left.data(), frames);
  peaks.include(right.data(), frames);
  auto pcm = std::make_shared<dsp::PcmBuffer>(2, frames, kRate, budget, peaks);
  for (std::size_t offset = 0; offset < frames; offset += 4096) {
    const std::size_t n = std::min<std::size_t>(4096, frames - offset);
    pcm->write(0, offset, left.data() + offset, n);
    pcm->write(1, offset, right.data() + offset, n);
  }
  auto track = std::make_shared<Track>(1, "loud", std::vector<TrackSource>{{"mix", pcm}});
  player.setTrack(track.get());
  player.setTrackGain(0.5);  // after setTrack, which starts a track at unity
  player.play();
  const Rendered out = render(player, frames - 1000);
  double error = 0.0, signal = 0.0, loudest = 0.0;
  for (std::size_t i = 4096; i < out.positions.size(); ++i) {  // past the fade-in and the gain ramps
    const auto at = static_cast<std::size_t>(out.positions[i]);
    for (const auto& [played, source] : {std::pair{out.left[i], left[at]}, std::pair{out.right[i], right[at]}}) {
      const double expected = 0.5 * source;
      error += (played - expected) * (played - expected);
      signal += expected * expected;
      loudest = std::max(loudest, std::fabs(static_cast<double>(played)));
    }
  }
  const double errorDb = 10.0 * std::log10(error / signal);
  std::printf("[ measured ] +3 dBFS song at -6.02 dB track gain: error %.1f dB relative to the signal, peak %.2f dBFS\n",
              errorDb, 20.0 * std::log10(loudest));
  EXPECT_LT(errorDb, -80.0);
  EXPECT_NEAR(20.0 * std::log10(loudest), 3.0 + 20.0 * std::log10(0.5), 0.05);
}

}  // namespace
}  // namespace woodshed::engine
