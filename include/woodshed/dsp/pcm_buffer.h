#pragma once
// Decoded audio kept compactly: planar 16-bit PCM (CD quality), half the size of float.
//
// Filled once on the main thread (write() converts float with rounding and clipping and
// refuses non-finite samples), then only read, from any number of threads (the render thread,
// the waveform job), so it needs no synchronisation after it was handed over.

#include <cstdint>
#include <memory>
#include <string>

#include "woodshed/core/memory_budget.h"
#include "woodshed/core/types.h"

namespace woodshed::dsp {

class PcmBuffer {
 public:
  static constexpr ChannelCount kMaxChannels = 2;
  /// Full scale of the 16-bit grid: sample s plays as s / 32768, as 16-bit files and the
  /// browser's decoder have it, so a 16-bit file is stored and played back bit for bit.
  static constexpr float kScale = 32768.0f;

  /// Allocates `channels` x `frames` samples inside `budget`. Throws InvalidArgument for 0 or
  /// too many channels or frames, LimitExceeded when the budget cannot hold it.
  PcmBuffer(ChannelCount channels, std::uint64_t frames, SampleRate sampleRate, core::MemoryBudget& budget);

  ChannelCount channels() const noexcept { return channels_; }
  std::uint64_t frames() const noexcept { return frames_; }
  SampleRate sampleRate() const noexcept { return sampleRate_; }
  double durationSeconds() const noexcept { return static_cast<double>(frames_) / sampleRate_; }
  std::uint64_t bytes() const noexcept { return reservation_.bytes(); }

  /// Converts `count` float samples into channel `channel` from frame `offset`. Throws
  /// InvalidArgument naming the time of the first NaN or infinite sample, or for a range
  /// outside the buffer.
  void write(ChannelCount channel, std::uint64_t offset, const float* samples, std::uint64_t count);

  /// Channel data, for readers.
  const std::int16_t* channel(ChannelCount c) const noexcept { return data_.get() + c * frames_; }

 private:
  ChannelCount channels_;
  std::uint64_t frames_;
  SampleRate sampleRate_;
  core::MemoryBudget::Reservation reservation_;
  std::unique_ptr<std::int16_t[]> data_;
};

}  // namespace woodshed::dsp
