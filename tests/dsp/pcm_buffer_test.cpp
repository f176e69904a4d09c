#include "woodshed/dsp/pcm_buffer.h"

#include <gtest/gtest.h>

#include <vector>

#include <cmath>
#include <limits>
#include <string>

#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

TEST(PcmBuffer, StoresSixteenBitRoundedAndClipped) {
  core::MemoryBudget budget("test budget", 1 << 20);
  PcmBuffer pcm(2, 4, 48000.0, budget);
  const float left[4] = {0.0f, 0.5f, -1.0f, 2.0f};
  pcm.write(0, 0, left, 4);
  EXPECT_EQ(pcm.channel(0)[1], 16384);
  EXPECT_EQ(pcm.channel(0)[2], -32768);
  EXPECT_EQ(pcm.channel(0)[3], 32767) << "clipped, not wrapped";
  EXPECT_EQ(pcm.bytes(), 2u * 4u * 2u);
  EXPECT_EQ(budget.usedBytes(), 16u);
}

// What a browser's decoder gives for a 16-bit file (s / 32768) is stored as s, for every s.
TEST(PcmBuffer, StoresEverySixteenBitValueAsItself) {
  core::MemoryBudget budget("test budget", 1 << 20);
  PcmBuffer pcm(1, 65536, 48000.0, budget);
  std::vector<float> decoded(65536);
  for (int i = 0; i < 65536; ++i) decoded[static_cast<std::size_t>(i)] = static_cast<float>(i - 32768) / 32768.0f;
  pcm.write(0, 0, decoded.data(), decoded.size());
  int different = 0;
  for (int i = 0; i < 65536; ++i) different += pcm.channel(0)[i] != i - 32768;
  EXPECT_EQ(different, 0);
}

TEST(PcmBuffer, RefusesNonFiniteSamplesNamingWhere) {
  core::MemoryBudget budget("test budget", 1 << 20);
  PcmBuffer pcm(1, 48000, 48000.0, budget);
  std::vector<float> samples(48000, 0.1f);
  samples[24000] = std::numeric_limits<float>::quiet_NaN();
  try {
    pcm.write(0, 0, samples.data(), samples.size());
    FAIL() << "NaN accepted";
  } catch (const core::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("invalid samples (NaN or infinity)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("0.500 s"), std::string::npos) << e.what();
  }
}

TEST(PcmBuffer, RefusesShapesItCannotHold) {
  core::MemoryBudget budget("test budget", 1 << 20);
  EXPECT_THROW(PcmBuffer(0, 100, 44100.0, budget), core::InvalidArgument);
  EXPECT_THROW(PcmBuffer(3, 100, 44100.0, budget), core::InvalidArgument);
  EXPECT_THROW(PcmBuffer(2, 0, 44100.0, budget), core::InvalidArgument);
  EXPECT_THROW(PcmBuffer(2, 100, 0.0, budget), core::InvalidArgument);
  EXPECT_EQ(budget.usedBytes(), 0u);
}

TEST(PcmBuffer, StaysWithinItsBudgetAndReturnsItWhenFreed) {
  core::MemoryBudget budget("audio memory budget", 1000);
  {
    PcmBuffer first(1, 400, 44100.0, budget);  // 800 bytes
    try {
      PcmBuffer second(1, 200, 44100.0, budget);
      FAIL() << "over budget";
    } catch (const core::LimitExceeded& e) {
      EXPECT_EQ(e.limitName(), "audio memory budget");
      EXPECT_NE(std::string(e.what()).find("needs"), std::string::npos);
    }
    EXPECT_EQ(budget.usedBytes(), 800u);
  }
  EXPECT_EQ(budget.usedBytes(), 0u);
}

}  // namespace
}  // namespace woodshed::dsp
