#include "woodshed/engine/output_chain.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace woodshed::engine {
namespace {

struct StereoBlock {
  explicit StereoBlock(FrameCount frames) : left(frames), right(frames), channels{left.data(), right.data()} {}
  dsp::AudioBlock view() { return dsp::AudioBlock{channels, 2, static_cast<FrameCount>(left.size())}; }
  std::vector<float> left, right;
  float* channels[2];
};

TEST(OutputChain, LeavesASignalBelowTheCeilingBitExact) {
  OutputChain chain;
  chain.prepare(dsp::ProcessSpec{44100.0, 256, 2});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> quiet(-0.89f, 0.89f);  // below -1 dBFS
  StereoBlock block(256);
  for (int round = 0; round < 100; ++round) {
    for (auto& s : block.left) s = quiet(rng);
    for (auto& s : block.right) s = quiet(rng);
    const auto left = block.left, right = block.right;
    ASSERT_TRUE(chain.process(block.view()));
    ASSERT_EQ(block.left, left);
    ASSERT_EQ(block.right, right);
  }
}

TEST(OutputChain, SilencesANonFiniteBlockAndRecoversOnTheNextOne) {
  OutputChain chain;
  chain.prepare(dsp::ProcessSpec{44100.0, 128, 2});
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    StereoBlock poisoned(128);
    std::fill(poisoned.left.begin(), poisoned.left.end(), 0.5f);
    poisoned.right[17] = bad;
    EXPECT_FALSE(chain.process(poisoned.view()));
    for (float s : poisoned.left) ASSERT_EQ(s, 0.0f);
    for (float s : poisoned.right) ASSERT_EQ(s, 0.0f);

    StereoBlock next(128);
    std::fill(next.left.begin(), next.left.end(), 0.25f);
    std::fill(next.right.begin(), next.right.end(), -0.25f);
    EXPECT_TRUE(chain.process(next.view()));
    EXPECT_EQ(next.left[0], 0.25f) << "the very next block plays normally";
    EXPECT_EQ(next.right[127], -0.25f);
  }
}

TEST(OutputChain, NeverExceedsFullScaleOnLoudInput) {
  OutputChain chain;
  chain.prepare(dsp::ProcessSpec{44100.0, 128, 2});
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> loud(-50.0f, 50.0f);
  StereoBlock block(128);
  for (int round = 0; round < 1000; ++round) {
    for (auto& s : block.left) s = loud(rng);
    for (auto& s : block.right) s = loud(rng);
    chain.process(block.view());
    for (float s : block.left) ASSERT_LT(std::fabs(s), 1.0f);
    for (float s : block.right) ASSERT_LT(std::fabs(s), 1.0f);
  }
}

}  // namespace
}  // namespace woodshed::engine
