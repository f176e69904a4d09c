#include "woodshed/engine/analyzer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "woodshed/core/error.h"
#include "woodshed/core/wait.h"
#include "woodshed/dsp/process_spec.h"

namespace woodshed::engine {

namespace {
constexpr auto kPeriod = std::chrono::milliseconds(20);
constexpr FrameCount kChunkFrames = 1024;

float toDb(double linear) { return linear > 1e-10 ? static_cast<float>(20.0 * std::log10(linear)) : -200.0f; }
}  // namespace

Analyzer::Analyzer() : spectrum_(std::make_unique<core::TripleBuffer<SpectrumFrame>>()) {}

Analyzer::~Analyzer() {
  quit_.store(true, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  core::wakeAllWaiters(wake_);
  if (thread_.joinable()) thread_.join();
}

void Analyzer::start(SampleRate sampleRate) {
  sampleRate_.store(sampleRate, std::memory_order_release);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void Analyzer::setSpectrumSettings(std::uint32_t fftSize, dsp::SpectrumWindow window) {
  if (fftSize < dsp::SpectrumAnalyzer::kMinFftSize || fftSize > dsp::SpectrumAnalyzer::kMaxFftSize ||
      (fftSize & (fftSize - 1)) != 0) {
    throw core::InvalidArgument("the spectrum size must be a power of two from 1024 to 16384, got " +
                                std::to_string(fftSize));
  }
  fftSize_.store(fftSize, std::memory_order_release);
  window_.store(static_cast<std::uint32_t>(window), std::memory_order_release);
}

void Analyzer::run() noexcept {
  // Everything here is the analysis thread's own; it may allocate (it is not the render thread).
  dsp::SpectrumAnalyzer spectrum;
  dsp::LoudnessMeter loudness;
  SpectrumFrame frame;
  MeterFrame meters;
  std::vector<float> left(kChunkFrames), right(kChunkFrames);
  SampleRate preparedRate = 0.0;
  std::uint32_t preparedSize = 0, preparedWindow = ~0u, handledResets = resetRequests_.load();
  double rmsSum[2] = {0.0, 0.0};
  double holdSeconds[2] = {0.0, 0.0};
  std::uint64_t rmsFrames = 0;
  auto lastAnalysis = std::chrono::steady_clock::now();

  while (!quit_.load(std::memory_order_acquire)) {
    const SampleRate rate = sampleRate_.load(std::memory_order_acquire);
    const std::uint32_t size = fftSize_.load(std::memory_order_acquire);
    const std::uint32_t window = window_.load(std::memory_order_acquire);
    try {
      if (rate != preparedRate) {
        loudness.prepare(rate, 2);
        preparedRate = rate;
        preparedSize = 0;
      }
      if (size != preparedSize || window != preparedWindow) {
        spectrum.prepare(rate, dsp::SpectrumSettings{size, static_cast<dsp::SpectrumWindow>(window), 0.1, 12.0});
        preparedSize = size;
        preparedWindow = window;
      }
      const std::uint32_t resets = resetRequests_.load(std::memory_order_acquire);
      if (resets != handledResets) {
        loudness.reset();
        meters.clipped = {false, false};
        handledResets = resets;
      }
    } catch (...) {
      // A refused setting keeps the previous analysis running.
    }

    // Drain the tap.
    float peak[2] = {0.0f, 0.0f};
    for (;;) {
      float* channels[2] = {left.data(), right.data()};
      const FrameCount n = tap_.tryPopBlock(channels, kChunkFrames, nullptr);
      if (n == 0) break;
      spectrum.pushStereo(left.data(), right.data(), n);
      loudness.addPlanar(channels, n);
      for (int c = 0; c < 2; ++c) {
        for (FrameCount i = 0; i < n; ++i) {
          const float x = std::fabs(channels[c][i]);
          peak[c] = std::max(peak[c], x);
          rmsSum[c] += double{channels[c][i]} * channels[c][i];
          if (x >= kClipLevel) meters.clipped[static_cast<std::size_t>(c)] = true;
        }
      }
      rmsFrames += n;
      meters.framesAnalyzed += n;
    }

    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - lastAnalysis).count();
    lastAnalysis = now;
    if (preparedRate > 0.0) {
      spectrum.analyze(elapsed);
      const auto average = spectrum.averageDb();
      const auto held = spectrum.peakHoldDb();
      frame.bins = static_cast<std::uint32_t>(std::min<std::size_t>(average.size(), SpectrumFrame::kMaxBins));
      frame.fftSize = preparedSize;
      frame.sampleRate = preparedRate;
      ++frame.sequence;
      std::copy_n(average.begin(), frame.bins, frame.averageDb.begin());
      std::copy_n(held.begin(), frame.bins, frame.peakHoldDb.begin());
      spectrum_->write(frame);

      for (std::size_t c = 0; c < 2; ++c) {
        meters.peakDb[c] = toDb(peak[c]);
        holdSeconds[c] += elapsed;
        if (meters.peakDb[c] >= meters.peakHoldDb[c] || holdSeconds[c] > kPeakHoldSeconds) {
          meters.peakHoldDb[c] = meters.peakDb[c];
          holdSeconds[c] = 0.0;
        }
      }
      if (static_cast<double>(rmsFrames) >= kRmsWindowSeconds * preparedRate) {
        for (std::size_t c = 0; c < 2; ++c) {
          meters.rmsDb[c] = toDb(std::sqrt(rmsSum[c] / static_cast<double>(rmsFrames)));
          rmsSum[c] = 0.0;
        }
        rmsFrames = 0;
      }
      meters.momentaryLufs = loudness.momentaryLufs();
      meters.shortTermLufs = loudness.shortTermLufs();
      meters.integratedLufs = loudness.integratedLufs();
      meters.loudnessRangeLu = loudness.loudnessRangeLu();
      meters.truePeakDbtp = loudness.truePeakDbtp();
      meters_.write(meters);
    }
    const std::uint32_t seen = wake_.load(std::memory_order_acquire);
    core::waitWhileEqual(wake_, seen, kPeriod);
  }
}

}  // namespace woodshed::engine
