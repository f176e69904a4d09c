// The stretcher's cost, single thread, natively and as wasm under node (docs/design/stretcher.md
// section 5): the render thread's cost per 128-frame block (mean, p99, worst, as a share of the
// 2.9 ms quantum at 44.1 kHz) at tempo 0.5 and 1.5 for one stereo source (2 channels) and four
// (8 channels, one plan), and the offline speed per condition as output seconds per second.
//
//   woodshed_stretch_bench [IN.f32]          Markdown rows (platform | measurement | mean | p99 | max)
//   woodshed_stretch_bench IN.f32 --json     one JSON line {"tempo,semitones": x real time, ...}
//
// IN.f32 is raw interleaved stereo float32 at 44.1 kHz (tests/bench/stretch-compare.mjs writes
// it: the music or plucked-note input of the comparison); without it a seeded mix of plucked
// notes and noise is made here. The wasm build reads the file through NODERAWFS.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

#include "bench_platform.h"
#include "woodshed/dsp/stretcher.h"

namespace {

using namespace woodshed;
using Clock = std::chrono::steady_clock;

using bench::kPlatform;

constexpr double kRate = 44100.0;
constexpr double kPi = 3.14159265358979323846;
constexpr FrameCount kBlock = 128;

using Planar = std::vector<std::vector<float>>;

Planar readRaw(const char* path) {
  Planar audio(2);
  std::FILE* file = std::fopen(path, "rb");
  if (file == nullptr) {
    std::fprintf(stderr, "cannot open %s\n", path);
    std::exit(1);
  }
  float frame[2];
  while (std::fread(frame, sizeof(float), 2, file) == 2) {
    audio[0].push_back(frame[0]);
    audio[1].push_back(frame[1]);
  }
  std::fclose(file);
  return audio;
}

// 10 s of plucked notes (decaying harmonics) over quiet noise, stereo, seeded.
Planar makeInput() {
  const auto frames = static_cast<std::size_t>(10.0 * kRate);
  Planar audio(2, std::vector<float>(frames, 0.0f));
  std::uint32_t seed = 17;
  auto random = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(seed >> 8) / 16777216.0f;
  };
  for (std::size_t i = 0; i < frames; ++i) {
    audio[0][i] = 0.02f * (random() - 0.5f);
    audio[1][i] = 0.02f * (random() - 0.5f);
  }
  for (int note = 0; note < 25; ++note) {
    const double f0 = 110.0 * std::pow(2.0, std::floor(random() * 24.0) / 12.0);
    const auto start = static_cast<std::size_t>(note * 0.4 * kRate);
    for (int k = 1; k <= 8 && k * f0 < 16000.0; ++k) {
      const double tau = 0.3 / k;
      for (std::size_t i = start; i < frames && i < start + static_cast<std::size_t>(5 * tau * kRate); ++i) {
        const double t = static_cast<double>(i - start) / kRate;
        const auto x = static_cast<float>(0.1 / k * std::exp(-t / tau) * std::sin(2 * kPi * k * f0 * t));
        audio[0][i] += x;
        audio[1][i] += 0.8f * x;
      }
    }
  }
  return audio;
}

// Serves `copies` copies of the stereo input as sources, each a little later than the last, so
// that 8 channels are not four times the same signal.
class BufferInput final : public dsp::StretchInput {
 public:
  BufferInput(const Planar& audio, ChannelCount copies) : audio_(audio), copies_(copies) {}
  FrameCount read(float* const* into, FrameCount frames) noexcept override {
    const std::size_t length = audio_[0].size();
    const auto n = static_cast<FrameCount>(std::min<std::size_t>(frames, length - std::min(position_, length)));
    for (ChannelCount s = 0; s < copies_; ++s) {
      const std::size_t shift = s * 4410u;
      for (ChannelCount c = 0; c < 2; ++c) {
        const std::vector<float>& from = audio_[c];
        float* to = into[s * 2 + c];
        for (FrameCount i = 0; i < n; ++i) to[i] = from[(position_ + i + shift) % length];
      }
    }
    position_ += n;
    return n;
  }

 private:
  const Planar& audio_;
  ChannelCount copies_;
  std::size_t position_ = 0;
};

