// Proves the realtime processors never allocate after prepare(): operator new is replaced for
// this test program (tests/support/allocation_counter.cpp, program-wide, hence a program of its
// own) and counts every allocation made while a window is open.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "support/allocation_counter.h"
#include "woodshed/dsp/look_ahead_limiter.h"
#include "woodshed/dsp/parametric_eq.h"


namespace woodshed::dsp {
namespace {

using test::AllocationWindow;

TEST(DspAllocation, CountingOperatorNewSeesAllocations) {
  EXPECT_GE(test::allocationsSeenBySelfCheck(), 3)
      << "the counter must see allocations, or the tests below prove nothing";
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
