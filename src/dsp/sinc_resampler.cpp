#include "woodshed/dsp/sinc_resampler.h"

#include <cmath>
#include <cstddef>
#include <numbers>

#include "woodshed/dsp/kaiser.h"

namespace woodshed::dsp {

void SincResampler::prepare() {
  table_.assign(static_cast<std::size_t>(kPhases + 1) * kTaps, 0.0f);
  const double half = kTaps / 2.0;
  for (int phase = 0; phase <= kPhases; ++phase) {
    const double fraction = static_cast<double>(phase) / kPhases;
    double taps[kTaps];
    double sum = 0.0;
    for (int k = 0; k < kTaps; ++k) {
      const double d = static_cast<double>(k - kHistory) - fraction;  // tap's distance from the position
      const double x = 2.0 * kCutoff * d;
      const double sinc = x == 0.0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
      const double window = kaiserWindow(d / half, kKaiserBeta);
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
