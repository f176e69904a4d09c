#pragma once
// Typed errors for callers that branch on them. Messages are written for the user: they say
// what happened and, where possible, what to do.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace woodshed::core {

/// Base of every error Woodshed throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A named limit would be exceeded (queue length, memory budget, track length...).
class LimitExceeded : public Error {
 public:
  LimitExceeded(std::string limitName, std::uint64_t limit, const std::string& message)
      : Error(message), limitName_(std::move(limitName)), limit_(limit) {}

  const std::string& limitName() const noexcept { return limitName_; }
  std::uint64_t limit() const noexcept { return limit_; }

 private:
  std::string limitName_;
  std::uint64_t limit_;
};

/// A long job stopped because it was cancelled.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

/// An argument outside what the callee accepts (frequency out of range, unknown type...).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

}  // namespace woodshed::core
