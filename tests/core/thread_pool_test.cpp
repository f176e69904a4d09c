#include "woodshed/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

namespace woodshed::core {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// About `duration` of real computation (not sleeping), as a long job's unit of work.
double busyWork(std::chrono::microseconds duration) {
  const auto end = Clock::now() + duration;
  double x = 1.0;
  while (Clock::now() < end) {
    for (int i = 0; i < 200; ++i) x = std::sqrt(x + 1.0);
  }
  return x;
}

// Waits (in a test thread, never the browser main thread) until `condition` holds or 10 s pass.
template <typename Condition>
bool eventually(Condition condition) {
  const auto deadline = Clock::now() + 10s;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(ThreadPool, RunsJobsAndReportsProgress) {
  ThreadPool pool(2);
  std::atomic<int> sum{0};
  JobHandle handle = pool.submit("sum", [&](JobContext& context) {
    for (int i = 1; i <= 10; ++i) {
      sum += i;
      context.setProgress(i / 10.0);
    }
  });
  ASSERT_TRUE(handle.waitFor(10s));
  EXPECT_EQ(handle.status(), JobStatus::Succeeded);
  EXPECT_EQ(sum.load(), 55);
  EXPECT_DOUBLE_EQ(handle.progress(), 1.0);
  EXPECT_EQ(handle.name(), "sum");
}

TEST(ThreadPool, CancelledJobStopsAtItsNextCheck) {
  ThreadPool pool(1);
  std::atomic<int> unitsDone{0};
  constexpr int kUnits = 10000;  // 10 s of work if nothing stops it
  JobHandle handle = pool.submit("long job", [&](JobContext& context) {
    for (int unit = 0; unit < kUnits; ++unit) {
      context.throwIfCancellationRequested();
      busyWork(1ms);
      unitsDone.fetch_add(1, std::memory_order_relaxed);
      context.setProgress(static_cast<double>(unit + 1) / kUnits);
    }
  });
  ASSERT_TRUE(eventually([&] { return unitsDone.load() >= 5; }));
  const int unitsAtCancel = unitsDone.load();
  const auto cancelledAt = Clock::now();
  handle.cancel();
  ASSERT_TRUE(handle.waitFor(10s));
  const auto stopMs = std::chrono::duration<double, std::milli>(Clock::now() - cancelledAt).count();
  std::printf("[ measure  ] job stopped %.2f ms after cancel, %d unit(s) after\n", stopMs,
              unitsDone.load() - unitsAtCancel);
  EXPECT_EQ(handle.status(), JobStatus::Cancelled);
  EXPECT_LE(unitsDone.load() - unitsAtCancel, 1) << "at most the unit in progress finishes";
  EXPECT_LT(handle.progress(), 0.1);
}

TEST(ThreadPool, RefusesWithAClearErrorWhenTheQueueIsFull) {
  ThreadPool pool(1, 4);
  std::atomic<bool> release{false};
  JobHandle blocker = pool.submit("blocker", [&](JobContext&) {
    while (!release.load()) std::this_thread::sleep_for(100us);
  });
  ASSERT_TRUE(eventually([&] { return blocker.status() == JobStatus::Running; }));
  std::vector<JobHandle> queued;
  for (int i = 0; i < 4; ++i) queued.push_back(pool.submit("queued", [](JobContext&) {}));
  try {
    pool.submit("one too many", [](JobContext&) {});
    ADD_FAILURE() << "the fifth waiting job should be refused";
  } catch (const LimitExceeded& e) {
    EXPECT_EQ(e.limitName(), "thread pool queue");
    EXPECT_EQ(e.limit(), 4u);
    EXPECT_NE(std::string(e.what()).find("too many jobs"), std::string::npos);
  }
  release = true;
  for (auto& handle : queued) {
    ASSERT_TRUE(handle.waitFor(10s));
    EXPECT_EQ(handle.status(), JobStatus::Succeeded);
  }
}

TEST(ThreadPool, AJobThatThrowsFailsWithItsMessageAndTheWorkerLivesOn) {
  ThreadPool pool(1);
  JobHandle failing = pool.submit("bad", [](JobContext&) { throw std::runtime_error("decoder exploded"); });
  JobHandle weird = pool.submit("weird", [](JobContext&) { throw 7; });
  std::atomic<bool> ran{false};
  JobHandle after = pool.submit("after", [&](JobContext&) { ran = true; });
  ASSERT_TRUE(after.waitFor(10s));
  EXPECT_EQ(failing.status(), JobStatus::Failed);
  EXPECT_EQ(failing.error(), "decoder exploded");
  EXPECT_EQ(weird.status(), JobStatus::Failed);
  EXPECT_EQ(weird.error(), "unknown error");
  EXPECT_EQ(after.status(), JobStatus::Succeeded);
  EXPECT_TRUE(ran.load());
}

TEST(ThreadPool, JobsCanSubmitJobs) {
  ThreadPool pool(2);
  std::atomic<bool> childRan{false};
  auto childHandle = std::make_shared<JobHandle>();
  std::atomic<bool> childSubmitted{false};
  JobHandle parent = pool.submit("parent", [&](JobContext& context) {
    *childHandle = context.pool().submit("child", [&](JobContext&) { childRan = true; });
    childSubmitted = true;
  });
  ASSERT_TRUE(parent.waitFor(10s));
  ASSERT_TRUE(childSubmitted.load());
  ASSERT_TRUE(childHandle->waitFor(10s));
  EXPECT_EQ(childHandle->status(), JobStatus::Succeeded);
  EXPECT_TRUE(childRan.load());
}

TEST(ThreadPool, ACancelledQueuedJobNeverRuns) {
  ThreadPool pool(1);
  std::atomic<bool> release{false}, ran{false};
  JobHandle blocker = pool.submit("blocker", [&](JobContext&) {
    while (!release.load()) std::this_thread::sleep_for(100us);
  });
  JobHandle queued = pool.submit("queued", [&](JobContext&) { ran = true; });
  queued.cancel();
  release = true;
  ASSERT_TRUE(queued.waitFor(10s));
  EXPECT_EQ(queued.status(), JobStatus::Cancelled);
  EXPECT_FALSE(ran.load());
}

TEST(ThreadPool, ShutsDownPromptlyWithJobsInFlight) {
  std::atomic<int> started{0};
  std::vector<JobHandle> handles;
  const auto begin = Clock::now();
  {
    ThreadPool pool(2);
    for (int i = 0; i < 8; ++i) {
      handles.push_back(pool.submit("endless", [&](JobContext& context) {
        ++started;
        // Would run for 100 s: only cancellation ends it.
        for (int unit = 0; unit < 100000 && !context.isCancellationRequested(); ++unit) busyWork(1ms);
      }));
    }
    ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - begin).count();
  std::printf("[ measure  ] pool with 2 running and 6 queued jobs shut down in %.1f ms\n", ms);
  EXPECT_EQ(started.load(), 2) << "queued jobs must not start during shutdown";
  for (auto& handle : handles) {
    EXPECT_TRUE(handle.isFinished());
    EXPECT_EQ(handle.status(), JobStatus::Cancelled);
  }
  EXPECT_LT(ms, 5000.0);
}

TEST(ThreadPool, RefusesSubmissionsWhileShuttingDown) {
  std::optional<JobHandle> late;
  std::string error;
  {
    ThreadPool pool(1);
    std::atomic<bool> inJob{false};
    pool.submit("watcher", [&](JobContext& context) {
      inJob = true;
      while (!context.isCancellationRequested()) std::this_thread::sleep_for(100us);
      try {
        late = context.pool().submit("late", [](JobContext&) {});
      } catch (const Error& e) {
        error = e.what();
      }
    });
    ASSERT_TRUE(eventually([&] { return inJob.load(); }));
  }
  EXPECT_FALSE(late.has_value());
  EXPECT_NE(error.find("shutting down"), std::string::npos) << error;
}

}  // namespace
}  // namespace woodshed::core
