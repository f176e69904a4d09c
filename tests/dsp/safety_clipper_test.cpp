#include "woodshed/dsp/safety_clipper.h"

#include <gtest/gtest.h>

#include <cmath>
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

}  // namespace
}  // namespace woodshed::dsp
