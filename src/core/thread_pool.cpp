#include "woodshed/core/thread_pool.h"

#include <algorithm>

#include "woodshed/core/wait.h"

namespace woodshed::core {

struct JobState {
  std::string name;
  JobFunction function;
  Lane lane = Lane::Interactive;
  std::atomic<std::uint32_t> status{static_cast<std::uint32_t>(JobStatus::Queued)};
  std::atomic<float> progress{0.0f};
  std::atomic<bool> cancelRequested{false};
  const std::atomic<bool>* poolStopping = nullptr;
  std::string error;  // written before the final status is released
  std::uint64_t pressureEpisodesSeen = 0;  // the worker running it only
};

namespace {
using Clock = std::chrono::steady_clock;

// An idle worker looks at the queues at least this often, even if no wake reaches it.
constexpr auto kIdleWaitSlice = std::chrono::milliseconds(200);

void publishFinal(JobState& job, JobStatus status) noexcept {
  job.status.store(static_cast<std::uint32_t>(status), std::memory_order_release);
  wakeAllWaiters(job.status);
}

void bump(std::atomic<std::uint32_t>& sequence) noexcept {
  sequence.fetch_add(1, std::memory_order_release);
  wakeWaiters(sequence, 1);
}
}  // namespace

const char* toString(JobStatus status) noexcept {
  switch (status) {
    case JobStatus::Queued: return "queued";
    case JobStatus::Running: return "running";
    case JobStatus::Succeeded: return "succeeded";
    case JobStatus::Failed: return "failed";
    case JobStatus::Cancelled: return "cancelled";
  }
  return "unknown";
}

const char* toString(Lane lane) noexcept { return lane == Lane::Long ? "long" : "interactive"; }

bool JobContext::isCancellationRequested() const noexcept {
  return state_.cancelRequested.load(std::memory_order_acquire) ||
         state_.poolStopping->load(std::memory_order_acquire);
}

void JobContext::throwIfCancellationRequested() const {
  if (isCancellationRequested()) throw Cancelled();
  if (state_.lane != Lane::Long) return;
  pool_.yieldToRender(*this);
  if (isCancellationRequested()) throw Cancelled();
}

void JobContext::setProgress(double fraction) noexcept {
  state_.progress.store(static_cast<float>(std::clamp(fraction, 0.0, 1.0)), std::memory_order_relaxed);
}

Lane JobContext::lane() const noexcept { return state_.lane; }

JobStatus JobHandle::status() const noexcept {
  return static_cast<JobStatus>(state_->status.load(std::memory_order_acquire));
}

bool JobHandle::isFinished() const noexcept {
  const JobStatus s = status();
  return s == JobStatus::Succeeded || s == JobStatus::Failed || s == JobStatus::Cancelled;
}

double JobHandle::progress() const noexcept { return state_->progress.load(std::memory_order_relaxed); }

const std::string& JobHandle::name() const noexcept { return state_->name; }

Lane JobHandle::lane() const noexcept { return state_->lane; }

void JobHandle::cancel() noexcept { state_->cancelRequested.store(true, std::memory_order_release); }

std::string JobHandle::error() const { return isFinished() ? state_->error : std::string(); }

bool JobHandle::waitFor(std::chrono::milliseconds timeout) const noexcept {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::uint32_t seen = state_->status.load(std::memory_order_acquire);
    if (isFinished()) return true;
    const auto now = Clock::now();
    if (now >= deadline) return false;
    waitWhileEqual(state_->status, seen, deadline - now);
  }
}

ThreadPoolConfig ThreadPoolConfig::forThreads(unsigned threadCount) noexcept {
  ThreadPoolConfig config;
  config.longThreads = std::max(1u, threadCount / 2);
  config.interactiveThreads = threadCount > config.longThreads ? threadCount - config.longThreads : 1u;
  return config;
}

ThreadPool::ThreadPool(unsigned threadCount) : ThreadPool(ThreadPoolConfig::forThreads(threadCount)) {}

