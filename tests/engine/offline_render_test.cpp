// Offline rendering runs the playback graph up to the export point: the same samples as the
// realtime path with the same settings, at any chunk size; bit-exact with neutral settings; a
// cancellable pool job with progress; a sink's failure stops it.

#include "woodshed/engine/offline_render.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/test_tracks.h"
#include "woodshed/core/error.h"
#include "woodshed/engine/renderer.h"

namespace woodshed::engine {
namespace {

constexpr double kRate = 44100.0;

// Keeps everything written, per channel.
class CollectingSink final : public RenderSink {
 public:
  void write(const dsp::AudioBlock& block) override {
    ++writes;
    for (ChannelCount c = 0; c < block.numChannels; ++c) {
      channels[c].insert(channels[c].end(), block.channels[c], block.channels[c] + block.numFrames);
    }
  }
  std::vector<float> channels[2];
  int writes = 0;
};

// Neutral settings: EQ bypassed, limiter off, every gain 0 dB.
EngineSettings neutral() {
  EngineSettings settings;
  settings.eqBypass = true;
  settings.limiterEnabled = false;
  return settings;
}

class OfflineRenderTest : public ::testing::Test {
 protected:
  std::shared_ptr<Track> track(std::uint64_t frames = 200000) {
    return std::make_shared<Track>(1, "ramp", std::vector<TrackSource>{{"mix", test::rampPcm(budget, frames)}});
  }
  core::MemoryBudget budget{"test budget", 64 << 20};
};

TEST_F(OfflineRenderTest, NeutralSettingsGiveTheStoredSamplesBitForBit) {
  const auto song = track();
  CollectingSink sink;
  const RenderRegion region{12345, 150000};
  EXPECT_EQ(renderOffline(*song, neutral(), region, sink), region.end - region.start);
  ASSERT_EQ(sink.channels[0].size(), region.end - region.start);
  std::size_t different = 0;
  for (std::size_t i = 0; i < sink.channels[0].size(); ++i) {
    for (ChannelCount c = 0; c < 2; ++c) {
      const auto stored = static_cast<float>(song->sources()[0].pcm->channel(c)[region.start + i]);
      different += std::lrint(sink.channels[c][i] * dsp::PcmBuffer::kScale) != std::lrint(stored);
    }
  }
  EXPECT_EQ(different, 0u) << "the first frame is the region's own: no fade, no latency";
}

TEST_F(OfflineRenderTest, TheSameSamplesAsPlaybackAtAnyChunkSize) {
  const auto song = track();
  EngineSettings settings = neutral();
  settings.trackGainDb = -6.0;
  settings.sources[0].gainDb = 3.0;
  settings.masterGainDb = -2.5;
  const RenderRegion region{20000, 120000};

  // Playback: the realtime renderer, in 128-frame blocks, the same settings sent as commands.
  Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{kRate, 128, 2});
  renderer.apply(command::SetEqBypass{true});
  renderer.apply(command::SetLimiter{0.0, false});
  renderer.apply(command::SetMasterGain{dsp::dbToGain(settings.masterGainDb)});
  renderer.apply(command::LoadTrack{song.get()});
  renderer.apply(command::SetTrackGain{dsp::dbToGain(settings.trackGainDb)});
  renderer.apply(command::SetSourceGain{0, dsp::dbToGain(settings.sources[0].gainDb)});
  renderer.apply(command::Seek{region.start - 10000});  // glides and fades settle before the region
  renderer.apply(command::Play{});
  std::vector<float> heard[2];
  std::vector<SourcePosition> positions;
  while (positions.empty() || positions.back() < static_cast<SourcePosition>(region.end)) {
    const RenderedBlock block = renderer.render(128);
    for (ChannelCount c = 0; c < 2; ++c) heard[c].insert(heard[c].end(), block.audio.channels[c], block.audio.channels[c] + 128);
    positions.insert(positions.end(), block.positions, block.positions + 128);
  }

