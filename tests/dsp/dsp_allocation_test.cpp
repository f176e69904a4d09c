// Proves the realtime processors never allocate after prepare(): operator new is replaced for
// this test program (its own executable, since the replacement is program-wide) and counts
// every allocation made while counting is on.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "woodshed/dsp/look_ahead_limiter.h"
#include "woodshed/dsp/parametric_eq.h"

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

namespace woodshed::dsp {
namespace {

class AllocationWindow {
 public:
  AllocationWindow() {
    gAllocations = 0;
    gCounting = true;
  }
  ~AllocationWindow() { gCounting = false; }
  long count() const { return gAllocations.load(); }
};

TEST(DspAllocation, CountingOperatorNewSeesAllocations) {
  AllocationWindow window;
  auto* p = new std::vector<int>(10);
  const long seen = window.count();
  delete p;
  EXPECT_GE(seen, 2) << "the counter must see allocations, or the tests below prove nothing";
}

TEST(DspAllocation, EqAndLimiterNeverAllocateWhileProcessingAndChangingParameters) {
  ParametricEq eq;
  eq.prepare(ProcessSpec{48000.0, 512, 2});
  LookAheadLimiter limiter;
  limiter.prepare(ProcessSpec{48000.0, 512, 2});
  std::vector<float> left(512), right(512);
  float* channels[2] = {left.data(), right.data()};
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> noise(-4.0f, 4.0f);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  AllocationWindow window;
  for (int block = 0; block < 5000; ++block) {
    const auto frames = static_cast<FrameCount>(block % 7 == 0 ? 512 : 1 + block % 300);
    for (FrameCount i = 0; i < frames; ++i) left[i] = right[i] = noise(rng);
    if (block % 3 == 0) {  // a band dragged, as from the UI
      const auto index = static_cast<std::size_t>(block % ParametricEq::kBandCount);
      eq.setBand(index, {20.0 * std::pow(1000.0, unit(rng)), 36.0 * unit(rng) - 18.0, 0.3 + 8.0 * unit(rng),
                         block % 11 != 0});
    }
    if (block % 250 == 0) eq.applyPreset(ParametricEq::presets()[static_cast<std::size_t>(block / 250) % 4]);
    if (block % 400 == 0) eq.setBypass(block % 800 == 0);
    if (block % 100 == 0) {
      limiter.setCeilingDb(-6.0 * unit(rng));
      limiter.setReleaseSeconds(0.02 + 0.2 * unit(rng));
    }
    if (block == 2500) {
      eq.reset();
      limiter.reset();
    }
    eq.process(AudioBlock{channels, 2, frames});
    limiter.process(AudioBlock{channels, 2, frames});
    (void)eq.responseDb(1000.0);
  }
  EXPECT_EQ(window.count(), 0);
}

}  // namespace
}  // namespace woodshed::dsp
