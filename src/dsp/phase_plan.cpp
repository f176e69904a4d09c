#include "woodshed/dsp/phase_plan.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>

namespace woodshed::dsp {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
// Peaks must be within this of the frame's loudest bin (-90 dB) ...
constexpr double kPeakRelativeFloor = 1e-9;
// ... and above -120 dBFS, relative to a full-scale sine's Hann peak bin, |X| = N / 4.
constexpr double kPeakAbsoluteFloor = 1e-12;
// A frame whose total power is below -100 dBFS (same reference) is silence.
constexpr double kSilenceFloor = 1e-10;
// A 6 dB rise in power marks a bin for a phase reset; only from 150 Hz up.
constexpr float kResetRise = 4.0f;
constexpr double kResetLowestHz = 150.0;

double principalArgument(double phase) noexcept { return phase - kTwoPi * std::round(phase / kTwoPi); }

}  // namespace

void PhasePlan::prepare(std::uint32_t fftSize, ChannelCount maxGroups, SampleRate sampleRate) {
  size_ = fftSize;
  bins_ = fftSize / 2 + 1;
  maxGroups_ = maxGroups;
  previousRe_.assign(static_cast<std::size_t>(maxGroups) * bins_, 0.0f);
  previousIm_.assign(static_cast<std::size_t>(maxGroups) * bins_, 0.0f);
  power_.assign(bins_, 0.0f);
  previousPower_.assign(bins_, 0.0f);
  crossRe_.assign(bins_, 0.0f);
  crossIm_.assign(bins_, 0.0f);
  theta_.assign(bins_, 0.0f);
  cos_.assign(bins_, 1.0f);
  sin_.assign(bins_, 0.0f);
  peaks_.assign(bins_, 0);
  peakTheta_.assign(bins_, 0.0f);
  setSampleRate(sampleRate);
  reset();
}

void PhasePlan::setSampleRate(SampleRate sampleRate) noexcept {
  const auto binOf = [&](double hz) {
    return static_cast<std::uint32_t>(std::clamp(std::ceil(hz * size_ / sampleRate), 1.0, bins_ - 1.0));
  };
  bin150_ = binOf(kResetLowestHz);
  bin700_ = binOf(700.0);
  bin4800_ = binOf(4800.0);
}

void PhasePlan::reset() noexcept {
  havePrevious_ = false;
  std::fill(theta_.begin(), theta_.end(), 0.0f);
  std::fill(power_.begin(), power_.end(), 0.0f);
  std::fill(previousPower_.begin(), previousPower_.end(), 0.0f);
  std::fill(cos_.begin(), cos_.end(), 1.0f);
  std::fill(sin_.begin(), sin_.end(), 0.0f);
  peakCount_ = 0;
}

void PhasePlan::powerOf(const float* const* re, const float* const* im, ChannelCount groups,
                        float* out) const noexcept {
  std::fill(out, out + bins_, 0.0f);
  for (ChannelCount g = 0; g < groups; ++g) {
    for (std::uint32_t b = 0; b < bins_; ++b) out[b] += re[g][b] * re[g][b] + im[g][b] * im[g][b];
  }
}

void PhasePlan::findPeaks(double maxPower) noexcept {
  const double reference = static_cast<double>(size_) * size_ / 16.0;
  const auto floor = static_cast<float>(std::max(maxPower * kPeakRelativeFloor, reference * kPeakAbsoluteFloor));
  peakCount_ = 0;
  const float* p = power_.data();
  for (std::uint32_t b = 1; b + 1 < bins_; ++b) {
    if (p[b] <= floor) continue;
    const std::uint32_t k = b < bin700_ ? 1 : b < bin4800_ ? 2 : 3;
    bool peak = true;
    // Strictly above the bins below and at least the bins above: a plateau yields one peak.
    for (std::uint32_t i = 1; i <= k && peak; ++i) {
      if (b >= i && p[b - i] >= p[b]) peak = false;
      if (b + i < bins_ && p[b + i] > p[b]) peak = false;
    }
    if (peak) peaks_[peakCount_++] = b;
  }
}

