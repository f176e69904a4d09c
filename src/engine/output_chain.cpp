#include "woodshed/engine/output_chain.h"

#include <algorithm>
#include <cmath>

namespace woodshed::engine {

namespace {
// The limiter's delay line is sized once for the highest rate the engine runs at, so a new
// AudioContext rate never needs an allocation on the render thread.
constexpr SampleRate kLimiterSizingRate = 192000.0;
}  // namespace

void OutputChain::prepare(const dsp::ProcessSpec& spec) {
  spec_ = spec;
  limiterPeak_ = 0.0f;
  masterGain_.prepare(spec);
  eq_.prepare(spec);
  limiter_.prepare(dsp::ProcessSpec{std::max(spec.sampleRate, kLimiterSizingRate), spec.maxBlockFrames, spec.channels});
  limiter_.prepare(spec);
}

void OutputChain::setSampleRate(SampleRate sampleRate) noexcept {
  spec_.sampleRate = sampleRate;
  masterGain_.prepare(spec_);
  try {
    eq_.prepare(spec_);          // only checks and stores the rate
    limiter_.prepare(spec_);     // fits in the storage sized for kLimiterSizingRate
  } catch (...) {
    // Unreachable for the rates Engine::start accepts; keep the previous tuning if it happens.
  }
}

void OutputChain::setLimiter(double ceilingDb, bool enabled) noexcept {
  limiter_.setCeilingDb(ceilingDb);
  limiter_.setEnabled(enabled);
  const double defaultDb = dsp::SafetyClipper::kDefaultThresholdDb;
  clipper_.setThresholdDb(enabled ? std::max(limiter_.ceilingDb(), defaultDb) : defaultDb);
  limiterPeak_ = 0.0f;
}

void OutputChain::reset() noexcept {
  masterGain_.reset();
  eq_.reset();
  limiter_.reset();
}

bool OutputChain::process(const dsp::AudioBlock& block) noexcept {
  masterGain_.process(block);
  eq_.process(block);
  limiter_.process(block);
  for (ChannelCount c = 0; c < block.numChannels; ++c) {
    for (FrameCount i = 0; i < block.numFrames; ++i) limiterPeak_ = std::max(limiterPeak_, std::fabs(block.channels[c][i]));
  }
  clipper_.process(block);
  return guardNonFinite(block);
}

bool OutputChain::processToExportPoint(const dsp::AudioBlock& block) noexcept {
  masterGain_.process(block);
  eq_.process(block);
  limiter_.process(block);
  return guardNonFinite(block);
}

bool OutputChain::guardNonFinite(const dsp::AudioBlock& block) noexcept {
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
