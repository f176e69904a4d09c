#pragma once
// A spectrum analyser for display: windowed real FFTs (KissFFT) of the latest samples, in
// dBFS calibrated so that a full-scale sine reads 0 dB, with an exponential average, a peak
// hold that decays, and a peak finder that reads a sine's level and frequency between bins.
//
// The peak finder fits the window's own spectral main lobe (its closed form for a cosine-sum
// window) to the largest bin and its larger neighbour, so a sine on a bin centre and one half
// way between two bins both read their true level (within 0.01 dB for Hann and Blackman-Harris)
// and their frequency within a small fraction of a bin.
//
// Runs off the render thread: one thread (the analysis or UI thread) feeds samples and calls
// analyze(); the engine hands it the rendered audio through a ring. prepare() allocates and
// may throw; push*() and analyze() never allocate.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "woodshed/dsp/process_spec.h"

namespace woodshed::dsp {

enum class SpectrumWindow : std::uint32_t { Hann, BlackmanHarris };

struct SpectrumSettings {
  std::uint32_t fftSize = 4096;  ///< a power of two in [kMinFftSize, kMaxFftSize]
  SpectrumWindow window = SpectrumWindow::Hann;
  double averagingSeconds = 0.1;       ///< time constant of the average (power); 0 for none
  double peakDecayDbPerSecond = 12.0;  ///< how fast the peak hold falls back
};

/// A spectral peak: frequency and level (dBFS, a full-scale sine is 0 dB) between bins.
struct SpectralPeak {
  double frequencyHz = 0.0;
  double levelDb = -200.0;
};

class SpectrumAnalyzer {
 public:
  static constexpr std::uint32_t kMinFftSize = 1024;
  static constexpr std::uint32_t kMaxFftSize = 16384;
  /// Level reported for bins with no energy.
  static constexpr double kFloorDb = -200.0;

  SpectrumAnalyzer();
  ~SpectrumAnalyzer();
  SpectrumAnalyzer(SpectrumAnalyzer&&) noexcept;
  SpectrumAnalyzer& operator=(SpectrumAnalyzer&&) noexcept;

  /// Allocates the FFT and buffers. Throws core::InvalidArgument for an FFT size that is not
  /// a power of two in [kMinFftSize, kMaxFftSize], a negative time or a rate that is not positive.
  void prepare(SampleRate sampleRate, const SpectrumSettings& settings);
  /// Forgets the samples, the average and the peak hold. No allocation.
  void reset() noexcept;

  /// Appends mono samples to the analysis window. No allocation.
  void pushMono(const float* samples, FrameCount frames) noexcept;
  /// Appends the mid signal (L + R) / 2 of a stereo pair. No allocation.
  void pushStereo(const float* left, const float* right, FrameCount frames) noexcept;

  /// Computes the spectrum of the latest fftSize samples and updates the average and the peak
  /// hold, which move as if `elapsedSeconds` passed since the last call. No allocation.
  void analyze(double elapsedSeconds) noexcept;

  /// Levels per bin (fftSize / 2 + 1 bins, dBFS) of the last analyze(): as measured, averaged,
  /// and held.
  std::span<const float> currentDb() const noexcept { return currentDb_; }
  std::span<const float> averageDb() const noexcept { return averageDb_; }
  std::span<const float> peakHoldDb() const noexcept { return peakDb_; }

  /// The strongest peak of the last analyze() between `minHz` and `maxHz`, interpolated.
  SpectralPeak findPeak(double minHz, double maxHz) const noexcept;

  std::uint32_t fftSize() const noexcept { return settings_.fftSize; }
  std::uint32_t binCount() const noexcept { return settings_.fftSize / 2 + 1; }
  double binFrequency(double bin) const noexcept { return bin * sampleRate_ / settings_.fftSize; }
  SampleRate sampleRate() const noexcept { return sampleRate_; }
  const SpectrumSettings& settings() const noexcept { return settings_; }

 private:
  struct Fft;

  // The window's spectral main lobe (its DTFT magnitude, normalised to a0 at 0) `bins` away.
  double windowKernel(double bins) const noexcept;

  SpectrumSettings settings_{};
  SampleRate sampleRate_ = 44100.0;
  std::unique_ptr<Fft> fft_;
  std::vector<double> windowTerms_;  // cosine-sum coefficients a0, a1, ...
  std::vector<float> window_;
  std::vector<float> input_;         // ring of the latest fftSize samples
  std::uint32_t inputPosition_ = 0;  // oldest sample, next to be overwritten
  std::vector<float> frame_;         // windowed samples in time order
  std::vector<float> amplitude_;     // per bin, as the amplitude of a sine (1 = full scale)
  std::vector<double> averagePower_;
  std::vector<float> currentDb_;
  std::vector<float> averageDb_;
  std::vector<float> peakDb_;
  bool hasAverage_ = false;
};

/// The nearest equal-tempered note (A4 = 440 Hz) as text: 440 -> "A4", 261.63 -> "C4",
/// 466.16 -> "A#4"; empty for frequencies that are not positive. Allocates (UI thread).
std::string noteName(double frequencyHz);
/// Where `frequencyHz` sits on a log axis from `minHz` (0) to `maxHz` (1).
double logFrequencyPosition(double frequencyHz, double minHz, double maxHz) noexcept;
/// The frequency at `position` (0..1) of a log axis from `minHz` to `maxHz`.
double frequencyAtLogPosition(double position, double minHz, double maxHz) noexcept;

}  // namespace woodshed::dsp
