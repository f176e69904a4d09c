#include "woodshed/core/exception_boundary.h"

#include <atomic>
#include <cstdio>
#include <stdexcept>

namespace woodshed::core {

namespace {
thread_local std::string tLastError;
std::atomic<bool> gFaultInjectionEnabled{false};
// Touched only by the main thread, which both arms faults and calls the entries.
std::string gArmedEntry;
}  // namespace

namespace boundary_detail {

void recordFailure(const char* entryName, const char* message) noexcept {
  try {
    tLastError = message;
  } catch (...) {
    tLastError.clear();  // out of memory while copying the message: an empty message still fails the call
  }
  std::fprintf(stderr, "woodshed: %s failed: %s\n", entryName, message);
}

void clearFailure() noexcept { tLastError.clear(); }

void throwIfFaultArmed(const char* entryName) {
  if (!gFaultInjectionEnabled.load(std::memory_order_relaxed) || gArmedEntry.empty()) return;
  if (gArmedEntry == entryName) {
    gArmedEntry.clear();
    throw std::runtime_error(std::string("injected fault in ") + entryName);
  }
}

}  // namespace boundary_detail

const char* lastBoundaryError() noexcept { return tLastError.c_str(); }

void setFaultInjectionEnabled(bool enabled) noexcept {
  gFaultInjectionEnabled.store(enabled, std::memory_order_relaxed);
  if (!enabled) gArmedEntry.clear();
}

bool faultInjectionEnabled() noexcept { return gFaultInjectionEnabled.load(std::memory_order_relaxed); }

bool armFault(const std::string& entryName) {
  if (!gFaultInjectionEnabled.load(std::memory_order_relaxed)) return false;
  gArmedEntry = entryName;
  return true;
}

}  // namespace woodshed::core
