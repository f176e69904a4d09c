#include "woodshed/core/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "woodshed/core/render_pressure.h"
#include "woodshed/engine/engine.h"

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

// Blocks its thread until `release` is set.
JobFunction blockUntil(const std::atomic<bool>& release) {
  return [&release](JobContext&) {
    while (!release.load()) std::this_thread::sleep_for(100us);
  };
}

TEST(ThreadPool, RefusesWithAClearErrorWhenALanesQueueIsFull) {
  ThreadPoolConfig config;
  config.interactiveQueueCapacity = 4;
  config.longQueueCapacity = 2;
  ThreadPool pool(config);
  EXPECT_EQ(pool.queueCapacity(Lane::Interactive), 4u);
  EXPECT_EQ(pool.queueCapacity(Lane::Long), 2u);
  std::atomic<bool> release{false};
  // Both threads busy, so nothing leaves the queues.
  JobHandle longBlocker = pool.submit("long blocker", blockUntil(release), Lane::Long);
  ASSERT_TRUE(eventually([&] { return longBlocker.status() == JobStatus::Running; }));
  JobHandle blocker = pool.submit("blocker", blockUntil(release));
  ASSERT_TRUE(eventually([&] { return blocker.status() == JobStatus::Running; }));

  std::vector<JobHandle> queued;
  for (int i = 0; i < 4; ++i) queued.push_back(pool.submit("queued", [](JobContext&) {}));
  try {
    pool.submit("one too many", [](JobContext&) {});
    ADD_FAILURE() << "the fifth waiting interactive job should be refused";
  } catch (const LimitExceeded& e) {
    EXPECT_EQ(e.limitName(), "thread pool interactive queue");
    EXPECT_EQ(e.limit(), 4u);
    EXPECT_NE(std::string(e.what()).find("too many interactive jobs"), std::string::npos) << e.what();
  }
  // The long lane's queue is its own: full at 2, while the interactive one is full too.
  for (int i = 0; i < 2; ++i) queued.push_back(pool.submit("queued long", [](JobContext&) {}, Lane::Long));
  try {
    pool.submit("one too many long", [](JobContext&) {}, Lane::Long);
    ADD_FAILURE() << "the third waiting long job should be refused";
  } catch (const LimitExceeded& e) {
    EXPECT_EQ(e.limitName(), "thread pool long queue");
    EXPECT_EQ(e.limit(), 2u);
    EXPECT_NE(std::string(e.what()).find("too many long jobs"), std::string::npos) << e.what();
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
  // The two threads may run them in any order.
  for (const JobHandle* job : {&failing, &weird, &after}) ASSERT_TRUE(job->waitFor(10s));
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
  // The long lane has one thread and lends none of its queue to the other lane.
  JobHandle blocker = pool.submit("blocker", blockUntil(release), Lane::Long);
  JobHandle queued = pool.submit("queued", [&](JobContext&) { ran = true; }, Lane::Long);
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
    ThreadPool pool(2);  // one thread a lane; the long one borrows interactive work
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

TEST(ThreadPool, SplitsItsThreadsBetweenTheLanes) {
  const auto split = [](unsigned threads) {
    const ThreadPoolConfig config = ThreadPoolConfig::forThreads(threads);
    return std::make_pair(config.interactiveThreads, config.longThreads);
  };
  EXPECT_EQ(split(0), std::make_pair(1u, 1u));
  EXPECT_EQ(split(1), std::make_pair(1u, 1u));
  EXPECT_EQ(split(2), std::make_pair(1u, 1u));
  EXPECT_EQ(split(3), std::make_pair(2u, 1u));
  EXPECT_EQ(split(8), std::make_pair(4u, 4u));
  ThreadPool pool(3);
  EXPECT_EQ(pool.threadCount(), 3u);
  EXPECT_EQ(pool.threadCount(Lane::Interactive), 2u);
  EXPECT_EQ(pool.threadCount(Lane::Long), 1u);
  EXPECT_EQ(ThreadPool(1).threadCount(), ThreadPool::kMinThreads);

  ThreadPoolConfig noLongThreads;
  noLongThreads.longThreads = 0;
  EXPECT_THROW(ThreadPool{noLongThreads}, InvalidArgument);
  ThreadPoolConfig badQueue;
  badQueue.longQueueCapacity = 3;
  EXPECT_THROW(ThreadPool{badQueue}, InvalidArgument);
}

TEST(ThreadPool, LongWorkNeverRunsOnTheInteractiveLanesThreads) {
  ThreadPoolConfig config;
  config.interactiveThreads = 2;
  config.longThreads = 1;
  ThreadPool pool(config);
  std::atomic<bool> release{false};
  std::vector<JobHandle> longJobs;
  for (int i = 0; i < 3; ++i) longJobs.push_back(pool.submit("long", blockUntil(release), Lane::Long));
  ASSERT_TRUE(eventually([&] { return longJobs[0].status() == JobStatus::Running; }));
  std::this_thread::sleep_for(50ms);
  // Two interactive threads idle, and still the other long jobs wait for the long thread.
  EXPECT_EQ(longJobs[1].status(), JobStatus::Queued);
  EXPECT_EQ(longJobs[2].status(), JobStatus::Queued);
  JobHandle interactive = pool.submit("waveform", [](JobContext& context) {
    EXPECT_EQ(context.lane(), Lane::Interactive);
  });
  ASSERT_TRUE(interactive.waitFor(10s));
  EXPECT_EQ(interactive.status(), JobStatus::Succeeded);
  EXPECT_EQ(interactive.lane(), Lane::Interactive);
  EXPECT_EQ(longJobs[0].lane(), Lane::Long);
  release = true;
  for (auto& job : longJobs) ASSERT_TRUE(job.waitFor(10s));
}

TEST(ThreadPool, AnIdleLongThreadTakesInteractiveWorkWhenTheInteractiveThreadsAreBusy) {
  ThreadPool pool(2);  // one thread a lane
  std::atomic<bool> release{false};
  std::atomic<int> running{0};
  std::vector<JobHandle> jobs;
  for (int i = 0; i < 2; ++i) {
    jobs.push_back(pool.submit("analysis", [&](JobContext&) {
      ++running;
      while (!release.load()) std::this_thread::sleep_for(100us);
    }));
  }
  EXPECT_TRUE(eventually([&] { return running.load() == 2; })) << "both interactive jobs run at once";
  release = true;
  for (auto& job : jobs) ASSERT_TRUE(job.waitFor(10s));
}

TEST(ThreadPool, AJobOfTCarriesItsValueOnceItSucceeds) {
  ThreadPool pool(2);
  Job<std::vector<int>> job = pool.submitForResult("squares", Lane::Long, [](JobContext& context) {
    std::vector<int> squares;
    for (int i = 1; i <= 4; ++i) {
      context.throwIfCancellationRequested();
      squares.push_back(i * i);
      context.setProgress(i / 4.0);
    }
    return squares;
  });
  EXPECT_EQ(job.lane(), Lane::Long);
  EXPECT_EQ(job.name(), "squares");
  ASSERT_TRUE(job.waitFor(10s));
  ASSERT_TRUE(job.hasValue());
  EXPECT_EQ(job.value(), (std::vector<int>{1, 4, 9, 16}));
  EXPECT_DOUBLE_EQ(job.progress(), 1.0);
  EXPECT_EQ(job.error(), "");
  // Copies share the job and its value.
  const Job<std::vector<int>> copy = job;
  EXPECT_EQ(&copy.value(), &job.value());
  EXPECT_EQ(copy.handle().status(), JobStatus::Succeeded);
}

TEST(ThreadPool, AJobOfTWithoutAValueSaysWhy) {
  std::atomic<bool> started{false};
  ThreadPool pool(2);
  EXPECT_THROW(Job<int>().value(), Error);

  Job<double> failed = pool.submitForResult("loudness", Lane::Interactive, [](JobContext&) -> double {
    throw Error("the decoder gave up at 1:23");
  });
  ASSERT_TRUE(failed.waitFor(10s));
  EXPECT_EQ(failed.status(), JobStatus::Failed);
  EXPECT_FALSE(failed.hasValue());
  try {
    failed.value();
    ADD_FAILURE() << "a failed job has no value";
  } catch (const Cancelled&) {
    ADD_FAILURE() << "a failed job is not a cancelled one";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the decoder gave up at 1:23");
  }

  Job<int> endless = pool.submitForResult("separation", Lane::Long, [&](JobContext& context) -> int {
    started = true;
    for (;;) {
      context.throwIfCancellationRequested();
      std::this_thread::sleep_for(1ms);
    }
  });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  try {
    endless.value();
    ADD_FAILURE() << "a running job has no value";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has not finished"), std::string::npos) << e.what();
  }
  endless.cancel();
  ASSERT_TRUE(endless.waitFor(10s));
  EXPECT_EQ(endless.status(), JobStatus::Cancelled);
  EXPECT_THROW(endless.value(), Cancelled);
}

TEST(RenderPressure, CountsTheProducersThatAreBehind) {
  RenderPressure pressure;
  EXPECT_FALSE(pressure.isRaised());
  pressure.raise();
  pressure.raise();  // a second engine
  pressure.lower();
  EXPECT_TRUE(pressure.isRaised()) << "one engine is still behind";
  pressure.lower();
  EXPECT_FALSE(pressure.isRaised());
  pressure.raise();
  pressure.lower();
  EXPECT_EQ(pressure.episodes(), 2u);
}

// A long job that runs until cancelled in units of `unit` of work, checking between units.
struct EndlessLongJob {
  std::atomic<int> units{0};

  JobFunction function(std::chrono::microseconds unit) {
    return [this, unit](JobContext& context) {
      for (;;) {
        context.throwIfCancellationRequested();
        busyWork(unit);
        units.fetch_add(1, std::memory_order_relaxed);
      }
    };
  }
};

TEST(ThreadPool, ALongJobPausesWhileTheRenderIsBehindAndTheStatsSaySo) {
  RenderPressure pressure;
  EndlessLongJob job;
  ThreadPoolConfig config;
  config.renderPressure = &pressure;
  ThreadPool pool(config);
  JobHandle handle = pool.submit("export", job.function(1ms), Lane::Long);
  ASSERT_TRUE(eventually([&] { return job.units.load() >= 5; }));
  EXPECT_EQ(pool.stats().longLaneYields, 0u);

  pressure.raise();
  std::this_thread::sleep_for(20ms);  // the unit in progress ends
  const int before = job.units.load();
  const auto window = 400ms;
  // Interactive work goes on at full speed meanwhile: 20 checks, no pause.
  const auto interactiveBegin = Clock::now();
  JobHandle interactive = pool.submit("normalize", [](JobContext& context) {
    for (int i = 0; i < 20; ++i) {
      context.throwIfCancellationRequested();
      busyWork(1ms);
    }
  });
  ASSERT_TRUE(interactive.waitFor(10s));
  const double interactiveMs = std::chrono::duration<double, std::milli>(Clock::now() - interactiveBegin).count();
  std::this_thread::sleep_until(interactiveBegin + window);
  const int during = job.units.load() - before;
  // One unit after each bounded pause at most, against about 400 without pressure.
  const int allowed = static_cast<int>(window / ThreadPool::kMaxRenderPressureYield) + 2;
  std::printf("[ measure  ] under render pressure: long job %d unit(s) of 1 ms in %lld ms; interactive job of 20 ms took %.1f ms\n",
              during, static_cast<long long>(window.count()), interactiveMs);
  EXPECT_LE(during, allowed);
  EXPECT_LT(interactiveMs, 500.0) << "interactive jobs never pause";

  const auto lowered = Clock::now();
  const int beforeLower = job.units.load();
  pressure.lower();
  ASSERT_TRUE(eventually([&] { return job.units.load() >= beforeLower + 10; }));
  const double resumeMs = std::chrono::duration<double, std::milli>(Clock::now() - lowered).count();
  std::printf("[ measure  ] 10 units done %.1f ms after the pressure ended\n", resumeMs);

  const ThreadPoolStats stats = pool.stats();
  std::printf("[ measure  ] long lane yields: %llu, %.3f s in all\n", static_cast<unsigned long long>(stats.longLaneYields),
              stats.longLaneYieldSeconds);
  EXPECT_GE(stats.longLaneYields, 2u);
  EXPECT_GE(stats.longLaneYieldSeconds, 0.2);
  EXPECT_LE(stats.longLaneYieldSeconds, 0.6);
  EXPECT_EQ(stats.renderPressureEpisodes, 1u);
  handle.cancel();
  ASSERT_TRUE(handle.waitFor(10s));
}

TEST(ThreadPool, ACancelledLongJobLeavesItsPauseAtOnce) {
  RenderPressure pressure;
  EndlessLongJob job;
  ThreadPoolConfig config;
  config.renderPressure = &pressure;
  ThreadPool pool(config);
  JobHandle handle = pool.submit("separation", job.function(1ms), Lane::Long);
  ASSERT_TRUE(eventually([&] { return job.units.load() >= 1; }));
  pressure.raise();
  ASSERT_TRUE(eventually([&] { return pool.stats().longLaneYields >= 1; }));
  std::this_thread::sleep_for(10ms);  // well into a pause
  const auto cancelledAt = Clock::now();
  handle.cancel();
  ASSERT_TRUE(handle.waitFor(10s));
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - cancelledAt).count();
  std::printf("[ measure  ] paused long job ended %.2f ms after cancel\n", ms);
  EXPECT_EQ(handle.status(), JobStatus::Cancelled);
  EXPECT_LT(ms, 80.0) << "a pause ends within a step (" << ThreadPool::kRenderPressureYieldStep.count()
                      << " ms), not at the end of its bound";
  pressure.lower();
}

// Runs serially and not under sanitizers (tools/test: EngineRealtime), since it measures time.
// Like every long job, the dummy one checks for cancellation after each kLongJobCheckInterval
// of CPU-bound work; each interactive job is submitted just after such a check, so "starts
// before the long job's next check" leaves it that interval at most.
TEST(EngineRealtimeJobLanes, AnInteractiveJobStartsBeforeTheLongJobsNextCancellationCheck) {
  constexpr int kUnits = 40;  // 800 ms of work per long job
  constexpr int kTrials = 10;
  struct LongReport {
    double seconds = 0.0;
    int units = 0;
  };
  // Long job 0's check times, which the test thread follows (declared before the pool, which
  // joins its jobs when it goes).
  std::array<std::atomic<std::int64_t>, kUnits + 1> checkNanos{};
  std::atomic<int> checks{0};
  const auto epoch = Clock::now();
  const auto since = [epoch](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t - epoch).count();
  };
  RenderPressure pressure;  // none: this measures the lanes alone
  // The app's shape on this machine (its pool has 2 to 8 threads).
  ThreadPoolConfig config = ThreadPoolConfig::forThreads(std::clamp(std::thread::hardware_concurrency(), 2u, 8u));
  config.renderPressure = &pressure;
  ThreadPool pool(config);
  const unsigned longThreads = pool.threadCount(Lane::Long);

  std::vector<Job<LongReport>> longJobs;
  for (unsigned j = 0; j < longThreads; ++j) {
    longJobs.push_back(pool.submitForResult("long " + std::to_string(j), Lane::Long, [&, j](JobContext& context) {
      const auto begin = Clock::now();
      LongReport report;
      for (int unit = 0; unit < kUnits; ++unit) {
        context.throwIfCancellationRequested();
        if (j == 0) {
          checkNanos[unit].store(since(Clock::now()), std::memory_order_relaxed);
          checks.fetch_add(1, std::memory_order_release);
        }
        busyWork(kLongJobCheckInterval);
        ++report.units;
        context.setProgress(static_cast<double>(unit + 1) / kUnits);
      }
      context.throwIfCancellationRequested();
      if (j == 0) {
        checkNanos[kUnits].store(since(Clock::now()), std::memory_order_relaxed);
        checks.fetch_add(1, std::memory_order_release);
      }
      report.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
      return report;
    }));
  }
  ASSERT_TRUE(eventually([&] {
    return std::all_of(longJobs.begin(), longJobs.end(), [](const auto& job) { return job.status() == JobStatus::Running; });
  }));

  std::vector<double> latenciesMs;
  for (int trial = 0; trial < kTrials; ++trial) {
    // Just after one of long job 0's checks (every other one, so the starts spread over its run).
    const int target = checks.load(std::memory_order_acquire) + 1;
    ASSERT_TRUE(eventually([&] { return checks.load(std::memory_order_acquire) >= target; }));
    ASSERT_LT(target, kUnits) << "the long job ended before the trials did";
    std::atomic<std::int64_t> startedNanos{0};  // the job ends before this goes (waitFor below)
    const std::int64_t submittedNanos = since(Clock::now());
    Job<int> interactive = pool.submitForResult("waveform", Lane::Interactive, [&](JobContext&) {
      startedNanos.store(since(Clock::now()), std::memory_order_relaxed);
      return 1;
    });
    ASSERT_TRUE(interactive.waitFor(10s));
    ASSERT_EQ(interactive.value(), 1);
    // The long job's first check after the submission.
    std::int64_t nextCheck = 0;
    ASSERT_TRUE(eventually([&] {
      const int done = checks.load(std::memory_order_acquire);
      for (int i = 0; i < done; ++i) {
        nextCheck = checkNanos[i].load(std::memory_order_relaxed);
        if (nextCheck > submittedNanos) return true;
      }
      return false;
    }));
    const std::int64_t started = startedNanos.load(std::memory_order_relaxed);
    EXPECT_LT(started, nextCheck) << "trial " << trial << ": the interactive job waited for the long job's check";
    latenciesMs.push_back(static_cast<double>(started - submittedNanos) * 1e-6);
  }

  std::vector<double> longSeconds;
  for (auto& job : longJobs) {
    ASSERT_TRUE(job.waitFor(30s));
    ASSERT_TRUE(job.hasValue()) << job.error();
    EXPECT_EQ(job.value().units, kUnits);
    longSeconds.push_back(job.value().seconds);
  }
  std::sort(latenciesMs.begin(), latenciesMs.end());
  std::printf("[ measure  ] interactive job start latency while %u long job(s) occupy the long lane (%u + %u threads): "
              "median %.3f ms, max %.3f ms over %d starts\n",
              longThreads, pool.threadCount(Lane::Interactive), longThreads, latenciesMs[latenciesMs.size() / 2],
              latenciesMs.back(), kTrials);
  std::printf("[ measure  ] long job: %d checks %lld ms apart, %.0f ms of work took %.1f ms (slowest of %zu)\n", kUnits,
              static_cast<long long>(kLongJobCheckInterval.count()),
              static_cast<double>(kUnits * kLongJobCheckInterval.count()),
              *std::max_element(longSeconds.begin(), longSeconds.end()) * 1000.0, longSeconds.size());
  EXPECT_LT(latenciesMs.back(), static_cast<double>(kLongJobCheckInterval.count()));
}

