#include "woodshed/engine/engine.h"
#include "woodshed/core/error.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "support/signal_analysis.h"
#include "support/test_tracks.h"

namespace woodshed::engine {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Plays the ring like the AudioWorklet does: 128 frames per quantum, in real time, counting
// underruns, and keeps what it played. Tests that hold the engine to real-time deadlines are in
// the EngineRealtime suite, which tools/test runs alone and not under sanitizers.
struct WorkletLikeConsumer {
  explicit WorkletLikeConsumer(core::AudioRing& r) : ring(r) {}

  void play(double seconds, double sampleRate, std::vector<float>* keepLeft = nullptr) {
    const auto quantum = std::chrono::duration<double>(128.0 / sampleRate);
    const auto start = Clock::now();
    const auto quanta = static_cast<int>(seconds * sampleRate / 128.0);
    float left[128], right[128];
    float* out[2] = {left, right};
    for (int q = 0; q < quanta; ++q) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(quantum * (q + 1)));
      const FrameCount n = ring.tryPopBlock(out, 128, nullptr);
      if (n < 128) ++underruns;
      if (keepLeft) keepLeft->insert(keepLeft->end(), left, left + n);
    }
  }

  core::AudioRing& ring;
  int underruns = 0;
};

TEST(Engine, RefusesOutOfRangeSettingsWithMessages) {
  EXPECT_THROW(Engine(EngineConfig{2, 0, 0.04}), core::InvalidArgument);
  EXPECT_THROW(Engine(EngineConfig{2, 128, 2.0}), core::InvalidArgument);
  Engine engine;
  EXPECT_THROW(engine.start(1000.0), core::InvalidArgument);
  EXPECT_THROW(engine.setTargetLatency(0.0), core::InvalidArgument);
  EXPECT_THROW(engine.setGenerator({dsp::Waveform::Sine, 5.0, -12.0, true}), core::InvalidArgument);
  EXPECT_THROW(engine.setMasterGainDb(40.0), core::InvalidArgument);
}

TEST(EngineRealtime, PlaysTheGeneratorInRealTimeWithoutUnderruns) {
  Engine engine;
  engine.setGenerator({dsp::Waveform::Sine, 440.0, -12.0, true});
  engine.start(44100.0);
  std::this_thread::sleep_for(60ms);  // first fill
  WorkletLikeConsumer consumer(engine.ring());
  std::vector<float> played;
  consumer.play(2.0, 44100.0, &played);
  EXPECT_EQ(consumer.underruns, 0);
  const std::size_t skip = 4410;  // past the level ramp
  EXPECT_NEAR(test::zeroCrossingFrequency(played.data() + skip, played.size() - skip, 44100.0), 440.0, 0.1);
  EXPECT_NEAR(test::aes17LevelDb(played.data() + skip, played.size() - skip), -12.0, 0.05);
  const EngineStatus status = engine.status();
  std::printf("[ measure  ] render load avg %.4f max %.4f of the block budget\n", status.renderLoadAverage,
              status.renderLoadMax);
  EXPECT_GT(status.renderLoadAverage, 0.0);
  EXPECT_LT(status.renderLoadAverage, 0.5);
}

TEST(EngineRealtime, KeepsTheRingNearTheTargetLatency) {
  Engine engine;
  engine.start(48000.0);
  for (double latency : {0.020, 0.100}) {
    engine.setTargetLatency(latency);
    WorkletLikeConsumer consumer(engine.ring());
    consumer.play(0.3, 48000.0);
    const double fillSeconds = engine.ring().approximateFill() / 48000.0;
    EXPECT_GE(fillSeconds, latency - 0.010) << "target " << latency;
    EXPECT_LE(fillSeconds, latency + 128.0 / 48000.0 + 0.003) << "target " << latency;
  }
}

TEST(EngineRealtime, AppliesParameterChangesWithinAFewBlocks) {
  Engine engine;
  engine.setTargetLatency(0.010);
  engine.start(44100.0);
  std::this_thread::sleep_for(30ms);
  engine.setGenerator({dsp::Waveform::Sine, 1000.0, -6.0, true});
  WorkletLikeConsumer consumer(engine.ring());
  std::vector<float> played;
  consumer.play(0.5, 44100.0, &played);
  // Within the 10 ms of audio already queued plus the 10 ms ramp, the new tone is there.
  const std::size_t from = 44100 / 20;
  EXPECT_NEAR(test::zeroCrossingFrequency(played.data() + from, played.size() - from, 44100.0), 1000.0, 0.5);
  EXPECT_NEAR(test::aes17LevelDb(played.data() + from, played.size() - from), -6.0, 0.05);
}

TEST(EngineRealtime, RetunesToANewSampleRate) {
  Engine engine;
  engine.setGenerator({dsp::Waveform::Sine, 440.0, -12.0, true});
  engine.start(44100.0);
  engine.start(96000.0);
  std::this_thread::sleep_for(50ms);
  WorkletLikeConsumer consumer(engine.ring());
  std::vector<float> played;
  consumer.play(1.0, 96000.0, &played);
  const std::size_t from = 96000 / 5;  // past frames rendered at the old rate
  EXPECT_NEAR(test::zeroCrossingFrequency(played.data() + from, played.size() - from, 96000.0), 440.0, 0.2);
  EXPECT_EQ(engine.status().sampleRate, 96000.0);
}

}  // namespace
}  // namespace woodshed::engine

