#pragma once
// Cooperative cancellation for long jobs. A CancellationSource requests, any number of
// CancellationTokens observe. Both are cheap to copy and safe to use from any thread.

#include <atomic>
#include <memory>

#include "woodshed/core/error.h"

namespace woodshed::core {

class CancellationToken {
 public:
  /// A token that is never cancelled.
  CancellationToken() = default;

  /// True once cancellation was requested. Wait-free.
  bool isCancellationRequested() const noexcept {
    return flag_ && flag_->load(std::memory_order_acquire);
  }
  /// Throws Cancelled if cancellation was requested; long jobs call it at least every few
  /// milliseconds of work.
  void throwIfCancellationRequested() const {
    if (isCancellationRequested()) throw Cancelled();
  }

 private:
  friend class CancellationSource;
  explicit CancellationToken(std::shared_ptr<const std::atomic<bool>> flag) : flag_(std::move(flag)) {}
  std::shared_ptr<const std::atomic<bool>> flag_;
};

class CancellationSource {
 public:
  CancellationSource() : flag_(std::make_shared<std::atomic<bool>>(false)) {}

  /// Requests cancellation; every token from this source sees it. Wait-free, idempotent.
  void requestCancellation() noexcept { flag_->store(true, std::memory_order_release); }
  bool isCancellationRequested() const noexcept { return flag_->load(std::memory_order_acquire); }
  CancellationToken token() const { return CancellationToken(flag_); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace woodshed::core
