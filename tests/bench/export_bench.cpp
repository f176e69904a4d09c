// An export's speed, natively and as wasm under node: a 4-minute stereo 44.1 kHz song (a
// seeded mix of chords and noise, made here, one 16-bit source) rendered by renderOffline into
// an ExportStream on one thread while another drains it, as the app does (the render on a pool
// thread, the page reading the ring on the main thread).
//
//   woodshed_export_bench     Markdown rows (platform | case | format | seconds | x real time |
//                             peak ring use | bytes), then the export's size per minute
//
// Cases: tempo 1 neutral (EQ bypassed, limiter off); tempo 1 with two EQ bands and the limiter;
// tempo 0.7; tempo 0.7 and +3 semitones; each as wav16 and wav32f (the median of 3 runs at
// tempo 1, which take a fraction of a second; one run of the stretched ones). "x real time"
// is output seconds per second of wall time; "peak ring use" is the most of the ring's bytes
// that were written and not yet read, seen after each chunk; "bytes" is a hash of the file
// (FNV-1a over 8 interleaved byte lanes, so that the reader keeps up), to compare a native
// export with a wasm one.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_platform.h"
#include "woodshed/core/memory_budget.h"
#include "woodshed/engine/export_stream.h"
#include "woodshed/engine/offline_render.h"

namespace {

using namespace woodshed;
using Clock = std::chrono::steady_clock;

using bench::kPlatform;

constexpr double kRate = 44100.0;
constexpr double kPi = 3.14159265358979323846;
constexpr double kSongSeconds = 240.0;
/// How long the draining thread sleeps when the ring is empty (the page polls about as often).
constexpr auto kPollInterval = std::chrono::milliseconds(1);

// Chords of four notes with a few harmonics each, a new chord every 2 s, panned apart, over
// quiet noise; peaks near -3 dBFS, so the limiter at -1 dBFS has work where the EQ boosts.
std::shared_ptr<engine::Track> makeSong(core::MemoryBudget& budget) {
  const auto frames = static_cast<std::uint64_t>(kSongSeconds * kRate);
  auto pcm = std::make_shared<dsp::PcmBuffer>(2, frames, kRate, budget);
  constexpr std::size_t kChunk = 1 << 16;
  std::vector<float> left(kChunk), right(kChunk);
  std::uint32_t seed = 20260207;
  auto random = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<double>(seed >> 8) / 16777216.0;
  };
  constexpr int kChordFrames = static_cast<int>(2.0 * kRate);
  struct Voice {
    double phaseStep;
    double gainLeft, gainRight;
  };
  std::vector<Voice> voices;
  std::vector<double> phases;
  for (std::uint64_t start = 0; start < frames; start += kChunk) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, frames - start));
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t frame = start + i;
      if (frame % kChordFrames == 0) {
        voices.clear();
        const double root = 55.0 * std::pow(2.0, std::floor(random() * 24.0) / 12.0);
        for (const int interval : {0, 7, 12, 16}) {
          const double pan = random();
          for (int k = 1; k <= 4; ++k) {
            const double f = root * std::pow(2.0, interval / 12.0) * k;
            const double level = 0.09 / k;
            voices.push_back({2.0 * kPi * f / kRate, level * std::sqrt(1.0 - pan), level * std::sqrt(pan)});
          }
        }
        phases.assign(voices.size(), 0.0);
      }
      const double t = static_cast<double>(frame % kChordFrames) / kRate;
      const double envelope = std::exp(-1.5 * t) * std::min(1.0, t * 200.0);
      double l = 0.02 * (random() - 0.5), r = 0.02 * (random() - 0.5);
      for (std::size_t v = 0; v < voices.size(); ++v) {
        const double x = envelope * std::sin(phases[v]);
        phases[v] += voices[v].phaseStep;
        l += voices[v].gainLeft * x;
        r += voices[v].gainRight * x;
      }
      left[i] = static_cast<float>(l);
      right[i] = static_cast<float>(r);
    }
    pcm->write(0, start, left.data(), n);
    pcm->write(1, start, right.data(), n);
  }
  return std::make_shared<engine::Track>(1, "bench song", std::vector<engine::TrackSource>{{"mix", std::move(pcm)}});
}

// Passes chunks to the stream and notes, after each, how much of the ring is filled.
class MeasuringSink final : public engine::RenderSink {
 public:
  explicit MeasuringSink(engine::ExportStream& stream, std::size_t frameBytes)
      : stream_(stream), frameBytes_(frameBytes) {}
  void write(const dsp::AudioBlock& block) override {
    stream_.write(block);
    written_ += block.numFrames * frameBytes_;
    peak_ = std::max(peak_, written_ - stream_.consumedBytes());
  }
  std::uint64_t peakBytes() const noexcept { return peak_; }

 private:
  engine::ExportStream& stream_;
  std::size_t frameBytes_;
  std::uint64_t written_ = engine::kWavHeaderBytes;
  std::uint64_t peak_ = 0;
};

// FNV-1a on 8 lanes (byte i of the file goes to lane i % 8), folded at the end: eight
// independent multiply chains instead of one, so hashing is not what limits the reader.
class LaneHash {
 public:
  void add(const std::uint8_t* bytes, std::size_t count) noexcept {
    std::size_t i = 0;
    for (; i < count && (position_ + i) % 8 != 0; ++i) mix(lanes_[(position_ + i) % 8], bytes[i]);
    for (; i + 8 <= count; i += 8) {
      for (std::size_t lane = 0; lane < 8; ++lane) mix(lanes_[lane], bytes[i + lane]);
    }
    for (; i < count; ++i) mix(lanes_[(position_ + i) % 8], bytes[i]);
    position_ += count;
  }
  std::uint64_t value() const noexcept {
    std::uint64_t h = kOffset;
    for (const std::uint64_t lane : lanes_) {
      for (int b = 0; b < 8; ++b) mix(h, static_cast<std::uint8_t>(lane >> (8 * b)));
    }
    return h;
  }

