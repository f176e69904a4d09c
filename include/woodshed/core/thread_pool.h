#pragma once
// A fixed pool of worker threads for long jobs (waveforms, loudness analysis, later stem
// separation), with progress, cooperative cancellation and errors delivered as values.
//
// Design
// - All threads start in the constructor. In the browser they come from Emscripten's
//   pre-sized pthread pool; nothing creates a thread later, so no thread start ever waits for
//   the browser's event loop.
// - Jobs wait in a bounded lock-free MPMC queue. submit() refuses with LimitExceeded when it
//   is full; it never blocks, so the browser main thread may call it. Jobs may submit jobs.
// - Idle workers sleep on a futex-style counter (core/wait.h) that submit() bumps and wakes.
// - A job's status, progress and cancellation flag are atomics in a JobState shared by the
//   JobHandle and the worker; no lock is held while a job runs, and none is taken to read
//   its state. The error message is written before the final status is published (release)
//   and read after it is observed (acquire).
// - A job that throws ends Failed with the message; one that throws Cancelled (or returns
//   after cancellation was requested) ends Cancelled. Worker threads never die of a job.
// - The destructor cancels running jobs, marks queued ones Cancelled without running them,
//   and joins. It must not run on the browser main thread (the app never destroys its pool).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "woodshed/core/cancellation.h"
#include "woodshed/core/mpmc_bounded_queue.h"

namespace woodshed::core {

enum class JobStatus : std::uint32_t { Queued, Running, Succeeded, Failed, Cancelled };

/// A short English name for a status ("queued", "running", ...).
const char* toString(JobStatus status) noexcept;

class ThreadPool;
struct JobState;

/// What a running job sees: its cancellation, its progress, and the pool (to submit more).
class JobContext {
 public:
  /// True once the job's handle was cancelled or the pool is shutting down. Wait-free.
  bool isCancellationRequested() const noexcept;
  /// Throws Cancelled when isCancellationRequested(); call it at least every few ms of work.
  void throwIfCancellationRequested() const;
  /// Publishes progress in [0, 1]. Wait-free.
  void setProgress(double fraction) noexcept;
  ThreadPool& pool() const noexcept { return pool_; }

 private:
  friend class ThreadPool;
  JobContext(ThreadPool& pool, JobState& state) : pool_(pool), state_(state) {}
  ThreadPool& pool_;
  JobState& state_;
};

using JobFunction = std::function<void(JobContext&)>;

/// The caller's view of a submitted job. Cheap to copy; all methods are thread-safe.
class JobHandle {
 public:
  JobHandle() = default;

  bool valid() const noexcept { return state_ != nullptr; }
  JobStatus status() const noexcept;
  bool isFinished() const noexcept;
  /// Progress in [0, 1] as last published by the job.
  double progress() const noexcept;
  /// The job's name, as given to submit().
  const std::string& name() const noexcept;
  /// Requests cancellation; a queued job will not run, a running one stops at its next check.
  void cancel() noexcept;
  /// The error of a Failed or Cancelled job ("" otherwise). Valid once isFinished().
  std::string error() const;
  /// Blocks until the job finishes or `timeout` passes; returns isFinished(). Worker and
  /// native threads only: never call it on the browser main thread.
  bool waitFor(std::chrono::milliseconds timeout) const noexcept;

 private:
  friend class ThreadPool;
  explicit JobHandle(std::shared_ptr<JobState> state) : state_(std::move(state)) {}
  std::shared_ptr<JobState> state_;
};

class ThreadPool {
 public:
  /// Limit: jobs that may wait in the queue at once (a power of two).
  static constexpr std::uint32_t kDefaultQueueCapacity = 64;

  /// Starts `threadCount` workers (at least 1). Throws InvalidArgument for a bad capacity.
  explicit ThreadPool(unsigned threadCount, std::uint32_t queueCapacity = kDefaultQueueCapacity);
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Queues `job`. Never blocks. Throws LimitExceeded ("thread pool queue") when the queue is
  /// full, and Error when the pool is shutting down.
  JobHandle submit(std::string name, JobFunction job);

  unsigned threadCount() const noexcept { return static_cast<unsigned>(workers_.size()); }
  std::uint32_t queueCapacity() const noexcept { return queue_.capacity(); }
  bool isShuttingDown() const noexcept { return stopping_.load(std::memory_order_acquire); }

 private:
  void workerLoop() noexcept;
  void run(JobState& job) noexcept;
  void finishCancelled(JobState& job, const char* why) noexcept;

  MpmcBoundedQueue<std::shared_ptr<JobState>> queue_;
  std::atomic<std::uint32_t> wakeSequence_{0};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
};

}  // namespace woodshed::core
