#include "woodshed/core/audio_ring.h"
#include "woodshed/core/error.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

namespace woodshed::core {
namespace {

TEST(AudioRing, RefusesBadShapes) {
  EXPECT_THROW(AudioRing(0, 64), InvalidArgument);
  EXPECT_THROW(AudioRing(AudioRing::kMaxChannels + 1, 64), InvalidArgument);
  EXPECT_THROW(AudioRing(2, 100), InvalidArgument);
}

TEST(AudioRing, CarriesPlanarFramesAndTheirSourcePositions) {
  AudioRing ring(2, 8);
  float left[6] = {0, 1, 2, 3, 4, 5}, right[6] = {10, 11, 12, 13, 14, 15};
  const float* in[2] = {left, right};
  const SourcePosition from1000[6] = {1000, 1001, 1002, 1003, 1004, 1005};
  ASSERT_TRUE(ring.tryPushBlock(in, 6, from1000));
  EXPECT_FALSE(ring.tryPushBlock(in, 3, from1000)) << "a block that does not fit is refused whole";
  float outL[4], outR[4];
  float* out[2] = {outL, outR};
  SourcePosition positions[4];
  ASSERT_EQ(ring.tryPopBlock(out, 4, positions), 4u);
  EXPECT_EQ(outL[3], 3.0f);
  EXPECT_EQ(outR[0], 10.0f);
  EXPECT_EQ(positions[0], 1000);
  EXPECT_EQ(positions[3], 1003);
  // This block wraps around the end of storage.
  ASSERT_TRUE(ring.tryPushBlock(in, 5, nullptr));
  ASSERT_EQ(ring.tryPopBlock(out, 4, positions), 4u);
  EXPECT_EQ(outL[0], 4.0f);
  EXPECT_EQ(positions[1], 1005);
  EXPECT_EQ(positions[2], kNoSourcePosition);
  EXPECT_EQ(outR[3], 11.0f);
}

TEST(AudioRing, LayoutPointsAtTheLiveCountersAndStorage) {
  AudioRing ring(2, 16);
  const AudioRing::Layout layout = ring.layout();
  EXPECT_EQ(layout.capacityFrames, 16u);
  EXPECT_EQ(layout.channels, 2u);
  float l[3] = {0.5f, 0.25f, 0.125f};
  const float* in[2] = {l, l};
  const SourcePosition from7[3] = {7, 8, 9};
  ASSERT_TRUE(ring.tryPushBlock(in, 3, from7));
  const auto* write = reinterpret_cast<const std::atomic<std::uint32_t>*>(layout.writeCounter);
  EXPECT_EQ(write->load(), 3u);
  const auto* samples = reinterpret_cast<const float*>(layout.samples);
  EXPECT_EQ(samples[16 + 1], 0.25f) << "channel 1 starts one capacity after channel 0";
  EXPECT_EQ(reinterpret_cast<const SourcePosition*>(layout.positions)[2], 9);
}

TEST(AudioRing, StreamsTenMillionFramesIntactBetweenThreads) {
  constexpr std::uint64_t kTotal = 10'000'000;
  AudioRing ring(2, 4096);
  std::thread producer([&] {
    std::mt19937 rng(7);
    std::uniform_int_distribution<FrameCount> chunk(1, 512);
    std::vector<float> l(512), r(512);
    std::vector<SourcePosition> positions(512);
    std::uint64_t next = 0;
    while (next < kTotal) {
      const auto n = static_cast<FrameCount>(std::min<std::uint64_t>(chunk(rng), kTotal - next));
      for (FrameCount i = 0; i < n; ++i) {
        l[i] = static_cast<float>((next + i) % 65536);
        r[i] = -l[i];
        positions[i] = static_cast<SourcePosition>((next + i) % 1'000'000'000);
      }
      const float* in[2] = {l.data(), r.data()};
      while (!ring.tryPushBlock(in, n, positions.data())) std::this_thread::yield();
      next += n;
    }
  });
  std::mt19937 rng(8);
  std::uniform_int_distribution<FrameCount> chunk(1, 1000);
  std::vector<float> l(1000), r(1000);
  std::vector<SourcePosition> positions(1000);
  std::uint64_t received = 0, badSamples = 0, badPositions = 0;
  while (received < kTotal) {
    float* out[2] = {l.data(), r.data()};
    const FrameCount n = ring.tryPopBlock(out, chunk(rng), positions.data());
    for (FrameCount i = 0; i < n; ++i) {
      const auto expected = static_cast<float>((received + i) % 65536);
      badSamples += (l[i] != expected) + (r[i] != -expected);
      badPositions += positions[i] != static_cast<SourcePosition>((received + i) % 1'000'000'000);
    }
    received += n;
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(badSamples, 0u);
  EXPECT_EQ(badPositions, 0u);
}

}  // namespace
}  // namespace woodshed::core
