#pragma once
// The Stretcher's FFT, private to src/dsp: our real FFT (dsp/real_fft.h) on up to four channels
// per call, lane k of each f32x4 one channel. The caller writes its frames straight into the
// lanes and reads the results from them (lane(buffer, n, k)), so nothing is packed twice. The
// lanes are bitwise equal to RealFft<float> on their channel, so batching changes no result.
// The constructor allocates (throws); forward() and inverse() do not.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "woodshed/dsp/real_fft.h"

namespace woodshed::dsp {

class StretchFft {
 public:
  /// Channels one call transforms.
  static constexpr int kLanes = 4;

  explicit StretchFft(std::uint32_t size) : time_(size), re_(size / 2 + 1), im_(size / 2 + 1) { fft_.prepare(size); }

  /// The interleaved buffers: sample or bin n of lane k is element kLanes * n + k.
  float* time() noexcept { return reinterpret_cast<float*>(time_.data()); }
  float* re() noexcept { return reinterpret_cast<float*>(re_.data()); }
  float* im() noexcept { return reinterpret_cast<float*>(im_.data()); }
  f32x4* reLanes() noexcept { return re_.data(); }
  f32x4* imLanes() noexcept { return im_.data(); }

  /// time() to re()/im(): N samples to N/2+1 bins per lane, unnormalised.
  void forward() noexcept { fft_.forward(time_.data(), re_.data(), im_.data()); }
  /// re()/im() to time(), scaled by N.
  void inverse() noexcept { fft_.inverse(re_.data(), im_.data(), time_.data()); }

 private:
  RealFft<f32x4> fft_;
  std::vector<f32x4> time_, re_, im_;
};

}  // namespace woodshed::dsp
