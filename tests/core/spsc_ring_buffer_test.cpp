#include "woodshed/core/spsc_ring_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace woodshed::core {
namespace {

TEST(SpscRingBuffer, RefusesCapacitiesThatAreNotPowersOfTwo) {
  EXPECT_THROW(SpscRingBuffer<int>(0), InvalidArgument);
  EXPECT_THROW(SpscRingBuffer<int>(3), InvalidArgument);
  EXPECT_THROW(SpscRingBuffer<int>(1000), InvalidArgument);
  EXPECT_NO_THROW(SpscRingBuffer<int>(1024));
}

TEST(SpscRingBuffer, PushAllIsAllOrNothingWhenNearlyFull) {
  SpscRingBuffer<int> ring(8);
  const int items[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(ring.tryPushAll(items, 6));
  EXPECT_FALSE(ring.tryPushAll(items, 3));
  EXPECT_EQ(ring.readableCount(), 6u);
  EXPECT_TRUE(ring.tryPushAll(items, 2));
  EXPECT_FALSE(ring.tryPush(9));
}

TEST(SpscRingBuffer, WrapsAroundAtCapacity) {
  SpscRingBuffer<int> ring(4);
  int out[4] = {};
  for (int lap = 0; lap < 10; ++lap) {
    const int items[3] = {lap * 3, lap * 3 + 1, lap * 3 + 2};
    ASSERT_TRUE(ring.tryPushAll(items, 3));
    ASSERT_EQ(ring.tryPopSome(out, 4), 3u);
    EXPECT_EQ(out[0], lap * 3);
    EXPECT_EQ(out[2], lap * 3 + 2);
  }
}

TEST(SpscRingBuffer, CountersWrapAroundTwoToThe32) {
  // 2^32 items would take minutes; instead run long enough that slot indices wrap many times
  // and check the fill arithmetic at every step.
  SpscRingBuffer<std::uint32_t> ring(2);
  std::uint32_t value = 0, expected = 0, out = 0;
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(ring.tryPush(value++));
    ASSERT_TRUE(ring.tryPop(out));
    ASSERT_EQ(out, expected++);
    ASSERT_EQ(ring.readableCount(), 0u);
  }
}

// Producer and consumer on two threads exchange random-sized chunks; the consumer checks the
// sequence is intact. This is the property the audio path relies on.
TEST(SpscRingBuffer, PreservesSequenceAcrossThreadsWithRandomChunkSizes) {
  constexpr std::uint64_t kTotal = 10'000'000;
  SpscRingBuffer<std::uint32_t> ring(1024);
  std::thread producer([&] {
    std::mt19937 rng(1234);
    std::uniform_int_distribution<std::uint32_t> chunk(1, 700);
    std::vector<std::uint32_t> buffer(700);
    std::uint64_t next = 0;
    while (next < kTotal) {
      const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk(rng), kTotal - next));
      for (std::uint32_t i = 0; i < n; ++i) buffer[i] = static_cast<std::uint32_t>(next + i);
      const FrameCount pushed = ring.tryPushSome(buffer.data(), n);
      next += pushed;
      if (pushed == 0) std::this_thread::yield();
    }
  });
  std::mt19937 rng(99);
  std::uniform_int_distribution<std::uint32_t> chunk(1, 900);
  std::vector<std::uint32_t> buffer(900);
  std::uint64_t received = 0, mismatches = 0;
  while (received < kTotal) {
    const FrameCount n = ring.tryPopSome(buffer.data(), chunk(rng));
    for (FrameCount i = 0; i < n; ++i) mismatches += buffer[i] != static_cast<std::uint32_t>(received + i);
    received += n;
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(received, kTotal);
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace woodshed::core
