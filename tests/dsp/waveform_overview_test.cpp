#include "woodshed/dsp/waveform_overview.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

TEST(WaveformOverview, PeaksMatchABruteForceScanAtEveryLevel) {
  core::MemoryBudget budget("test budget", 64 << 20);
  constexpr std::uint64_t kFrames = 1'000'003;
  PcmBuffer pcm(2, kFrames, 44100.0, budget);
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> samples(kFrames);
  for (ChannelCount c = 0; c < 2; ++c) {
    for (auto& s : samples) s = dist(rng) * (c == 0 ? 0.5f : 1.0f);
    pcm.write(c, 0, samples.data(), kFrames);
  }
  const WaveformOverview overview = WaveformOverview::build(pcm);
  ASSERT_GE(overview.levelCount(), 3u);
  EXPECT_LE(overview.level(overview.levelCount() - 1).size(), WaveformOverview::kMinBucketsPerLevel);
  std::mt19937 pick(5);
  for (std::size_t level = 0; level < overview.levelCount(); ++level) {
    const auto width = overview.bucketFrames(level);
    const auto& peaks = overview.level(level);
    EXPECT_EQ(peaks.size(), (kFrames + width - 1) / width);
    for (int probe = 0; probe < 20; ++probe) {
      const std::size_t bucket = std::uniform_int_distribution<std::size_t>(0, peaks.size() - 1)(pick);
      std::int16_t lo = 32767, hi = -32768;
      for (std::uint64_t f = bucket * width; f < std::min(kFrames, (bucket + 1) * width); ++f) {
        for (ChannelCount c = 0; c < 2; ++c) {
          lo = std::min(lo, pcm.channel(c)[f]);
          hi = std::max(hi, pcm.channel(c)[f]);
        }
      }
      ASSERT_EQ(peaks[bucket].min, lo) << "level " << level << " bucket " << bucket;
      ASSERT_EQ(peaks[bucket].max, hi) << "level " << level << " bucket " << bucket;
    }
  }
}

TEST(WaveformOverview, BuildsOnThePoolWithProgressAndStopsWhenCancelled) {
  core::MemoryBudget budget("test budget", 512 << 20);
  PcmBuffer pcm(2, 44100 * 600, 44100.0, budget);  // ten minutes
  core::ThreadPool pool(1);
  std::atomic<bool> finished{false};
  auto job = pool.submit("waveform", [&](core::JobContext& context) {
    WaveformOverview::build(pcm, &context);
    finished = true;
  });
  while (job.progress() < 0.05 && !job.isFinished()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  job.cancel();
  ASSERT_TRUE(job.waitFor(std::chrono::seconds(10)));
  EXPECT_EQ(job.status(), core::JobStatus::Cancelled);
  EXPECT_FALSE(finished.load());
  EXPECT_LT(job.progress(), 0.5);
}

}  // namespace
}  // namespace woodshed::dsp
