#pragma once
// A fixed pool of worker threads in two lanes, with progress, cooperative cancellation, errors
// delivered as values, and typed results (Job<T>).
//
// Lanes
// - Interactive (waveforms, loudness for normalize, beat and tuning analysis): jobs a user is
//   waiting for, seconds at most. Their threads are reserved: long work never runs on them, so
//   an interactive job starts as soon as one is free (a wake-up: tens of microseconds natively)
//   even while long jobs occupy every long-lane thread. submit(name, job) is interactive.
// - Long (export, later stem separation): seconds to minutes. Long jobs run only on long-lane
//   threads. A long-lane thread serves its own queue first and, when that is empty, borrows
//   interactive jobs, so a burst of imports uses the whole pool; the price is that a long job
//   submitted meanwhile waits until the borrowed job ends (interactive jobs are short).
// - Long jobs check for cancellation every kLongJobCheckInterval (20 ms) of work at most.
//
// Render pressure
// - A long-lane job's throwIfCancellationRequested() also pauses while the RenderPressure the
//   pool watches is raised, or was since the job's last check (the engine raises
//   RenderPressure::global() when its ring runs below half its target, which on a 2-core device
//   means the long job is taking the render thread's core), and until the pressure has stayed
//   away for kRenderPressureQuiet. It sleeps in steps of kRenderPressureYieldStep, ends at once
//   when cancelled, and goes on after kMaxRenderPressureYield even if the pressure stays, so a
//   device that is always behind still finishes its long jobs (at about a sixth of the speed).
//   stats() counts the pauses and their time. Interactive jobs never pause, on whichever
//   thread they run. The pause applies on any device; only a render thread that falls behind
//   (mostly on 2 cores) raises the pressure.
//
// Threads and memory
// - All threads start in the constructor. In the browser they come from Emscripten's
//   pre-sized pthread pool; nothing creates a thread later, so no thread start ever waits for
//   the browser's event loop.
// - Each lane's jobs wait in a bounded lock-free MPMC queue. submit() refuses with
//   LimitExceeded ("thread pool interactive queue" or "thread pool long queue") when the lane's
//   queue is full; it never blocks, so the browser main thread may call it. Jobs may submit jobs.
// - Idle workers sleep on their lane's futex-style counter (core/wait.h), which submit() bumps
//   and wakes. While interactive jobs wait and no interactive thread is idle, an interactive
//   submit, and every take from the interactive queue, also wakes a long-lane thread (relaxed
//   hints: a stale read costs at most a needless wake, or a borrow that waits for the next take
//   or a long thread's idle slice of 200 ms).
// - A job's status, progress and cancellation flag are atomics in a JobState shared by the
//   JobHandle (or Job<T>) and the worker; no lock is held while a job runs, and none is taken
//   to read its state. The error message and a Job<T>'s value are written before the final
//   status is published (release) and read after it is observed (acquire).
// - A job that throws ends Failed with the message; one that throws Cancelled (or returns
//   after cancellation was requested) ends Cancelled. Worker threads never die of a job.
// - The destructor cancels running jobs, marks queued ones Cancelled without running them,
//   and joins. It must not run on the browser main thread (the app never destroys its pool).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "woodshed/core/cancellation.h"
#include "woodshed/core/mpmc_bounded_queue.h"
#include "woodshed/core/render_pressure.h"

