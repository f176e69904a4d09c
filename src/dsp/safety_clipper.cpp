#include "woodshed/dsp/safety_clipper.h"

#include <cmath>

namespace woodshed::dsp {

SafetyClipper::SafetyClipper(double thresholdDb) noexcept { setThresholdDb(thresholdDb); }

void SafetyClipper::setThresholdDb(double thresholdDb) noexcept {
  threshold_ = thresholdDb >= 0.0 ? 1.0f : static_cast<float>(dbToGain(thresholdDb));
  headroom_ = 1.0f - threshold_;
}

float SafetyClipper::processSample(float x) const noexcept {
  const float magnitude = std::fabs(x);
  if (magnitude <= threshold_) return x;
  if (!std::isfinite(x)) return x;  // bad data is the NaN/Inf guard's to silence, not to bend
  if (headroom_ <= 0.0f) return std::copysign(1.0f, x);  // a threshold at full scale: a hard clip there
  // Above the threshold the excess is squashed into the remaining headroom with tanh: value
  // and slope match unity at the threshold, and the result approaches but never reaches 1.
  const float bent = threshold_ + headroom_ * std::tanh((magnitude - threshold_) / headroom_);
  const float limited = bent < 1.0f ? bent : std::nextafter(1.0f, 0.0f);
  return std::copysign(limited, x);
}

void SafetyClipper::process(const AudioBlock& block) const noexcept {
  for (ChannelCount c = 0; c < block.numChannels; ++c) {
    float* samples = block.channels[c];
    for (FrameCount i = 0; i < block.numFrames; ++i) samples[i] = processSample(samples[i]);
  }
}

}  // namespace woodshed::dsp
