#pragma once
// Counts heap allocations, to prove realtime code never allocates. A test program that uses
// this links tests/support/allocation_counter.cpp, which replaces operator new program-wide
// (so such tests live in programs of their own).

namespace woodshed::test {

/// Counts every allocation any thread makes while an AllocationWindow is open.
class AllocationWindow {
 public:
  AllocationWindow();
  ~AllocationWindow();
  AllocationWindow(const AllocationWindow&) = delete;
  AllocationWindow& operator=(const AllocationWindow&) = delete;

  long count() const;
};

/// Allocations the counter saw while making a few on purpose (at least 3 when it works); a
/// self-check, so that a test of "no allocation" cannot pass because nothing is counted.
long allocationsSeenBySelfCheck();

}  // namespace woodshed::test