ThreadPool::ThreadPool(const ThreadPoolConfig& config)
    : interactive_(config.interactiveQueueCapacity),
      long_(config.longQueueCapacity),
      renderPressure_(config.renderPressure != nullptr ? *config.renderPressure : RenderPressure::global()) {
  if (config.interactiveThreads < 1 || config.longThreads < 1) {
    throw InvalidArgument("a thread pool needs at least one thread in each lane (interactive " +
                          std::to_string(config.interactiveThreads) + ", long " +
                          std::to_string(config.longThreads) + ")");
  }
  interactive_.threads = config.interactiveThreads;
  long_.threads = config.longThreads;
  workers_.reserve(config.interactiveThreads + config.longThreads);
  try {
    for (unsigned i = 0; i < config.interactiveThreads; ++i) {
      workers_.emplace_back([this] { workerLoop(Lane::Interactive); });
    }
    for (unsigned i = 0; i < config.longThreads; ++i) workers_.emplace_back([this] { workerLoop(Lane::Long); });
  } catch (...) {
    stopAndJoin();
    throw;
  }
}

ThreadPool::~ThreadPool() {
  stopAndJoin();
  // Jobs submitted by jobs while the workers were leaving.
  std::shared_ptr<JobState> job;
  for (LaneQueue* lane : {&interactive_, &long_}) {
    while (lane->jobs.tryPop(job)) finishCancelled(*job, "cancelled: the thread pool shut down");
  }
}

void ThreadPool::stopAndJoin() noexcept {
  stopping_.store(true, std::memory_order_release);
  for (LaneQueue* lane : {&interactive_, &long_}) {
    lane->wakeSequence.fetch_add(1, std::memory_order_release);
    wakeAllWaiters(lane->wakeSequence);
  }
  for (auto& worker : workers_) worker.join();
}

unsigned ThreadPool::threadCount(Lane lane) const noexcept {
  return lane == Lane::Long ? long_.threads : interactive_.threads;
}

std::uint32_t ThreadPool::queueCapacity(Lane lane) const noexcept {
  return lane == Lane::Long ? long_.jobs.capacity() : interactive_.jobs.capacity();
}

ThreadPoolStats ThreadPool::stats() const noexcept {
  ThreadPoolStats stats;
  stats.longLaneYields = longYields_.load(std::memory_order_relaxed);
  stats.longLaneYieldSeconds = static_cast<double>(longYieldNanoseconds_.load(std::memory_order_relaxed)) * 1e-9;
  stats.renderPressureEpisodes = renderPressure_.episodes();
  return stats;
}

JobHandle ThreadPool::submit(std::string name, JobFunction function, Lane lane) {
  if (isShuttingDown()) throw Error("cannot start \"" + name + "\": the thread pool is shutting down");
  auto state = std::make_shared<JobState>();
  state->name = std::move(name);
  state->function = std::move(function);
  state->lane = lane;
  state->poolStopping = &stopping_;
  JobHandle handle(state);
  LaneQueue& target = queue(lane);
  if (!target.jobs.tryPush(std::move(state))) {
    const std::uint32_t limit = target.jobs.capacity();
    throw LimitExceeded(std::string("thread pool ") + toString(lane) + " queue", limit,
                        std::string("too many ") + toString(lane) + " jobs are waiting (limit " +
                            std::to_string(limit) + "); try again when one has finished");
  }
  if (lane == Lane::Interactive) interactiveWaiting_.fetch_add(1, std::memory_order_relaxed);
  bump(target.wakeSequence);
  if (lane == Lane::Interactive) offerInteractiveWorkToLongLane();
  return handle;
}

void ThreadPool::offerInteractiveWorkToLongLane() noexcept {
  // Hints, relaxed: a stale read costs a needless wake, or a borrow that waits for the next
  // take or a long thread's kIdleWaitSlice.
  if (interactiveWaiting_.load(std::memory_order_relaxed) > 0 &&
      idleInteractiveWorkers_.load(std::memory_order_relaxed) == 0) {
    bump(long_.wakeSequence);
  }
}

bool ThreadPool::tryTake(Lane workerLane, std::shared_ptr<JobState>& job) noexcept {
  if (workerLane == Lane::Long && long_.jobs.tryPop(job)) return true;
  if (!interactive_.jobs.tryPop(job)) return false;
  interactiveWaiting_.fetch_sub(1, std::memory_order_relaxed);
  // More waiting: a thread woken for one of them may be slow to run (a busy device), so pass
  // the rest on now rather than when this job ends.
  offerInteractiveWorkToLongLane();
  return true;
}