struct Run {
  double seconds;                 // wall time in process()
  std::uint64_t frames;           // output frames
  std::vector<double> blockUs;    // per process() call, when timed per block
};

Run stretch(const Planar& audio, ChannelCount sources, double tempo, double semitones, FrameCount chunk,
            bool perBlock) {
  const ChannelCount channels = sources * 2;
  dsp::Stretcher stretcher;
  stretcher.prepare(dsp::StretchSpec{kRate, channels, 2, chunk});
  stretcher.retune(dsp::StretchParams{tempo, semitones});
  stretcher.reset();
  BufferInput input(audio, sources);
  std::vector<std::vector<float>> out(channels, std::vector<float>(chunk));
  std::vector<float*> pointers;
  for (auto& channel : out) pointers.push_back(channel.data());
  const auto total = static_cast<std::uint64_t>(std::llround(static_cast<double>(audio[0].size()) / tempo));
  Run run{0.0, 0, {}};
  if (perBlock) run.blockUs.reserve(static_cast<std::size_t>(total / chunk + 1));
  const auto start = Clock::now();
  while (run.frames < total) {
    const auto n = static_cast<FrameCount>(std::min<std::uint64_t>(chunk, total - run.frames));
    if (perBlock) {
      const auto before = Clock::now();
      stretcher.process(input, pointers.data(), n, nullptr);
      run.blockUs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - before).count());
    } else {
      stretcher.process(input, pointers.data(), n, nullptr);
    }
    run.frames += n;
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return run;
}

struct Condition {
  double tempo, semitones;
};
constexpr Condition kConditions[] = {{0.25, 0}, {0.5, 0}, {0.75, 0}, {1.25, 0}, {1.5, 0}, {2.0, 0}, {1, -3}, {1, 7}};

// Output seconds per second of processing, median of 3, stereo, 4096-frame calls.
double realTimeFactor(const Planar& audio, const Condition& condition) {
  std::vector<double> factors;
  for (int i = 0; i < 3; ++i) {
    const Run run = stretch(audio, 1, condition.tempo, condition.semitones, 4096, false);
    factors.push_back(static_cast<double>(run.frames) / kRate / run.seconds);
  }
  std::sort(factors.begin(), factors.end());
  return factors[1];
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = argc > 2 && std::strcmp(argv[2], "--json") == 0;
  const Planar audio = argc > 1 ? readRaw(argv[1]) : makeInput();
  if (static_cast<double>(audio[0].size()) < kRate) {
    std::fprintf(stderr, "the input is shorter than 1 s\n");
    return 1;
  }
  if (json) {
    std::printf("{");
    for (std::size_t i = 0; i < std::size(kConditions); ++i) {
      const Condition& c = kConditions[i];
      std::printf("%s\"%g,%g\": %.2f", i ? ", " : "", c.tempo, c.semitones, realTimeFactor(audio, c));
    }
    std::printf("}\n");
    return 0;
  }
  const double quantumUs = kBlock / kRate * 1e6;
  std::printf("| platform | measurement | mean | p99 | max |\n|---|---|---|---|---|\n");
  for (const ChannelCount sources : {1u, 4u}) {
    for (const double tempo : {0.5, 1.5}) {
      Run run = stretch(audio, sources, tempo, 0.0, kBlock, true);
      std::vector<double>& us = run.blockUs;
      std::sort(us.begin(), us.end());
      const double mean = std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(us.size());
      const double p99 = us[us.size() * 99 / 100], max = us.back();
      std::printf("| %s | stretch 128-frame block, %u channels, tempo %.1f | %.1f us (%.1f%%) | %.1f us (%.1f%%) | "
                  "%.0f us (%.0f%%) |\n",
                  kPlatform, sources * 2, tempo, mean, 100 * mean / quantumUs, p99, 100 * p99 / quantumUs, max,
                  100 * max / quantumUs);
    }
  }
  for (const Condition& c : {Condition{0.5, 0}, Condition{1.5, 0}, Condition{1, 7}}) {
    std::printf("| %s | offline stretch, 2 channels, tempo %.2g, %+g st, 4096-frame calls | %.1fx real time | | |\n",
                kPlatform, c.tempo, c.semitones, realTimeFactor(audio, c));
  }
  return 0;
}
