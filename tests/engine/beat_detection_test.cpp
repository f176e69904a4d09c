// Beat detection of a whole track on the pool (engine/beat_detection.h): every source mixed
// and averaged down, the grid found, a cancel obeyed mid-song; and loop edges' zero crossings.

#include "woodshed/engine/beat_detection.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <thread>
#include <vector>

namespace woodshed::engine {
namespace {

constexpr double kRate = 48000.0;

// Clicks at `bpm` from `offset` s, louder on every fourth, over two sources (a "kick" stem and a
// "click" stem), so detection has to mix them.
std::shared_ptr<const Track> clickTrack(core::MemoryBudget& budget, double bpm, double offset, double seconds) {
  const auto frames = static_cast<std::uint64_t>(seconds * kRate);
  std::vector<float> kicks(static_cast<std::size_t>(frames)), clicks(static_cast<std::size_t>(frames));
  const double period = 60.0 / bpm;
  for (int k = 0; offset + k * period < seconds; ++k) {
    const auto start = static_cast<std::size_t>(std::llround((offset + k * period) * kRate));
    for (std::size_t i = 0; i < 4800 && start + i < kicks.size(); ++i) {
      const double t = static_cast<double>(i) / kRate;
      const double tone = std::sin(2.0 * std::numbers::pi * (k % 4 == 0 ? 60.0 : 1800.0) * t) * std::exp(-t * 40.0);
      (k % 4 == 0 ? kicks : clicks)[start + i] += static_cast<float>(0.7 * tone);
    }
  }
  std::vector<TrackSource> sources;
  for (auto* samples : {&kicks, &clicks}) {
    auto pcm = std::make_shared<dsp::PcmBuffer>(1, frames, kRate, budget);
    pcm->write(0, 0, samples->data(), frames);
    sources.push_back({samples == &kicks ? "kick" : "click", std::move(pcm)});
  }
  return std::make_shared<const Track>(1, "clicks", std::move(sources));
}

TEST(BeatDetection, FindsTheGridOfATrackWhoseBeatIsSpreadOverItsSources) {
  core::MemoryBudget budget("test budget", 64 << 20);
  core::ThreadPool pool(1);
  const auto track = clickTrack(budget, 132.0, 0.7, 30.0);
  dsp::BeatGrid grid;
  auto job = pool.submit("beats", [&](core::JobContext& context) { grid = detectBeatGrid(*track, context); });
  ASSERT_TRUE(job.waitFor(std::chrono::seconds(30)));
  ASSERT_EQ(job.status(), core::JobStatus::Succeeded) << job.error();
  EXPECT_NEAR(grid.bpm, 132.0, 0.5);
  EXPECT_EQ(grid.beatsPerBar, 4);
  const double bar = 4.0 * 60.0 / grid.bpm;
  const double phase = std::fmod(std::fabs(grid.offsetSeconds - 0.7), bar);
  EXPECT_LT(std::min(phase, bar - phase), 0.02) << "the bar starts on the kick, at " << grid.offsetSeconds << " s";
}

TEST(BeatDetection, StopsWhenCancelled) {
  core::MemoryBudget budget("test budget", 512 << 20);
  core::ThreadPool pool(1);
  const auto track = clickTrack(budget, 120.0, 0.0, 600.0);
  auto job = pool.submit("beats", [&](core::JobContext& context) { detectBeatGrid(*track, context); });
  while (job.progress() < 0.05 && !job.isFinished()) std::this_thread::sleep_for(std::chrono::microseconds(500));
  job.cancel();
  ASSERT_TRUE(job.waitFor(std::chrono::seconds(30)));
  EXPECT_EQ(job.status(), core::JobStatus::Cancelled);
  EXPECT_LT(job.progress(), 0.5);
}

TEST(BeatDetection, AZeroCrossingIsTheNearestSignChangeWithinReach) {
  core::MemoryBudget budget("test budget", 64 << 20);
  const std::size_t frames = 4800;
  auto pcm = std::make_shared<dsp::PcmBuffer>(1, frames, kRate, budget);
  std::vector<float> samples(frames, 0.25f);
  for (std::size_t i = 1000; i < 1100; ++i) samples[i] = -0.25f;  // crossings at 1000 and 1100
  pcm->write(0, 0, samples.data(), frames);
  const Track track(1, "steps", {{"mix", std::move(pcm)}});
  EXPECT_EQ(nearestZeroCrossing(track, 1040), 1000u);
  EXPECT_EQ(nearestZeroCrossing(track, 1060), 1100u);
  EXPECT_EQ(nearestZeroCrossing(track, 1000 + 480 + 101), 1000u + 480 + 101) << "none within 10 ms: where it was";
}

}  // namespace
}  // namespace woodshed::engine
