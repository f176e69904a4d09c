// The decoded-audio budget follows the device: a quarter of its memory, within the heap the
// app may grow to, and a 30-minute song's four stems fit on an 8 GB device.

#include "woodshed/engine/memory_plan.h"

#include <gtest/gtest.h>

namespace woodshed::engine {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kHeap = 2 * kGiB;  // -sMAXIMUM_MEMORY

TEST(MemoryPlan, AQuarterOfTheDeviceWithinTheHeap) {
  EXPECT_EQ(decodedAudioBudget(8 * kGiB, kHeap), kHeap - kAppReserveBytes);
  EXPECT_EQ(decodedAudioBudget(4 * kGiB, kHeap), kGiB);
  EXPECT_EQ(decodedAudioBudget(2 * kGiB, kHeap), kGiB / 2);
  EXPECT_EQ(decodedAudioBudget(kGiB, kHeap), kMinDecodedAudioBytes) << "never below the least budget";
  EXPECT_EQ(decodedAudioBudget(0, kHeap), kGiB) << "unknown: taken as 4 GB";
  EXPECT_EQ(decodedAudioBudget(8 * kGiB, kGiB), kGiB - kAppReserveBytes) << "a smaller heap limits it";
}

TEST(MemoryPlan, AThirtyMinuteSongsFourStemsAt48kHzFitOnAnEightGigabyteDevice) {
  const std::uint64_t stem = std::uint64_t{30} * 60 * 48000 * 2 * 2;  // stereo, 16-bit
  EXPECT_GE(decodedAudioBudget(8 * kGiB, kHeap), 4 * stem);
  EXPECT_LT(decodedAudioBudget(4 * kGiB, kHeap), 4 * stem) << "a 4 GB device holds fewer (the figure the refusal names)";
}

}  // namespace
}  // namespace woodshed::engine
