#pragma once
// Whether the render thread is falling behind, so that long jobs can step aside for it.
//
// Design
// - The render thread raises the pressure when its ring runs low (an underrun is near) and
//   lowers it once it has caught up; the thread pool's long lane pauses while it is raised
//   (ThreadPool, JobContext::throwIfCancellationRequested).
// - It is a count of producers that are behind, not a bool, so several engines in one process
//   (tests) compose: each raises once when it falls behind and lowers once when it catches up.
// - The count publishes nothing but itself, so it is relaxed throughout. It is also the word
//   paused jobs sleep on (core/wait.h): the lower() that ends the pressure wakes them.
// - Threads: raise() and lower() on the render thread (wait-free, no allocation; the wake is a
//   non-blocking notify); isRaised(), episodes() and word() on any thread, wait-free.
// - global() is the process's instance: the engine reports to it, and every ThreadPool watches
//   it unless its config names another (tests do).

#include <atomic>
#include <cstdint>

#include "woodshed/core/wait.h"

namespace woodshed::core {

class RenderPressure {
 public:
  constexpr RenderPressure() noexcept = default;
  RenderPressure(const RenderPressure&) = delete;
  RenderPressure& operator=(const RenderPressure&) = delete;

  /// Render thread: this producer fell behind. Pair every raise() with one lower(). Wait-free.
  void raise() noexcept {
    if (behind_.fetch_add(1, std::memory_order_relaxed) == 0) episodes_.fetch_add(1, std::memory_order_relaxed);
  }
  /// Render thread: this producer caught up; the last one to do so wakes paused jobs.
  /// Wait-free, no allocation.
  void lower() noexcept {
    if (behind_.fetch_sub(1, std::memory_order_relaxed) == 1) wakeAllWaiters(behind_);
  }
  /// Any thread: some producer is behind. Wait-free.
  bool isRaised() const noexcept { return behind_.load(std::memory_order_relaxed) != 0; }
  /// Any thread: how often the pressure rose from none.
  std::uint64_t episodes() const noexcept { return episodes_.load(std::memory_order_relaxed); }
  /// The count of producers behind, for waitWhileEqual; it changes on every raise and lower.
  const std::atomic<std::uint32_t>& word() const noexcept { return behind_; }

  /// The process's instance, which the engine's render thread reports to.
  static RenderPressure& global() noexcept {
    static RenderPressure instance;
    return instance;
  }

 private:
  std::atomic<std::uint32_t> behind_{0};
  std::atomic<std::uint64_t> episodes_{0};
};

}  // namespace woodshed::core
