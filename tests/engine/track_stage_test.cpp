// The track-level stage slot: a stage between the readers and the voices sees every source at
// once, pulls what it needs, and maps each output frame to its source frame. Through a stage
// that delays and one that consumes two input frames per output frame, positions stay exact,
// and seeks and loop wraps land on the exact source frame, without allocating.

#include "woodshed/engine/track_stage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "support/allocation_counter.h"
#include "support/player_output.h"
#include "support/test_tracks.h"
#include "woodshed/engine/player.h"

namespace woodshed::engine {
namespace {

constexpr double kRate = 44100.0;
constexpr FrameCount kBlock = 128;

// Delays every source by `delay` frames (the time map delays with it).
class DelayStage final : public TrackStage {
 public:
  explicit DelayStage(FrameCount delay) : delay_(delay) {}
  void prepare(const StageSpec& spec) override {
    length_ = delay_ + spec.maxBlockFrames;
    history_.assign(kMaxStageSources * kMaxSourceChannels * length_, 0.0f);
    positions_.assign(length_, kNoSourcePosition);
    input_.assign(kMaxStageSources * kMaxSourceChannels * spec.maxBlockFrames, 0.0f);
    inputPositions_.assign(spec.maxBlockFrames, kNoSourcePosition);
    maxBlock_ = spec.maxBlockFrames;
  }
  void reset() noexcept override {
    std::fill(history_.begin(), history_.end(), 0.0f);
    std::fill(positions_.begin(), positions_.end(), kNoSourcePosition);
    write_ = 0;
  }
  FrameCount latencyFrames() const noexcept override { return delay_; }
  void process(StageInput& input, const SourceBlocks& out, SourcePosition* positions) noexcept override {
    SourceBlocks in = out;
    for (std::size_t s = 0; s < out.sources; ++s) {
      for (ChannelCount c = 0; c < out.channelsPerSource; ++c) in.channels[s][c] = &input_[(s * kMaxSourceChannels + c) * maxBlock_];
    }
    input.pull(in, out.frames, inputPositions_.data());
    for (FrameCount k = 0; k < out.frames; ++k) {
      const std::size_t slot = (write_ + k) % length_;
      const std::size_t from = (write_ + k + length_ - delay_) % length_;
      for (std::size_t s = 0; s < out.sources; ++s) {
        for (ChannelCount c = 0; c < out.channelsPerSource; ++c) {
          float* history = &history_[(s * kMaxSourceChannels + c) * length_];
          history[slot] = in.channels[s][c][k];
          out.channels[s][c][k] = history[from];
        }
      }
      positions_[slot] = inputPositions_[k];
      positions[k] = positions_[from];
    }
    write_ = (write_ + out.frames) % length_;
  }

 private:
  FrameCount delay_;
  std::size_t length_ = 0, write_ = 0, maxBlock_ = 0;
  std::vector<float> history_, input_;
  std::vector<SourcePosition> positions_, inputPositions_;
};

// Plays twice as fast by taking every other input frame: pulls two input frames per output.
class SkipStage final : public TrackStage {
 public:
  void prepare(const StageSpec& spec) override {
    maxBlock_ = 2 * spec.maxBlockFrames;
    input_.assign(kMaxStageSources * kMaxSourceChannels * maxBlock_, 0.0f);
    inputPositions_.assign(maxBlock_, kNoSourcePosition);
  }
  void reset() noexcept override {}
  FrameCount latencyFrames() const noexcept override { return 0; }
  void process(StageInput& input, const SourceBlocks& out, SourcePosition* positions) noexcept override {
    SourceBlocks in = out;
    in.frames = 2 * out.frames;
    for (std::size_t s = 0; s < out.sources; ++s) {
      for (ChannelCount c = 0; c < out.channelsPerSource; ++c) in.channels[s][c] = &input_[(s * kMaxSourceChannels + c) * maxBlock_];
    }
    input.pull(in, in.frames, inputPositions_.data());
    for (FrameCount k = 0; k < out.frames; ++k) {
      for (std::size_t s = 0; s < out.sources; ++s) {
        for (ChannelCount c = 0; c < out.channelsPerSource; ++c) out.channels[s][c][k] = in.channels[s][c][2 * k];
      }
      positions[k] = inputPositions_[2 * k];
    }
  }

