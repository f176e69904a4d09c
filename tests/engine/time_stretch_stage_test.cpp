// Tempo and pitch as the player plays them: the time-stretch stage between the readers and the
// voices. At half speed the source advances half a frame per frame played and a tone keeps its
// pitch; seeks land on the exact source frame; an offline render is the same whatever its chunk
// size (so the command-line tool and the engine agree); the renderer sweeps the whole range of
// tempo and pitch without allocating.

#include "woodshed/engine/time_stretch_stage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "support/allocation_counter.h"
#include "support/player_output.h"
#include "woodshed/engine/offline_render.h"
#include "woodshed/engine/player.h"
#include "woodshed/engine/renderer.h"

namespace woodshed::engine {
namespace {

constexpr double kRate = 44100.0;
constexpr FrameCount kBlock = 128;

std::shared_ptr<dsp::PcmBuffer> sinePcm(core::MemoryBudget& budget, double seconds, double frequency) {
  const auto frames = static_cast<std::uint64_t>(seconds * kRate);
  auto pcm = std::make_shared<dsp::PcmBuffer>(2, frames, kRate, budget);
  std::vector<float> samples(static_cast<std::size_t>(frames));
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<float>(0.5 * std::sin(2.0 * M_PI * frequency * static_cast<double>(i) / kRate));
  pcm->write(0, 0, samples.data(), frames);
  pcm->write(1, 0, samples.data(), frames);
  return pcm;
}

// Frequency from rising zero crossings (interpolated) of x[from, to).
double frequencyOf(const std::vector<float>& x, std::size_t from, std::size_t to) {
  std::vector<double> crossings;
  for (std::size_t i = from; i + 1 < to; ++i) {
    if (x[i] < 0.0f && x[i + 1] >= 0.0f) crossings.push_back(static_cast<double>(i) + x[i] / (x[i] - x[i + 1]));
  }
  if (crossings.size() < 2) return 0.0;
  return static_cast<double>(crossings.size() - 1) * kRate / (crossings.back() - crossings.front());
}

class TimeStretchStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    player.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
    for (TimeStretchStage& stage : stages) stage.prepare(StageSpec{kRate, kBlock, kMaxStageSources, kMaxSourceChannels});
    player.setLaneStages(&stages[0], &stages[1]);
    track = std::make_shared<Track>(1, "sine", std::vector<TrackSource>{{"mix", sinePcm(budget, 4.0, 440.0)}});
    player.setTrack(track.get());
  }
  void setTempoPitch(double tempo, double semitones) {
    for (TimeStretchStage& stage : stages) stage.setParams(dsp::StretchParams{tempo, semitones});
  }

  core::MemoryBudget budget{"test budget", 64 << 20};
  Player player;
  std::array<TimeStretchStage, 2> stages;
  std::shared_ptr<Track> track;
};

TEST_F(TimeStretchStageTest, AtHalfSpeedTheSourceAdvancesHalfAFramePerFrameAndAToneKeepsItsPitch) {
  setTempoPitch(0.5, 0.0);
  player.seek(0);
  player.play();
  const test::PlayerOutput out = test::renderPlayer(player, static_cast<std::size_t>(2.0 * kRate), kBlock);
  const std::size_t from = 8192, to = out.positions.size() - 1;
  ASSERT_NE(out.positions[from], kNoSourcePosition);
  ASSERT_NE(out.positions[to], kNoSourcePosition);
  const double advance = static_cast<double>(out.positions[to] - out.positions[from]) / static_cast<double>(to - from);
  const double frequency = frequencyOf(out.left, from, to);
  std::printf("[ measure  ] tempo 0.5: %.5f source frames per frame, a 440 Hz sine plays at %.3f Hz\n", advance, frequency);
  EXPECT_NEAR(advance, 0.5, 0.01);
  EXPECT_NEAR(frequency, 440.0, 0.3);
  EXPECT_EQ(player.position(), static_cast<std::uint64_t>(out.positions.back()) + 1)
      << "the transport reports what came out of the stage, not what it read ahead";
}