// The engine's render thread raises the process-wide pressure when its ring runs low, and a
// pool's long lane (watching it by default) pauses until the ring is back at its target.
TEST(EngineRealtimeJobLanes, TheLongLaneYieldsWhileTheEnginesRingRunsLow) {
  RenderPressure& pressure = RenderPressure::global();
  ASSERT_FALSE(pressure.isRaised());
  const std::uint64_t episodesBefore = pressure.episodes();
  EndlessLongJob job;
  ThreadPool pool(2);
  JobHandle handle = pool.submit("export", job.function(1ms), Lane::Long);
  {
    engine::Engine engine;
    engine.start(48000.0);
    core::AudioRing& ring = engine.ring();
    ASSERT_TRUE(eventually([&] { return ring.approximateFill() >= 48000 * engine.targetLatencySeconds() - 128; }));
    ASSERT_TRUE(eventually([&] { return job.units.load() >= 5; }));
    EXPECT_FALSE(pressure.isRaised()) << "a full ring, and no consumer yet";

    // A consumer that takes everything at once, far faster than real time: the ring stays low.
    ring.consumerCounters().started.store(1, std::memory_order_relaxed);
    struct Drainer {
      explicit Drainer(core::AudioRing& ring)
          : thread([this, &ring] {
              float left[128], right[128];
              float* out[2] = {left, right};
              while (draining.load(std::memory_order_relaxed)) {
                ring.tryPopBlock(out, 128, nullptr);
              }
            }) {}
      ~Drainer() { stop(); }
      void stop() {
        draining.store(false, std::memory_order_relaxed);
        if (thread.joinable()) thread.join();
      }
      std::atomic<bool> draining{true};
      std::thread thread;
    };
    Drainer consumer(ring);
    ASSERT_TRUE(eventually([&] { return pressure.isRaised(); }));
    const int before = job.units.load();
    std::this_thread::sleep_for(300ms);
    const int during = job.units.load() - before;
    const ThreadPoolStats stats = pool.stats();
    consumer.stop();
    std::printf("[ measure  ] while the ring ran low: long job did %d unit(s) of 1 ms in 300 ms, %llu yield(s), %.3f s\n",
                during, static_cast<unsigned long long>(stats.longLaneYields), stats.longLaneYieldSeconds);
    // The ring refills whenever the consumer loses its core, so the pressure comes and goes (a
    // rise between two checks counts too). On a quiet machine the job pauses through most of
    // the 300 ms (a few units, against about 300 without pressure); a busy one refills the ring
    // more often, so only the wiring is asserted: pauses, counted, of at least one quiet period.
    EXPECT_GE(stats.longLaneYields, 1u);
    EXPECT_GE(stats.longLaneYieldSeconds, std::chrono::duration<double>(ThreadPool::kRenderPressureQuiet).count());
    EXPECT_GT(pressure.episodes(), episodesBefore);

    // Left alone, the ring fills to its target, the pressure ends and the job goes on.
    ASSERT_TRUE(eventually([&] { return !pressure.isRaised(); }));
    const int resumedFrom = job.units.load();
    ASSERT_TRUE(eventually([&] { return job.units.load() >= resumedFrom + 50; }));
  }
  EXPECT_FALSE(pressure.isRaised()) << "an engine that stops leaves no pressure behind";
  handle.cancel();
  ASSERT_TRUE(handle.waitFor(10s));
}

}  // namespace
}  // namespace woodshed::core
