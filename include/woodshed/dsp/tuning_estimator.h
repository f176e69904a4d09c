#pragma once
// How far a recording's tuning is from A440, in cents: "this recording is tuned 18 cents sharp".
//
// From its steady partials. A Hann STFT of the mono mix; in each frame, the spectral peaks
// between kMinTuningHz and kMaxTuningHz; each peak's frequency from the phase advance over a
// quarter frame (exact for a steady sinusoid, to a small fraction of a cent); a peak counts
// only when two successive estimates agree within kSteadyCents (vibrato, glides and attacks do
// not). Each partial's distance from the nearest equal-tempered pitch on A440 is a point on a
// circle of 100 cents, and the answer is the amplitude-weighted circular mean, so a recording
// 49 cents flat and one 51 cents sharp are told apart only by which is nearer.
//
// Harmonics 3, 5 and 7 sit 2, -14 and -31 cents off equal temperament; they are weaker than the
// fundamentals and octaves that dominate the mean, and bias it by under a cent on harmonic
// tones with 1/h partials (see the tests).

#include <cstddef>
#include <functional>
#include <optional>

#include "woodshed/core/types.h"

namespace woodshed::dsp {

/// Partials considered: the fundamentals and low harmonics of most instruments.
inline constexpr double kMinTuningHz = 60.0;
inline constexpr double kMaxTuningHz = 2000.0;
/// Two successive frequency estimates of a steady partial agree within this.
inline constexpr double kSteadyCents = 1.0;
/// Below this resultant length (0..1: how much the partials agree), the tuning is unknown.
inline constexpr double kMinTuningAgreement = 0.25;

struct TuningEstimate {
  double offsetCents = 0.0;  ///< -50..+50: + is sharp of A440
  double agreement = 0.0;    ///< 0..1, the weighted partials' resultant length
  std::size_t partials = 0;  ///< steady partials counted
};

/// The tuning of `samples` (mono, at `sampleRate`, at least 4 kHz), or nothing when there are
/// too few steady partials or they disagree. `progress` (0..1) is called every few ms of work
/// and may throw to stop (e.g. core::Cancelled).
std::optional<TuningEstimate> estimateTuning(const float* samples, std::size_t frames, SampleRate sampleRate,
                                             const std::function<void(double)>& progress = {});

}  // namespace woodshed::dsp
