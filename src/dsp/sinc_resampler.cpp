#include "woodshed/dsp/sinc_resampler.h"

#include <cmath>
#include <cstddef>
#include <numbers>

namespace woodshed::dsp {

namespace {

// The zeroth-order modified Bessel function of the first kind, by its power series.
double besselI0(double x) noexcept {
  double sum = 1.0, term = 1.0;
  const double quarter = x * x / 4.0;
  for (int k = 1; k < 64; ++k) {
    term *= quarter / (static_cast<double>(k) * static_cast<double>(k));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

}  // namespace

void SincResampler::prepare() {
  table_.assign(static_cast<std::size_t>(kPhases + 1) * kTaps, 0.0f);
  const double half = kTaps / 2.0;
  const double norm = besselI0(kKaiserBeta);
  for (int phase = 0; phase <= kPhases; ++phase) {
    const double fraction = static_cast<double>(phase) / kPhases;
    double taps[kTaps];
    double sum = 0.0;
    for (int k = 0; k < kTaps; ++k) {
      const double d = static_cast<double>(k - kHistory) - fraction;  // tap's distance from the position
      const double x = 2.0 * kCutoff * d;
      const double sinc = x == 0.0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
      const double r = d / half;
      const double window = std::fabs(r) >= 1.0 ? 0.0 : besselI0(kKaiserBeta * std::sqrt(1.0 - r * r)) / norm;
      taps[k] = sinc * window;
      sum += taps[k];
    }
    for (int k = 0; k < kTaps; ++k) {
      table_[static_cast<std::size_t>(phase) * kTaps + static_cast<std::size_t>(k)] = static_cast<float>(taps[k] / sum);
    }
  }
}

float SincResampler::interpolate(const float* ring, std::int64_t mask, std::int64_t whole,
                                 double fraction) const noexcept {
  if (fraction == 0.0) return ring[whole & mask];
  const double scaled = fraction * kPhases;
  const auto phase = static_cast<int>(scaled);
  const auto between = static_cast<float>(scaled - phase);
  const float* a = table_.data() + static_cast<std::size_t>(phase) * kTaps;
  const float* b = a + kTaps;
  const std::int64_t first = whole - kHistory;
  float sumA = 0.0f, sumB = 0.0f;
  for (int k = 0; k < kTaps; ++k) {
    const float x = ring[(first + k) & mask];
    sumA += a[k] * x;
    sumB += b[k] * x;
  }
  return sumA + between * (sumB - sumA);
}

}  // namespace woodshed::dsp
