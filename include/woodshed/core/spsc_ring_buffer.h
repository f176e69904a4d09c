#pragma once
// A bounded single-producer/single-consumer queue of trivially copyable items.
//
// Design
// - Capacity is a power of two fixed at construction, which is the only allocation.
// - Index ownership and memory orders are those of SpscRingIndices: the producer thread calls
//   only tryPush*, the consumer thread only tryPop*/peek; both are wait-free.
// - Reads copy into storage the caller owns; nothing hands out or clones the whole buffer.
// Used for the UI -> render thread command queue and for sample taps.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>

#include "woodshed/core/error.h"
#include "woodshed/core/spsc_ring_indices.h"

namespace woodshed::core {

template <typename T>
class SpscRingBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "items are copied with memcpy");

 public:
  /// Allocates `capacity` items. Throws InvalidArgument unless it is a power of two <= 2^31.
  explicit SpscRingBuffer(FrameCount capacity)
      : indices_(checkedCapacity(capacity)), items_(std::make_unique<T[]>(capacity)) {}

  FrameCount capacity() const noexcept { return indices_.capacity(); }

  /// Producer: pushes all `count` items, or none when there is not room for all. Wait-free.
  bool tryPushAll(const T* items, FrameCount count) noexcept {
    if (indices_.writableFrames() < count) return false;
    copyIn(items, count);
    return true;
  }
  /// Producer: pushes one item unless the queue is full. Wait-free.
  bool tryPush(const T& item) noexcept { return tryPushAll(&item, 1); }
  /// Producer: pushes as many of `count` items as fit and returns how many. Wait-free.
  FrameCount tryPushSome(const T* items, FrameCount count) noexcept {
    const FrameCount n = std::min(count, indices_.writableFrames());
    copyIn(items, n);
    return n;
  }

  /// Consumer: pops up to `maxCount` items into `out` and returns how many. Wait-free.
  FrameCount tryPopSome(T* out, FrameCount maxCount) noexcept {
    const FrameCount n = std::min(maxCount, indices_.readableFrames());
    const FrameCount start = indices_.readPosition() & indices_.mask();
    const FrameCount first = std::min(n, capacity() - start);
    std::memcpy(out, &items_[start], first * sizeof(T));
    std::memcpy(out + first, &items_[0], (n - first) * sizeof(T));
    indices_.commitRead(n);
    return n;
  }
  /// Consumer: pops one item into `out` unless the queue is empty. Wait-free.
  bool tryPop(T& out) noexcept { return tryPopSome(&out, 1) == 1; }

  /// Consumer: items ready to pop.
  FrameCount readableCount() const noexcept { return indices_.readableFrames(); }
  /// Producer: free slots.
  FrameCount writableCount() const noexcept { return indices_.writableFrames(); }

 private:
  static FrameCount checkedCapacity(FrameCount capacity) {
    if (!isValidRingCapacity(capacity)) {
      throw InvalidArgument("ring capacity must be a power of two between 1 and 2^31, got " +
                            std::to_string(capacity));
    }
    return capacity;
  }

  void copyIn(const T* items, FrameCount n) noexcept {
    const FrameCount start = indices_.writePosition() & indices_.mask();
    const FrameCount first = std::min(n, capacity() - start);
    std::memcpy(&items_[start], items, first * sizeof(T));
    std::memcpy(&items_[0], items + first, (n - first) * sizeof(T));
    indices_.commitWrite(n);
  }

  SpscRingIndices indices_;
  std::unique_ptr<T[]> items_;
};

}  // namespace woodshed::core
