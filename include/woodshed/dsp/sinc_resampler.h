#pragma once
// A band-limited interpolator: reads a signal at fractional positions through a Kaiser-windowed
// sinc (J. O. Smith, "Digital audio resampling", CCRMA), the Stretcher's pitch stage.
//
// The kernel has kTaps taps (16 zero crossings a side), cutoff 0.47 of the signal's rate and a
// Kaiser window with beta 9. It is tabulated at kPhases fractional positions (plus one, so that
// linear interpolation between two phases never wraps); each phase is normalised to unity gain
// at DC. A position with no fractional part reads the sample itself, bit for bit, so a signal
// read at integer positions passes unchanged.
//
// prepare() allocates the table; interpolate() is for the render thread (no allocation).

#include <cstdint>
#include <vector>

namespace woodshed::dsp {

class SincResampler {
 public:
  /// Taps of the kernel: it reads kTaps / 2 - 1 samples before floor(position) and kTaps / 2 after it.
  static constexpr int kTaps = 32;
  /// Tabulated fractional positions per sample.
  static constexpr int kPhases = 512;
  /// The kernel's cutoff as a fraction of the signal's sample rate.
  static constexpr double kCutoff = 0.47;
  /// The Kaiser window's beta.
  static constexpr double kKaiserBeta = 9.0;
  /// Samples the kernel reaches before floor(position).
  static constexpr int kHistory = kTaps / 2 - 1;
  /// Samples the kernel reaches after floor(position).
  static constexpr int kLookAhead = kTaps / 2;

  /// Builds the table (allocates).
  void prepare();

  /// The signal at `whole + fraction` (0 <= fraction < 1), read from the power-of-two ring
  /// `ring` (index & mask) that holds samples whole - kHistory ... whole + kLookAhead.
  /// Render thread: no allocation.
  float interpolate(const float* ring, std::int64_t mask, std::int64_t whole, double fraction) const noexcept;

 private:
  std::vector<float> table_;  // (kPhases + 1) rows of kTaps taps, tap k at offset k - kHistory
};

}  // namespace woodshed::dsp
