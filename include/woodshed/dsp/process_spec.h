#pragma once
// What a processor is prepared for, and the block of audio it processes.
//
// Every processor in dsp/ has the same shape: prepare(spec) may allocate and throw;
// reset() and process(block) are noexcept and never allocate, lock or wait.

#include "woodshed/core/types.h"

namespace woodshed::dsp {

struct ProcessSpec {
  SampleRate sampleRate = 44100.0;
  FrameCount maxBlockFrames = 128;
  ChannelCount channels = 2;
};

/// A non-owning view of planar audio: channels[c][i] for c < numChannels, i < numFrames.
struct AudioBlock {
  float* const* channels = nullptr;
  ChannelCount numChannels = 0;
  FrameCount numFrames = 0;
};

/// Decibels relative to full scale to a linear gain.
double dbToGain(double db) noexcept;
/// A linear gain to decibels (-inf for 0).
double gainToDb(double gain) noexcept;

}  // namespace woodshed::dsp
