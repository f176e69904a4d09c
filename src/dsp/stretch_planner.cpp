#include "woodshed/dsp/stretch_planner.h"

#include <algorithm>
#include <cmath>

namespace woodshed::dsp {

namespace {
constexpr double kOnsetRise = 10.0;          // +10 dB over the mean of the blocks before
constexpr double kOnsetFloor = 1e-7;         // mean square of the difference, about -70 dBFS
constexpr double kOnsetSpacingSeconds = 0.05;
constexpr double kMaxLockRatio = 2.0;
}  // namespace

void OnsetDetector::setSampleRate(SampleRate sampleRate) noexcept {
  minSpacing_ = static_cast<std::int64_t>(std::llround(kOnsetSpacingSeconds * sampleRate));
}

void OnsetDetector::reset(std::int64_t firstIndex) noexcept {
  index_ = firstIndex;
  lastOnset_ = INT64_MIN / 2;
  previous_ = 0.0f;
  energy_ = 0.0;
  largest_ = previousLargest_ = 0.0f;
  largestAt_ = previousLargestAt_ = firstIndex;
  history_.fill(0.0);
  historyNext_ = 0;
  historySum_ = 0.0;
}

bool OnsetDetector::push(float mono, std::int64_t& onset) noexcept {
  const float h = mono - previous_;
  previous_ = mono;
  energy_ += double{h} * h;
  if (std::fabs(h) > largest_) {
    largest_ = std::fabs(h);
    largestAt_ = index_;
  }
  const std::int64_t index = index_++;
  if ((index & (kBlockFrames - 1)) != kBlockFrames - 1) return false;

  const double mean = historySum_ / kHistoryBlocks;
  bool found = false;
  if (energy_ > kOnsetRise * mean && energy_ / kBlockFrames > kOnsetFloor && index - lastOnset_ >= minSpacing_) {
    onset = previousLargest_ > largest_ ? previousLargestAt_ : largestAt_;
    lastOnset_ = index;
    found = true;
  }
  historySum_ += energy_ - history_[static_cast<std::size_t>(historyNext_)];
  history_[static_cast<std::size_t>(historyNext_)] = energy_;
  historyNext_ = (historyNext_ + 1) % kHistoryBlocks;
  if (historyNext_ == 0) {  // recomputed once per round, so rounding cannot build up
    historySum_ = 0.0;
    for (const double e : history_) historySum_ += e;
  }
  previousLargest_ = largest_;
  previousLargestAt_ = largestAt_;
  largest_ = 0.0f;
  largestAt_ = index_;
  energy_ = 0.0;
  return found;
}

void StretchPlanner::prepare(std::uint32_t fftSize, std::uint32_t synthesisHop) noexcept {
  size_ = fftSize;
  hopSize_ = synthesisHop;
  clearOnsets();
  restart(0, 0.0, 1.0);
}

void StretchPlanner::restart(std::int64_t firstHop, double anchor, double ratio) noexcept {
  hop_ = firstHop;
  // Hop 0 is where the map is anchored (output frame 0 of the map reads `anchor`): no lock may
  // cover it, and it reads at its nominal place whatever the approach to a lock.
  noLocksBefore_ = 1;
  first_ = true;
  nominal_ = anchor + ratio * static_cast<double>(firstHop * hopSize_);
  previous_ = static_cast<std::int64_t>(std::llround(nominal_));
  lockCount_ = 0;
  resetCount_ = 0;
}

void StretchPlanner::clearOnsets() noexcept { onsetFront_ = onsetCount_ = 0; }

void StretchPlanner::dropOnsetsBefore(std::int64_t index) noexcept {
  while (onsetCount_ > 0 && onsets_[static_cast<std::size_t>(onsetFront_)] < index) {
    onsetFront_ = (onsetFront_ + 1) % kMaxOnsetsPending;
    --onsetCount_;
  }
}

void StretchPlanner::addOnset(std::int64_t q) noexcept {
  if (onsetCount_ == kMaxOnsetsPending) return;  // more than 64 onsets in the horizon: the rest go untreated
  onsets_[static_cast<std::size_t>((onsetFront_ + onsetCount_) % kMaxOnsetsPending)] = q;
  ++onsetCount_;
}

double StretchPlanner::lookAhead(double ratio) const noexcept {
  // K hops of output: enough to steer the debt at the clamp's rate into a lock's first frame.
  const double halfWindowHops = static_cast<double>(size_) / (2.0 * static_cast<double>(hopSize_));
  const double windowHops = static_cast<double>(size_) / static_cast<double>(hopSize_);
  double hops = halfWindowHops;
  if (ratio < 1.0) {
    hops += std::ceil((1.0 - ratio) * windowHops / ratio);
  } else if (ratio > 1.0 && ratio <= kMaxLockRatio) {
    hops += std::ceil((ratio - 1.0) * windowHops / (2.0 * (std::min(2.0 * ratio, 4.0) - ratio)));
  }
  const double frames = static_cast<double>(size_) / 2.0 + ratio * hops * static_cast<double>(hopSize_);
  return std::min(frames, 3.5 * static_cast<double>(size_));
}

double StretchPlanner::nominalFor(double ratio) const noexcept {
  return first_ ? nominal_ : nominal_ + ratio * static_cast<double>(hopSize_);
}

std::int64_t StretchPlanner::requiredInput(double ratio) const noexcept {
  const double nominal = nominalFor(ratio);
  const double ahead = std::max(static_cast<double>(size_), lookAhead(ratio));
  return static_cast<std::int64_t>(std::ceil(nominal + ahead)) + OnsetDetector::kLatencyFrames + 1;
}

void StretchPlanner::scheduleReset(std::int64_t hop) noexcept {
  if (resetCount_ == kMaxResetsPending) return;
  resets_[static_cast<std::size_t>(resetCount_++)] = hop;
}

void StretchPlanner::decideOnsets(double ratio, double nominal) noexcept {
  const double horizon = nominal + lookAhead(ratio);
  const double hs = static_cast<double>(hopSize_);
  const double half = static_cast<double>(size_) / 2.0;
  const double low = std::max(hs / 8.0, ratio * hs / 2.0);
  const double high = std::min(2.0 * ratio * hs, half);
  while (onsetCount_ > 0) {
    const std::int64_t q = onsets_[static_cast<std::size_t>(onsetFront_)];
    if (static_cast<double>(q) > horizon) break;
    onsetFront_ = (onsetFront_ + 1) % kMaxOnsetsPending;
    --onsetCount_;

    const double centre = static_cast<double>(hop_) * hs + (static_cast<double>(q) - nominal) / ratio;
    bool accepted = false;
    if (ratio <= kMaxLockRatio && lockCount_ < kMaxLocksPending) {
      Lock lock{};
      lock.q = q;
      lock.centre = centre;
      lock.first = static_cast<std::int64_t>(std::floor((centre - half) / hs)) + 1;
      lock.last = static_cast<std::int64_t>(std::ceil((centre + half) / hs)) - 1;
      lock.firstAnalysis = q + std::llround(static_cast<double>(lock.first) * hs - centre);
      std::int64_t anchorHop = hop_ - 1;
      double anchor = first_ ? nominal - ratio * hs : static_cast<double>(previous_);
      if (lockCount_ > 0) {
        const Lock& before = locks_[static_cast<std::size_t>(lockCount_ - 1)];
        anchorHop = before.last;
        anchor = static_cast<double>(before.q + std::llround(static_cast<double>(before.last) * hs - before.centre));
      }
      if (lock.first > anchorHop && lock.first >= noLocksBefore_) {
        const double slope = (static_cast<double>(lock.firstAnalysis) - anchor) / static_cast<double>(lock.first - anchorHop);
        if (slope >= low && slope <= high) {
          locks_[static_cast<std::size_t>(lockCount_++)] = lock;
          accepted = true;
        }
      }
    }
    if (!accepted) {
      const std::int64_t nearest = std::llround(centre / hs);
      if (nearest >= hop_) scheduleReset(nearest);
    }
  }
}

StretchPlanner::Hop StretchPlanner::next(double ratio) noexcept {
  const double nominal = nominalFor(ratio);
  decideOnsets(ratio, nominal);
  const double hs = static_cast<double>(hopSize_);

  while (lockCount_ > 0 && locks_[0].last < hop_) {
    std::copy(locks_.begin() + 1, locks_.begin() + lockCount_, locks_.begin());
    --lockCount_;
  }

  Hop hop;
  if (lockCount_ > 0 && locks_[0].first <= hop_) {
    const Lock& lock = locks_[0];
    hop.inLock = true;
    hop.analysis = lock.q + std::llround(static_cast<double>(hop_) * hs - lock.centre);
    if (hop_ == lock.first) {
      hop.lockStart = true;
      const double centreHop = std::round(lock.centre / hs) * hs;
      hop.lockCentre = lock.q + std::llround(centreHop - lock.centre);
    }
  } else {
    std::int64_t target = 0;
    if (first_ || hop_ == 0) {
      target = std::llround(nominal);
    } else if (lockCount_ > 0) {
      // Approach: a straight line into the pending lock's first frame.
      const Lock& lock = locks_[0];
      target = previous_ + std::llround(static_cast<double>(lock.firstAnalysis - previous_) /
                                        static_cast<double>(lock.first - (hop_ - 1)));
    } else {
      // Recovery: repay 1/8 of the debt per hop.
      target = std::llround(nominal + 0.875 * (static_cast<double>(previous_) - nominal_));
    }
    if (!first_ && hop_ != 0) {
      const auto low = static_cast<std::int64_t>(std::ceil(std::max(hs / 8.0, ratio * hs / 2.0)));
      const auto high = static_cast<std::int64_t>(std::floor(std::min(2.0 * ratio * hs, static_cast<double>(size_) / 2.0)));
      target = previous_ + std::clamp(target - previous_, low, high);
    }
    hop.analysis = target;
  }

  int kept = 0;
  for (int i = 0; i < resetCount_; ++i) {
    const std::int64_t at = resets_[static_cast<std::size_t>(i)];
    if (at == hop_) hop.resetHere = true;
    if (at > hop_) resets_[static_cast<std::size_t>(kept++)] = at;
  }
  resetCount_ = kept;

  previous_ = hop.analysis;
  nominal_ = nominal;
  first_ = false;
  ++hop_;
  return hop;
}

}  // namespace woodshed::dsp
