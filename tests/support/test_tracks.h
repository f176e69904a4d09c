#pragma once
// Tracks made at test time: each sample encodes its frame, so any output sample tells where in
// the track it came from.

#include <cmath>
#include <memory>
#include <vector>

#include "woodshed/core/memory_budget.h"
#include "woodshed/engine/track.h"

namespace woodshed::test {

/// The value track frame `frame` holds on channel `channel` (distinct per frame, in -0.8..0.8:
/// below the limiter's default ceiling of -1 dBFS, so the output chain passes it unchanged).
inline float rampSample(std::uint64_t frame, ChannelCount channel) {
  const float x = static_cast<float>(frame % 1000) / 1000.0f * 1.6f - 0.8f;
  return channel == 0 ? x : -x;
}

/// The int16 round trip of rampSample, as the player outputs it.
inline float storedRampSample(std::uint64_t frame, ChannelCount channel) {
  return static_cast<float>(std::lrint(rampSample(frame, channel) * dsp::PcmBuffer::kScale)) / dsp::PcmBuffer::kScale;
}

inline std::shared_ptr<dsp::PcmBuffer> rampPcm(core::MemoryBudget& budget, std::uint64_t frames,
                                               ChannelCount channels = 2, SampleRate rate = 44100.0) {
  auto pcm = std::make_shared<dsp::PcmBuffer>(channels, frames, rate, budget);
  std::vector<float> samples(static_cast<std::size_t>(frames));
  for (ChannelCount c = 0; c < channels; ++c) {
    for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = rampSample(i, c);
    pcm->write(c, 0, samples.data(), frames);
  }
  return pcm;
}

/// Writes rampSample's frames [from, to) of every channel into `pcm`, channel after channel, as
/// an import writes a chunk.
inline void writeRamp(dsp::PcmBuffer& pcm, std::uint64_t from, std::uint64_t to) {
  std::vector<float> samples(static_cast<std::size_t>(to - from));
  for (ChannelCount c = 0; c < pcm.channels(); ++c) {
    for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = rampSample(from + i, c);
    pcm.write(c, from, samples.data(), samples.size());
  }
}

/// A buffer holding one constant value, for mixer tests.
inline std::shared_ptr<dsp::PcmBuffer> constantPcm(core::MemoryBudget& budget, std::uint64_t frames, float value,
                                                   ChannelCount channels = 1, SampleRate rate = 44100.0) {
  auto pcm = std::make_shared<dsp::PcmBuffer>(channels, frames, rate, budget);
  std::vector<float> samples(static_cast<std::size_t>(frames), value);
  for (ChannelCount c = 0; c < channels; ++c) pcm->write(c, 0, samples.data(), frames);
  return pcm;
}

}  // namespace woodshed::test