namespace woodshed::engine {
namespace {

TEST(EngineTracks, PlaysALoadedTrackAndTracesEveryFrameToItsPosition) {
  core::MemoryBudget budget("test budget", 64 << 20);
  auto track = std::make_shared<Track>(7, "ramp", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 441000)}});
  Engine engine;
  engine.start(44100.0);
  engine.loadTrack(track);
  engine.seek(2.0);
  engine.play();
  std::this_thread::sleep_for(60ms);
  float left[128], right[128];
  float* out[2] = {left, right};
  SourcePosition positions[128];
  std::size_t checked = 0, mismatches = 0;
  SourcePosition previous = kNoSourcePosition;
  // Until 5000 frames past the fade-in have been checked: on a busy machine (the sanitizers run
  // beside the browser tests) the render thread may take longer than usual to get there.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (checked <= 5000 && std::chrono::steady_clock::now() < deadline) {
    const FrameCount n = engine.ring().tryPopBlock(out, 128, positions);
    for (FrameCount i = 0; i < n; ++i) {
      if (positions[i] == kNoSourcePosition) continue;
      if (previous != kNoSourcePosition) mismatches += positions[i] != previous + 1;
      previous = positions[i];
      if (positions[i] > 88200 + 300) {  // past the fade-in
        mismatches += std::fabs(left[i] - test::storedRampSample(positions[i], 0)) > 1e-6f;
        ++checked;
      }
    }
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_GT(checked, 5000u);
  EXPECT_EQ(mismatches, 0u);
  const EngineStatus status = engine.status();
  EXPECT_EQ(status.trackId, 7u);
  EXPECT_TRUE(status.playing);
  EXPECT_GT(status.positionFrames, 88200u);
}

TEST(EngineTracks, HandsTracksBackWhenReplacedOrUnloaded) {
  core::MemoryBudget budget("test budget", 64 << 20);
  Engine engine;
  engine.start(44100.0);
  std::weak_ptr<const Track> first;
  {
    auto track = std::make_shared<const Track>(1, "a", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 44100)}});
    first = track;
    engine.loadTrack(track);
  }
  engine.loadTrack(std::make_shared<const Track>(2, "b", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 44100)}}));
  for (int i = 0; i < 1000 && engine.isLent(1); ++i) {
    engine.collectReleasedTracks();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_FALSE(engine.isLent(1));
  EXPECT_TRUE(first.expired()) << "the replaced track's memory is freed";
  engine.loadTrack(nullptr);
  for (int i = 0; i < 1000 && engine.isLent(2); ++i) {
    engine.collectReleasedTracks();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_FALSE(engine.isLent(2));
  EXPECT_EQ(budget.usedBytes(), 0u);
}

TEST(EngineTracks, ReplacedSourcesAreHandedBackAfterTheCrossover) {
  core::MemoryBudget budget("test budget", 64 << 20);
  Engine engine;
  engine.start(44100.0);
  auto make = [&](TrackId id, std::uint64_t frames, int sources) {
    std::vector<TrackSource> parts;
    for (int s = 0; s < sources; ++s) parts.push_back({"part", test::rampPcm(budget, frames)});
    return std::make_shared<const Track>(id, "song", std::move(parts));
  };
  std::weak_ptr<const Track> first;
  {
    auto track = make(1, 44100, 1);
    first = track;
    engine.loadTrack(track);
  }
  engine.play();
  EXPECT_THROW(engine.replaceSources(make(2, 44100, 2)), core::InvalidArgument) << "another song";
  EXPECT_THROW(engine.replaceSources(make(1, 22050, 2)), core::InvalidArgument) << "another length";
  engine.replaceSources(make(1, 44100, 2));
  float left[128], right[128];
  float* out[2] = {left, right};
  for (int i = 0; i < 2000 && !first.expired(); ++i) {
    engine.ring().tryPopBlock(out, 128, nullptr);  // play on, so the crossover runs
    engine.collectReleasedTracks();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(first.expired()) << "the old sources' memory is freed once nothing reads them";
  EXPECT_EQ(engine.loadedTrack()->sources().size(), 2u);
  EXPECT_TRUE(engine.isLent(1));
}

TEST(EngineTracks, APausedSeekShowsInTheStatusWithTheOutputStopped) {
  core::MemoryBudget budget("test budget", 64 << 20);
  Engine engine;
  engine.start(44100.0);
  engine.loadTrack(std::make_shared<const Track>(1, "a", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 88200)}}));
  // Nothing consumes: the ring fills to its target and the render thread stops rendering.
  std::this_thread::sleep_for(100ms);
  engine.seek(0.5);
  std::uint64_t position = 0;
  for (int i = 0; i < 200 && position != 22050; ++i) {
    std::this_thread::sleep_for(1ms);
    position = engine.status().positionFrames;
  }
  EXPECT_EQ(position, 22050u) << "the status shows where the transport is, without a block rendered";
}

TEST(EngineTracks, RefusesATrackDecodedForAnotherRate) {
  core::MemoryBudget budget("test budget", 64 << 20);
  Engine engine;
  engine.start(44100.0);
  auto track = std::make_shared<const Track>(1, "a.wav", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 100, 2, 48000.0)}});
  EXPECT_THROW(engine.loadTrack(track), core::InvalidArgument);
  EXPECT_THROW(engine.seek(1.0), core::Error) << "nothing loaded";
}

}  // namespace
}  // namespace woodshed::engine
