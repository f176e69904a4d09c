#pragma once
// Measurements the tests make on rendered audio: level, frequency, correlation.

#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

namespace woodshed::test {

inline double rms(const float* x, std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += double{x[i]} * x[i];
  return n ? std::sqrt(sum / static_cast<double>(n)) : 0.0;
}

inline double peak(const float* x, std::size_t n) {
  double p = 0.0;
  for (std::size_t i = 0; i < n; ++i) p = std::max(p, std::fabs(double{x[i]}));
  return p;
}

/// AES17 level in dBFS: RMS relative to the RMS of a full-scale sine (1/sqrt(2)).
inline double aes17LevelDb(const float* x, std::size_t n) {
  return 20.0 * std::log10(rms(x, n) * std::numbers::sqrt2);
}

/// Frequency of a periodic signal from its rising zero crossings, interpolated linearly.
inline double zeroCrossingFrequency(const float* x, std::size_t n, double sampleRate) {
  double first = -1.0, last = -1.0;
  int crossings = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
      const double t = static_cast<double>(i - 1) + x[i - 1] / (double{x[i - 1]} - x[i]);
      if (first < 0.0) first = t;
      last = t;
      ++crossings;
    }
  }
  if (crossings < 2) return 0.0;
  return (crossings - 1) * sampleRate / (last - first);
}

/// Magnitude (amplitude of a sine) of the component at `frequency`, by a Hann-windowed DFT.
inline double toneAmplitude(const float* x, std::size_t n, double frequency, double sampleRate) {
  double re = 0.0, im = 0.0, windowSum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n));
    const double phase = 2.0 * std::numbers::pi * frequency * static_cast<double>(i) / sampleRate;
    re += w * x[i] * std::cos(phase);
    im -= w * x[i] * std::sin(phase);
    windowSum += w;
  }
  return 2.0 * std::sqrt(re * re + im * im) / windowSum;
}

}  // namespace woodshed::test
