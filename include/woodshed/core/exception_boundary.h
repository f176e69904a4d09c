#pragma once
// The one exception boundary for every C++ function JavaScript can call.
//
// Every exported entry runs its body through callAtBoundary(): any exception (std::exception
// or anything else) is caught, logged, and kept as the calling thread's last error, which the
// JS glue turns into an Error. Nothing propagates into JS, and the engine stays usable.
//
// Tests can make any entry throw on its next call (fault injection), or a named point inside
// one (faultPoint). It is off unless enabled by the page's test flag, and costs one relaxed load
// per call when off.

#include <exception>
#include <string>
#include <utility>

namespace woodshed::core {

namespace boundary_detail {
void recordFailure(const char* entryName, const char* message) noexcept;
void clearFailure() noexcept;
void throwIfFaultArmed(const char* entryName);
}  // namespace boundary_detail

/// Runs `body` and returns true, or returns false with lastBoundaryError() set when it throws.
template <typename Body>
bool callAtBoundary(const char* entryName, Body&& body) noexcept {
  try {
    boundary_detail::clearFailure();
    boundary_detail::throwIfFaultArmed(entryName);
    std::forward<Body>(body)();
    return true;
  } catch (const std::exception& e) {
    boundary_detail::recordFailure(entryName, e.what());
  } catch (...) {
    boundary_detail::recordFailure(entryName, "unknown error");
  }
  return false;
}

/// The message of the calling thread's last failed boundary call ("" after a success).
const char* lastBoundaryError() noexcept;

/// Enables or disables fault injection (the page's test flag). Main thread.
void setFaultInjectionEnabled(bool enabled) noexcept;
/// Whether the page's test flag enabled fault injection (test hooks check it).
bool faultInjectionEnabled() noexcept;
/// Makes the next call of `entryName` throw, if fault injection is enabled, or the next pass
/// through the fault point of that name (faultPoint()). Main thread. Returns false when fault
/// injection is disabled.
bool armFault(const std::string& entryName);

/// A fault point inside an entry's work ("engine.setEq.validated"): throws when armFault() named
/// it, so tests can fail an entry half way and check what it left. Main thread; never on the
/// render thread. One relaxed load when fault injection is off.
inline void faultPoint(const char* pointName) { boundary_detail::throwIfFaultArmed(pointName); }

}  // namespace woodshed::core
