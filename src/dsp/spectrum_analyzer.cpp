#include "woodshed/dsp/spectrum_analyzer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <new>
#include <numbers>

#include "kiss_fftr.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {

constexpr double kPi = std::numbers::pi;

double sinc(double x) noexcept { return x == 0.0 ? 1.0 : std::sin(kPi * x) / (kPi * x); }

float toDb(double amplitude) noexcept {
  return static_cast<float>(amplitude > 0.0 ? std::max(20.0 * std::log10(amplitude), SpectrumAnalyzer::kFloorDb)
                                            : SpectrumAnalyzer::kFloorDb);
}

float powerToDb(double power) noexcept {
  return static_cast<float>(power > 0.0 ? std::max(10.0 * std::log10(power), SpectrumAnalyzer::kFloorDb)
                                        : SpectrumAnalyzer::kFloorDb);
}

}  // namespace

struct SpectrumAnalyzer::Fft {
  kiss_fftr_cfg config = nullptr;
  std::vector<kiss_fft_cpx> bins;

  explicit Fft(std::uint32_t size) : config(kiss_fftr_alloc(static_cast<int>(size), 0, nullptr, nullptr)) {
    if (config == nullptr) throw std::bad_alloc();
    bins.resize(size / 2 + 1);
  }
  ~Fft() { kiss_fftr_free(config); }
  Fft(const Fft&) = delete;
  Fft& operator=(const Fft&) = delete;
};

SpectrumAnalyzer::SpectrumAnalyzer() = default;
SpectrumAnalyzer::~SpectrumAnalyzer() = default;
SpectrumAnalyzer::SpectrumAnalyzer(SpectrumAnalyzer&&) noexcept = default;
SpectrumAnalyzer& SpectrumAnalyzer::operator=(SpectrumAnalyzer&&) noexcept = default;

void SpectrumAnalyzer::prepare(SampleRate sampleRate, const SpectrumSettings& settings) {
  const std::uint32_t size = settings.fftSize;
  if (size < kMinFftSize || size > kMaxFftSize || !std::has_single_bit(size)) {
    throw core::InvalidArgument("the spectrum's FFT size must be a power of two from " + std::to_string(kMinFftSize) +
                                " to " + std::to_string(kMaxFftSize) + ", not " + std::to_string(size));
  }
  if (!(sampleRate > 0.0)) throw core::InvalidArgument("the spectrum needs a positive sample rate");
  if (!(settings.averagingSeconds >= 0.0) || !(settings.peakDecayDbPerSecond >= 0.0)) {
    throw core::InvalidArgument("the spectrum's averaging time and peak decay must not be negative");
  }
  auto fft = std::make_unique<Fft>(size);
  switch (settings.window) {
    case SpectrumWindow::Hann: windowTerms_ = {0.5, 0.5}; break;
    case SpectrumWindow::BlackmanHarris: windowTerms_ = {0.35875, 0.48829, 0.14128, 0.01168}; break;
  }
  // Periodic (DFT-even) windows: their spectra are exactly the cosine-sum kernel used below.
  window_.resize(size);
  for (std::uint32_t n = 0; n < size; ++n) {
    double w = 0.0, sign = 1.0;
    for (std::size_t k = 0; k < windowTerms_.size(); ++k, sign = -sign) {
      w += sign * windowTerms_[k] * std::cos(2.0 * kPi * static_cast<double>(k * n) / size);
    }
    window_[n] = static_cast<float>(w);
  }
  const std::uint32_t bins = size / 2 + 1;
  input_.assign(size, 0.0f);
  frame_.assign(size, 0.0f);
  amplitude_.assign(bins, 0.0f);
  averagePower_.assign(bins, 0.0);
  currentDb_.assign(bins, static_cast<float>(kFloorDb));
  averageDb_.assign(bins, static_cast<float>(kFloorDb));
  peakDb_.assign(bins, static_cast<float>(kFloorDb));
  fft_ = std::move(fft);
  settings_ = settings;
  sampleRate_ = sampleRate;
  reset();
}

void SpectrumAnalyzer::reset() noexcept {
  std::fill(input_.begin(), input_.end(), 0.0f);
  std::fill(amplitude_.begin(), amplitude_.end(), 0.0f);
  std::fill(averagePower_.begin(), averagePower_.end(), 0.0);
  std::fill(currentDb_.begin(), currentDb_.end(), static_cast<float>(kFloorDb));
  std::fill(averageDb_.begin(), averageDb_.end(), static_cast<float>(kFloorDb));
  std::fill(peakDb_.begin(), peakDb_.end(), static_cast<float>(kFloorDb));
  inputPosition_ = 0;
  hasAverage_ = false;
}

void SpectrumAnalyzer::pushMono(const float* samples, FrameCount frames) noexcept {
  const std::uint32_t size = static_cast<std::uint32_t>(input_.size());
  if (size == 0) return;
  for (FrameCount i = 0; i < frames; ++i) {
    input_[inputPosition_] = samples[i];
    if (++inputPosition_ == size) inputPosition_ = 0;
  }
}

