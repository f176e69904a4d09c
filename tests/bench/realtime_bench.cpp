// Prints the costs the realtime path is judged by, as a Markdown table:
// render cost per 128-frame block (as a share of the 2.9 ms quantum at 44.1 kHz) for the
// generator and for songs through the player, offline render speed, ring push/pop throughput,
// and thread-pool dispatch latency. Run natively and under node (wasm).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "bench_platform.h"
#include "woodshed/core/audio_ring.h"
#include "woodshed/core/thread_pool.h"
#include "woodshed/engine/offline_render.h"
#include "woodshed/engine/renderer.h"

namespace {

using namespace woodshed;
using Clock = std::chrono::steady_clock;

using bench::kPlatform;

struct Summary {
  double mean, p99, max;
};

Summary summarize(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return {mean, values[values.size() * 99 / 100], values.back()};
}

constexpr double kRate = 44100.0;
constexpr woodshed::FrameCount kBlock = 128;

// A song made here: `sources` stereo sources of noise, `seconds` long.
std::shared_ptr<engine::Track> makeSong(core::MemoryBudget& budget, int sources, double seconds) {
  const auto frames = static_cast<std::uint64_t>(seconds * kRate);
  std::vector<engine::TrackSource> parts;
  std::vector<float> samples(static_cast<std::size_t>(frames));
  std::uint32_t seed = 1;
  for (int part = 0; part < sources; ++part) {
    auto pcm = std::make_shared<dsp::PcmBuffer>(2, frames, kRate, budget);
    for (ChannelCount c = 0; c < 2; ++c) {
      for (auto& x : samples) {
        seed = seed * 1664525u + 1013904223u;
        x = (static_cast<float>(seed >> 8) / 16777216.0f - 0.5f) * 0.5f;
      }
      pcm->write(c, 0, samples.data(), frames);
    }
    parts.push_back({"part", std::move(pcm)});
  }
  return std::make_shared<engine::Track>(1, "song", std::move(parts));
}

// `song` (when given) plays, looping, instead of the generator.
void benchRender(const char* label, dsp::Waveform waveform, bool fullChain = false,
                 const engine::Track* song = nullptr) {
  const double quantumUs = kBlock / kRate * 1e6;
  engine::Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{kRate, kBlock, 2});
  if (song != nullptr) {
    renderer.apply(engine::command::LoadTrack{song});
    renderer.apply(engine::command::SetLooping{true});
    renderer.apply(engine::command::Play{});
  } else {
    renderer.apply(engine::command::SetGenerator{{waveform, 440.0, -12.0, true}});
  }
  core::AudioRing tap(2, 1u << 17);
  if (fullChain) {
    // Every EQ band boosting or cutting, the limiter working, and the analysis tap copying.
    for (std::uint32_t band = 0; band < dsp::ParametricEq::kBandCount; ++band) {
      renderer.apply(engine::command::SetEqBand{
          band, dsp::BandParams{40.0 * std::pow(2.0, band), band % 2 ? 4.0 : -4.0, 1.0, true}});
    }
    renderer.apply(engine::command::SetMasterGain{4.0});  // +12 dB into the limiter
    renderer.setAnalysisTap(&tap);
  }
  core::AudioRing ring(2, 8192);
  float left[kBlock], right[kBlock];
  float* out[2] = {left, right};
  std::vector<double> us;
  us.reserve(20000);
  for (int i = 0; i < 20000; ++i) {
    const auto begin = Clock::now();
    const auto block = renderer.render(kBlock);
    ring.tryPushBlock(block.audio.channels, kBlock, block.positions);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
    ring.tryPopBlock(out, kBlock, nullptr);
    tap.tryPopBlock(out, kBlock, nullptr);
  }
  const Summary s = summarize(us);
  std::printf("| %s | render 128-frame block, %s | %.2f us (%.2f%%) | %.2f us (%.2f%%) | %.2f us (%.2f%%) |\n",
              kPlatform, label, s.mean, 100 * s.mean / quantumUs, s.p99, 100 * s.p99 / quantumUs, s.max,
              100 * s.max / quantumUs);
}

// The offline graph (player and chain to the export point) over a whole song, in chunks.
void benchOfflineRender(const char* label, const engine::Track& song) {
  class NullSink final : public engine::RenderSink {
   public:
    void write(const dsp::AudioBlock& block) override { frames += block.numFrames; }
    std::uint64_t frames = 0;
  } sink;
  engine::EngineSettings settings;
  settings.limiterCeilingDb = -1.0;
  const auto begin = Clock::now();
  engine::renderOffline(song, settings, {}, sink);
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  const double audio = static_cast<double>(sink.frames) / kRate;
  std::printf("| %s | offline render, %s, EQ + limiter, 4096-frame chunks | %.1fx real time | (%.2f s for %.0f s) | |\n",
              kPlatform, label, audio / seconds, seconds, audio);
}

void benchRingThroughput() {
  core::AudioRing ring(2, 8192);
  std::vector<float> left(128, 0.5f), right(128, -0.5f);
  const float* in[2] = {left.data(), right.data()};
  float* out[2] = {left.data(), right.data()};
  constexpr int kBlocks = 200000;
  const auto begin = Clock::now();
  for (int i = 0; i < kBlocks; ++i) {
    ring.tryPushBlock(in, 128, nullptr);
    ring.tryPopBlock(out, 128, nullptr);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  const double framesPerSecond = kBlocks * 128.0 / seconds;
  std::printf("| %s | ring push+pop, stereo, 128-frame blocks | %.1f M frames/s | (%.0fx real time at 44.1 kHz) | |\n",
              kPlatform, framesPerSecond / 1e6, framesPerSecond / 44100.0);
}

void benchPoolDispatch() {
  core::ThreadPool pool(2);
  std::vector<double> us;
  for (int i = 0; i < 2000; ++i) {
    std::atomic<long long> startedNs{0};
    const auto submitted = Clock::now();
    auto handle = pool.submit("probe", [&](core::JobContext&) {
      startedNs = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - submitted).count();
    });
    handle.waitFor(std::chrono::seconds(10));
    us.push_back(static_cast<double>(startedNs.load()) / 1000.0);
    if (i % 2 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));  // idle workers: measure wake-up
  }
  const Summary s = summarize(us);
  std::printf("| %s | pool dispatch latency (submit to job start) | %.1f us | %.1f us | %.1f us |\n", kPlatform,
              s.mean, s.p99, s.max);
}

}  // namespace

int main() {
  std::printf("| platform | measurement | mean | p99 | max |\n|---|---|---|---|---|\n");
  benchRender("sine", dsp::Waveform::Sine);
  benchRender("saw (band-limited)", dsp::Waveform::Saw);
  benchRender("pink noise", dsp::Waveform::PinkNoise);
  benchRender("pink noise + 10-band EQ + limiter + tap", dsp::Waveform::PinkNoise, true);
  core::MemoryBudget budget("benchmark songs", 1ull << 30);
  const auto stereo = makeSong(budget, 1, 30.0);
  const auto stems = makeSong(budget, 4, 30.0);
  benchRender("a stereo song (readers, voice, mixer)", dsp::Waveform::Sine, false, stereo.get());
  benchRender("a song in four stereo stems", dsp::Waveform::Sine, false, stems.get());
  benchRender("four stems + 10-band EQ + limiter + tap", dsp::Waveform::Sine, true, stems.get());
  benchOfflineRender("a 30 s stereo song", *stereo);
  benchOfflineRender("a 30 s song in four stems", *stems);
  benchRingThroughput();
  benchPoolDispatch();
  return 0;
}
