#pragma once
// A bounded multi-producer/multi-consumer queue (Dmitry Vyukov's array-based design).
//
// Design
// - Each cell has a sequence number. A producer claims position p when cell[p].seq == p
//   (CAS on enqueuePos_), writes the item, then stores seq = p + 1 with release. A consumer
//   claims p when cell[p].seq == p + 1 (CAS on dequeuePos_), moves the item out, then stores
//   seq = p + capacity with release, handing the cell to the producer of the next lap.
// - No thread ever waits for another inside the queue: a full or empty queue is reported at
//   once (tryPush/tryPop return false). Lock-free; allocation only at construction.
// - Used by the thread pool, where the browser main thread submits jobs and must never block
//   on a lock a worker may hold.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "woodshed/core/error.h"
#include "woodshed/core/spsc_ring_indices.h"

namespace woodshed::core {

template <typename T>
class MpmcBoundedQueue {
 public:
  /// Throws InvalidArgument unless capacity is a power of two >= 2.
  explicit MpmcBoundedQueue(std::uint32_t capacity) : capacity_(capacity) {
    if (capacity < 2 || !isValidRingCapacity(capacity)) {
      throw InvalidArgument("queue capacity must be a power of two >= 2");
    }
    cells_ = std::make_unique<Cell[]>(capacity);
    for (std::uint32_t i = 0; i < capacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  std::uint32_t capacity() const noexcept { return capacity_; }

  /// Any thread: moves `item` in unless the queue is full. Lock-free.
  bool tryPush(T&& item) noexcept {
    std::size_t pos = enqueuePos_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & (capacity_ - 1)];
      const std::size_t seq = cell.sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (enqueuePos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.item = std::move(item);
          cell.sequence.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = enqueuePos_.load(std::memory_order_relaxed);
      }
    }
  }

  /// Any thread: moves the oldest item into `out` unless the queue is empty. Lock-free.
  bool tryPop(T& out) noexcept {
    std::size_t pos = dequeuePos_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & (capacity_ - 1)];
      const std::size_t seq = cell.sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos + 1);
      if (diff == 0) {
        if (dequeuePos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          out = std::move(cell.item);
          cell.item = T{};
          cell.sequence.store(pos + capacity_, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // empty
      } else {
        pos = dequeuePos_.load(std::memory_order_relaxed);
      }
    }
  }

 private:
  struct Cell {
    std::atomic<std::size_t> sequence{0};
    T item{};
  };

  std::uint32_t capacity_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<std::size_t> enqueuePos_{0};
  alignas(64) std::atomic<std::size_t> dequeuePos_{0};
};

}  // namespace woodshed::core