void SpectrumAnalyzer::pushStereo(const float* left, const float* right, FrameCount frames) noexcept {
  const std::uint32_t size = static_cast<std::uint32_t>(input_.size());
  if (size == 0) return;
  for (FrameCount i = 0; i < frames; ++i) {
    input_[inputPosition_] = 0.5f * (left[i] + right[i]);
    if (++inputPosition_ == size) inputPosition_ = 0;
  }
}

void SpectrumAnalyzer::analyze(double elapsedSeconds) noexcept {
  if (!fft_) return;
  const std::uint32_t size = settings_.fftSize;
  for (std::uint32_t n = 0; n < size; ++n) {
    const std::uint32_t index = inputPosition_ + n < size ? inputPosition_ + n : inputPosition_ + n - size;
    frame_[n] = input_[index] * window_[n];
  }
  kiss_fftr(fft_->config, frame_.data(), fft_->bins.data());

  // A sine of amplitude A on a bin centre gives |X| = A * N * a0 / 2 with this window.
  const double scale = 2.0 / (static_cast<double>(size) * windowTerms_[0]);
  const double alpha = settings_.averagingSeconds > 0.0 && hasAverage_
                           ? 1.0 - std::exp(-std::max(elapsedSeconds, 0.0) / settings_.averagingSeconds)
                           : 1.0;
  const double decayDb = settings_.peakDecayDbPerSecond * std::max(elapsedSeconds, 0.0);
  for (std::size_t k = 0; k < amplitude_.size(); ++k) {
    const double re = fft_->bins[k].r, im = fft_->bins[k].i;
    const double amplitude = std::sqrt(re * re + im * im) * scale;
    amplitude_[k] = static_cast<float>(amplitude);
    currentDb_[k] = toDb(amplitude);
    averagePower_[k] += alpha * (amplitude * amplitude - averagePower_[k]);
    averageDb_[k] = powerToDb(averagePower_[k]);
    peakDb_[k] = std::max(currentDb_[k], static_cast<float>(peakDb_[k] - decayDb));
  }
  hasAverage_ = true;
}

double SpectrumAnalyzer::windowKernel(double bins) const noexcept {
  // A cosine-sum window sum_k (-1)^k a_k cos(2 pi k n / N) has, for large N, the spectrum
  // a0 sinc(d) + sum_k a_k / 2 (sinc(d - k) + sinc(d + k)) at d bins from a sine.
  double value = windowTerms_[0] * sinc(bins);
  for (std::size_t k = 1; k < windowTerms_.size(); ++k) {
    const double offset = static_cast<double>(k);
    value += 0.5 * windowTerms_[k] * (sinc(bins - offset) + sinc(bins + offset));
  }
  return std::fabs(value);
}

SpectralPeak SpectrumAnalyzer::findPeak(double minHz, double maxHz) const noexcept {
  SpectralPeak result;
  if (amplitude_.size() < 3) return result;
  const double binHz = sampleRate_ / settings_.fftSize;
  const std::size_t last = amplitude_.size() - 1;
  const auto first = static_cast<std::size_t>(std::clamp(std::ceil(minHz / binHz), 1.0, static_cast<double>(last - 1)));
  const auto end = static_cast<std::size_t>(std::clamp(std::floor(maxHz / binHz), 1.0, static_cast<double>(last - 1)));
  std::size_t k = first;
  for (std::size_t i = first; i <= end; ++i) {
    if (amplitude_[i] > amplitude_[k]) k = i;
  }
  const double centre = amplitude_[k];
  if (!(centre > 0.0)) return result;
  const double lower = amplitude_[k - 1], upper = amplitude_[k + 1];
  const double side = upper >= lower ? 1.0 : -1.0;
  const double ratio = std::max(lower, upper) / centre;
  // The sine sits d in [0, 0.5] bins from bin k towards its larger neighbour, where the ratio
  // of the window's kernel at 1 - d and at d equals the measured ratio (which rises with d).
  double low = 0.0, high = 0.5;
  for (int iteration = 0; iteration < 40; ++iteration) {
    const double d = 0.5 * (low + high);
    if (windowKernel(1.0 - d) / windowKernel(d) < ratio) {
      low = d;
    } else {
      high = d;
    }
  }
  const double d = 0.5 * (low + high);
  result.frequencyHz = (static_cast<double>(k) + side * d) * binHz;
  result.levelDb = toDb(centre * windowTerms_[0] / windowKernel(d));
  return result;
}

std::string noteName(double frequencyHz) {
  if (!(frequencyHz > 0.0) || !std::isfinite(frequencyHz)) return {};
  static constexpr const char* kNames[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  const long midi = std::lround(69.0 + 12.0 * std::log2(frequencyHz / 440.0));
  const long octave = (midi >= 0 ? midi / 12 : (midi - 11) / 12) - 1;
  const long pitchClass = ((midi % 12) + 12) % 12;
  return kNames[pitchClass] + std::to_string(octave);
}

double logFrequencyPosition(double frequencyHz, double minHz, double maxHz) noexcept {
  return std::log(frequencyHz / minHz) / std::log(maxHz / minHz);
}

double frequencyAtLogPosition(double position, double minHz, double maxHz) noexcept {
  return minHz * std::pow(maxHz / minHz, position);
}

}  // namespace woodshed::dsp
