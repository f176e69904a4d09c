#include "woodshed/engine/engine.h"
#include "woodshed/core/error.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "support/signal_analysis.h"

namespace woodshed::engine {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Plays the ring like the AudioWorklet does: 128 frames per quantum, in real time, counting
// underruns, and keeps what it played.
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

TEST(Engine, PlaysTheGeneratorInRealTimeWithoutUnderruns) {
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

TEST(Engine, KeepsTheRingNearTheTargetLatency) {
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

TEST(Engine, AppliesParameterChangesWithinAFewBlocks) {
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

TEST(Engine, RetunesToANewSampleRate) {
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