void PhasePlan::analyse(const float* const* re, const float* const* im, ChannelCount groups,
                        std::int64_t analysisHop, std::int64_t synthesisHop) noexcept {
  std::copy(power_.begin(), power_.end(), previousPower_.begin());
  powerOf(re, im, groups, power_.data());
  double total = 0.0, maxPower = 0.0;
  for (std::uint32_t b = 0; b < bins_; ++b) {
    total += power_[b];
    maxPower = std::max(maxPower, double{power_[b]});
  }
  const bool silent = total < static_cast<double>(size_) * size_ / 16.0 * kSilenceFloor;
  const bool advance = havePrevious_ && !silent && analysisHop != synthesisHop && analysisHop > 0;

  if (silent) {
    std::fill(theta_.begin(), theta_.end(), 0.0f);
    peakCount_ = 0;
  } else {
    findPeaks(maxPower);
    if (peakCount_ == 0) {
      std::fill(theta_.begin(), theta_.end(), 0.0f);
    } else {
      const double ha = static_cast<double>(analysisHop);
      const double stretch = static_cast<double>(synthesisHop - analysisHop);
      for (std::uint32_t i = 0; i < peakCount_; ++i) {
        const std::uint32_t p = peaks_[i];
        double theta = theta_[p];
        if (advance) {
          double cr = 0.0, ci = 0.0;
          for (ChannelCount g = 0; g < groups; ++g) {
            const float* pr = previousRe_.data() + static_cast<std::size_t>(g) * bins_;
            const float* pi = previousIm_.data() + static_cast<std::size_t>(g) * bins_;
            cr += double{re[g][p]} * pr[p] + double{im[g][p]} * pi[p];
            ci += double{im[g][p]} * pr[p] - double{re[g][p]} * pi[p];
          }
          const double expected = kTwoPi * p * ha / size_;
          const double omega = (expected + principalArgument(std::atan2(ci, cr) - expected)) / ha;
          theta = principalArgument(theta + omega * stretch);
        }
        peakTheta_[i] = static_cast<float>(theta);
      }
      // Regions: each bin takes its peak's rotation; edges at the least power between peaks.
      std::uint32_t b = 0;
      for (std::uint32_t i = 0; i < peakCount_; ++i) {
        std::uint32_t edge = bins_ - 1;
        if (i + 1 < peakCount_) {
          edge = peaks_[i];
          for (std::uint32_t k = peaks_[i] + 1; k < peaks_[i + 1]; ++k) {
            if (power_[k] < power_[edge]) edge = k;
          }
        }
        for (; b <= edge; ++b) theta_[b] = peakTheta_[i];
      }
    }
    theta_[0] = 0.0f;
    theta_[bins_ - 1] = 0.0f;
  }

  for (ChannelCount g = 0; g < groups; ++g) {
    std::copy(re[g], re[g] + bins_, previousRe_.begin() + static_cast<std::ptrdiff_t>(g * bins_));
    std::copy(im[g], im[g] + bins_, previousIm_.begin() + static_cast<std::ptrdiff_t>(g * bins_));
  }
  havePrevious_ = true;
}

void PhasePlan::resetRisingBins(const float* before, const float* after) noexcept {
  for (std::uint32_t b = bin150_; b < bins_; ++b) {
    if (after[b] >= kResetRise * before[b]) theta_[b] = 0.0f;
  }
}

void PhasePlan::decayTowardsZero(float step) noexcept {
  for (float& t : theta_) t -= std::clamp(t, -step, step);
}

void PhasePlan::makePhasors(double pitchRatio) noexcept {
  float lastTheta = 0.0f, lastCos = 1.0f, lastSin = 0.0f;
  for (std::uint32_t b = 0; b < bins_; ++b) {
    // A region shares one rotation, so one sincos per region.
    if (theta_[b] != lastTheta) {
      lastTheta = theta_[b];
      lastCos = std::cos(lastTheta);
      lastSin = std::sin(lastTheta);
    }
    cos_[b] = lastCos;
    sin_[b] = lastSin;
  }
  if (pitchRatio > 1.0) {
    const auto cut = static_cast<std::uint32_t>(std::min<double>(bins_ - 1, 0.97 * size_ / (2.0 * pitchRatio)));
    for (std::uint32_t b = cut + 1; b < bins_; ++b) cos_[b] = sin_[b] = 0.0f;
  }
}

bool PhasePlan::isIdentity() const noexcept {
  return std::all_of(theta_.begin(), theta_.end(), [](float t) { return t == 0.0f; });
}

}  // namespace woodshed::dsp
