#pragma once
// The Kaiser window, shared by the windowed-sinc kernels (SincResampler, RateConverter).

namespace woodshed::dsp {

/// The zeroth-order modified Bessel function of the first kind, by its power series.
double besselI0(double x) noexcept;

/// The Kaiser window with `beta` at r in [-1, 1] (the distance from its centre over its half
/// length); 0 outside.
double kaiserWindow(double r, double beta) noexcept;

}  // namespace woodshed::dsp
