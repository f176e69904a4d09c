#pragma once
// Invariants of the realtime path (a block no larger than prepared, channels as prepared, an
// FFT prepared before use). A broken one is a programmer's error, but on the render thread it
// must not take the UI, the API and the audio down with it:
// - Policy Abort (the default: every test and debug build) prints the message and aborts, as
//   WOODSHED_ASSERT does, so a test finds it at once.
// - Policy Count (the shipped app sets it at start-up) counts the failure and keeps its
//   message; the caller degrades (that block plays silence) and everything keeps running.
//   stats() reports the count and the last message.
//
// WOODSHED_INVARIANT(condition, message) is true when the condition holds; callers write
//   if (!WOODSHED_INVARIANT(frames <= max, "a block larger than prepared")) { ...silence...; return; }
// Wait-free and allocation-free on every path but Abort's. `message` must be a string literal
// (its pointer is kept).

#include <cstdint>

namespace woodshed::core {

enum class InvariantPolicy : std::uint32_t { Abort, Count };

/// Any thread: how a broken invariant is handled from now on.
void setInvariantPolicy(InvariantPolicy policy) noexcept;
InvariantPolicy invariantPolicy() noexcept;

/// Reports a broken invariant (see the policy). Returns false, for use in conditions.
bool invariantFailed(const char* message, const char* file, int line) noexcept;

/// Broken invariants counted since start (policy Count), and the last one's message ("" if none).
std::uint64_t invariantFailures() noexcept;
const char* lastInvariantFailure() noexcept;

}  // namespace woodshed::core

#define WOODSHED_INVARIANT(condition, message) \
  (static_cast<bool>(condition) || ::woodshed::core::invariantFailed(message, __FILE__, __LINE__))
