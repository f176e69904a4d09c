#pragma once
// The Stretcher's phase plan: one phase rotation per bin, shared by every channel (design
// docs/design/stretcher.md, §1.2 steps 3-8, and §2).
//
// Each hop, analyse() takes the spectra of the plan channels (the mix of all sources, one per
// channel of a source) and derives, per bin:
//   - the power P_b = sum_g |M_g,b|^2 and the cross-spectrum with the previous hop's spectra,
//     C_b = sum_g M_g,b(j) conj(M_g,b(j-1)), which never cancels for a stationary partial;
//   - peaks (local maxima of P over +-1/2/3 bins below 700 Hz / 4.8 kHz / above, above -90 dB
//     of the frame's maximum and -120 dBFS) and their regions, whose edges are the bins of least
//     power between adjacent peaks;
//   - the peak's frequency from arg C_p and the actual analysis hop, and its rotation
//     theta_p(j) = theta_p(j-1) + omega_p (Hs - Ha), which every bin of the region takes
//     (identity phase locking, Laroche & Dolson 1999). The regions do the peak tracking.
// Silence sets theta to 0; DC and Nyquist always keep 0. With Ha == Hs theta is unchanged, so a
// plan at ratio 1 from theta = 0 is the identity.
//
// phasors() then gives u_b = (cos theta_b, sin theta_b), zero above the anti-alias cut for a
// pitch ratio above 1, which the Stretcher multiplies into every channel's spectrum.
//
// prepare() allocates; everything else is for the render thread (no allocation, no throw).

#include <cstdint>
#include <vector>

#include "woodshed/core/types.h"

namespace woodshed::dsp {

class PhasePlan {
 public:
  /// Prepares for `fftSize`-point spectra (fftSize / 2 + 1 bins) of at most `maxGroups` plan channels.
  void prepare(std::uint32_t fftSize, ChannelCount maxGroups, SampleRate sampleRate);
  /// Recomputes the rate-dependent bin edges (the FFT size stays). Render thread.
  void setSampleRate(SampleRate sampleRate) noexcept;
  /// theta = 0 everywhere, no previous spectra (the next hop keeps theta). Render thread.
  void reset() noexcept;

  /// One hop: `re[g]`, `im[g]` are plan channel g's spectrum at this hop, `analysisHop` the
  /// source frames since the previous hop's analysis centre, `synthesisHop` the internal frames.
  /// Render thread.
  void analyse(const float* const* re, const float* const* im, ChannelCount groups, std::int64_t analysisHop,
               std::int64_t synthesisHop) noexcept;
  /// Sets theta to 0 on bins from 150 Hz up whose power rose by 6 dB or more from `before` to
  /// `after` (a bin-selective phase reset at an onset, after Roebel 2003). Render thread.
  void resetRisingBins(const float* before, const float* after) noexcept;
  /// Moves every theta towards 0 by at most `step` radians (the way back to bypass). Render thread.
  void decayTowardsZero(float step) noexcept;
  /// Fills the phasors for this hop; bins above 0.97 of the output's Nyquist are cut when
  /// `pitchRatio` > 1. Render thread.
  void makePhasors(double pitchRatio) noexcept;

  /// Plan power of the latest hop, and of the hop before it (fftSize / 2 + 1 bins each).
  const float* power() const noexcept { return power_.data(); }
  const float* previousPower() const noexcept { return previousPower_.data(); }
  /// Writes sum_g |re_g + i im_g|^2 into `out` (fftSize / 2 + 1 bins). Render thread.
  void powerOf(const float* const* re, const float* const* im, ChannelCount groups, float* out) const noexcept;
  const float* cosines() const noexcept { return cos_.data(); }
  const float* sines() const noexcept { return sin_.data(); }
  /// True while every bin's rotation is exactly 0 (the plan is the identity).
  bool isIdentity() const noexcept;
  std::uint32_t bins() const noexcept { return bins_; }

 private:
  void findPeaks(double maxPower) noexcept;

  std::uint32_t size_ = 0;
  std::uint32_t bins_ = 0;
  ChannelCount maxGroups_ = 0;
  std::uint32_t bin150_ = 1, bin700_ = 1, bin4800_ = 1;
  bool havePrevious_ = false;
  std::vector<float> previousRe_, previousIm_;  // maxGroups x bins, the last hop's plan spectra
  std::vector<float> power_, previousPower_;
  std::vector<float> crossRe_, crossIm_;
  std::vector<float> theta_;
  std::vector<float> cos_, sin_;
  std::vector<std::uint32_t> peaks_;  // bins of this hop's peaks, ascending
  std::vector<float> peakTheta_;      // their new rotations
  std::uint32_t peakCount_ = 0;
};

}  // namespace woodshed::dsp