 private:
  std::size_t maxBlock_ = 0;
  std::vector<float> input_;
  std::vector<SourcePosition> inputPositions_;
};

using Rendered = test::PlayerOutput;

Rendered render(Player& player, std::size_t frames) { return test::renderPlayer(player, frames, kBlock); }

class TrackStageTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    player.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
    stage = GetParam() == 0 ? std::unique_ptr<TrackStage>(std::make_unique<DelayStage>(300))
                            : std::unique_ptr<TrackStage>(std::make_unique<SkipStage>());
    stage->prepare(StageSpec{kRate, kBlock, kMaxStageSources, kMaxSourceChannels});
    player.setStage(stage.get());
    track = std::make_shared<Track>(1, "ramp", std::vector<TrackSource>{{"mix", test::rampPcm(budget, kFrames)}});
    player.setTrack(track.get());
  }
  std::uint64_t step() const { return GetParam() == 0 ? 1 : 2; }
  FrameCount latency() const { return stage->latencyFrames(); }

  // Every output frame at full transport gain is the track's own sample at the position the
  // stage reported for it; and positions advance by the stage's step.
  void expectExact(const Rendered& out, std::size_t from, std::size_t to) {
    std::size_t wrong = 0;
    for (std::size_t i = from; i < to; ++i) {
      const SourcePosition p = out.positions[i];
      if (p == kNoSourcePosition) {
        ++wrong;
        continue;
      }
      wrong += std::fabs(out.left[i] - test::storedRampSample(static_cast<std::uint64_t>(p), 0)) > 1e-6f;
      wrong += std::fabs(out.right[i] - test::storedRampSample(static_cast<std::uint64_t>(p), 1)) > 1e-6f;
    }
    EXPECT_EQ(wrong, 0u);
  }

  static constexpr std::uint64_t kFrames = 44100;
  core::MemoryBudget budget{"test budget", 64 << 20};
  Player player;
  std::unique_ptr<TrackStage> stage;
  std::shared_ptr<Track> track;
};

TEST_P(TrackStageTest, PositionsThroughTheStageAreExact) {
  player.play();
  const Rendered out = render(player, 8192);
  // The stage's latency comes out first, unpositioned: no frame claims a source it is not.
  for (FrameCount i = 0; i < latency(); ++i) ASSERT_EQ(out.positions[i], kNoSourcePosition) << i;
  ASSERT_EQ(out.positions[latency()], 0);
  for (std::size_t i = latency() + 1; i < out.positions.size(); ++i) {
    ASSERT_EQ(static_cast<std::uint64_t>(out.positions[i] - out.positions[i - 1]), step()) << i;
  }
  expectExact(out, latency() + 512, out.positions.size());  // after the fade-in
}

TEST_P(TrackStageTest, ASeekLandsOnTheExactSourceFrame) {
  player.seek(12345);  // paused: jumps now
  player.play();
  Rendered out = render(player, 2048);
  EXPECT_EQ(out.positions[latency()], 12345);
  // While playing: fade out, jump, and the first frame after the jump is the target.
  player.seek(30001);
  out = render(player, 4096);
  std::size_t first = 0;
  while (first < out.positions.size() && out.positions[first] != 30001) ++first;
  ASSERT_LT(first, out.positions.size()) << "the target frame never came out";
  for (std::size_t i = first + 1; i < first + 1000; ++i) {
    ASSERT_EQ(static_cast<std::uint64_t>(out.positions[i] - out.positions[i - 1]), step()) << i;
  }
  expectExact(out, first + 512, first + 2000);
  EXPECT_EQ(player.position(), static_cast<std::uint64_t>(out.positions.back()) + 1)
      << "the transport reports what came out, not what the stage has read ahead";
}

TEST_P(TrackStageTest, ALoopWrapsOnTheExactSourceFrame) {
  player.setLooping(true);
  player.seek(kFrames - 1001);
  player.play();
  const Rendered out = render(player, 4096);
  std::vector<SourcePosition> expected;
  for (std::uint64_t p = kFrames - 1001; expected.size() < 3000; p = (p + step()) % kFrames) {
    expected.push_back(static_cast<SourcePosition>(p));
  }
  const std::vector<SourcePosition> heard(out.positions.begin() + latency(), out.positions.begin() + latency() + 3000);
  EXPECT_EQ(heard, expected);
  expectExact(out, latency() + 512, latency() + 3000);
}

