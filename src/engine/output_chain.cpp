#include "woodshed/engine/output_chain.h"

#include <algorithm>
#include <cmath>

namespace woodshed::engine {

void OutputChain::prepare(const dsp::ProcessSpec& spec) noexcept { masterGain_.prepare(spec); }

void OutputChain::reset() noexcept { masterGain_.reset(); }

bool OutputChain::process(const dsp::AudioBlock& block) noexcept {
  masterGain_.process(block);
  // Look-ahead limiter: passes through until the sound-shaping work (EQ, limiter) lands.
  clipper_.process(block);
  if (isFinite(block)) return true;
  clear(block);
  reset();
  return false;
}

bool isFinite(const dsp::AudioBlock& block) noexcept {
  for (ChannelCount c = 0; c < block.numChannels; ++c) {
    const float* samples = block.channels[c];
    for (FrameCount i = 0; i < block.numFrames; ++i) {
      if (!std::isfinite(samples[i])) return false;
    }
  }
  return true;
}

void clear(const dsp::AudioBlock& block) noexcept {
  for (ChannelCount c = 0; c < block.numChannels; ++c) std::fill_n(block.channels[c], block.numFrames, 0.0f);
}

}  // namespace woodshed::engine
