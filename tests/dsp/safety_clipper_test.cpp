#include "woodshed/dsp/safety_clipper.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace woodshed::dsp {
namespace {

TEST(SafetyClipper, IsExactlyUnityBelowItsThreshold) {
  const SafetyClipper clipper;
  const float threshold = static_cast<float>(clipper.thresholdGain());
  for (float x = -threshold; x <= threshold; x += 0.001f) EXPECT_EQ(clipper.processSample(x), x);
  EXPECT_EQ(clipper.processSample(threshold), threshold);
}

TEST(SafetyClipper, NeverReachesFullScaleAndStaysMonotonic) {
  const SafetyClipper clipper;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> loud(-1000.0f, 1000.0f);
  for (int i = 0; i < 100000; ++i) {
    const float x = loud(rng);
    const float y = clipper.processSample(x);
    ASSERT_LT(std::fabs(y), 1.0f) << x;
    ASSERT_EQ(std::signbit(x), std::signbit(y)) << x;
  }
  float previous = 0.0f;
  for (float x = 0.0f; x < 20.0f; x += 0.01f) {
    const float y = clipper.processSample(x);
    ASSERT_GE(y, previous) << x;
    previous = y;
  }
}

TEST(SafetyClipper, BendsSmoothlyAtTheThreshold) {
  const SafetyClipper clipper;
  const float t = static_cast<float>(clipper.thresholdGain());
  const float h = 1e-4f;
  const float slopeAbove = (clipper.processSample(t + h) - clipper.processSample(t)) / h;
  EXPECT_NEAR(slopeAbove, 1.0f, 0.01f) << "no corner where the bend starts";
}

// The output chain moves the threshold to the limiter's ceiling: whatever is at or below it passes
// exactly, and at 0 dBFS the clipper holds full scale itself.
TEST(SafetyClipper, AMovedThresholdPassesEverythingBelowItAndHoldsFullScale) {
  SafetyClipper clipper;
  clipper.setThresholdDb(-0.1);
  const float threshold = static_cast<float>(clipper.thresholdGain());
  for (float x : {0.95f, -0.97f, threshold, -threshold}) EXPECT_EQ(clipper.processSample(x), x);
  EXPECT_LT(clipper.processSample(1.5f), 1.0f);
  EXPECT_GT(clipper.processSample(1.5f), threshold);
  clipper.setThresholdDb(0.0);
  EXPECT_EQ(clipper.thresholdGain(), 1.0f);
  EXPECT_EQ(clipper.processSample(0.999f), 0.999f);
  EXPECT_EQ(clipper.processSample(1.0f), 1.0f);
  EXPECT_EQ(clipper.processSample(3.0f), 1.0f);
  EXPECT_EQ(clipper.processSample(-3.0f), -1.0f);
  EXPECT_TRUE(std::isnan(clipper.processSample(std::numeric_limits<float>::quiet_NaN())));
  clipper.setThresholdDb(6.0);  // above full scale is taken as full scale
  EXPECT_EQ(clipper.processSample(3.0f), 1.0f);
}

}  // namespace
}  // namespace woodshed::dsp
