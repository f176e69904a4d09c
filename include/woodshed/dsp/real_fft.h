#pragma once
// A real FFT for the time-stretcher (docs/design/stretcher.md, section 4), written once over a
// lane type: `float` is the scalar reference and `f32x4` transforms 4 channels at once, lane c
// holding channel c. Because lanes are channels, the transform is plain vector arithmetic with
// no shuffles or transposes, at full width in every stage (KissFFT's "4 separate FFTs at once"
// in portable clang/gcc vector extensions: SSE natively, wasm f32x4 with -msimd128).
//
// The algorithm: the N real samples are read as M = N/2 complex ones z[k] = x[2k] + i x[2k+1];
// an M-point complex Stockham autosort FFT (radix-4 stages, and one radix-2 stage when log2 M
// is odd; no bit reversal, unit-stride inner loops; Van Loan 1992, section 1.7) transforms
// them, and a post-pass splits the result into the real spectrum (Sorensen et al. 1987, the
// scheme of kiss_fftr). The inverse is the algebraic inverse: a pre-pass, the conjugate-twiddle
// Stockham, and the samples read back from the complex result.
//
// Layout: time is N Lanes (sample n of every channel in one Lane); the spectrum is split into
// re[N/2 + 1] and im[N/2 + 1], so a per-bin operation is one vector operation for 4 channels.
// The source is compiled with -ffp-contract=off, so lane c of RealFft<f32x4> is bitwise equal
// to RealFft<float> on channel c.
//
// Threads: an instance owns its scratch, so one instance serves one thread at a time.
// prepare() allocates and may throw; forward() and inverse() are realtime-safe (render thread:
// no allocation, no lock, no wait) and may be called on any thread that owns the instance.

#include <cstdint>
#include <vector>

namespace woodshed::dsp {

/// Four floats in one vector: 4 channels of one sample, or of one bin.
using f32x4 = float __attribute__((vector_size(16)));

template <class Lane>
class RealFft {
 public:
  static constexpr std::uint32_t kMinSize = 16;
  static constexpr std::uint32_t kMaxSize = 16384;

  /// Allocates scratch and twiddles for `size` real samples. Throws core::InvalidArgument for a
  /// size that is not a power of two in [kMinSize, kMaxSize].
  void prepare(std::uint32_t size);

  /// N samples `time` -> N/2 + 1 bins `re` and `im`, unnormalised (a cosine of amplitude A on
  /// bin k gives A N / 2 there); im[0] and im[N/2] are 0. `time` may not alias `re` or `im`.
  /// Render thread: no allocation; needs a prior prepare().
  void forward(const Lane* time, Lane* re, Lane* im) noexcept;

  /// N/2 + 1 bins -> N samples, scaled by N (inverse(forward(x)) = N x). im[0] and im[N/2] are
  /// ignored. The output may not alias the input. Render thread: no allocation; needs prepare().
  void inverse(const Lane* re, const Lane* im, Lane* time) noexcept;

  /// The prepared transform size N (0 before prepare()).
  std::uint32_t size() const noexcept { return size_; }
  /// Bins per spectrum, N/2 + 1.
  std::uint32_t binCount() const noexcept { return size_ / 2 + 1; }

 private:
  // One pass of the complex Stockham transform: sub-transform length n, stride s, twiddles at
  // twiddles_[twiddleOffset] (3 complex per butterfly group p = 1 .. n/4 - 1; none for radix 2).
  struct Stage {
    std::uint32_t n, s, twiddleOffset, radix;
  };

  std::uint32_t size_ = 0;
  std::vector<Stage> stages_;
  std::vector<float> twiddles_;    // per stage and p: w^p, w^2p, w^3p as (re, im), w = e^{-2 pi i / n}
  std::vector<float> postRe_;      // e^{-2 pi i k / N} for k = 0 .. N/4, the split post-pass
  std::vector<float> postIm_;
  std::vector<Lane> ping_, pong_;  // N/2 complex Lanes each: re in the first half, im in the second
};

extern template class RealFft<float>;
extern template class RealFft<f32x4>;

}  // namespace woodshed::dsp