TEST_F(TimeStretchStageTest, SevenSemitonesUpIsAFifthHigherAtTheSameSpeed) {
  setTempoPitch(1.0, 7.0);
  player.play();
  const test::PlayerOutput out = test::renderPlayer(player, static_cast<std::size_t>(2.0 * kRate), kBlock);
  const std::size_t from = 8192, to = out.positions.size() - 1;
  const double advance = static_cast<double>(out.positions[to] - out.positions[from]) / static_cast<double>(to - from);
  const double cents = 1200.0 * std::log2(frequencyOf(out.left, from, to) / (440.0 * std::pow(2.0, 7.0 / 12.0)));
  std::printf("[ measure  ] +7 semitones: %+.3f cents off, %.5f source frames per frame\n", cents, advance);
  EXPECT_NEAR(cents, 0.0, 1.0);
  EXPECT_NEAR(advance, 1.0, 0.01);
}

TEST_F(TimeStretchStageTest, ASeekAtHalfSpeedLandsOnTheExactSourceFrame) {
  setTempoPitch(0.5, 0.0);
  player.seek(12345);  // paused: jumps now
  player.play();
  test::PlayerOutput out = test::renderPlayer(player, 4096, kBlock);
  const auto first = std::find_if(out.positions.begin(), out.positions.end(), [](SourcePosition p) { return p != kNoSourcePosition; });
  ASSERT_NE(first, out.positions.end());
  EXPECT_EQ(*first, 12345);
  // While playing: fade out, jump, and the first frame after the jump is the target.
  player.seek(60001);
  out = test::renderPlayer(player, 8192, kBlock);
  const auto landed = std::find(out.positions.begin(), out.positions.end(), 60001);
  ASSERT_NE(landed, out.positions.end()) << "the target frame never came out";
  EXPECT_TRUE(landed == out.positions.begin() || *(landed - 1) == kNoSourcePosition || *(landed - 1) < 60001 - 100)
      << "the first frame after the jump is the target";
}

TEST_F(TimeStretchStageTest, AnOfflineRenderIsTheSameInAnyChunkSizeAndRunsRegionOverTempo) {
  EngineSettings settings;
  settings.eqBypass = true;
  settings.limiterEnabled = false;
  settings.tempo = 0.7;
  settings.pitchSemitones = 2.5;
  struct Collect final : RenderSink {
    std::vector<float> left;
    void write(const dsp::AudioBlock& block) override { left.insert(left.end(), block.channels[0], block.channels[0] + block.numFrames); }
  };
  const RenderRegion region{22050, 22050 + 88200};
  Collect small, large;
  OfflineRenderOptions options;
  options.chunkFrames = kBlock;
  renderOffline(*track, settings, region, small, options);
  options.chunkFrames = 4096;
  renderOffline(*track, settings, region, large, options);
  ASSERT_EQ(small.left.size(), large.left.size());
  EXPECT_EQ(large.left.size(), static_cast<std::size_t>(std::llround(88200 / 0.7)));
  double worst = 0.0;
  for (std::size_t i = 0; i < small.left.size(); ++i) worst = std::max(worst, std::fabs(double{small.left[i]} - large.left[i]));
  std::printf("[ measure  ] offline render in 128- and 4096-frame chunks: worst difference %.3g (%.1f dB)\n", worst,
              20.0 * std::log10(std::max(worst, 1e-30)));
  EXPECT_LT(worst, 1e-5) << "within -100 dB";
}

