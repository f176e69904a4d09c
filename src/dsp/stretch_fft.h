#pragma once
// The Stretcher's FFT, private to src/dsp: our real FFT (dsp/real_fft.h) on one channel at a
// time, over split re[]/im[] arrays. RealFft<f32x4> transforms four channels per call; batching
// the Stretcher's channels into its lanes is the next step (docs/design/stretcher.md, section 4).
// The constructor allocates (throws); forward() and inverse() do not.

#include <cstdint>

#include "woodshed/dsp/real_fft.h"

namespace woodshed::dsp {

class StretchFft {
 public:
  explicit StretchFft(std::uint32_t size) { fft_.prepare(size); }

  /// N samples to N/2+1 bins, unnormalised.
  void forward(const float* time, float* re, float* im) noexcept { fft_.forward(time, re, im); }
  /// N/2+1 bins to N samples, scaled by N.
  void inverse(const float* re, const float* im, float* time) noexcept { fft_.inverse(re, im, time); }

 private:
  RealFft<float> fft_;
};

}  // namespace woodshed::dsp
