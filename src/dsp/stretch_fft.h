#pragma once
// The Stretcher's FFT, private to src/dsp: KissFFT's real transform (kiss_fftr) behind split
// re[]/im[] arrays, one channel at a time. A SIMD real FFT over the same layout (dsp/real_fft.h,
// several channels per call) can replace it here without touching the Stretcher's logic.
// The constructor allocates (throws std::bad_alloc); forward() and inverse() do not.

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "kiss_fftr.h"

namespace woodshed::dsp {

class StretchFft {
 public:
  explicit StretchFft(std::uint32_t size)
      : forwardConfig(kiss_fftr_alloc(static_cast<int>(size), 0, nullptr, nullptr)),
        inverseConfig(kiss_fftr_alloc(static_cast<int>(size), 1, nullptr, nullptr)) {
    if (forwardConfig == nullptr || inverseConfig == nullptr) {
      kiss_fftr_free(forwardConfig);
      kiss_fftr_free(inverseConfig);
      throw std::bad_alloc();
    }
    bins.resize(size / 2 + 1);
  }
  ~StretchFft() {
    kiss_fftr_free(forwardConfig);
    kiss_fftr_free(inverseConfig);
  }
  StretchFft(const StretchFft&) = delete;
  StretchFft& operator=(const StretchFft&) = delete;

  /// N samples to N/2+1 bins, unnormalised.
  void forward(const float* time, float* re, float* im) noexcept {
    kiss_fftr(forwardConfig, time, bins.data());
    for (std::size_t b = 0; b < bins.size(); ++b) {
      re[b] = bins[b].r;
      im[b] = bins[b].i;
    }
  }
  /// N/2+1 bins to N samples, scaled by N.
  void inverse(const float* re, const float* im, float* time) noexcept {
    for (std::size_t b = 0; b < bins.size(); ++b) bins[b] = kiss_fft_cpx{re[b], im[b]};
    kiss_fftri(inverseConfig, bins.data(), time);
  }

 private:
  kiss_fftr_cfg forwardConfig = nullptr;
  kiss_fftr_cfg inverseConfig = nullptr;
  std::vector<kiss_fft_cpx> bins;
};

}  // namespace woodshed::dsp
