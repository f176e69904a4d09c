#pragma once
// Blocking waits on a 32-bit atomic, for worker threads only (thread pool, render thread).
//
// The browser's main thread may never block: in wasm these functions trap there, by design, so
// a mistake is loud rather than a frozen page. Waking is non-blocking and allowed everywhere,
// including the browser main thread and the AudioWorklet (Atomics.notify).

#include <atomic>
#include <chrono>
#include <cstdint>

namespace woodshed::core {

/// Blocks the calling worker while `word` holds `expected`, for at most `timeout`; returns
/// early on a wake or a spurious wake-up. Callers re-check their condition in a loop.
void waitWhileEqual(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                    std::chrono::nanoseconds timeout) noexcept;

/// Wakes up to `count` threads blocked in waitWhileEqual on `word`. Non-blocking.
void wakeWaiters(const std::atomic<std::uint32_t>& word, std::uint32_t count) noexcept;

/// Wakes every thread blocked on `word`. Non-blocking.
void wakeAllWaiters(const std::atomic<std::uint32_t>& word) noexcept;

}  // namespace woodshed::core
