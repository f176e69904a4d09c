#pragma once
// Hands the latest value of T from one writer thread to one reader thread, wait-free on both
// sides: the render thread publishes its status with it and the UI reads the newest snapshot.
//
// Design
// - Three slots. The writer owns one (back), the reader owns one (front), and the third
//   (middle) is exchanged through `middle_`, an atomic byte holding the slot index and a
//   "fresh" bit.
// - write(): fill back, then exchange it with middle (acq_rel) marking it fresh; the writer
//   gets the old middle as its new back.
// - read(): if middle is fresh, exchange front with middle (acq_rel), clearing the bit.
// - Neither side ever waits for the other or allocates; values are copied, never shared.

#include <array>
#include <atomic>
#include <cstdint>
#include <type_traits>

namespace woodshed::core {

template <typename T>
class TripleBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  TripleBuffer() = default;
  explicit TripleBuffer(const T& initial) { slots_.fill(initial); }

  /// Writer thread only: publishes `value`. Wait-free, no allocation.
  void write(const T& value) noexcept {
    slots_[back_] = value;
    const std::uint8_t previous =
        middle_.exchange(static_cast<std::uint8_t>(back_ | kFresh), std::memory_order_acq_rel);
    back_ = previous & kIndexMask;
  }

  /// Reader thread only: the most recently published value (or the last one read if nothing
  /// new arrived). Wait-free, no allocation.
  const T& read() noexcept {
    if (middle_.load(std::memory_order_relaxed) & kFresh) {
      const std::uint8_t previous = middle_.exchange(front_, std::memory_order_acq_rel);
      front_ = previous & kIndexMask;
    }
    return slots_[front_];
  }

 private:
  static constexpr std::uint8_t kFresh = 0x4;
  static constexpr std::uint8_t kIndexMask = 0x3;

  std::array<T, 3> slots_{};
  std::uint8_t back_ = 0;                  // writer's slot
  std::atomic<std::uint8_t> middle_{1};    // exchanged slot and fresh bit
  std::uint8_t front_ = 2;                 // reader's slot
};

}  // namespace woodshed::core
