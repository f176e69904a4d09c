#include "woodshed/dsp/pcm_buffer.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "woodshed/core/error.h"

namespace woodshed::dsp {

PcmBuffer::PcmBuffer(ChannelCount channels, std::uint64_t frames, SampleRate sampleRate, core::MemoryBudget& budget)
    : channels_(channels), frames_(frames), sampleRate_(sampleRate) {
  if (channels < 1 || channels > kMaxChannels) {
    throw core::InvalidArgument("audio with " + std::to_string(channels) + " channels is not supported (1 or 2)");
  }
  if (frames == 0) throw core::InvalidArgument("the audio is empty (no samples)");
  if (!(sampleRate > 0.0)) throw core::InvalidArgument("the audio has no valid sample rate");
  const std::uint64_t bytes = std::uint64_t{channels} * frames * sizeof(std::int16_t);
  reservation_ = budget.reserve(bytes, "this track");
  data_ = std::make_unique<std::int16_t[]>(static_cast<std::size_t>(std::uint64_t{channels} * frames));
}

void PcmBuffer::write(ChannelCount channel, std::uint64_t offset, const float* samples, std::uint64_t count) {
  if (channel >= channels_ || offset > frames_ || count > frames_ - offset) {
    throw core::InvalidArgument("audio written outside the track's buffer");
  }
  std::int16_t* out = data_.get() + channel * frames_ + offset;
  for (std::uint64_t i = 0; i < count; ++i) {
    const float x = samples[i];
    if (!std::isfinite(x)) {
      char where[64];
      std::snprintf(where, sizeof where, "%.3f s", static_cast<double>(offset + i) / sampleRate_);
      throw core::InvalidArgument(std::string("the audio contains invalid samples (NaN or infinity), the first at ") +
                                  where);
    }
    // The 16-bit range: -1.0 is -32768, and the top is one step below +1.0.
    constexpr float kHighest = 32767.0f / kScale;
    const float clipped = x > kHighest ? kHighest : (x < -1.0f ? -1.0f : x);
    out[i] = static_cast<std::int16_t>(std::lrint(clipped * kScale));
  }
}

}  // namespace woodshed::dsp