TEST_P(TrackStageTest, TheEndComesOutOfTheStageBeforePlaybackStops) {
  player.seek(kFrames - 2000);
  player.play();
  const Rendered out = render(player, 4096);
  const auto last = std::find(out.positions.begin() + latency(), out.positions.end(), kNoSourcePosition);
  ASSERT_NE(last, out.positions.begin());
  const auto lastHeard = static_cast<std::uint64_t>(*(last - 1));
  EXPECT_GE(lastHeard + step(), kFrames) << "the track played to its last frame";
  EXPECT_LT(lastHeard, kFrames);
  EXPECT_FALSE(player.playing());
  EXPECT_EQ(player.position(), kFrames);
}

TEST_P(TrackStageTest, PlayingSwitchingAndReplacingSourcesNeverAllocates) {
  ASSERT_GE(test::allocationsSeenBySelfCheck(), 3);
  player.setLooping(true);
  player.play();
  std::vector<float> l(kBlock), r(kBlock);
  std::vector<SourcePosition> p(kBlock);
  float* channels[2] = {l.data(), r.data()};
  const auto other = std::make_shared<Track>(1, "the same song in two sources",
      std::vector<TrackSource>{{"a", test::rampPcm(budget, kFrames)}, {"b", test::rampPcm(budget, kFrames)}});
  test::AllocationWindow window;
  for (int block = 0; block < 2000; ++block) {
    if (block % 400 == 100) player.seek(static_cast<std::uint64_t>(block) * 17);
    if (block % 400 == 300) player.setStage(block % 800 == 300 ? nullptr : stage.get());
    if (block % 400 == 200) player.switchTo(block % 800 == 200 ? other.get() : track.get(), nullptr);
    while (player.takeReleasedTrack() != nullptr || player.takeReleasedStage() != nullptr) {
    }
    player.process(dsp::AudioBlock{channels, 2, kBlock}, p.data());
  }
  EXPECT_EQ(window.count(), 0);
}

INSTANTIATE_TEST_SUITE_P(Stages, TrackStageTest, ::testing::Values(0, 1),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return std::string(param.param == 0 ? "DelayBy300" : "TwoInputFramesPerOutput");
                         });

}  // namespace
}  // namespace woodshed::engine

namespace woodshed::engine {
namespace {

// A stage with one plan for all sources: a gain per frame computed from the sum of every
// source's input (so it differs from what any one source would give), applied to each source.
class SharedPlanStage final : public TrackStage {
 public:
  void prepare(const StageSpec& spec) override { positions_.assign(spec.maxBlockFrames, kNoSourcePosition); }
  void reset() noexcept override {}
  FrameCount latencyFrames() const noexcept override { return 0; }
  void process(StageInput& input, const SourceBlocks& out, SourcePosition* positions) noexcept override {
    input.pull(out, out.frames, positions);
    for (FrameCount k = 0; k < out.frames; ++k) {
      double sum = 0.0;
      for (std::size_t s = 0; s < out.sources; ++s) sum += out.channels[s][0][k];
      const auto gain = static_cast<float>(0.25 + 0.75 * std::fabs(std::sin(3.0 * sum)));
      for (std::size_t s = 0; s < out.sources; ++s) {
        for (ChannelCount c = 0; c < out.channelsPerSource; ++c) out.channels[s][c][k] *= gain;
      }
    }
  }

