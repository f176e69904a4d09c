#include "woodshed/core/wait.h"

#include <climits>
#include <thread>

#if defined(__EMSCRIPTEN__)
// The wasm atomics builtins, not Emscripten's headers: core stays free of platform code.
#elif defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>
#endif

namespace woodshed::core {

namespace {
int* wordAddress(const std::atomic<std::uint32_t>& word) noexcept {
  // std::atomic<uint32_t> is a plain lock-free 32-bit cell; futexes and wasm atomics operate
  // on its address.
  return reinterpret_cast<int*>(const_cast<std::atomic<std::uint32_t>*>(&word));
}
}  // namespace

void waitWhileEqual(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                    std::chrono::nanoseconds timeout) noexcept {
  if (word.load(std::memory_order_acquire) != expected) return;
#if defined(__EMSCRIPTEN__)
  __builtin_wasm_memory_atomic_wait32(wordAddress(word), static_cast<int>(expected),
                                      static_cast<long long>(timeout.count()));
#elif defined(__linux__)
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
  syscall(SYS_futex, wordAddress(word), FUTEX_WAIT_PRIVATE, expected, &ts, nullptr, 0);
#else
  // No futex: sleep a bounded slice; callers loop on their condition.
  std::this_thread::sleep_for(std::min(timeout, std::chrono::nanoseconds(std::chrono::milliseconds(1))));
#endif
}

void wakeWaiters(const std::atomic<std::uint32_t>& word, std::uint32_t count) noexcept {
#if defined(__EMSCRIPTEN__)
  __builtin_wasm_memory_atomic_notify(wordAddress(word), count);
#elif defined(__linux__)
  syscall(SYS_futex, wordAddress(word), FUTEX_WAKE_PRIVATE, static_cast<int>(count > INT_MAX ? INT_MAX : count),
          nullptr, nullptr, 0);
#else
  (void)word;
  (void)count;
#endif
}

void wakeAllWaiters(const std::atomic<std::uint32_t>& word) noexcept { wakeWaiters(word, UINT_MAX); }

}  // namespace woodshed::core
