#pragma once
// A named byte budget shared by everything that holds large buffers (decoded tracks, later
// stems). Reservations are RAII and thread-safe; exceeding the budget throws LimitExceeded with
// a message that says how much was asked for and how much is free.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace woodshed::core {

class MemoryBudget {
 public:
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept : budget_(other.budget_), bytes_(other.bytes_) {
      other.budget_ = nullptr;
      other.bytes_ = 0;
    }
    Reservation& operator=(Reservation&& other) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation() { release(); }

    std::uint64_t bytes() const noexcept { return bytes_; }
    void release() noexcept;

   private:
    friend class MemoryBudget;
    Reservation(MemoryBudget* budget, std::uint64_t bytes) : budget_(budget), bytes_(bytes) {}
    MemoryBudget* budget_ = nullptr;
    std::uint64_t bytes_ = 0;
  };

  MemoryBudget(std::string name, std::uint64_t limitBytes) : name_(std::move(name)), limit_(limitBytes) {}

  /// Any thread: a new limit (sized from the device once the page knows it). What is reserved
  /// stays; reservations beyond the new limit are refused until enough is released.
  void setLimit(std::uint64_t limitBytes) noexcept { limit_.store(limitBytes, std::memory_order_relaxed); }
  /// Bytes free now (the limit less what is reserved, 0 when over).
  std::uint64_t freeBytes() const noexcept;

  /// Reserves `bytes` or throws LimitExceeded naming this budget; `what` describes the request
  /// for the message ("this track needs ...").
  Reservation reserve(std::uint64_t bytes, const std::string& what);

  std::uint64_t limitBytes() const noexcept { return limit_.load(std::memory_order_relaxed); }
  std::uint64_t usedBytes() const noexcept { return used_.load(std::memory_order_relaxed); }
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
  std::atomic<std::uint64_t> limit_;
  std::atomic<std::uint64_t> used_{0};
};

}  // namespace woodshed::core