 private:
  std::vector<SourcePosition> positions_;
};

constexpr std::size_t kSongFrames = 44100 * 2;

// Four int16 stems and their exact sum (representable: each stem is at most a quarter of full
// scale), as PCM.
struct Stems {
  std::vector<std::shared_ptr<dsp::PcmBuffer>> parts;
  std::shared_ptr<dsp::PcmBuffer> sum;
};

Stems makeStems(core::MemoryBudget& budget) {
  Stems stems;
  std::vector<std::vector<float>> channelSums(2, std::vector<float>(kSongFrames, 0.0f));
  for (int part = 0; part < 4; ++part) {
    auto pcm = std::make_shared<dsp::PcmBuffer>(2, kSongFrames, kRate, budget);
    std::vector<float> samples(kSongFrames);
    for (ChannelCount c = 0; c < 2; ++c) {
      for (std::size_t i = 0; i < kSongFrames; ++i) {
        const double hz = 110.0 * (part + 1) + 3.0 * c;
        const double x = 0.24 * std::sin(2.0 * M_PI * hz * static_cast<double>(i) / kRate + part);
        samples[i] = static_cast<float>(std::lrint(x * dsp::PcmBuffer::kScale)) / dsp::PcmBuffer::kScale;
        channelSums[c][i] += samples[i];
      }
      pcm->write(c, 0, samples.data(), kSongFrames);
    }
    stems.parts.push_back(pcm);
  }
  stems.sum = std::make_shared<dsp::PcmBuffer>(2, kSongFrames, kRate, budget);
  for (ChannelCount c = 0; c < 2; ++c) stems.sum->write(c, 0, channelSums[c].data(), kSongFrames);
  return stems;
}

std::shared_ptr<Track> trackOf(const std::vector<std::shared_ptr<dsp::PcmBuffer>>& parts) {
  std::vector<TrackSource> sources;
  for (std::size_t i = 0; i < parts.size(); ++i) sources.push_back({"part " + std::to_string(i), parts[i]});
  return std::make_shared<Track>(1, "song", std::move(sources));
}

double worstDb(const std::vector<float>& a, const std::vector<float>& b, std::size_t from, std::size_t to) {
  double worst = 0.0;
  for (std::size_t i = from; i < to; ++i) worst = std::max(worst, double{std::fabs(a[i] - b[i])});
  return 20.0 * std::log10(std::max(worst, 1e-30));
}

class StemsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stems = makeStems(budget);
    mix = trackOf({stems.sum});
    split = trackOf(stems.parts);
  }
  core::MemoryBudget budget{"test budget", 64 << 20};
  Stems stems;
  std::shared_ptr<Track> mix, split;
};

TEST_F(StemsTest, FourSourcesThroughOneSharedPlanSumToTheMixThroughIt) {
  Rendered outputs[2];
  for (int i = 0; i < 2; ++i) {
    Player player;
    player.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
    SharedPlanStage stage;
    stage.prepare(StageSpec{kRate, kBlock, kMaxStageSources, kMaxSourceChannels});
    player.setTrack(i == 0 ? mix.get() : split.get());
    player.setStage(&stage);
    player.play();
    outputs[i] = render(player, 44100);
  }
  EXPECT_EQ(outputs[0].positions, outputs[1].positions);
  const double left = worstDb(outputs[0].left, outputs[1].left, 0, 44100);
  const double right = worstDb(outputs[0].right, outputs[1].right, 0, 44100);
  std::printf("[ measure  ] four stems through one plan vs the mix through it: worst %.1f dB\n", std::max(left, right));
  EXPECT_LT(left, -90.0);
  EXPECT_LT(right, -90.0);
}

TEST_F(StemsTest, ReplacingTheSourcesMidPlaybackContinuesAtTheSameFrame) {
  Player reference;
  reference.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
  reference.setTrack(mix.get());
  reference.play();
  const Rendered expected = render(reference, 44100);

  Player player;
  player.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
  player.setTrack(mix.get());
  player.play();
  Rendered got = render(player, 128 * 100);
  player.switchTo(split.get(), nullptr);
  EXPECT_EQ(player.takeReleasedTrack(), nullptr) << "the old sources are still read during the crossover";
  const Rendered after = render(player, 44100 - 128 * 100);
  EXPECT_EQ(player.takeReleasedTrack(), mix.get()) << "and handed back after it";
  EXPECT_EQ(player.takeReleasedTrack(), nullptr);
  EXPECT_EQ(player.track(), split.get());
  got.left.insert(got.left.end(), after.left.begin(), after.left.end());
  got.right.insert(got.right.end(), after.right.begin(), after.right.end());
  got.positions.insert(got.positions.end(), after.positions.begin(), after.positions.end());
  EXPECT_EQ(got.positions, expected.positions) << "the same source frame, no gap, no repeat";
  const double left = worstDb(got.left, expected.left, 12000, 16000);
  const double right = worstDb(got.right, expected.right, 12000, 16000);
  std::printf("[ measure  ] one source replaced by four mid-playback: worst %.1f dB around the switch\n",
              std::max(left, right));
  EXPECT_LT(left, -60.0);
  EXPECT_LT(right, -60.0);
}

