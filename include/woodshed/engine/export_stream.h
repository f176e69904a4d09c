#pragma once
// An export on its way to a file: a render sink that encodes WAV into a bounded byte ring, and
// the consumer side that hands the bytes on (in the browser, JavaScript writing a file stream).
// A render of any length holds only the ring, never the whole file.
//
// Design
// - One producer, the export job (a pool thread): the header at construction, then each
//   rendered chunk, encoded. When the ring has no room it waits (a futex-style wait of at most
//   kProducerWait) and checks its job's cancellation each time, so a cancel or a stalled
//   consumer never holds it for longer than that.
// - One consumer, the browser's main thread or a native thread: readable() and consume() are
//   wait-free and never block; consume() wakes the producer.
// - The ring's indices are SpscRingIndices (their memory orders); finish()/fail() publish with
//   a release store that the consumer's acquire load of state() pairs with, so every byte
//   written before them is readable once the consumer sees them.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "woodshed/core/spsc_ring_indices.h"
#include "woodshed/core/thread_pool.h"
#include "woodshed/engine/offline_render.h"
#include "woodshed/engine/wav_encoder.h"

namespace woodshed::engine {

class ExportStream final : public RenderSink {
 public:
  /// Limit: the ring between the render and the file (a power of two).
  static constexpr std::uint32_t kDefaultCapacityBytes = 1u << 21;
  /// Longest the producer sleeps on a full ring before it checks for cancellation again.
  static constexpr std::chrono::milliseconds kProducerWait{20};

  enum class State : std::uint32_t { Rendering, Finished, Failed };

  /// A WAV of `frames` frames; the header goes into the ring at once. `maxChunkFrames` is the
  /// largest block write() will be given. `context` (may be null) is checked while waiting.
  /// Throws what wavHeader() throws, and InvalidArgument when a chunk would not fit the ring.
  ExportStream(ExportFormat format, ChannelCount channels, SampleRate sampleRate, std::uint64_t frames,
               FrameCount maxChunkFrames, core::JobContext* context = nullptr,
               std::uint32_t capacityBytes = kDefaultCapacityBytes);

  /// Producer: the job whose cancellation a wait on a full ring checks, when the stream was made
  /// before its job started.
  void attach(core::JobContext* context) noexcept { context_ = context; }
  /// Producer: encodes `block` into the ring, waiting while it is full. Throws Cancelled
  /// when the job is cancelled meanwhile, Error when more frames come than the header says.
  void write(const dsp::AudioBlock& block) override;
  /// Producer: every frame was written. Throws Error when fewer came than the header says.
  void finish();
  /// Producer: the render failed; the consumer drops what it has.
  void fail() noexcept;

  /// Consumer: bytes that can be read now at readPointer(), up to the ring's wrap. Wait-free.
  std::uint32_t readableBytes() const noexcept;
  const std::uint8_t* readPointer() const noexcept;
  /// Consumer: releases `bytes` read bytes and wakes the producer. Wait-free.
  void consume(std::uint32_t bytes) noexcept;
  /// Consumer: bytes consumed so far, of totalBytes().
  std::uint64_t consumedBytes() const noexcept { return consumed_.load(std::memory_order_relaxed); }

  /// Any thread: the producer's state (acquire).
  State state() const noexcept { return static_cast<State>(state_.load(std::memory_order_acquire)); }
  /// Any thread: wakes a producer waiting on a full ring (after a cancellation request).
  void wakeProducer() noexcept;

  std::uint64_t totalBytes() const noexcept { return kWavHeaderBytes + frames_ * encoder_.frameBytes(); }
  std::uint64_t frames() const noexcept { return frames_; }
  /// Samples an integer format clipped, once the state is Finished.
  std::uint64_t clippedSamples() const noexcept { return encoder_.clippedSamples(); }

 private:
  void push(const std::uint8_t* bytes, std::size_t count);

  WavSampleEncoder encoder_;
  std::uint64_t frames_;
  std::uint64_t framesWritten_ = 0;
  FrameCount maxChunkFrames_;
  core::JobContext* context_;
  core::SpscRingIndices indices_;
  std::unique_ptr<std::uint8_t[]> ring_;
  std::unique_ptr<std::uint8_t[]> scratch_;
  std::atomic<std::uint32_t> consumedSequence_{0};
  std::atomic<std::uint64_t> consumed_{0};
  std::atomic<std::uint32_t> state_{static_cast<std::uint32_t>(State::Rendering)};
};

}  // namespace woodshed::engine
