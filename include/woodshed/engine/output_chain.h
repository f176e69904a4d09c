#pragma once
// The output chain every rendered block passes through, in this order:
//   master gain -> look-ahead limiter -> safety clipper -> NaN/Inf guard
// Below the limiter's ceiling nothing here changes the level of a signal. The limiter slot
// passes audio through unchanged until the sound-shaping work fills it.

#include <cstdint>

#include "woodshed/dsp/process_spec.h"
#include "woodshed/dsp/safety_clipper.h"
#include "woodshed/dsp/smoothed_gain.h"

namespace woodshed::engine {

class OutputChain {
 public:
  /// Prepares every stage for `spec`. No allocation.
  void prepare(const dsp::ProcessSpec& spec) noexcept;
  /// Clears every stage's state. Render thread.
  void reset() noexcept;

  /// Render thread. Linear master gain, ramped.
  void setMasterGain(double gain) noexcept { masterGain_.setTarget(gain); }

  /// Processes `block` in place. Returns false when the block held NaN or Inf: it is then
  /// silenced and the chain reset, so one bad sample never poisons later blocks.
  /// Render thread: no allocation, no locks.
  bool process(const dsp::AudioBlock& block) noexcept;

 private:
  dsp::SmoothedGain masterGain_;
  dsp::SafetyClipper clipper_;
};

/// True when every sample in `block` is finite.
bool isFinite(const dsp::AudioBlock& block) noexcept;
/// Writes zeros into every channel of `block`.
void clear(const dsp::AudioBlock& block) noexcept;

}  // namespace woodshed::engine