TEST(TimeStretchRenderer, SweepsTheWholeRangeOfTempoAndPitchWithoutAllocating) {
  ASSERT_GE(test::allocationsSeenBySelfCheck(), 3);
  core::MemoryBudget budget{"test budget", 64 << 20};
  auto track = std::make_shared<Track>(1, "sine", std::vector<TrackSource>{{"mix", sinePcm(budget, 4.0, 220.0)}});
  Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
  renderer.apply(command::LoadTrack{track.get()});
  renderer.apply(command::Play{});
  for (int i = 0; i < 50; ++i) renderer.render(kBlock);  // warmed up at 1.0
  long allocations = 0;
  constexpr int kBlocks = 1200;  // 3.5 s
  {
    test::AllocationWindow window;
    for (int i = 0; i < kBlocks; ++i) {
      const double t = static_cast<double>(i) / kBlocks;
      if (i % 16 == 0) {
        renderer.apply(command::SetTempoPitch{0.25 * std::pow(8.0, t), -12.0 + 24.0 * t});
      }
      if (i == kBlocks / 2) renderer.apply(command::Seek{44100});
      renderer.render(kBlock);
    }
    allocations = window.count();
  }
  EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace woodshed::engine

namespace woodshed::engine {
namespace {

// The speed trainer, as the positions heard show it: from 0.6 by 0.1 to 0.8 with 2 passes a
// step, the passes of a half-second loop run at 0.6, 0.6, 0.7, 0.7, 0.8, 0.8, 0.8; stopping it
// brings back the tempo set before.
TEST(SpeedTrainer, EachPairOfPassesStepsTheTempoUpToTheTargetAndStoppingRestoresIt) {
  core::MemoryBudget budget{"test budget", 64 << 20};
  auto track = std::make_shared<Track>(1, "sine", std::vector<TrackSource>{{"mix", sinePcm(budget, 4.0, 330.0)}});
  Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
  renderer.apply(command::LoadTrack{track.get()});
  const auto a = static_cast<SourcePosition>(kRate), b = static_cast<SourcePosition>(1.5 * kRate);
  renderer.apply(command::SetTempoPitch{0.9, 0.0});
  renderer.apply(command::SetLoopRegion{static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(b)});
  renderer.apply(command::SetLooping{true});
  renderer.apply(command::Seek{static_cast<std::uint64_t>(a)});
  renderer.apply(command::SetSpeedTrainer{true, 0.6, 0.1, 0.8, 2});
  renderer.apply(command::Play{});
  // Each pass's length in output frames, from one return to A to the next.
  std::vector<std::size_t> passStarts;
  std::size_t frame = 0;
  SourcePosition last = kNoSourcePosition;
  const auto renderFor = [&](std::size_t frames) {
    for (std::size_t done = 0; done < frames; done += kBlock, frame += kBlock) {
      const RenderedBlock block = renderer.render(kBlock);
      for (FrameCount i = 0; i < kBlock; ++i) {
        const SourcePosition p = block.positions[i];
        if (p == kNoSourcePosition) continue;
        if (last != kNoSourcePosition && p + 1 < last) passStarts.push_back(frame + i);
        last = p;
      }
    }
  };
  renderFor(static_cast<std::size_t>(kRate * 6.5));
  EXPECT_EQ(renderer.trainerPasses(), passStarts.size());
  std::vector<double> tempos;
  for (std::size_t k = 1; k < passStarts.size(); ++k) {
    tempos.push_back(static_cast<double>(b - a) / static_cast<double>(passStarts[k] - passStarts[k - 1]));
  }
  std::printf("[ measure  ] trainer passes at:");
  for (double t : tempos) std::printf(" %.3f", t);
  std::printf("\n");
  // The first pass (from the seek) is the start tempo too; passes counted from the first wrap.
  const std::vector<double> expected{0.6, 0.7, 0.7, 0.8, 0.8, 0.8};
  ASSERT_GE(tempos.size(), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) EXPECT_NEAR(tempos[k], expected[k], 0.01) << "pass " << k + 2;

  renderer.apply(command::SetSpeedTrainer{false, 1.0, 0.0, 1.0, 1});
  EXPECT_EQ(renderer.tempoPitch().tempo, 0.9) << "the tempo set before the trainer";
  passStarts.clear();
  renderFor(static_cast<std::size_t>(kRate * 2.0));
  ASSERT_GE(passStarts.size(), 2u);
  const double after = static_cast<double>(b - a) / static_cast<double>(passStarts[1] - passStarts[0]);
  EXPECT_NEAR(after, 0.9, 0.01);
}

}  // namespace
}  // namespace woodshed::engine
