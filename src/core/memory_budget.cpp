#include "woodshed/core/memory_budget.h"

#include <cmath>
#include <cstdio>

#include "woodshed/core/error.h"

namespace woodshed::core {

namespace {
std::string megabytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f MB", static_cast<double>(bytes) / 1e6);
  return text;
}
}  // namespace

MemoryBudget::Reservation& MemoryBudget::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = other.budget_;
    bytes_ = other.bytes_;
    other.budget_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

void MemoryBudget::Reservation::release() noexcept {
  if (budget_ != nullptr) budget_->used_.fetch_sub(bytes_, std::memory_order_relaxed);
  budget_ = nullptr;
  bytes_ = 0;
}

std::uint64_t MemoryBudget::freeBytes() const noexcept {
  const std::uint64_t limit = limitBytes();
  return limit - std::min(usedBytes(), limit);
}

MemoryBudget::Reservation MemoryBudget::reserve(std::uint64_t bytes, const std::string& what) {
  const std::uint64_t limit = limitBytes();
  std::uint64_t used = used_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit - std::min(used, limit)) {
      throw LimitExceeded(name_, limit,
                          what + " needs " + megabytes(bytes) + " but only " + megabytes(limit - std::min(used, limit)) +
                              " of the " + megabytes(limit) + " " + name_ + " is free");
    }
  } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return Reservation(this, bytes);
}

}  // namespace woodshed::core
