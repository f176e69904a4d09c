#pragma once
// The last gain stage before the output: exactly unity at and below its threshold, a smooth
// bend (tanh-shaped, continuous in value and slope at the threshold) above it that never exceeds
// full scale. It is a safety net under the limiter, not a sound: the output chain keeps its
// threshold at or above the limiter's ceiling, so what the limiter lets through is not bent.

#include "woodshed/dsp/process_spec.h"

namespace woodshed::dsp {

class SafetyClipper {
 public:
  /// Default threshold: -0.5 dBFS, above the limiter's default ceiling (-1 dBFS).
  static constexpr double kDefaultThresholdDb = -0.5;

  explicit SafetyClipper(double thresholdDb = kDefaultThresholdDb) noexcept;

  /// Moves the threshold (at most 0 dBFS; above is taken as 0). Render thread: no allocation.
  void setThresholdDb(double thresholdDb) noexcept;
  double thresholdGain() const noexcept { return threshold_; }
  /// One sample; |result| <= 1 for finite x (below 1 unless the threshold is 0 dBFS), and
  /// result == x when |x| <= threshold. NaN and Inf pass through for the guard after the
  /// clipper to catch.
  float processSample(float x) const noexcept;
  /// Render thread: no allocation.
  void process(const AudioBlock& block) const noexcept;

 private:
  float threshold_;
  float headroom_;  // 1 - threshold
};

}  // namespace woodshed::dsp
