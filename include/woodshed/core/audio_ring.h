#pragma once
// The ring that carries rendered audio from the render thread to the AudioWorklet.
//
// Design
// - Producer: the engine's render thread (C++). Consumer: the AudioWorkletProcessor (JS,
//   reading wasm shared memory with Atomics), or a C++ thread in native tests and benchmarks.
// - Planar float storage: channel c's slot s is samples[c * capacity + s]. Beside each frame
//   slot an int32 records the source position the frame was rendered from
//   (kNoSourcePosition for the generator), so what is heard can be traced to the track.
// - Index ownership and memory orders: see SpscRingIndices. The consumer also owns the
//   counters in ConsumerCounters (frames played, underruns), which the producer side only
//   reads, relaxed, for statistics.
// - Capacity is fixed at construction; nothing allocates afterwards.
// - layout() gives JavaScript the addresses it needs. Keep it in step with
//   web/audio/ring-reader.js.

#include <atomic>
#include <cstdint>
#include <memory>

#include "woodshed/core/spsc_ring_indices.h"
#include "woodshed/core/types.h"

namespace woodshed::core {

class AudioRing {
 public:
  /// Counters written by the consumer (the worklet) and read by anyone for statistics.
  struct alignas(64) ConsumerCounters {
    std::atomic<std::uint32_t> framesPlayedLow{0};   ///< frames output, including silence
    std::atomic<std::uint32_t> framesPlayedHigh{0};  ///< carry of framesPlayedLow
    std::atomic<std::uint32_t> underruns{0};         ///< process() calls that found too few frames
    std::atomic<std::uint32_t> started{0};           ///< 1 once the first frame was read
    /// The source position of the last frame handed to the output (kNoSourcePosition for the
    /// generator or silence): what is being heard, before the device's own latency.
    std::atomic<SourcePosition> heardPosition{kNoSourcePosition};
  };

  /// Addresses and sizes a consumer outside C++ needs, as 32-bit values (wasm32 pointers).
  struct Layout {
    std::uint32_t capacityFrames;
    std::uint32_t channels;
    std::uintptr_t writeCounter;
    std::uintptr_t readCounter;
    std::uintptr_t samples;    ///< float[channels * capacity], planar
    std::uintptr_t positions;  ///< int32[capacity]
    std::uintptr_t consumerCounters;
  };

  /// Allocates the ring. Throws InvalidArgument unless capacity is a power of two <= 2^31 and
  /// channels is 1..kMaxChannels.
  AudioRing(ChannelCount channels, FrameCount capacityFrames);

  static constexpr ChannelCount kMaxChannels = 8;

  ChannelCount channels() const noexcept { return channels_; }
  FrameCount capacity() const noexcept { return indices_.capacity(); }

  /// Producer: frames that fit now. Wait-free.
  FrameCount writableFrames() const noexcept { return indices_.writableFrames(); }

  /// Producer: writes one block of `frames` planar frames (channelData[c] for each channel)
  /// and the source position of each (`positions`, or null for kNoSourcePosition), all or
  /// nothing. Render thread: wait-free, no allocation.
  bool tryPushBlock(const float* const* channelData, FrameCount frames, const SourcePosition* positions) noexcept;

  /// Consumer: frames ready to read. Wait-free.
  FrameCount readableFrames() const noexcept { return indices_.readableFrames(); }

  /// Consumer: copies up to `frames` frames into channelData (planar) and their source
  /// positions into `positions` (may be null); returns the frames read. Wait-free.
  FrameCount tryPopBlock(float* const* channelData, FrameCount frames, SourcePosition* positions) noexcept;

  /// Producer: frames written so far, modulo 2^32 (the write counter).
  std::uint32_t framesWritten() const noexcept { return indices_.writePosition(); }

  /// Any thread: the fill in frames (exact when both sides are idle).
  FrameCount approximateFill() const noexcept { return indices_.approximateFill(); }

  /// The consumer's read counter: a producer may sleep on it (core/wait.h) until frames are
  /// consumed; the consumer wakes it after reading.
  const std::atomic<std::uint32_t>& readCounter() const noexcept { return *indices_.readCounter(); }

  /// Consumer counters (the worklet writes them in the browser; native consumers may too).
  ConsumerCounters& consumerCounters() noexcept { return *counters_; }
  const ConsumerCounters& consumerCounters() const noexcept { return *counters_; }

  Layout layout() const noexcept;

 private:
  SpscRingIndices indices_;
  ChannelCount channels_;
  std::unique_ptr<float[]> samples_;
  std::unique_ptr<SourcePosition[]> positions_;
  std::unique_ptr<ConsumerCounters> counters_;
};

}  // namespace woodshed::core
