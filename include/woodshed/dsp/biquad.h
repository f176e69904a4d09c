#pragma once
// A second-order IIR section with coefficients from the RBJ Audio EQ Cookbook, and the
// analytic response of any coefficient set, so that EQ curves can be drawn and tested.
//
// Shelves use the cookbook's Q form (alpha = sin(w0) / (2 Q)), not the shelf slope S: one
// parameter means the same thing for every band, and Q = 1/sqrt(2) is the cookbook's S = 1,
// the steepest shelf without overshoot. Peaking bands are the cookbook's constant-Q form, whose
// bandwidth is measured between the frequencies where the gain in dB is half the band's gain.
//
// The filter runs in Direct Form I with double-precision state. Direct Form I keeps only the
// signal's own history, so coefficients may change every sample (the EQ ramps them) without
// leaving state that belonged to the old filter; double precision keeps low shelves, whose
// poles sit very close to z = 1, free of the noise and gain error a float biquad has there.

#include <cstdint>

#include "woodshed/dsp/process_spec.h"

namespace woodshed::dsp {

enum class BiquadType : std::uint32_t { LowShelf, Peaking, HighShelf };

/// Normalised coefficients (a0 = 1): H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2).
struct BiquadCoefficients {
  double b0 = 1.0;
  double b1 = 0.0;
  double b2 = 0.0;
  double a1 = 0.0;
  double a2 = 0.0;

  bool operator==(const BiquadCoefficients&) const = default;
};

class Biquad {
 public:
  /// Cookbook coefficients computed in double. The frequency is kept inside (0, 0.49 fs) and
  /// q above 0.01; at 0 dB every type is exactly the identity (b == a).
  static BiquadCoefficients design(BiquadType type, double frequencyHz, double gainDb, double q,
                                   SampleRate sampleRate) noexcept;
  /// |H(e^jw)| in dB at `frequencyHz`, computed from the coefficients (for drawing and tests).
  static double magnitudeDb(const BiquadCoefficients& coefficients, double frequencyHz,
                            SampleRate sampleRate) noexcept;

  /// Takes new coefficients at once; the state is kept. Render thread.
  void setCoefficients(const BiquadCoefficients& coefficients) noexcept { c_ = coefficients; }
  const BiquadCoefficients& coefficients() const noexcept { return c_; }
  /// Clears the signal history (also after NaN or Inf got into it). Render thread.
  void reset() noexcept;
  /// Filters in place. Render thread: no allocation.
  void process(float* samples, FrameCount frames) noexcept;
  /// Filters in place, adding `step` to every coefficient before each sample, so coefficients
  /// glide linearly instead of jumping. Render thread: no allocation.
  void processRamping(const BiquadCoefficients& step, float* samples, FrameCount frames) noexcept;
  /// Sets the history as if the filter had passed `samples` through unchanged, so that a
  /// filter skipped while it was the identity resumes without a transient. Render thread.
  void primeAsPassThrough(const float* samples, FrameCount frames) noexcept;
  /// False once NaN or Inf got into the history (it would stay there for good).
  bool hasFiniteState() const noexcept;

 private:
  BiquadCoefficients c_{};
  double x1_ = 0.0, x2_ = 0.0, y1_ = 0.0, y2_ = 0.0;
};

}  // namespace woodshed::dsp
