#include "woodshed/core/triple_buffer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace woodshed::core {
namespace {

struct Snapshot {
  std::uint64_t a = 0;
  std::uint64_t b = 0;  // always a * 3: a torn read would break it
};

TEST(TripleBuffer, ReaderSeesTheLatestWrite) {
  TripleBuffer<Snapshot> buffer;
  buffer.write({1, 3});
  buffer.write({2, 6});
  EXPECT_EQ(buffer.read().a, 2u);
  EXPECT_EQ(buffer.read().a, 2u) << "no new write: the last value stays";
  buffer.write({5, 15});
  EXPECT_EQ(buffer.read().a, 5u);
}

TEST(TripleBuffer, NeverTearsAndNeverGoesBackwardsUnderConcurrency) {
  TripleBuffer<Snapshot> buffer;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::uint64_t i = 1; i <= 2'000'000; ++i) buffer.write({i, i * 3});
    done = true;
  });
  std::uint64_t last = 0, torn = 0, backwards = 0;
  while (!done.load()) {
    const Snapshot s = buffer.read();
    torn += s.b != s.a * 3;
    backwards += s.a < last;
    last = s.a;
  }
  writer.join();
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(backwards, 0u);
  EXPECT_EQ(buffer.read().a, 2'000'000u);
}

}  // namespace
}  // namespace woodshed::core
