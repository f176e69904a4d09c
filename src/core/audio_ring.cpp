#include "woodshed/core/audio_ring.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "woodshed/core/error.h"

namespace woodshed::core {

// web/audio/woodshed-processor.js reads and writes these by word: keep them in step.
static_assert(offsetof(AudioRing::ConsumerCounters, underruns) == 8);
static_assert(offsetof(AudioRing::ConsumerCounters, heardPosition) == 16);

namespace {
FrameCount checkedCapacity(FrameCount capacity) {
  if (!isValidRingCapacity(capacity)) {
    throw InvalidArgument("audio ring capacity must be a power of two between 1 and 2^31 frames, got " +
                          std::to_string(capacity));
  }
  return capacity;
}
}  // namespace

AudioRing::AudioRing(ChannelCount channels, FrameCount capacityFrames)
    : indices_(checkedCapacity(capacityFrames)), channels_(channels) {
  if (channels < 1 || channels > kMaxChannels) {
    throw InvalidArgument("audio ring needs 1 to " + std::to_string(kMaxChannels) + " channels, got " +
                          std::to_string(channels));
  }
  samples_ = std::make_unique<float[]>(std::size_t{channels} * capacityFrames);
  positions_ = std::make_unique<SourcePosition[]>(capacityFrames);
  std::fill_n(positions_.get(), capacityFrames, kNoSourcePosition);
  counters_ = std::make_unique<ConsumerCounters>();
}

bool AudioRing::tryPushBlock(const float* const* channelData, FrameCount frames,
                             const SourcePosition* positions) noexcept {
  if (indices_.writableFrames() < frames) return false;
  const FrameCount cap = capacity();
  const FrameCount start = indices_.writePosition() & indices_.mask();
  const FrameCount first = std::min(frames, cap - start);
  for (ChannelCount c = 0; c < channels_; ++c) {
    float* channel = samples_.get() + std::size_t{c} * cap;
    std::memcpy(channel + start, channelData[c], first * sizeof(float));
    std::memcpy(channel, channelData[c] + first, (frames - first) * sizeof(float));
  }
  for (FrameCount i = 0; i < frames; ++i) {
    positions_[(start + i) & indices_.mask()] = positions != nullptr ? positions[i] : kNoSourcePosition;
  }
  indices_.commitWrite(frames);
  return true;
}

FrameCount AudioRing::tryPopBlock(float* const* channelData, FrameCount frames, SourcePosition* positions) noexcept {
  const FrameCount n = std::min(frames, indices_.readableFrames());
  const FrameCount cap = capacity();
  const FrameCount start = indices_.readPosition() & indices_.mask();
  const FrameCount first = std::min(n, cap - start);
  for (ChannelCount c = 0; c < channels_; ++c) {
    const float* channel = samples_.get() + std::size_t{c} * cap;
    std::memcpy(channelData[c], channel + start, first * sizeof(float));
    std::memcpy(channelData[c] + first, channel, (n - first) * sizeof(float));
  }
  if (positions != nullptr) {
    for (FrameCount i = 0; i < n; ++i) positions[i] = positions_[(start + i) & indices_.mask()];
  }
  if (n > 0) counters_->heardPosition.store(positions_[(start + n - 1) & indices_.mask()], std::memory_order_relaxed);
  indices_.commitRead(n);
  return n;
}

AudioRing::Layout AudioRing::layout() const noexcept {
  return Layout{
      capacity(),
      channels_,
      reinterpret_cast<std::uintptr_t>(indices_.writeCounter()),
      reinterpret_cast<std::uintptr_t>(indices_.readCounter()),
      reinterpret_cast<std::uintptr_t>(samples_.get()),
      reinterpret_cast<std::uintptr_t>(positions_.get()),
      reinterpret_cast<std::uintptr_t>(counters_.get()),
  };
}

}  // namespace woodshed::core
