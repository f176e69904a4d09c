#include "woodshed/core/mpmc_bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace woodshed::core {
namespace {

TEST(MpmcBoundedQueue, ReportsFullAndEmptyAtOnce) {
  MpmcBoundedQueue<int> queue(4);
  int out = 0;
  EXPECT_FALSE(queue.tryPop(out));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(queue.tryPush(int{i}));
  EXPECT_FALSE(queue.tryPush(99));
  ASSERT_TRUE(queue.tryPop(out));
  EXPECT_EQ(out, 0);
}

TEST(MpmcBoundedQueue, DeliversEveryItemExactlyOnceWithManyProducersAndConsumers) {
  constexpr int kProducers = 3, kConsumers = 3, kPerProducer = 200000;
  MpmcBoundedQueue<int> queue(256);
  std::vector<std::atomic<int>> seen(kProducers * kPerProducer);
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        while (!queue.tryPush(p * kPerProducer + i)) std::this_thread::yield();
      }
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      int item = 0;
      while (consumed.load() < kProducers * kPerProducer) {
        if (queue.tryPop(item)) {
          seen[item].fetch_add(1);
          consumed.fetch_add(1);
        } else {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  int wrong = 0;
  for (auto& s : seen) wrong += s.load() != 1;
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace woodshed::core
