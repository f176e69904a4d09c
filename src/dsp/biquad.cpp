#include "woodshed/dsp/biquad.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

namespace woodshed::dsp {

BiquadCoefficients Biquad::design(BiquadType type, double frequencyHz, double gainDb, double q,
                                  SampleRate sampleRate) noexcept {
  const double frequency = std::clamp(frequencyHz, 1e-3, 0.49 * sampleRate);
  const double w0 = 2.0 * std::numbers::pi * frequency / sampleRate;
  const double cosW0 = std::cos(w0);
  const double alpha = std::sin(w0) / (2.0 * std::max(q, 0.01));
  const double a = std::pow(10.0, gainDb / 40.0);
  double b0 = 1.0, b1 = 0.0, b2 = 0.0, a0 = 1.0, a1 = 0.0, a2 = 0.0;
  switch (type) {
    case BiquadType::Peaking:
      b0 = 1.0 + alpha * a;
      b1 = -2.0 * cosW0;
      b2 = 1.0 - alpha * a;
      a0 = 1.0 + alpha / a;
      a1 = -2.0 * cosW0;
      a2 = 1.0 - alpha / a;
      break;
    case BiquadType::LowShelf: {
      const double twoSqrtAAlpha = 2.0 * std::sqrt(a) * alpha;
      b0 = a * ((a + 1.0) - (a - 1.0) * cosW0 + twoSqrtAAlpha);
      b1 = 2.0 * a * ((a - 1.0) - (a + 1.0) * cosW0);
      b2 = a * ((a + 1.0) - (a - 1.0) * cosW0 - twoSqrtAAlpha);
      a0 = (a + 1.0) + (a - 1.0) * cosW0 + twoSqrtAAlpha;
      a1 = -2.0 * ((a - 1.0) + (a + 1.0) * cosW0);
      a2 = (a + 1.0) + (a - 1.0) * cosW0 - twoSqrtAAlpha;
      break;
    }
    case BiquadType::HighShelf: {
      const double twoSqrtAAlpha = 2.0 * std::sqrt(a) * alpha;
      b0 = a * ((a + 1.0) + (a - 1.0) * cosW0 + twoSqrtAAlpha);
      b1 = -2.0 * a * ((a - 1.0) + (a + 1.0) * cosW0);
      b2 = a * ((a + 1.0) + (a - 1.0) * cosW0 - twoSqrtAAlpha);
      a0 = (a + 1.0) - (a - 1.0) * cosW0 + twoSqrtAAlpha;
      a1 = 2.0 * ((a - 1.0) - (a + 1.0) * cosW0);
      a2 = (a + 1.0) - (a - 1.0) * cosW0 - twoSqrtAAlpha;
      break;
    }
  }
  return BiquadCoefficients{b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
}

double Biquad::magnitudeDb(const BiquadCoefficients& c, double frequencyHz, SampleRate sampleRate) noexcept {
  const double w = 2.0 * std::numbers::pi * frequencyHz / sampleRate;
  const std::complex<double> z1 = std::polar(1.0, -w);
  const std::complex<double> z2 = z1 * z1;
  const std::complex<double> numerator = c.b0 + c.b1 * z1 + c.b2 * z2;
  const std::complex<double> denominator = 1.0 + c.a1 * z1 + c.a2 * z2;
  return gainToDb(std::abs(numerator) / std::abs(denominator));
}

void Biquad::reset() noexcept { x1_ = x2_ = y1_ = y2_ = 0.0; }

namespace {
// One Direct Form I step: filters `x` and moves the history along.
inline double directFormI(const BiquadCoefficients& c, double x, double& x1, double& x2, double& y1,
                          double& y2) noexcept {
  const double y = c.b0 * x + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
  x2 = x1;
  x1 = x;
  y2 = y1;
  y1 = y;
  return y;
}
}  // namespace

void Biquad::process(float* samples, FrameCount frames) noexcept {
  const BiquadCoefficients c = c_;
  double x1 = x1_, x2 = x2_, y1 = y1_, y2 = y2_;
  for (FrameCount i = 0; i < frames; ++i) samples[i] = static_cast<float>(directFormI(c, samples[i], x1, x2, y1, y2));
  x1_ = x1, x2_ = x2, y1_ = y1, y2_ = y2;
}

void Biquad::processRamping(const BiquadCoefficients& step, float* samples, FrameCount frames) noexcept {
  BiquadCoefficients c = c_;
  double x1 = x1_, x2 = x2_, y1 = y1_, y2 = y2_;
  for (FrameCount i = 0; i < frames; ++i) {
    c.b0 += step.b0;
    c.b1 += step.b1;
    c.b2 += step.b2;
    c.a1 += step.a1;
    c.a2 += step.a2;
    samples[i] = static_cast<float>(directFormI(c, samples[i], x1, x2, y1, y2));
  }
  c_ = c;
  x1_ = x1, x2_ = x2, y1_ = y1, y2_ = y2;
}

void Biquad::primeAsPassThrough(const float* samples, FrameCount frames) noexcept {
  if (frames >= 2) {
    x2_ = y2_ = samples[frames - 2];
    x1_ = y1_ = samples[frames - 1];
  } else if (frames == 1) {
    x2_ = y2_ = x1_;
    x1_ = y1_ = samples[0];
  }
}

bool Biquad::hasFiniteState() const noexcept {
  return std::isfinite(x1_) && std::isfinite(x2_) && std::isfinite(y1_) && std::isfinite(y2_);
}

}  // namespace woodshed::dsp