 private:
  static constexpr std::uint64_t kOffset = 14695981039346656037ull;
  static void mix(std::uint64_t& h, std::uint8_t byte) noexcept { h = (h ^ byte) * 1099511628211ull; }
  std::uint64_t lanes_[8] = {kOffset, kOffset, kOffset, kOffset, kOffset, kOffset, kOffset, kOffset};
  std::uint64_t position_ = 0;
};

struct Case {
  const char* name;
  double tempo;
  double semitones;
  bool shaped;  // two EQ bands and the limiter
};
constexpr Case kCases[] = {
    {"tempo 1, neutral", 1.0, 0.0, false},
    {"tempo 1, EQ (2 bands) + limiter", 1.0, 0.0, true},
    {"tempo 0.7", 0.7, 0.0, false},
    {"tempo 0.7, +3 semitones", 0.7, 3.0, false},
};

engine::EngineSettings settingsFor(const Case& c) {
  engine::EngineSettings settings;
  settings.tempo = c.tempo;
  settings.pitchSemitones = c.semitones;
  settings.eqBypass = !c.shaped;
  settings.limiterEnabled = c.shaped;
  if (c.shaped) {
    settings.eqBands[2] = dsp::BandParams{250.0, 4.0, 1.2, true};   // peaking: warmth
    settings.eqBands[9] = dsp::BandParams{8000.0, -3.0, 0.707, true};  // high shelf: less air
    settings.limiterCeilingDb = -1.0;
  }
  return settings;
}

struct Result {
  double seconds;
  std::uint64_t frames;
  std::uint64_t bytes;
  std::uint64_t peakRingBytes;
  std::uint64_t hash;
};

Result exportOnce(const engine::Track& track, const engine::EngineSettings& settings, engine::ExportFormat format) {
  const engine::RenderRegion region{};
  engine::OfflineRenderOptions options;
  options.channels = track.channels();
  const auto start = Clock::now();
  const std::uint64_t frames = engine::offlineRenderFrames(track, settings, region);
  engine::ExportStream stream(format, track.channels(), track.sampleRate(), frames, options.chunkFrames);
  MeasuringSink sink(stream, engine::bytesPerSample(format) * track.channels());
  std::exception_ptr failure;
  std::thread producer([&] {
    try {
      engine::renderOffline(track, settings, region, sink, options);
      stream.finish();
    } catch (...) {
      failure = std::current_exception();
      stream.fail();
    }
  });
  // The consumer: hashes what it reads (the page would hand it to a file).
  LaneHash hash;
  std::uint64_t bytes = 0;
  for (;;) {
    const std::uint32_t n = stream.readableBytes();
    if (n > 0) {
      hash.add(stream.readPointer(), n);
      bytes += n;
      stream.consume(n);
      continue;
    }
    if (stream.state() != engine::ExportStream::State::Rendering && stream.readableBytes() == 0) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  producer.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failure) std::rethrow_exception(failure);
  if (bytes != stream.totalBytes()) {
    std::fprintf(stderr, "read %llu bytes of %llu\n", static_cast<unsigned long long>(bytes),
                 static_cast<unsigned long long>(stream.totalBytes()));
    std::exit(1);
  }
  return {seconds, frames, bytes, sink.peakBytes(), hash.value()};
}

}  // namespace

int main() {
  try {
    core::MemoryBudget budget("bench song", 64ull << 20);
    const auto track = makeSong(budget);
    const double capacity = engine::ExportStream::kDefaultCapacityBytes;
    std::printf("| platform | case (4 min stereo 44.1 kHz) | format | seconds | x real time | peak ring use | bytes (hash) |\n"
                "|---|---|---|---|---|---|---|\n");
    for (const Case& c : kCases) {
      for (const engine::ExportFormat format : {engine::ExportFormat::Wav16, engine::ExportFormat::Wav32f}) {
        std::vector<Result> runs;
        for (int i = 0; i < (c.tempo == 1.0 && c.semitones == 0.0 ? 3 : 1); ++i) {
          runs.push_back(exportOnce(*track, settingsFor(c), format));
        }
        std::sort(runs.begin(), runs.end(), [](const Result& a, const Result& b) { return a.seconds < b.seconds; });
        const Result& r = runs[runs.size() / 2];
        std::printf("| %s | %s | %s | %.2f s | %.0fx | %.0f KiB (%.1f%%) | %016llx |\n", kPlatform, c.name,
                    engine::toString(format), r.seconds, static_cast<double>(r.frames) / kRate / r.seconds,
                    static_cast<double>(r.peakRingBytes) / 1024.0, 100.0 * static_cast<double>(r.peakRingBytes) / capacity,
                    static_cast<unsigned long long>(r.hash));
        std::fflush(stdout);
      }
    }
    std::printf("\nExport size per minute, stereo 44.1 kHz (the ring holds %.0f KiB):", capacity / 1024.0);
    for (const engine::ExportFormat format :
         {engine::ExportFormat::Wav16, engine::ExportFormat::Wav24, engine::ExportFormat::Wav32f}) {
      const double perMinute = static_cast<double>(engine::bytesPerSample(format)) * 2.0 * kRate * 60.0;
      std::printf(" %s %.2f MB (%.0f bytes)%s", engine::toString(format), perMinute / 1e6, perMinute,
                  format == engine::ExportFormat::Wav32f ? ".\n" : ",");
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "woodshed_export_bench: %s\n", e.what());
    return 1;
  }
}
