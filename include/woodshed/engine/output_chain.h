#pragma once
// The output chain every rendered block passes through, in this order:
//   master gain -> parametric EQ -> look-ahead limiter -> [export point] -> safety clipper
//   -> NaN/Inf guard
// Offline renders stop at the export point (processToExportPoint): a file keeps what the
// limiter let through, and its format decides what happens above full scale.
// Below the limiter's ceiling, and with the EQ flat or bypassed, nothing here changes the level
// of a signal; the limiter delays everything by its fixed look-ahead (latencyFrames()).

#include <cstdint>

#include "woodshed/dsp/look_ahead_limiter.h"
#include "woodshed/dsp/parametric_eq.h"
#include "woodshed/dsp/process_spec.h"
#include "woodshed/dsp/safety_clipper.h"
#include "woodshed/dsp/smoothed_gain.h"

namespace woodshed::engine {

class OutputChain {
 public:
  /// Allocates the limiter's delay line for `spec`. May throw.
  void prepare(const dsp::ProcessSpec& spec);
  /// Retunes to a new sample rate without allocating (the limiter was sized for the largest).
  void setSampleRate(SampleRate sampleRate) noexcept;
  /// Clears every stage's state. Render thread.
  void reset() noexcept;

  // Render thread: parameter changes, all smooth and allocation-free.
  void setMasterGain(double gain) noexcept { masterGain_.setTarget(gain); }
  void setEqBand(std::size_t index, const dsp::BandParams& band) noexcept { eq_.setBand(index, band); }
  void setEqBypass(bool bypassed) noexcept { eq_.setBypass(bypassed); }
  /// A disabled limiter keeps its delay (so timing never jumps) and lets everything through;
  /// in playback the safety clipper then keeps the output within full scale. The clipper's
  /// threshold follows an enabled limiter's ceiling when that is above the clipper's default
  /// (-0.5 dBFS), so nothing the limiter lets through is bent. Starts a new limiterPeak().
  void setLimiter(double ceilingDb, bool enabled) noexcept;

  /// The chain's fixed delay in frames (the limiter's look-ahead).
  FrameCount latencyFrames() const noexcept { return limiter_.latencyFrames(); }
  /// Gain the limiter applies now, in dB (0 or negative).
  double limiterGainReductionDb() const noexcept { return limiter_.gainReductionDb(); }
  /// The largest magnitude out of the limiter (before the safety clipper, the listening tools
  /// and the volume) since its settings last changed, or prepare(): linear, 0 when silent.
  float limiterPeak() const noexcept { return limiterPeak_; }
  /// The safety clipper's threshold, linear.
  float clipperThreshold() const noexcept { return static_cast<float>(clipper_.thresholdGain()); }

  /// Processes `block` in place. Returns false when the block held NaN or Inf after the
  /// chain: it is then silenced and the chain reset, so one bad sample never poisons later
  /// blocks. Render thread: no allocation, no locks.
  bool process(const dsp::AudioBlock& block) noexcept;
  /// The chain up to the export point (master gain, EQ, limiter), without the safety clipper:
  /// what offline renders and exports take. Same return and guard as process().
  bool processToExportPoint(const dsp::AudioBlock& block) noexcept;

 private:
  bool guardNonFinite(const dsp::AudioBlock& block) noexcept;

  dsp::ProcessSpec spec_{};
  dsp::SmoothedGain masterGain_;
  dsp::ParametricEq eq_;
  dsp::LookAheadLimiter limiter_;
  dsp::SafetyClipper clipper_;
  float limiterPeak_ = 0.0f;
};

/// True when every sample in `block` is finite.
bool isFinite(const dsp::AudioBlock& block) noexcept;
/// Writes zeros into every channel of `block`.
void clear(const dsp::AudioBlock& block) noexcept;

}  // namespace woodshed::engine
