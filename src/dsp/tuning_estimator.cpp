#include "woodshed/dsp/tuning_estimator.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <vector>

#include "kiss_fftr.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {

// The analysis window, about 0.3 s: neighbouring semitones stay apart down to about 100 Hz.
constexpr double kWindowSeconds = 0.3;
// A peak is at least this far below the frame's loudest (dB), and above an absolute floor.
constexpr double kPeakRangeDb = 40.0;
constexpr double kFloorDbfs = -80.0;
// Peaks are local maxima over this many bins each side.
constexpr int kPeakNeighbours = 2;

class KissReal {
 public:
  explicit KissReal(int size) : config_(kiss_fftr_alloc(size, 0, nullptr, nullptr)) {
    if (config_ == nullptr) throw core::Error("the tuning estimator could not allocate its FFT");
  }
  ~KissReal() { kiss_fftr_free(config_); }
  KissReal(const KissReal&) = delete;
  KissReal& operator=(const KissReal&) = delete;
  void forward(const float* in, kiss_fft_cpx* out) const { kiss_fftr(config_, in, out); }

 private:
  kiss_fftr_cfg config_;
};

double principal(double phase) { return phase - 2.0 * M_PI * std::round(phase / (2.0 * M_PI)); }

}  // namespace

std::optional<TuningEstimate> estimateTuning(const float* samples, std::size_t frames, SampleRate sampleRate,
                                             const std::function<void(double)>& progress) {
  if (!(sampleRate >= 4000.0) || !std::isfinite(sampleRate)) {
    throw core::InvalidArgument("the tuning estimator needs a sample rate of at least 4 kHz");
  }
  std::size_t size = 256;
  while (static_cast<double>(size) < kWindowSeconds * sampleRate) size *= 2;
  const std::size_t lag = size / 4;  // phase advance over a quarter frame: +-2 bins unambiguous
  const std::size_t bins = size / 2 + 1;
  if (frames < size + 2 * lag) return std::nullopt;

  const KissReal fft(static_cast<int>(size));
  std::vector<float> window(size), frame(size);
  double windowSum = 0.0;
  for (std::size_t n = 0; n < size; ++n) {
    window[n] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * M_PI * static_cast<double>(n) / static_cast<double>(size)));
    windowSum += window[n];
  }
  // Three spectra in turn, a lag apart: before, middle, after.
  std::vector<kiss_fft_cpx> spectra[3] = {std::vector<kiss_fft_cpx>(bins), std::vector<kiss_fft_cpx>(bins),
                                          std::vector<kiss_fft_cpx>(bins)};
  const auto analyse = [&](std::size_t start, std::vector<kiss_fft_cpx>& into) {
    for (std::size_t n = 0; n < size; ++n) frame[n] = samples[start + n] * window[n];
    fft.forward(frame.data(), into.data());
  };
  const double binHz = sampleRate / static_cast<double>(size);
  const auto lowBin = static_cast<std::size_t>(std::max(2.0, std::floor(kMinTuningHz / binHz)));
  const auto highBin = std::min(bins - 1 - kPeakNeighbours, static_cast<std::size_t>(std::ceil(kMaxTuningHz / binHz)));
  const double floor = std::pow(10.0, kFloorDbfs / 20.0) * windowSum / 2.0;
  const double expectedAdvance = 2.0 * M_PI * static_cast<double>(lag) / static_cast<double>(size);  // per bin
  // The frequency of bin k's partial from the phase advance between two spectra a lag apart.
  const auto frequency = [&](const kiss_fft_cpx& from, const kiss_fft_cpx& to, std::size_t k) {
    const double advance = std::atan2(to.i, to.r) - std::atan2(from.i, from.r);
    const double deviation = principal(advance - expectedAdvance * static_cast<double>(k));
    return (static_cast<double>(k) + deviation / expectedAdvance) * binHz;
  };

  std::vector<double> magnitude(bins);
  double sumCos = 0.0, sumSin = 0.0, sumWeight = 0.0;
  std::size_t partials = 0;
  analyse(0, spectra[0]);
  analyse(lag, spectra[1]);
  const std::size_t steps = (frames - size) / lag - 1;
  for (std::size_t step = 0; step < steps; ++step) {
    if (progress && step % 32 == 0) progress(static_cast<double>(step) / static_cast<double>(steps));
    auto& before = spectra[step % 3];
    auto& middle = spectra[(step + 1) % 3];
    auto& after = spectra[(step + 2) % 3];
    analyse((step + 2) * lag, after);
    double loudest = 0.0;
    for (std::size_t k = lowBin - kPeakNeighbours; k <= highBin + kPeakNeighbours; ++k) {
      magnitude[k] = std::hypot(middle[k].r, middle[k].i);
      loudest = std::max(loudest, magnitude[k]);
    }
    const double threshold = std::max(floor, loudest * std::pow(10.0, -kPeakRangeDb / 20.0));
    for (std::size_t k = lowBin; k <= highBin; ++k) {
      const double m = magnitude[k];
      if (m < threshold) continue;
      bool peak = true;
      for (int d = 1; d <= kPeakNeighbours && peak; ++d) peak = m > magnitude[k - d] && m >= magnitude[k + d];
      if (!peak) continue;
      const double first = frequency(before[k], middle[k], k);
      const double second = frequency(middle[k], after[k], k);
      if (!(first > 0.0 && second > 0.0) || std::fabs(1200.0 * std::log2(second / first)) > kSteadyCents) continue;
      const double cents = 1200.0 * std::log2(0.5 * (first + second) / 440.0);
      const double angle = 2.0 * M_PI * cents / 100.0;  // a semitone is a full turn
      sumCos += m * std::cos(angle);
      sumSin += m * std::sin(angle);
      sumWeight += m;
      ++partials;
    }
  }
  if (progress) progress(1.0);
  if (partials == 0 || sumWeight <= 0.0) return std::nullopt;
  TuningEstimate estimate;
  estimate.offsetCents = 100.0 * std::atan2(sumSin, sumCos) / (2.0 * M_PI);
  estimate.agreement = std::hypot(sumSin, sumCos) / sumWeight;
  estimate.partials = partials;
  if (estimate.agreement < kMinTuningAgreement) return std::nullopt;
  return estimate;
}

}  // namespace woodshed::dsp