namespace woodshed::core {

enum class JobStatus : std::uint32_t { Queued, Running, Succeeded, Failed, Cancelled };

/// A short English name for a status ("queued", "running", ...).
const char* toString(JobStatus status) noexcept;

/// Which threads run a job: see the lanes in the design notes above.
enum class Lane : std::uint8_t { Interactive, Long };

/// "interactive" or "long".
const char* toString(Lane lane) noexcept;

/// The longest stretch of work between two cancellation checks that every long job keeps to.
inline constexpr std::chrono::milliseconds kLongJobCheckInterval{20};

class ThreadPool;
struct JobState;

/// What a running job sees: its cancellation, its progress, and the pool (to submit more).
class JobContext {
 public:
  /// True once the job's handle was cancelled or the pool is shutting down. Wait-free; never
  /// pauses.
  bool isCancellationRequested() const noexcept;
  /// Throws Cancelled when isCancellationRequested(); call it at least every
  /// kLongJobCheckInterval of work. On the long lane it first pauses while the render thread
  /// is behind (bounded, see the design notes), so a long job must hold no lock here.
  void throwIfCancellationRequested() const;
  /// Publishes progress in [0, 1]. Wait-free.
  void setProgress(double fraction) noexcept;
  /// The lane the job was submitted to.
  Lane lane() const noexcept;
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
  /// The lane it was submitted to.
  Lane lane() const noexcept;
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

/// A job that produces a value of type T: a JobHandle (status, progress, cancellation, error)
/// plus the value, which value() gives once the job Succeeded. Cheap to copy; copies share the
/// job and its value. Thread-safe like JobHandle.
template <typename T>
class Job {
  static_assert(!std::is_void_v<T> && !std::is_reference_v<T>,
                "a Job<T> carries a value; submit() a job that returns nothing");

 public:
  Job() = default;

  bool valid() const noexcept { return handle_.valid(); }
  JobStatus status() const noexcept { return handle_.status(); }
  bool isFinished() const noexcept { return handle_.isFinished(); }
  /// Succeeded: value() is there.
  bool hasValue() const noexcept { return valid() && status() == JobStatus::Succeeded; }
  double progress() const noexcept { return handle_.progress(); }
  const std::string& name() const noexcept { return handle_.name(); }
  Lane lane() const noexcept { return handle_.lane(); }
  void cancel() noexcept { handle_.cancel(); }
  std::string error() const { return handle_.error(); }
  bool waitFor(std::chrono::milliseconds timeout) const noexcept { return handle_.waitFor(timeout); }
  /// The untyped handle of the same job.
  const JobHandle& handle() const noexcept { return handle_; }

  /// The job's value once it Succeeded. Otherwise throws: Cancelled for a cancelled job, Error
  /// with the job's own message for a failed one, Error for one still queued or running.
  const T& value() const {
    if (!valid()) throw Error("no job was started");
    switch (status()) {
      case JobStatus::Succeeded: return **result_;  // written before Succeeded was released
      case JobStatus::Cancelled: throw Cancelled();
      case JobStatus::Failed: throw Error(handle_.error());
      default: throw Error("\"" + name() + "\" has not finished yet");
    }
  }

 private:
  friend class ThreadPool;
  Job(JobHandle handle, std::shared_ptr<const std::optional<T>> result)
      : handle_(std::move(handle)), result_(std::move(result)) {}
  JobHandle handle_;
  std::shared_ptr<const std::optional<T>> result_;
};

/// The shape of a pool: threads and queue length per lane, and the pressure long jobs yield to.
struct ThreadPoolConfig {
  /// Limit: interactive jobs that may wait at once (a power of two).
  static constexpr std::uint32_t kDefaultInteractiveQueueCapacity = 64;
  /// Limit: long jobs that may wait at once (a power of two).
  static constexpr std::uint32_t kDefaultLongQueueCapacity = 16;

  unsigned interactiveThreads = 1;  ///< at least 1
  unsigned longThreads = 1;         ///< at least 1
  std::uint32_t interactiveQueueCapacity = kDefaultInteractiveQueueCapacity;
  std::uint32_t longQueueCapacity = kDefaultLongQueueCapacity;
  /// The pressure long jobs pause for; null: RenderPressure::global(). Must outlive the pool.
  RenderPressure* renderPressure = nullptr;

