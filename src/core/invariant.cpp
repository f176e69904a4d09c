#include "woodshed/core/invariant.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace woodshed::core {
namespace {

std::atomic<std::uint32_t> gPolicy{static_cast<std::uint32_t>(InvariantPolicy::Abort)};
std::atomic<std::uint64_t> gFailures{0};
std::atomic<const char*> gLastMessage{""};

}  // namespace

void setInvariantPolicy(InvariantPolicy policy) noexcept {
  gPolicy.store(static_cast<std::uint32_t>(policy), std::memory_order_relaxed);
}

InvariantPolicy invariantPolicy() noexcept {
  return static_cast<InvariantPolicy>(gPolicy.load(std::memory_order_relaxed));
}

bool invariantFailed(const char* message, const char* file, int line) noexcept {
  if (invariantPolicy() == InvariantPolicy::Abort) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, message);
    std::abort();
  }
  // The message before the count (release), so a reader who sees the count (acquire) sees it.
  gLastMessage.store(message, std::memory_order_relaxed);
  gFailures.fetch_add(1, std::memory_order_release);
  return false;
}

std::uint64_t invariantFailures() noexcept { return gFailures.load(std::memory_order_acquire); }

const char* lastInvariantFailure() noexcept { return gLastMessage.load(std::memory_order_relaxed); }

}  // namespace woodshed::core
