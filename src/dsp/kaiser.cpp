#include "woodshed/dsp/kaiser.h"

#include <cmath>

namespace woodshed::dsp {

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

double kaiserWindow(double r, double beta) noexcept {
  if (!(std::fabs(r) < 1.0)) return 0.0;
  return besselI0(beta * std::sqrt(1.0 - r * r)) / besselI0(beta);
}

}  // namespace woodshed::dsp
