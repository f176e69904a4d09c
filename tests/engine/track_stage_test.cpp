// The track-level stage slot: a stage between the readers and the voices sees every source at
// once, pulls what it needs, and maps each output frame to its source frame. Through a stage
// that delays and one that consumes two input frames per output frame, positions stay exact,
// and seeks and loop wraps land on the exact source frame, without allocating.

#include "woodshed/engine/track_stage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "support/allocation_counter.h"
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

struct Rendered {
  std::vector<float> left, right;
  std::vector<SourcePosition> positions;
};

Rendered render(Player& player, std::size_t frames) {
  Rendered out;
  std::vector<float> l(kBlock), r(kBlock);
  std::vector<SourcePosition> p(kBlock);
  for (std::size_t done = 0; done < frames; done += kBlock) {
    std::fill(l.begin(), l.end(), 0.0f);
    std::fill(r.begin(), r.end(), 0.0f);
    float* channels[2] = {l.data(), r.data()};
    player.process(dsp::AudioBlock{channels, 2, kBlock}, p.data());
    out.left.insert(out.left.end(), l.begin(), l.end());
    out.right.insert(out.right.end(), r.begin(), r.end());
    out.positions.insert(out.positions.end(), p.begin(), p.end());
  }
  return out;
}

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

TEST_P(TrackStageTest, PlayingThroughAStageNeverAllocates) {
  ASSERT_GE(test::allocationsSeenBySelfCheck(), 3);
  player.setLooping(true);
  player.play();
  std::vector<float> l(kBlock), r(kBlock);
  std::vector<SourcePosition> p(kBlock);
  float* channels[2] = {l.data(), r.data()};
  test::AllocationWindow window;
  for (int block = 0; block < 2000; ++block) {
    if (block % 400 == 100) player.seek(static_cast<std::uint64_t>(block) * 17);
    if (block % 400 == 300) player.setStage(block % 800 == 300 ? nullptr : stage.get());
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
