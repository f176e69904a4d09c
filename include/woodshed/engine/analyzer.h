#pragma once
// Measures what the engine plays, off the render thread: spectrum, peak and RMS meters, and
// EBU R128 loudness.
//
// Threads
// - Render thread: copies every output block into tap() (an SPSC ring) and nothing more.
// - Analysis thread (owned here): drains the tap every few milliseconds, runs the FFT and the
//   loudness meter, and publishes a SpectrumFrame and a MeterFrame through triple buffers.
// - Main thread: reads the newest frames (wait-free) and changes settings through atomics.
// A full tap drops blocks (the render thread never waits); the meters count them.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "woodshed/core/audio_ring.h"
#include "woodshed/core/triple_buffer.h"
#include "woodshed/dsp/loudness_meter.h"
#include "woodshed/dsp/spectrum_analyzer.h"

namespace woodshed::engine {

/// The newest spectrum: levels in dBFS per FFT bin (a full-scale sine reads 0 dB).
struct SpectrumFrame {
  static constexpr std::uint32_t kMaxBins = dsp::SpectrumAnalyzer::kMaxFftSize / 2 + 1;
  std::uint32_t bins = 0;
  std::uint32_t fftSize = 0;
  double sampleRate = 0.0;
  std::uint64_t sequence = 0;  ///< increases with every new frame
  std::array<float, kMaxBins> averageDb{};
  std::array<float, kMaxBins> peakHoldDb{};
};

/// The newest meter readings.
struct MeterFrame {
  std::array<float, 2> peakDb{-200.0f, -200.0f};      ///< over the last analysis period
  std::array<float, 2> rmsDb{-200.0f, -200.0f};       ///< over the last 300 ms
  std::array<float, 2> peakHoldDb{-200.0f, -200.0f};  ///< held for kPeakHoldSeconds
  std::array<bool, 2> clipped{false, false};          ///< latched until resetClip()
  double momentaryLufs = -200.0;
  double shortTermLufs = -200.0;
  double integratedLufs = -200.0;
  double loudnessRangeLu = 0.0;
  double truePeakDbtp = -200.0;
  std::uint64_t framesAnalyzed = 0;
};

class Analyzer {
 public:
  static constexpr FrameCount kTapCapacityFrames = 1u << 17;  // about 3 s at 44.1 kHz
  static constexpr double kPeakHoldSeconds = 1.5;
  static constexpr double kRmsWindowSeconds = 0.3;
  /// A sample at or above this (about -0.01 dBFS) lights the clip indicator.
  static constexpr float kClipLevel = 0.999f;

  Analyzer();
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  /// The ring the render thread feeds (stereo).
  core::AudioRing& tap() noexcept { return tap_; }

  /// Main thread: starts (or retunes) the analysis thread for `sampleRate`.
  void start(SampleRate sampleRate);

  /// Main thread: spectrum settings (size 1024..16384, a power of two). Throws InvalidArgument.
  void setSpectrumSettings(std::uint32_t fftSize, dsp::SpectrumWindow window);
  /// Main thread: starts loudness (and the clip indicators) afresh.
  void resetLoudness() noexcept { resetRequests_.fetch_add(1, std::memory_order_release); }

  /// Main thread (one reader each): the newest frames.
  const SpectrumFrame& spectrum() noexcept { return spectrum_->read(); }
  const MeterFrame& meters() noexcept { return meters_.read(); }

 private:
  void run() noexcept;

  core::AudioRing tap_{2, kTapCapacityFrames};
  std::unique_ptr<core::TripleBuffer<SpectrumFrame>> spectrum_;
  core::TripleBuffer<MeterFrame> meters_;

  std::atomic<double> sampleRate_{0.0};
  std::atomic<std::uint32_t> fftSize_{4096};
  std::atomic<std::uint32_t> window_{0};
  std::atomic<std::uint32_t> resetRequests_{0};
  std::atomic<std::uint32_t> wake_{0};
  std::atomic<bool> quit_{false};
  std::thread thread_;
};

}  // namespace woodshed::engine
