#pragma once
// Where each of the Stretcher's hops reads its input: the nominal time map, onsets, transient
// locks and phase resets (design docs/design/stretcher.md, §1.3 and §1.4).
//
// OnsetDetector watches the mono plan (the sum of every channel) as it enters the Stretcher's
// FIFO: the energy of its first difference over 64-frame blocks; an onset is a block 10 dB
// above the mean of the 16 before it, above -70 dBFS, at least 50 ms after the last onset. Its
// position is the frame of the largest difference in that block and the one before.
//
// StretchPlanner gives hop j (synthesis centre o_j = j Hs) its analysis centre a_j:
//   - nominally a_nom(j) = a_nom(j-1) + rho Hs; outside locks the debt a - a_nom is repaid by
//     1/8 per hop;
//   - an onset at q, once within the horizon, gets a lock if rho <= 2 and the straight line from
//     the previous anchor (the last hop, or the end of the last pending lock) to the lock's first
//     hop has a slope inside the hop clamp. Every hop with |o_j - T| < N/2 (T the nominal
//     internal time of q) then reads at a_j = q + round(o_j - T): ratio 1 through the onset, so
//     every window holds it at the same place, and it comes out at T. The lock's first hop
//     resets the phases of the bins the onset raised (its centre frame against the hop before);
//   - an onset that is refused gets that reset alone, at the hop nearest T.
// Analysis hops are clamped to [max(Hs/8, rho Hs/2), min(2 rho Hs, N/2)] outside locks.
// Decisions depend only on the input and on rho, never on block sizes or read timing: an onset
// is considered at hop j only once q <= a_nom(j) + horizon(rho), and the Stretcher guarantees
// that the detector has seen everything up to requiredInput() before it asks for the hop.
//
// All storage is fixed (named limits below); everything is for the render thread.

#include <array>
#include <cstdint>

#include "woodshed/core/types.h"

namespace woodshed::dsp {

class OnsetDetector {
 public:
  static constexpr FrameCount kBlockFrames = 64;
  static constexpr int kHistoryBlocks = 16;
  /// Frames after an onset's position the detector may need before it reports it.
  static constexpr FrameCount kLatencyFrames = 2 * kBlockFrames;

  /// Sets the rate-dependent minimum spacing (50 ms). Render thread.
  void setSampleRate(SampleRate sampleRate) noexcept;
  /// Forgets everything; the next sample is input frame `firstIndex`. Render thread.
  void reset(std::int64_t firstIndex) noexcept;
  /// Feeds the next input frame's mono plan sample; returns true and sets `onset` (an input
  /// index) when a block ends on an onset. Render thread.
  bool push(float mono, std::int64_t& onset) noexcept;

 private:
  std::int64_t index_ = 0;
  std::int64_t minSpacing_ = 2205;
  std::int64_t lastOnset_ = INT64_MIN / 2;
  float previous_ = 0.0f;
  double energy_ = 0.0;
  float largest_ = 0.0f, previousLargest_ = 0.0f;
  std::int64_t largestAt_ = 0, previousLargestAt_ = 0;
  std::array<double, kHistoryBlocks> history_{};
  int historyNext_ = 0;
  double historySum_ = 0.0;
};

class StretchPlanner {
 public:
  static constexpr int kMaxLocksPending = 8;
  static constexpr int kMaxOnsetsPending = 64;
  static constexpr int kMaxResetsPending = 8;

  /// What hop j does.
  struct Hop {
    std::int64_t analysis = 0;        // a_j, the input index of the analysis window's centre
    bool lockStart = false;           // first hop of a lock: reset against the lock's centre frame
    std::int64_t lockCentre = 0;      // the centre frame's analysis centre (when lockStart)
    bool resetHere = false;           // a refused onset's reset: this hop against the one before
    bool inLock = false;
  };

  /// Sets the FFT size N and synthesis hop Hs (no allocation; all storage is fixed).
  void prepare(std::uint32_t fftSize, std::uint32_t synthesisHop) noexcept;
  /// Starts a new map: hop `firstHop` reads nominally at `anchor + ratio * firstHop * Hs`.
  /// Pending locks and resets are dropped; onsets are kept (stale ones are dropped later).
  void restart(std::int64_t firstHop, double anchor, double ratio) noexcept;
  /// Forgets the onsets too (the input restarts).
  void clearOnsets() noexcept;
  /// Forgets onsets before input index `index` (while bypassed, no hop consumes them).
  void dropOnsetsBefore(std::int64_t index) noexcept;
  /// Queues an onset at input index `q` (in increasing order).
  void addOnset(std::int64_t q) noexcept;
  /// Input frames (exclusive end index) that must be in the FIFO, and through the detector,
  /// before next(ratio) is called.
  std::int64_t requiredInput(double ratio) const noexcept;
  /// Plans the next hop at stretch ratio `ratio` (source frames per internal frame).
  Hop next(double ratio) noexcept;
  /// The hop next() plans next.
  std::int64_t nextHop() const noexcept { return hop_; }

 private:
  struct Lock {
    std::int64_t q;
    double centre;       // T, internal frames
    std::int64_t first;  // first and last hop of the lock
    std::int64_t last;
    std::int64_t firstAnalysis;
  };

  double lookAhead(double ratio) const noexcept;
  double nominalFor(double ratio) const noexcept;
  void decideOnsets(double ratio, double nominal) noexcept;
  void scheduleReset(std::int64_t hop) noexcept;

  std::int64_t size_ = 4096;
  std::int64_t hopSize_ = 512;
  std::int64_t hop_ = 0;
  std::int64_t noLocksBefore_ = 0;  // locks may not cover hop 0 of a map, so it starts where asked
  bool first_ = true;
  double nominal_ = 0.0;          // a_nom of the last planned hop
  std::int64_t previous_ = 0;     // a of the last planned hop
  std::array<std::int64_t, kMaxOnsetsPending> onsets_{};
  int onsetFront_ = 0, onsetCount_ = 0;
  std::array<Lock, kMaxLocksPending> locks_{};
  int lockCount_ = 0;             // locks_[0] is the earliest
  std::array<std::int64_t, kMaxResetsPending> resets_{};
  int resetCount_ = 0;
};

}  // namespace woodshed::dsp
