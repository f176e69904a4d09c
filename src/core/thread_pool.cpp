#include "woodshed/core/thread_pool.h"

#include <algorithm>

#include "woodshed/core/wait.h"

namespace woodshed::core {

struct JobState {
  std::string name;
  JobFunction function;
  std::atomic<std::uint32_t> status{static_cast<std::uint32_t>(JobStatus::Queued)};
  std::atomic<float> progress{0.0f};
  std::atomic<bool> cancelRequested{false};
  const std::atomic<bool>* poolStopping = nullptr;
  std::string error;  // written before the final status is released
};

namespace {
constexpr auto kIdleWaitSlice = std::chrono::milliseconds(200);

void publishFinal(JobState& job, JobStatus status) noexcept {
  job.status.store(static_cast<std::uint32_t>(status), std::memory_order_release);
  wakeAllWaiters(job.status);
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

bool JobContext::isCancellationRequested() const noexcept {
  return state_.cancelRequested.load(std::memory_order_acquire) ||
         state_.poolStopping->load(std::memory_order_acquire);
}

void JobContext::throwIfCancellationRequested() const {
  if (isCancellationRequested()) throw Cancelled();
}

void JobContext::setProgress(double fraction) noexcept {
  state_.progress.store(static_cast<float>(std::clamp(fraction, 0.0, 1.0)), std::memory_order_relaxed);
}

JobStatus JobHandle::status() const noexcept {
  return static_cast<JobStatus>(state_->status.load(std::memory_order_acquire));
}

bool JobHandle::isFinished() const noexcept {
  const JobStatus s = status();
  return s == JobStatus::Succeeded || s == JobStatus::Failed || s == JobStatus::Cancelled;
}

double JobHandle::progress() const noexcept { return state_->progress.load(std::memory_order_relaxed); }

const std::string& JobHandle::name() const noexcept { return state_->name; }

void JobHandle::cancel() noexcept { state_->cancelRequested.store(true, std::memory_order_release); }

std::string JobHandle::error() const { return isFinished() ? state_->error : std::string(); }

bool JobHandle::waitFor(std::chrono::milliseconds timeout) const noexcept {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::uint32_t seen = state_->status.load(std::memory_order_acquire);
    if (isFinished()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    waitWhileEqual(state_->status, seen, deadline - now);
  }
}

ThreadPool::ThreadPool(unsigned threadCount, std::uint32_t queueCapacity) : queue_(queueCapacity) {
  const unsigned count = std::max(1u, threadCount);
  workers_.reserve(count);
  try {
    for (unsigned i = 0; i < count; ++i) workers_.emplace_back([this] { workerLoop(); });
  } catch (...) {
    stopping_.store(true, std::memory_order_release);
    wakeAllWaiters(wakeSequence_);
    for (auto& worker : workers_) worker.join();
    throw;
  }
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_release);
  wakeSequence_.fetch_add(1, std::memory_order_release);
  wakeAllWaiters(wakeSequence_);
  for (auto& worker : workers_) worker.join();
  // Jobs submitted by jobs while the workers were leaving.
  std::shared_ptr<JobState> job;
  while (queue_.tryPop(job)) finishCancelled(*job, "cancelled: the thread pool shut down");
}

JobHandle ThreadPool::submit(std::string name, JobFunction function) {
  if (isShuttingDown()) throw Error("cannot start \"" + name + "\": the thread pool is shutting down");
  auto state = std::make_shared<JobState>();
  state->name = std::move(name);
  state->function = std::move(function);
  state->poolStopping = &stopping_;
  JobHandle handle(state);
  if (!queue_.tryPush(std::move(state))) {
    throw LimitExceeded("thread pool queue", queue_.capacity(),
                        "too many jobs are waiting (limit " + std::to_string(queue_.capacity()) +
                            "); try again when one has finished");
  }
  wakeSequence_.fetch_add(1, std::memory_order_release);
  wakeWaiters(wakeSequence_, 1);
  return handle;
}

void ThreadPool::workerLoop() noexcept {
  std::shared_ptr<JobState> job;
  for (;;) {
    if (queue_.tryPop(job)) {
      if (isShuttingDown()) {
        finishCancelled(*job, "cancelled: the thread pool shut down");
      } else {
        run(*job);
      }
      job.reset();
      continue;
    }
    if (isShuttingDown()) return;
    // Read the sequence before the second look at the queue: a submit() between the two
    // changes it, so the wait below returns at once instead of missing the job.
    const std::uint32_t seen = wakeSequence_.load(std::memory_order_acquire);
    if (queue_.tryPop(job)) {
      run(*job);
      job.reset();
      continue;
    }
    waitWhileEqual(wakeSequence_, seen, kIdleWaitSlice);
  }
}

void ThreadPool::run(JobState& job) noexcept {
  if (job.cancelRequested.load(std::memory_order_acquire)) {
    finishCancelled(job, "cancelled before it started");
    return;
  }
  job.status.store(static_cast<std::uint32_t>(JobStatus::Running), std::memory_order_release);
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
