#include "woodshed/engine/loudness_scan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace woodshed::engine {
namespace {

std::shared_ptr<const Track> sineTrack(core::MemoryBudget& budget, double levelDbfs, double seconds) {
  const auto frames = static_cast<std::uint64_t>(seconds * 48000.0);
  auto pcm = std::make_shared<dsp::PcmBuffer>(2, frames, 48000.0, budget);
  std::vector<float> samples(static_cast<std::size_t>(frames));
  const double amplitude = std::pow(10.0, levelDbfs / 20.0);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * 1000.0 * static_cast<double>(i) / 48000.0));
  }
  pcm->write(0, 0, samples.data(), frames);
  pcm->write(1, 0, samples.data(), frames);
  return std::make_shared<const Track>(1, "sine", std::vector<TrackSource>{{"mix", std::move(pcm)}});
}

// EBU Tech 3341 case 1 and 2: stereo 1 kHz sine at -23 and -33 dBFS read -23 and -33 LUFS.
TEST(LoudnessScan, MeasuresIntegratedLoudnessOfAWholeTrack) {
  core::MemoryBudget budget("test budget", 64 << 20);
  core::ThreadPool pool(1);
  for (double level : {-23.0, -33.0}) {
    auto track = sineTrack(budget, level, 20.0);
    double measured = 0.0;
    auto job = pool.submit("loudness", [&](core::JobContext& context) { measured = measureIntegratedLoudness(*track, context); });
    ASSERT_TRUE(job.waitFor(std::chrono::seconds(30)));
    ASSERT_EQ(job.status(), core::JobStatus::Succeeded) << job.error();
    EXPECT_NEAR(measured, level, 0.1);
  }
}

TEST(LoudnessScan, StopsWhenCancelled) {
  core::MemoryBudget budget("test budget", 512 << 20);
  core::ThreadPool pool(1);
  auto track = sineTrack(budget, -20.0, 600.0);
  auto job = pool.submit("loudness", [&](core::JobContext& context) { measureIntegratedLoudness(*track, context); });
  while (job.progress() < 0.02 && !job.isFinished()) std::this_thread::sleep_for(std::chrono::microseconds(500));
  job.cancel();
  ASSERT_TRUE(job.waitFor(std::chrono::seconds(30)));
  EXPECT_EQ(job.status(), core::JobStatus::Cancelled);
  EXPECT_LT(job.progress(), 0.5);
}

}  // namespace
}  // namespace woodshed::engine
