// The A-B loop lives in the readers, in source time: every wrap lands on frame A and keeps the
// loop's exact length, and it crosses over from the frames just after B into A, so a loop on a
// low sine does not click.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "support/player_output.h"
#include "support/test_tracks.h"
#include "woodshed/engine/player.h"

namespace woodshed::engine {
namespace {

constexpr double kRate = 44100.0;
constexpr FrameCount kBlock = 128;

using Rendered = test::PlayerOutput;

Rendered render(Player& player, std::size_t frames) { return test::renderPlayer(player, frames, kBlock); }

class LoopTest : public ::testing::Test {
 protected:
  void SetUp() override { player.prepare(dsp::ProcessSpec{kRate, kBlock, 2}); }
  core::MemoryBudget budget{"test budget", 256 << 20};
  Player player;
};

TEST_F(LoopTest, EveryWrapLandsOnAAndTheOutputStaysInsideTheLoop) {
  const auto track = std::make_shared<Track>(1, "ramp", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 44100 * 20)}});
  player.setTrack(track.get());
  const std::uint64_t a = 441000, b = 529200;  // 10.000 - 12.000 s
  player.setLoopRegion(a, b);
  player.setLooping(true);
  player.seek(a - 1000);
  player.play();
  const Rendered out = render(player, static_cast<std::size_t>(8 * kRate));
  std::size_t wraps = 0, outside = 0;
  for (std::size_t i = 1; i < out.positions.size(); ++i) {
    const SourcePosition p = out.positions[i], before = out.positions[i - 1];
    if (before >= static_cast<SourcePosition>(a) && p < before) {
      ++wraps;
      EXPECT_EQ(before, static_cast<SourcePosition>(b - 1)) << "the loop keeps its exact length";
      EXPECT_EQ(p, static_cast<SourcePosition>(a)) << "each wrap lands on frame A";
    } else if (p != before + 1) {
      ADD_FAILURE() << "a jump from " << before << " to " << p;
    }
    if (i > 1000 && (p < static_cast<SourcePosition>(a) || p >= static_cast<SourcePosition>(b))) ++outside;
  }
  EXPECT_EQ(wraps, 3u) << "8 s of a 2 s loop entered 1000 frames before A";
  EXPECT_EQ(outside, 0u);
}

TEST_F(LoopTest, ALoopSetBehindThePlayingTransportWrapsToAAtOnce) {
  // B set at the playhead the user hears: the engine is already past it by the output latency.
  const auto track = std::make_shared<Track>(1, "ramp", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 44100 * 20)}});
  player.setTrack(track.get());
  player.setLooping(true);
  player.seek(44100 * 5);
  player.play();
  render(player, 44100 / 2);  // now at 5.5 s
  const std::uint64_t a = 44100 * 3, b = 44100 * 5 + 44100 * 2 / 5;  // B at 5.4 s, behind
  player.setLoopRegion(a, b);
  const Rendered out = render(player, 44100);
  ASSERT_FALSE(out.positions.empty());
  EXPECT_EQ(out.positions.front(), static_cast<SourcePosition>(a)) << "the next frame out is A";
  for (std::size_t i = 1; i < out.positions.size(); ++i) {
    ASSERT_TRUE(out.positions[i] >= static_cast<SourcePosition>(a) && out.positions[i] < static_cast<SourcePosition>(b))
        << "frame " << i << " at " << out.positions[i];
  }
  // Paused past B, turning looping on goes to A without a sound.
  player.pause();
  render(player, 1000);
  player.setLooping(false);
  player.seek(44100 * 8);
  render(player, 128);
  player.setLooping(true);
  EXPECT_EQ(player.position(), a);
}

// The largest sample step around the first wrap of an A-B loop on `track`, and the track's own
// largest step.
double largestStepAtTheWrap(Player& player, const Track& track, std::uint64_t a, std::uint64_t b, double& ownStep) {
  player.setTrack(&track);
  player.setLoopRegion(a, b);
  player.setLooping(true);
  player.seek(b - 4000);
  player.play();
  const Rendered out = render(player, 12000);
  double largest = 0.0;
  std::size_t wrap = 0;
  for (std::size_t i = 1; i < out.positions.size(); ++i) {
    if (out.positions[i] == static_cast<SourcePosition>(a) && out.positions[i - 1] == static_cast<SourcePosition>(b - 1)) wrap = i;
  }
  EXPECT_GT(wrap, 0u);
  for (std::size_t i = wrap - 50; i < wrap + 400; ++i) largest = std::max(largest, double{std::fabs(out.left[i] - out.left[i - 1])});
  const dsp::PcmBuffer& pcm = *track.sources()[0].pcm;
  ownStep = 0.0;
  for (std::uint64_t i = 1; i < pcm.frames(); ++i) {
    ownStep = std::max(ownStep, std::fabs(static_cast<double>(pcm.channel(0)[i]) - pcm.channel(0)[i - 1]) / dsp::PcmBuffer::kScale);
  }
  return largest;
}

// A low sine (55 Hz) with A and B at different, non-zero phases: the wrap does not click.
TEST_F(LoopTest, TheWrapCrossesOverWithoutAClick) {
  auto pcm = std::make_shared<dsp::PcmBuffer>(2, 44100 * 4, kRate, budget);
  std::vector<float> sine(44100 * 4);
  for (std::size_t i = 0; i < sine.size(); ++i) sine[i] = static_cast<float>(0.5 * std::sin(2.0 * M_PI * 55.0 * static_cast<double>(i) / kRate));
  for (ChannelCount c = 0; c < 2; ++c) pcm->write(c, 0, sine.data(), sine.size());
  const auto track = std::make_shared<Track>(1, "sine", std::vector<TrackSource>{{"mix", pcm}});
  // A at a quarter period in (the sine's steepest point is a quarter away), B a quarter period
  // further in phase: the two sides are 90 degrees apart where they cross.
  const std::uint64_t a = 44100 + 200, b = 2 * 44100 + 200 + 200;
  double ownStep = 0.0;
  const double step = largestStepAtTheWrap(player, *track, a, b, ownStep);
  std::printf("[ measure  ] A-B wrap on a 55 Hz sine: largest step %.5f, the sine's own %.5f\n", step, ownStep);
  EXPECT_LE(step, 1.10 * ownStep);
}

}  // namespace
}  // namespace woodshed::engine
