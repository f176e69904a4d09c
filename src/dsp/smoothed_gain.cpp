#include "woodshed/dsp/smoothed_gain.h"

#include <algorithm>
#include <cmath>

namespace woodshed::dsp {

void SmoothedGain::prepare(const ProcessSpec& spec, double rampSeconds) noexcept {
  rampFrames_ = static_cast<FrameCount>(std::max(1.0, std::round(rampSeconds * spec.sampleRate)));
  reset();
}

void SmoothedGain::reset() noexcept {
  current_ = target_;
  step_ = 0.0;
  framesLeft_ = 0;
}

void SmoothedGain::setTarget(double gain) noexcept {
  target_ = gain;
  step_ = (target_ - current_) / rampFrames_;
  framesLeft_ = rampFrames_;
}

void SmoothedGain::process(const AudioBlock& block) noexcept {
  if (framesLeft_ == 0) {
    if (current_ == 1.0) return;
    const auto g = static_cast<float>(current_);
    for (ChannelCount c = 0; c < block.numChannels; ++c) {
      for (FrameCount i = 0; i < block.numFrames; ++i) block.channels[c][i] *= g;
    }
    return;
  }
  double g = current_;
  for (FrameCount i = 0; i < block.numFrames; ++i) {
    if (framesLeft_ > 0) {
      --framesLeft_;
      g = framesLeft_ == 0 ? target_ : g + step_;
    }
    for (ChannelCount c = 0; c < block.numChannels; ++c) block.channels[c][i] *= static_cast<float>(g);
  }
  current_ = g;
}

}  // namespace woodshed::dsp
