#pragma once
// A gain that ramps linearly to each new target over a fixed time, so changes never click.

#include "woodshed/dsp/process_spec.h"

namespace woodshed::dsp {

class SmoothedGain {
 public:
  static constexpr double kDefaultRampSeconds = 0.020;

  void prepare(const ProcessSpec& spec, double rampSeconds = kDefaultRampSeconds) noexcept;
  /// Jumps to the target. Render thread.
  void reset() noexcept;
  /// Starts a ramp to `gain` (linear). Render thread.
  void setTarget(double gain) noexcept;
  double target() const noexcept { return target_; }
  /// The gain applied to the last sample processed.
  double current() const noexcept { return current_; }
  /// Multiplies every channel in place. Render thread: no allocation.
  void process(const AudioBlock& block) noexcept;

 private:
  double current_ = 1.0;
  double target_ = 1.0;
  double step_ = 0.0;
  FrameCount framesLeft_ = 0;  // of the current ramp; it ends exactly on the target
  FrameCount rampFrames_ = 882;
};

}  // namespace woodshed::dsp