  for (const FrameCount chunk : {FrameCount{1}, FrameCount{37}, FrameCount{128}, FrameCount{4096}, FrameCount{65536}}) {
    SCOPED_TRACE(chunk);
    CollectingSink sink;
    renderOffline(*song, settings, region, sink, OfflineRenderOptions{chunk});
    double worst = 0.0;
    std::size_t compared = 0;
    for (std::size_t i = 0; i < positions.size(); ++i) {
      const SourcePosition p = positions[i];
      if (p < static_cast<SourcePosition>(region.start) || p >= static_cast<SourcePosition>(region.end)) continue;
      for (ChannelCount c = 0; c < 2; ++c) {
        worst = std::max(worst, double{std::fabs(heard[c][i] - sink.channels[c][static_cast<std::size_t>(p) - region.start])});
      }
      ++compared;
    }
    EXPECT_EQ(compared, region.end - region.start);
    std::printf("[ measure  ] offline vs playback, %u-frame chunks: worst %.1f dB\n", chunk,
                20.0 * std::log10(std::max(worst, 1e-30)));
    EXPECT_LE(worst, 1e-6) << "largest difference " << 20.0 * std::log10(std::max(worst, 1e-30)) << " dB";
  }
}

TEST_F(OfflineRenderTest, RunsAsACancellableJobWithProgress) {
  const auto song = track(44100 * 60);
  core::ThreadPool pool(1);
  // A sink that takes its time, so the job is still running when it is cancelled.
  class SlowSink final : public RenderSink {
   public:
    void write(const dsp::AudioBlock&) override {
      ++writes;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::atomic<int> writes{0};
  } sink;
  core::JobHandle job = pool.submit("render", [&](core::JobContext& context) {
    renderOffline(*song, neutral(), {}, sink, OfflineRenderOptions{1024}, &context);
  });
  while (sink.writes < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_GT(job.progress(), 0.0);
  const int writesAtCancel = sink.writes;
  job.cancel();
  ASSERT_TRUE(job.waitFor(std::chrono::seconds(5)));
  EXPECT_EQ(job.status(), core::JobStatus::Cancelled);
  EXPECT_LT(sink.writes, 44100 * 60 / 1024) << "stopped before the end";
  // Counted in work, not in time (a sanitizer build on a busy machine once took 236 ms): the
  // block being written when the cancel came, and at most one more that raced it.
  EXPECT_LE(sink.writes - writesAtCancel, 2) << "a chunk at most";

  CollectingSink all;
  core::JobHandle whole = pool.submit("render", [&](core::JobContext& context) {
    renderOffline(*song, neutral(), {0, 44100 * 5}, all, {}, &context);
  });
  ASSERT_TRUE(whole.waitFor(std::chrono::seconds(30)));
  EXPECT_EQ(whole.status(), core::JobStatus::Succeeded);
  EXPECT_EQ(whole.progress(), 1.0);
  EXPECT_EQ(all.channels[0].size(), 44100u * 5);
}

TEST_F(OfflineRenderTest, ASinkFailureOrABadRegionStopsItWithTheReason) {
  const auto song = track();
  class FullDisk final : public RenderSink {
   public:
    void write(const dsp::AudioBlock&) override {
      if (++writes == 3) throw core::Error("the disk is full");
    }
    int writes = 0;
  } full;
  EXPECT_THROW(
      {
        try {
          renderOffline(*song, neutral(), {}, full);
        } catch (const core::Error& e) {
          EXPECT_STREQ(e.what(), "the disk is full");
          throw;
        }
      },
      core::Error);
  EXPECT_EQ(full.writes, 3);
  CollectingSink sink;
  EXPECT_THROW(renderOffline(*song, neutral(), {5000, 5000}, sink), core::InvalidArgument);
  EXPECT_THROW(renderOffline(*song, neutral(), {300000, 400000}, sink), core::InvalidArgument);
  EXPECT_THROW(renderOffline(*song, neutral(), {}, sink, OfflineRenderOptions{0}), core::InvalidArgument);
  EXPECT_EQ(sink.writes, 0);
}

}  // namespace
}  // namespace woodshed::engine