  /// `threadCount` threads split between the lanes: half (rounded down) long, the rest
  /// interactive, at least one each (so 1 or 2 give one each, 3 gives 2 + 1, 8 gives 4 + 4).
  static ThreadPoolConfig forThreads(unsigned threadCount) noexcept;
};

/// Counters of the long lane's pauses for the render thread (ThreadPool::stats()).
struct ThreadPoolStats {
  std::uint64_t longLaneYields = 0;          ///< checks at which a long job paused
  double longLaneYieldSeconds = 0.0;         ///< the total time long jobs spent paused
  std::uint64_t renderPressureEpisodes = 0;  ///< times the watched pressure rose
};

class ThreadPool {
 public:
  /// Threads of the smallest pool: one per lane.
  static constexpr unsigned kMinThreads = 2;
  /// A long job paused for the render thread looks again (pressure, cancellation) this often.
  static constexpr std::chrono::milliseconds kRenderPressureYieldStep{5};
  /// It goes on once the pressure has stayed away this long (a ring refilled in a moment may
  /// run low again at once).
  static constexpr std::chrono::milliseconds kRenderPressureQuiet{20};
  /// The longest one check pauses; then the job does another stretch of work.
  static constexpr std::chrono::milliseconds kMaxRenderPressureYield{100};

  /// Starts ThreadPoolConfig::forThreads(threadCount): at least kMinThreads threads.
  explicit ThreadPool(unsigned threadCount);
  /// Starts the configured threads. Throws InvalidArgument for a lane without threads or a bad
  /// queue capacity.
  explicit ThreadPool(const ThreadPoolConfig& config);
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Queues `job` on `lane`. Never blocks. Throws LimitExceeded ("thread pool interactive
  /// queue" / "thread pool long queue") when that lane's queue is full, and Error when the pool
  /// is shutting down.
  JobHandle submit(std::string name, JobFunction job, Lane lane = Lane::Interactive);

  /// Queues `function` (JobContext& -> T) on `lane` as a Job<T>; as submit() otherwise.
  template <typename Function, typename T = std::invoke_result_t<Function&, JobContext&>>
  Job<T> submitForResult(std::string name, Lane lane, Function function) {
    auto result = std::make_shared<std::optional<T>>();
    JobHandle handle = submit(
        std::move(name),
        [result, function = std::move(function)](JobContext& context) mutable { result->emplace(function(context)); },
        lane);
    return Job<T>(std::move(handle), std::move(result));
  }

  /// All threads, both lanes.
  unsigned threadCount() const noexcept { return static_cast<unsigned>(workers_.size()); }
  unsigned threadCount(Lane lane) const noexcept;
  std::uint32_t queueCapacity(Lane lane) const noexcept;
  bool isShuttingDown() const noexcept { return stopping_.load(std::memory_order_acquire); }
  /// The long lane's pauses for the render thread. Any thread, wait-free.
  ThreadPoolStats stats() const noexcept;

 private:
  friend class JobContext;
  struct LaneQueue {
    explicit LaneQueue(std::uint32_t capacity) : jobs(capacity) {}
    MpmcBoundedQueue<std::shared_ptr<JobState>> jobs;
    std::atomic<std::uint32_t> wakeSequence{0};
    unsigned threads = 0;
  };

  LaneQueue& queue(Lane lane) noexcept { return lane == Lane::Long ? long_ : interactive_; }
  bool tryTake(Lane workerLane, std::shared_ptr<JobState>& job) noexcept;
  void offerInteractiveWorkToLongLane() noexcept;
  void workerLoop(Lane lane) noexcept;
  void run(JobState& job) noexcept;
  void finishCancelled(JobState& job, const char* why) noexcept;
  void stopAndJoin() noexcept;
  // Long-lane jobs, from throwIfCancellationRequested: pauses while the render is behind.
  void yieldToRender(const JobContext& context) noexcept;

  LaneQueue interactive_;
  LaneQueue long_;
  std::atomic<std::uint32_t> idleInteractiveWorkers_{0};
  std::atomic<std::int32_t> interactiveWaiting_{0};  // about how many jobs the interactive queue holds
  RenderPressure& renderPressure_;
  std::atomic<std::uint64_t> longYields_{0};
  std::atomic<std::uint64_t> longYieldNanoseconds_{0};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
};

}  // namespace woodshed::core
