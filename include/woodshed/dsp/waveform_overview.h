#pragma once
// Multi-resolution peaks of a PcmBuffer for drawing its waveform at any zoom.
//
// Level 0 holds the min and max of every kBaseBucketFrames frames (over all channels); each
// further level merges kLevelFactor buckets of the one below, down to a few hundred buckets.
// build() runs on the thread pool with progress and cancellation; afterwards the overview is
// immutable and may be read from any thread.

#include <cstdint>
#include <vector>

#include "woodshed/core/thread_pool.h"
#include "woodshed/dsp/pcm_buffer.h"

namespace woodshed::dsp {

class WaveformOverview {
 public:
  static constexpr std::uint32_t kBaseBucketFrames = 64;
  static constexpr std::uint32_t kLevelFactor = 4;
  static constexpr std::size_t kMinBucketsPerLevel = 256;

  struct Peak {
    std::int16_t min;
    std::int16_t max;
  };

  /// Computes the overview, publishing progress and stopping at cancellation (throws
  /// core::Cancelled), checking at least every 2^16 frames.
  static WaveformOverview build(const PcmBuffer& pcm, core::JobContext* context = nullptr);

  std::size_t levelCount() const noexcept { return levels_.size(); }
  std::uint64_t bucketFrames(std::size_t level) const noexcept;
  const std::vector<Peak>& level(std::size_t index) const noexcept { return levels_[index]; }

  /// The coarsest level whose buckets are at most `framesPerPixel` frames wide.
  std::size_t levelFor(double framesPerPixel) const noexcept;

  /// Min and max (the buffer's steps: multiply by scale()) over frames [begin, end), from the
  /// best level for the range.
  Peak peakBetween(std::uint64_t begin, std::uint64_t end) const noexcept;

  std::uint64_t frames() const noexcept { return frames_; }
  /// The scale of the buffer it was built from: a peak value v is v * scale() in float.
  float scale() const noexcept { return scale_; }

 private:
  std::vector<std::vector<Peak>> levels_;
  std::uint64_t frames_ = 0;
  float scale_ = 1.0f / PcmBuffer::kScale;
};

}  // namespace woodshed::dsp
