#include "woodshed/engine/output_chain.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <algorithm>
#include <vector>

namespace woodshed::engine {
namespace {

struct StereoBlock {
  explicit StereoBlock(FrameCount frames) : left(frames), right(frames), channels{left.data(), right.data()} {}
  dsp::AudioBlock view() { return dsp::AudioBlock{channels, 2, static_cast<FrameCount>(left.size())}; }
  std::vector<float> left, right;
  float* channels[2];
};

// Runs a long signal through the chain in blocks; returns the output, one channel.
std::vector<float> runChain(OutputChain& chain, const std::vector<float>& input, FrameCount block) {
  std::vector<float> output;
  StereoBlock buffer(block);
  for (std::size_t offset = 0; offset + block <= input.size(); offset += block) {
    std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(offset), block, buffer.left.begin());
    std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(offset), block, buffer.right.begin());
    chain.process(buffer.view());
    output.insert(output.end(), buffer.left.begin(), buffer.left.end());
  }
  return output;
}

TEST(OutputChain, LeavesASignalBelowTheCeilingBitExactApartFromItsFixedDelay) {
  OutputChain chain;
  chain.prepare(dsp::ProcessSpec{44100.0, 256, 2});
  const FrameCount latency = chain.latencyFrames();
  EXPECT_GT(latency, 0u) << "the limiter looks ahead";
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> quiet(-0.89f, 0.89f);  // below -1 dBFS
  std::vector<float> input(256 * 100);
  for (auto& s : input) s = quiet(rng);
  const std::vector<float> output = runChain(chain, input, 256);
  std::size_t mismatches = 0;
  for (std::size_t i = latency; i < output.size(); ++i) mismatches += output[i] != input[i - latency];
  EXPECT_EQ(mismatches, 0u);
  for (std::size_t i = 0; i < latency; ++i) ASSERT_EQ(output[i], 0.0f);
}

// A ceiling above the safety clipper's default threshold (-0.5 dBFS): noise peaking between
// -0.5 and -0.1 dBFS, under a -0.1 dBFS ceiling, still comes out bit for bit; the clipper's
// threshold moved up with the ceiling instead of bending those peaks. The limiter's peak is the
// input's. At every ceiling from -24 to 0 dBFS, loud noise comes out of the limiter at most at
// the ceiling, and of the chain at most at full scale.
TEST(OutputChain, ACeilingAboveTheClippersDefaultIsNotBentBelowIt) {
  OutputChain chain;
  chain.prepare(dsp::ProcessSpec{48000.0, 128, 2});
  chain.setLimiter(-0.1, true);
  const float ceiling = static_cast<float>(std::pow(10.0, -0.1 / 20.0));
  EXPECT_GE(chain.clipperThreshold(), ceiling);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> loud(-0.985f, 0.985f);  // up to -0.13 dBFS
  std::vector<float> input(128 * 200);
  for (auto& s : input) s = loud(rng);
  const float inputPeak = std::fabs(*std::max_element(input.begin(), input.end(), [](float a, float b) { return std::fabs(a) < std::fabs(b); }));
  ASSERT_GT(inputPeak, 0.98f) << "the noise reaches above the old threshold (0.944)";
  const FrameCount latency = chain.latencyFrames();
  const std::vector<float> output = runChain(chain, input, 128);
  std::size_t mismatches = 0;
  for (std::size_t i = latency; i < output.size(); ++i) mismatches += output[i] != input[i - latency];
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(chain.limiterPeak(), inputPeak) << "everything but the look-ahead's tail came out";

  std::uniform_real_distribution<float> overs(-4.0f, 4.0f);
  for (double ceilingDb : {-24.0, -6.0, -1.0, -0.3, 0.0}) {
    chain.setLimiter(ceilingDb, true);
    EXPECT_EQ(chain.limiterPeak(), 0.0f) << "a new setting starts a new peak";
    std::vector<float> hot(128 * 100);
    for (auto& s : hot) s = overs(rng);
    const std::vector<float> out = runChain(chain, hot, 128);
    const float held = static_cast<float>(std::pow(10.0, ceilingDb / 20.0));
    // Samples already in the look-ahead when the ceiling dropped are clamped there too.
    EXPECT_LE(chain.limiterPeak(), held) << ceilingDb;
    EXPECT_GE(chain.limiterPeak(), held * 0.9f) << ceilingDb << ": it is limiting, not silent";
    for (float x : out) ASSERT_LE(std::fabs(x), 1.0f);
  }
}

TEST(OutputChain, NanOrInfinityBecomesSilenceAndTheChainRecoversWithinABlock) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    OutputChain chain;
    chain.prepare(dsp::ProcessSpec{44100.0, 128, 2});
    // Boost a band so the EQ's filters are in the path and could hold on to a bad value.
    chain.setEqBand(3, dsp::BandParams{1000.0, 6.0, 1.0, true});
    std::vector<float> input(128 * 40, 0.0f);
    for (std::size_t i = 0; i < input.size(); ++i) input[i] = 0.1f * std::sin(0.05f * static_cast<float>(i));
    input[128 * 20 + 17] = bad;
    const std::vector<float> output = runChain(chain, input, 128);
    for (float s : output) ASSERT_TRUE(std::isfinite(s)) << "no bad value reaches the output";
    // From the block after the bad one (plus the fixed delay), the output is the signal again.
    std::vector<float> clean(input);
    clean[128 * 20 + 17] = 0.0f;
    OutputChain reference;
    reference.prepare(dsp::ProcessSpec{44100.0, 128, 2});
    reference.setEqBand(3, dsp::BandParams{1000.0, 6.0, 1.0, true});
    const std::vector<float> expected = runChain(reference, clean, 128);
    double worst = 0.0;
    for (std::size_t i = 128 * 22 + chain.latencyFrames(); i < output.size(); ++i) {
      worst = std::max(worst, std::fabs(double{output[i]} - expected[i]));
    }
    EXPECT_LT(worst, 0.01) << "recovered within a block";
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
