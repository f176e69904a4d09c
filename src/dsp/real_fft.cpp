#include "woodshed/dsp/real_fft.h"

#include <bit>
#include <cmath>
#include <numbers>
#include <string>
#include <type_traits>

#include "woodshed/core/invariant.h"
#include "woodshed/core/error.h"

// This file is compiled with -ffp-contract=off (src/CMakeLists.txt): a fused multiply-add in
// one instance and not the other would break the bitwise equality of the lanes and the scalar
// reference. Every line below does the same operations, in the same order, for both lanes.

namespace woodshed::dsp {

namespace {

template <class Lane>
inline Lane splat(float x) noexcept {
  if constexpr (std::is_same_v<Lane, float>) {
    return x;
  } else {
    return Lane{x, x, x, x};
  }
}

// One radix-4 pass of the Stockham transform of length n at stride s (s * n = M): for group p
// and column q, the inputs a, b, c, d at q + s (p + k n/4), k = 0..3, give the outputs at
// q + s (4p + r), r = 0..3:
//   y0 = (a + c) + (b + d),           y1 = w^p  ((a - c) -+ i (b - d)),
//   y2 = w^2p ((a + c) - (b + d)),   y3 = w^3p ((a - c) +- i (b - d)),
// with w = e^{-+2 pi i / n} (upper signs forward). Multiplying by i swaps re and im with a sign,
// so no shuffles. Complex element j is (xr[j * InStride], xi[j * InStride]): stride 2 reads or
// writes interleaved time samples directly, fusing the packing into the first (last) pass.
template <class Lane, bool Inverse, int InStride, int OutStride>
void radix4Pass(std::uint32_t n, std::uint32_t s, const float* twiddles, const Lane* __restrict xr,
                const Lane* __restrict xi, Lane* __restrict yr, Lane* __restrict yi) noexcept {
  const std::uint32_t quarter = n / 4;
  const std::uint32_t inStep = s * quarter;  // M / 4: from a to b, b to c, c to d
  for (std::uint32_t p = 0; p < quarter; ++p) {
    const std::uint32_t in = s * p;
    const std::uint32_t out = 4 * s * p;
    // Group 0 has unit twiddles: its multiplications are left out.
    const bool unit = p == 0;
    Lane w1r{}, w1i{}, w2r{}, w2i{}, w3r{}, w3i{};
    if (!unit) {
      const float* w = twiddles + 6 * (p - 1);
      w1r = splat<Lane>(w[0]);
      w1i = splat<Lane>(w[1]);
      w2r = splat<Lane>(w[2]);
      w2i = splat<Lane>(w[3]);
      w3r = splat<Lane>(w[4]);
      w3i = splat<Lane>(w[5]);
    }
    for (std::uint32_t q = 0; q < s; ++q) {
      const std::uint32_t ia = (in + q) * InStride, ib = (in + q + inStep) * InStride;
      const std::uint32_t ic = (in + q + 2 * inStep) * InStride, id = (in + q + 3 * inStep) * InStride;
      const Lane apcR = xr[ia] + xr[ic], apcI = xi[ia] + xi[ic];
      const Lane amcR = xr[ia] - xr[ic], amcI = xi[ia] - xi[ic];
      const Lane bpdR = xr[ib] + xr[id], bpdI = xi[ib] + xi[id];
      const Lane bmdR = xr[ib] - xr[id], bmdI = xi[ib] - xi[id];
      // u1 = (a - c) - i (b - d) forward, + i (b - d) inverse; u3 the other sign.
      const Lane u0R = apcR + bpdR, u0I = apcI + bpdI;
      const Lane u2R = apcR - bpdR, u2I = apcI - bpdI;
      const Lane u1R = Inverse ? amcR - bmdI : amcR + bmdI;
      const Lane u1I = Inverse ? amcI + bmdR : amcI - bmdR;
      const Lane u3R = Inverse ? amcR + bmdI : amcR - bmdI;
      const Lane u3I = Inverse ? amcI - bmdR : amcI + bmdR;
      const std::uint32_t o0 = (out + q) * OutStride, o1 = (out + q + s) * OutStride;
      const std::uint32_t o2 = (out + q + 2 * s) * OutStride, o3 = (out + q + 3 * s) * OutStride;
      yr[o0] = u0R;
      yi[o0] = u0I;
      if (unit) {
        yr[o1] = u1R;
        yi[o1] = u1I;
        yr[o2] = u2R;
        yi[o2] = u2I;
        yr[o3] = u3R;
        yi[o3] = u3I;
      } else if (Inverse) {  // conj(w) u
        yr[o1] = w1r * u1R + w1i * u1I;
        yi[o1] = w1r * u1I - w1i * u1R;
        yr[o2] = w2r * u2R + w2i * u2I;
        yi[o2] = w2r * u2I - w2i * u2R;
        yr[o3] = w3r * u3R + w3i * u3I;
        yi[o3] = w3r * u3I - w3i * u3R;
      } else {  // w u
        yr[o1] = w1r * u1R - w1i * u1I;
        yi[o1] = w1r * u1I + w1i * u1R;
        yr[o2] = w2r * u2R - w2i * u2I;
        yi[o2] = w2r * u2I + w2i * u2R;
        yr[o3] = w3r * u3R - w3i * u3I;
        yi[o3] = w3r * u3I + w3i * u3R;
      }
    }
  }
}

// The radix-2 pass that ends the transform when log2 M is odd: n = 2, s = M / 2, unit twiddles,
// the same forward and inverse.
template <class Lane, int OutStride>
void radix2Pass(std::uint32_t s, const Lane* __restrict xr, const Lane* __restrict xi, Lane* __restrict yr,
                Lane* __restrict yi) noexcept {
  for (std::uint32_t q = 0; q < s; ++q) {
    const Lane ar = xr[q], ai = xi[q], br = xr[q + s], bi = xi[q + s];
    yr[q * OutStride] = ar + br;
    yi[q * OutStride] = ai + bi;
    yr[(q + s) * OutStride] = ar - br;
    yi[(q + s) * OutStride] = ai - bi;
  }
}

}  // namespace

template <class Lane>
void RealFft<Lane>::prepare(std::uint32_t size) {
  if (size < kMinSize || size > kMaxSize || !std::has_single_bit(size)) {
    throw core::InvalidArgument("the FFT size must be a power of two from " + std::to_string(kMinSize) + " to " +
                                std::to_string(kMaxSize) + ", not " + std::to_string(size));
  }
  const std::uint32_t complexSize = size / 2;
  const double twoPi = 2.0 * std::numbers::pi;
  std::vector<Stage> stages;
  std::vector<float> twiddles;
  std::uint32_t n = complexSize, s = 1;
  for (; n >= 4; n /= 4, s *= 4) {
    stages.push_back({n, s, static_cast<std::uint32_t>(twiddles.size()), 4});
    for (std::uint32_t p = 1; p < n / 4; ++p) {
      for (std::uint32_t m = 1; m <= 3; ++m) {
        // Twiddles in double, stored as float; (m p) mod n keeps the angle small and exact.
        const double angle = -twoPi * static_cast<double>((m * p) % n) / static_cast<double>(n);
        twiddles.push_back(static_cast<float>(std::cos(angle)));
        twiddles.push_back(static_cast<float>(std::sin(angle)));
      }
    }
  }
  if (n == 2) stages.push_back({2, s, static_cast<std::uint32_t>(twiddles.size()), 2});

  std::vector<float> postRe(complexSize / 2 + 1), postIm(complexSize / 2 + 1);
  for (std::uint32_t k = 0; k <= complexSize / 2; ++k) {
    const double angle = -twoPi * static_cast<double>(k) / static_cast<double>(size);
    postRe[k] = static_cast<float>(std::cos(angle));
    postIm[k] = static_cast<float>(std::sin(angle));
  }
  std::vector<Lane> ping(2 * static_cast<std::size_t>(complexSize)), pong(2 * static_cast<std::size_t>(complexSize));

  stages_ = std::move(stages);
  twiddles_ = std::move(twiddles);
  postRe_ = std::move(postRe);
  postIm_ = std::move(postIm);
  ping_ = std::move(ping);
  pong_ = std::move(pong);
  size_ = size;
}

template <class Lane>
void RealFft<Lane>::forward(const Lane* time, Lane* re, Lane* im) noexcept {
  if (!WOODSHED_INVARIANT(size_ != 0, "RealFft::forward before prepare()")) return;
  const std::uint32_t m = size_ / 2;
  Lane* buffers[2] = {ping_.data(), pong_.data()};
  // The first pass is radix 4 (M >= 8) and reads z[k] = x[2k] + i x[2k+1] from the samples.
  const Stage& first = stages_.front();
  radix4Pass<Lane, false, 2, 1>(first.n, first.s, twiddles_.data() + first.twiddleOffset, time, time + 1,
                                buffers[0], buffers[0] + m);
  int current = 0;
  for (std::size_t i = 1; i < stages_.size(); ++i) {
    const Stage& stage = stages_[i];
    const Lane* xr = buffers[current];
    Lane* yr = buffers[current ^ 1];
    if (stage.radix == 4) {
      radix4Pass<Lane, false, 1, 1>(stage.n, stage.s, twiddles_.data() + stage.twiddleOffset, xr, xr + m, yr, yr + m);
    } else {
      radix2Pass<Lane, 1>(stage.s, xr, xr + m, yr, yr + m);
    }
    current ^= 1;
  }

  // Split Z (the transform of z) into X: with a = Z[k], b = conj Z[M-k],
  //   X[k]   = (a + b) / 2 - i w^k (a - b) / 2,   w = e^{-2 pi i / N},
  //   X[M-k] = conj((a + b) / 2) - i conj(w^k (a - b) / 2).
  const Lane* __restrict zr = buffers[current];
  const Lane* __restrict zi = buffers[current] + m;
  const Lane zero{}, half = splat<Lane>(0.5f);
  re[0] = zr[0] + zi[0];
  im[0] = zero;
  re[m] = zr[0] - zi[0];
  im[m] = zero;
  for (std::uint32_t k = 1; k < m / 2; ++k) {
    const Lane ar = zr[k], ai = zi[k], br = zr[m - k], bi = zi[m - k];
    const Lane sr = half * (ar + br), si = half * (ai - bi);
    const Lane dr = half * (ar - br), di = half * (ai + bi);
    const Lane wr = splat<Lane>(postRe_[k]), wi = splat<Lane>(postIm_[k]);
    const Lane tr = wr * dr - wi * di, ti = wr * di + wi * dr;
    re[k] = sr + ti;
    im[k] = si - tr;
    re[m - k] = sr - ti;
    im[m - k] = -si - tr;
  }
  re[m / 2] = zr[m / 2];
  im[m / 2] = -zi[m / 2];
}

template <class Lane>
void RealFft<Lane>::inverse(const Lane* re, const Lane* im, Lane* time) noexcept {
  if (!WOODSHED_INVARIANT(size_ != 0, "RealFft::inverse before prepare()")) return;
  const std::uint32_t m = size_ / 2;
  Lane* buffers[2] = {ping_.data(), pong_.data()};

  // Merge X into Z' = 2 Z, whose inverse complex transform is N z: with a = X[k], b = conj X[M-k],
  //   Z'[k] = (a + b) + i conj(w^k) (a - b),   Z'[M-k] = conj(a + b) + i conj(conj(w^k) (a - b)).
  {
    Lane* __restrict zr = buffers[0];
    Lane* __restrict zi = buffers[0] + m;
    zr[0] = re[0] + re[m];
    zi[0] = re[0] - re[m];
    for (std::uint32_t k = 1; k < m / 2; ++k) {
      const Lane ar = re[k], ai = im[k], br = re[m - k], bi = im[m - k];
      const Lane sr = ar + br, si = ai - bi;
      const Lane dr = ar - br, di = ai + bi;
      const Lane wr = splat<Lane>(postRe_[k]), wi = splat<Lane>(postIm_[k]);
      const Lane tr = wr * dr + wi * di, ti = wr * di - wi * dr;
      zr[k] = sr - ti;
      zi[k] = si + tr;
      zr[m - k] = sr + ti;
      zi[m - k] = tr - si;
    }
    const Lane two = splat<Lane>(2.0f);
    zr[m / 2] = two * re[m / 2];
    zi[m / 2] = -two * im[m / 2];
  }

  // The conjugate-twiddle passes; the last one writes x[2k] = Re, x[2k+1] = Im into `time`.
  int current = 0;
  const std::size_t last = stages_.size() - 1;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    const Stage& stage = stages_[i];
    const Lane* xr = buffers[current];
    const float* twiddles = twiddles_.data() + stage.twiddleOffset;
    if (i < last) {
      Lane* yr = buffers[current ^ 1];
      if (stage.radix == 4) {
        radix4Pass<Lane, true, 1, 1>(stage.n, stage.s, twiddles, xr, xr + m, yr, yr + m);
      } else {
        radix2Pass<Lane, 1>(stage.s, xr, xr + m, yr, yr + m);
      }
      current ^= 1;
    } else if (stage.radix == 4) {
      radix4Pass<Lane, true, 1, 2>(stage.n, stage.s, twiddles, xr, xr + m, time, time + 1);
    } else {
      radix2Pass<Lane, 2>(stage.s, xr, xr + m, time, time + 1);
    }
  }
}

template class RealFft<float>;
template class RealFft<f32x4>;

}  // namespace woodshed::dsp
