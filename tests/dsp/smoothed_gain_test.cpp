#include "woodshed/dsp/smoothed_gain.h"

#include <gtest/gtest.h>

#include <vector>

namespace woodshed::dsp {
namespace {

TEST(SmoothedGain, RampsLinearlyToTheTargetOverTheRampTime) {
  SmoothedGain gain;
  gain.prepare(ProcessSpec{1000.0, 64, 1}, 0.010);  // 10 frames
  gain.setTarget(0.0);
  std::vector<float> ones(20, 1.0f);
  float* channels[1] = {ones.data()};
  gain.process(AudioBlock{channels, 1, 20});
  EXPECT_NEAR(ones[0], 0.9f, 1e-6);
  EXPECT_NEAR(ones[4], 0.5f, 1e-6);
  EXPECT_EQ(ones[9], 0.0f);
  EXPECT_EQ(ones[19], 0.0f);
}

TEST(SmoothedGain, UnityGainLeavesSamplesUntouched) {
  SmoothedGain gain;
  gain.prepare(ProcessSpec{48000.0, 64, 1});
  std::vector<float> x = {0.1f, -0.7f, 0.3f};
  float* channels[1] = {x.data()};
  gain.process(AudioBlock{channels, 1, 3});
  EXPECT_EQ(x, (std::vector<float>{0.1f, -0.7f, 0.3f}));
}

}  // namespace
}  // namespace woodshed::dsp
