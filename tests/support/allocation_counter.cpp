#include "support/allocation_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

namespace {
std::atomic<bool> gCounting{false};
std::atomic<long> gAllocations{0};

void* countedAllocate(std::size_t size) {
  if (gCounting.load(std::memory_order_relaxed)) gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return countedAllocate(size); }
void* operator new[](std::size_t size) { return countedAllocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace woodshed::test {

AllocationWindow::AllocationWindow() {
  gAllocations = 0;
  gCounting = true;
}

AllocationWindow::~AllocationWindow() { gCounting = false; }

long AllocationWindow::count() const { return gAllocations.load(); }

long allocationsSeenBySelfCheck() {
  AllocationWindow window;
  // An explicit call (a new-expression whose result goes unused may be optimized away) and a
  // container whose storage escapes through a volatile pointer.
  void* raw = ::operator new(64);
  static std::vector<int>* volatile escaped = nullptr;
  escaped = new std::vector<int>(10);
  const long seen = window.count();
  ::operator delete(raw);
  delete escaped;
  return seen;
}

}  // namespace woodshed::test