void ThreadPool::workerLoop(Lane lane) noexcept {
  LaneQueue& own = queue(lane);
  std::shared_ptr<JobState> job;
  for (;;) {
    if (!tryTake(lane, job)) {
      if (isShuttingDown()) return;
      if (lane == Lane::Interactive) idleInteractiveWorkers_.fetch_add(1, std::memory_order_relaxed);
      // Read the sequence before the second look at the queue: a submit() between the two
      // changes it, so the wait below returns at once instead of missing the job.
      const std::uint32_t seen = own.wakeSequence.load(std::memory_order_acquire);
      const bool took = tryTake(lane, job);
      if (!took) waitWhileEqual(own.wakeSequence, seen, kIdleWaitSlice);
      if (lane == Lane::Interactive) idleInteractiveWorkers_.fetch_sub(1, std::memory_order_relaxed);
      if (!took) continue;
    }
    if (isShuttingDown()) {
      finishCancelled(*job, "cancelled: the thread pool shut down");
    } else {
      run(*job);
    }
    job.reset();
  }
}

void ThreadPool::yieldToRender(const JobContext& context) noexcept {
  const RenderPressure& pressure = renderPressure_;
  // Raised now, or risen and gone since the job's last check (the render thread can fall
  // behind and catch up between two checks 20 ms apart, and this job may be why).
  std::uint64_t& episodesSeen = context.state_.pressureEpisodesSeen;
  const std::uint64_t episodesAtCheck = pressure.episodes();
  if (!pressure.isRaised() && episodesAtCheck == episodesSeen) return;
  episodesSeen = episodesAtCheck;
  longYields_.fetch_add(1, std::memory_order_relaxed);  // counted as it begins, so stats show a pause in progress
  const auto begin = Clock::now();
  const auto end = begin + kMaxRenderPressureYield;
  auto now = begin;
  // A render thread that refills its ring in a fraction of a millisecond lowers the pressure
  // and may raise it again between two looks: a new episode counts as pressure too.
  std::uint64_t episodes = episodesAtCheck;
  auto quietSince = Clock::time_point::max();  // not quiet yet
  while (now < end && !context.isCancellationRequested()) {
    const std::uint32_t seen = pressure.word().load(std::memory_order_relaxed);
    const std::uint64_t episodesNow = pressure.episodes();
    if (seen != 0 || episodesNow != episodes) {
      episodes = episodesNow;
      quietSince = Clock::time_point::max();
    } else if (quietSince == Clock::time_point::max()) {
      quietSince = now;
    } else if (now - quietSince >= kRenderPressureQuiet) {
      break;
    }
    // Woken when the pressure ends (RenderPressure::lower), otherwise one step.
    waitWhileEqual(pressure.word(), seen, std::min<Clock::duration>(kRenderPressureYieldStep, end - now));
    now = Clock::now();
  }
  episodesSeen = episodes;
  longYieldNanoseconds_.fetch_add(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - begin).count()),
      std::memory_order_relaxed);
}

void ThreadPool::run(JobState& job) noexcept {
  if (job.cancelRequested.load(std::memory_order_acquire)) {
    finishCancelled(job, "cancelled before it started");
    return;
  }
  job.status.store(static_cast<std::uint32_t>(JobStatus::Running), std::memory_order_release);
  job.pressureEpisodesSeen = renderPressure_.episodes();
  JobContext context(*this, job);
  JobStatus outcome = JobStatus::Succeeded;
  try {
    job.function(context);
    if (context.isCancellationRequested()) {
      outcome = JobStatus::Cancelled;
      job.error = "cancelled";
    }
  } catch (const Cancelled&) {
    outcome = JobStatus::Cancelled;
    job.error = "cancelled";
  } catch (const std::exception& e) {
    outcome = JobStatus::Failed;
    try {
      job.error = e.what();
    } catch (...) {
    }
  } catch (...) {
    outcome = JobStatus::Failed;
    try {
      job.error = "unknown error";
    } catch (...) {
    }
  }
  if (outcome == JobStatus::Succeeded) job.progress.store(1.0f, std::memory_order_relaxed);
  job.function = nullptr;  // release captured resources on the worker, now
  publishFinal(job, outcome);
}

void ThreadPool::finishCancelled(JobState& job, const char* why) noexcept {
  try {
    job.error = why;
  } catch (...) {
  }
  job.function = nullptr;
  publishFinal(job, JobStatus::Cancelled);
}

}  // namespace woodshed::core
