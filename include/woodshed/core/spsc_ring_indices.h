#pragma once
// The index pair behind every single-producer/single-consumer ring in Woodshed.
//
// Design
// - Two free-running 32-bit counters: `write` counts frames ever published by the producer,
//   `read` counts frames ever consumed. Both wrap modulo 2^32; the fill is `write - read` in
//   unsigned arithmetic, valid because capacity <= 2^31. The slot of counter c is
//   `c & (capacity - 1)`.
// - The producer owns `write`: it loads it relaxed, loads `read` with acquire (so the
//   consumer's reads of the slots it frees happen before the producer overwrites them), writes
//   slots, then publishes with a release store of `write`.
// - The consumer mirrors this: relaxed load of `read`, acquire load of `write`, read slots,
//   release store of `read`.
// - The counters are std::atomic<uint32_t>, lock-free and 4-byte aligned, on separate cache
//   lines. In wasm they are plain 32-bit cells of shared memory, so JavaScript (the
//   AudioWorklet) can be the consumer with Atomics.load/Atomics.store on a Uint32Array.
//
// Every method is wait-free and allocation-free; each side calls only its own methods.

#include <atomic>
#include <cstdint>

#include "woodshed/core/types.h"

namespace woodshed::core {

class SpscRingIndices {
 public:
  /// `capacityFrames` must be a power of two no larger than 2^31.
  explicit SpscRingIndices(FrameCount capacityFrames) noexcept : capacity_(capacityFrames) {}

  FrameCount capacity() const noexcept { return capacity_; }
  FrameCount mask() const noexcept { return capacity_ - 1; }

  /// Producer: frames that can be written now. Wait-free.
  FrameCount writableFrames() const noexcept {
    const std::uint32_t w = write_.value.load(std::memory_order_relaxed);
    const std::uint32_t r = read_.value.load(std::memory_order_acquire);
    return capacity_ - (w - r);
  }
  /// Producer: the counter of the next frame to write (its slot is `writePosition() & mask()`).
  std::uint32_t writePosition() const noexcept { return write_.value.load(std::memory_order_relaxed); }
  /// Producer: publishes `frames` written frames to the consumer.
  void commitWrite(FrameCount frames) noexcept {
    write_.value.store(write_.value.load(std::memory_order_relaxed) + frames, std::memory_order_release);
  }

  /// Consumer: frames that can be read now. Wait-free.
  FrameCount readableFrames() const noexcept {
    const std::uint32_t r = read_.value.load(std::memory_order_relaxed);
    const std::uint32_t w = write_.value.load(std::memory_order_acquire);
    return w - r;
  }
  /// Consumer: the counter of the next frame to read.
  std::uint32_t readPosition() const noexcept { return read_.value.load(std::memory_order_relaxed); }
  /// Consumer: releases `frames` read frames back to the producer.
  void commitRead(FrameCount frames) noexcept {
    read_.value.store(read_.value.load(std::memory_order_relaxed) + frames, std::memory_order_release);
  }

  /// Any thread: an estimate of the fill, exact when neither side is moving.
  FrameCount approximateFill() const noexcept {
    return write_.value.load(std::memory_order_acquire) - read_.value.load(std::memory_order_acquire);
  }

  /// Addresses of the counters, for a consumer outside C++ (the worklet).
  const std::atomic<std::uint32_t>* writeCounter() const noexcept { return &write_.value; }
  const std::atomic<std::uint32_t>* readCounter() const noexcept { return &read_.value; }

 private:
  struct alignas(64) Counter {
    std::atomic<std::uint32_t> value{0};
  };
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

  Counter write_;
  Counter read_;
  FrameCount capacity_;
};

/// True when `n` is a power of two usable as a ring capacity.
constexpr bool isValidRingCapacity(std::uint64_t n) noexcept {
  return n >= 1 && n <= (std::uint64_t{1} << 31) && (n & (n - 1)) == 0;
}

/// The smallest valid ring capacity holding at least `n` frames.
constexpr std::uint64_t ringCapacityFor(std::uint64_t n) noexcept {
  std::uint64_t c = 1;
  while (c < n) c <<= 1;
  return c;
}

}  // namespace woodshed::core