TEST_F(StemsTest, SwitchingAStageInAndOutWhilePlayingNeitherStepsNorStops) {
  // A 100 Hz sine: the largest step between samples it makes by itself.
  auto pcm = std::make_shared<dsp::PcmBuffer>(2, kSongFrames, kRate, budget);
  std::vector<float> sine(kSongFrames);
  for (std::size_t i = 0; i < kSongFrames; ++i) sine[i] = static_cast<float>(0.5 * std::sin(2.0 * M_PI * 100.0 * static_cast<double>(i) / kRate));
  for (ChannelCount c = 0; c < 2; ++c) pcm->write(c, 0, sine.data(), kSongFrames);
  const auto song = trackOf({pcm});
  double ownStep = 0.0;
  for (std::size_t i = 1; i < kSongFrames; ++i) ownStep = std::max(ownStep, double{std::fabs(sine[i] - sine[i - 1])});

  Player player;
  player.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
  DelayStage delay(300);
  delay.prepare(StageSpec{kRate, kBlock, kMaxStageSources, kMaxSourceChannels});
  player.setTrack(song.get());
  player.play();
  Rendered out = render(player, 2048);  // past the fade-in
  for (int cycle = 0; cycle < 6; ++cycle) {
    player.setStage(cycle % 2 == 0 ? &delay : nullptr);
    const Rendered more = render(player, 4096 + 128 * cycle);
    out.left.insert(out.left.end(), more.left.begin(), more.left.end());
    out.positions.insert(out.positions.end(), more.positions.begin(), more.positions.end());
    if (cycle % 2 == 1) {
      EXPECT_EQ(player.takeReleasedStage(), &delay) << "handed back when switched out";
    }
  }
  double largestStep = 0.0;
  for (std::size_t i = 2048; i < out.left.size(); ++i) largestStep = std::max(largestStep, double{std::fabs(out.left[i] - out.left[i - 1])});
  std::printf("[ measure  ] stage switched in and out 6 times: largest step %.5f, the sine's own %.5f\n", largestStep,
              ownStep);
  EXPECT_LE(largestStep, 1.10 * ownStep) << "the sine's own step is " << ownStep;
  for (std::size_t i = 2049; i < out.positions.size(); ++i) ASSERT_EQ(out.positions[i], out.positions[i - 1] + 1) << i;
}

TEST_F(StemsTest, PanIsABalanceAndEachVoiceHasAMeter) {
  Player player;
  player.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
  player.setTrack(split.get());
  player.setSourcePan(0, -1.0);  // part 0 hard left
  player.setSourceMute(1, true);
  player.jumpGainsToTargets();
  player.play();
  render(player, 4096);
  EXPECT_NEAR(player.sourcePeak(0), 0.24, 0.01);
  EXPECT_EQ(player.sourcePeak(1), 0.0f) << "muted";
  EXPECT_NEAR(player.sourcePeak(2), 0.24, 0.01);
  EXPECT_EQ(player.sourcePeak(5), 0.0f) << "no such source";
  // With parts 1-3 muted, part 0 plays on the left only.
  player.setSourceMute(2, true);
  player.setSourceMute(3, true);
  player.jumpGainsToTargets();
  const Rendered out = render(player, 4096);
  double left = 0.0, right = 0.0;
  for (std::size_t i = 0; i < out.left.size(); ++i) {
    left = std::max(left, double{std::fabs(out.left[i])});
    right = std::max(right, double{std::fabs(out.right[i])});
  }
  EXPECT_NEAR(left, 0.24, 0.01);
  EXPECT_EQ(right, 0.0);
}

}  // namespace
}  // namespace woodshed::engine
