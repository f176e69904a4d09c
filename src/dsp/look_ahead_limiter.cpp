#include "woodshed/dsp/look_ahead_limiter.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "woodshed/core/invariant.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {
constexpr double kReleaseOvershoot = 1e-3;
}  // namespace

LookAheadLimiter::LookAheadLimiter() noexcept { setCeilingDb(kDefaultCeilingDb); }

void LookAheadLimiter::prepare(const ProcessSpec& spec, double lookAheadSeconds) {
  if (!(spec.sampleRate > 0.0)) throw core::InvalidArgument("the limiter needs a positive sample rate");
  if (spec.sampleRate > kMaxSampleRate) {
    throw core::LimitExceeded("LookAheadLimiter::kMaxSampleRate", static_cast<std::uint64_t>(kMaxSampleRate),
                              "the limiter runs at up to " + std::to_string(static_cast<int>(kMaxSampleRate)) +
                                  " Hz, not " + std::to_string(spec.sampleRate));
  }
  if (spec.channels > kMaxChannels) {
    throw core::LimitExceeded("LookAheadLimiter::kMaxChannels", kMaxChannels,
                              "the limiter takes at most " + std::to_string(kMaxChannels) + " channels");
  }
  if (!(lookAheadSeconds > 0.0 && lookAheadSeconds <= kMaxLookAheadSeconds)) {
    throw core::InvalidArgument("the limiter's look-ahead must be above 0 and at most 5 ms");
  }
  channels_ = spec.channels;
  sampleRate_ = spec.sampleRate;
  lookAheadFrames_ = static_cast<FrameCount>(std::max(1.0, std::round(lookAheadSeconds * sampleRate_)));
  windowFrames_ = lookAheadFrames_ + 1;
  delay_.assign(static_cast<std::size_t>(channels_) * lookAheadFrames_, 0.0f);
  boxHistory_.assign(windowFrames_, 1.0);
  minQueue_.assign(windowFrames_, MinEntry{0, 1.0});
  setCeilingDb(ceilingDb_);
  setReleaseSeconds(releaseSeconds_);
  reset();
}

void LookAheadLimiter::reset() noexcept {
  std::fill(delay_.begin(), delay_.end(), 0.0f);
  std::fill(boxHistory_.begin(), boxHistory_.end(), 1.0);
  boxSum_ = static_cast<double>(windowFrames_);
  delayPosition_ = boxPosition_ = 0;
  minFront_ = minSize_ = 0;
  envelope_ = 1.0;
  frame_ = 0;
}

void LookAheadLimiter::setCeilingDb(double db) noexcept {
  ceilingDb_ = db >= kMinCeilingDb ? std::min(db, kMaxCeilingDb) : kMinCeilingDb;
  ceilingGain_ = static_cast<float>(dbToGain(ceilingDb_));
  ceiling_ = ceilingGain_;
}

void LookAheadLimiter::setReleaseSeconds(double seconds) noexcept {
  releaseSeconds_ = seconds >= kMinReleaseSeconds ? std::min(seconds, kMaxReleaseSeconds) : kMinReleaseSeconds;
  releaseCoefficient_ = 1.0 - std::exp(-1.0 / (releaseSeconds_ * sampleRate_));
}

double LookAheadLimiter::gainReductionDb() const noexcept { return gainToDb(envelope_); }

double LookAheadLimiter::clampedOvershootDb() const noexcept { return gainToDb(largestUnclamped_); }

double LookAheadLimiter::minimumGain(double gain) noexcept {
  const FrameCount capacity = windowFrames_;
  // Entries that fall out of the window with this frame leave the front first, so the ring
  // (one slot per frame of the window) always has room for the newcomer.
  while (minSize_ > 0 && minQueue_[minFront_].frame + capacity <= frame_) {
    minFront_ = minFront_ + 1 == capacity ? 0 : minFront_ + 1;
    --minSize_;
  }
  // Entries that can never be the minimum again (not smaller than the newcomer) leave the back.
  while (minSize_ > 0 && minQueue_[(minFront_ + minSize_ - 1) % capacity].gain >= gain) --minSize_;
  minQueue_[(minFront_ + minSize_) % capacity] = MinEntry{frame_, gain};
  ++minSize_;
  return minQueue_[minFront_].gain;
}

void LookAheadLimiter::process(const AudioBlock& block) noexcept {
  if (!WOODSHED_INVARIANT(block.numChannels <= channels_, "the limiter was given more channels than prepared")) {
    for (ChannelCount c = 0; c < block.numChannels; ++c) std::fill_n(block.channels[c], block.numFrames, 0.0f);
    return;
  }
  const ChannelCount channels = block.numChannels;
  const double window = static_cast<double>(windowFrames_);
  for (FrameCount i = 0; i < block.numFrames; ++i) {
    double peak = 0.0;
    for (ChannelCount c = 0; c < channels; ++c) {
      float& x = block.channels[c][i];
      if (!std::isfinite(x)) {
        x = 0.0f;
        ++nonFiniteSamples_;
      }
      peak = std::max(peak, double{std::fabs(x)});
    }
    const double wanted = enabled_ && peak > ceiling_ ? ceiling_ / peak : 1.0;
    const double held = minimumGain(wanted);
    boxSum_ += held - boxHistory_[boxPosition_];
    boxHistory_[boxPosition_] = held;
    if (++boxPosition_ == windowFrames_) {
      // Once per window the running sum is recomputed, so rounding cannot build up over hours.
      boxPosition_ = 0;
      boxSum_ = 0.0;
      for (const double h : boxHistory_) boxSum_ += h;
    }
    const double smoothed = std::min(boxSum_ / window, 1.0);
    if (smoothed <= envelope_) {
      envelope_ = smoothed;
    } else {
      // Aiming a little past the target lets the glide arrive (and unity gain be exact again)
      // in finite time, about 6.6 time constants after full reduction, without a step.
      envelope_ = std::min(envelope_ + releaseCoefficient_ * (smoothed + kReleaseOvershoot - envelope_), smoothed);
    }
    ++frame_;

    for (ChannelCount c = 0; c < channels; ++c) {
      float* line = delay_.data() + static_cast<std::size_t>(c) * lookAheadFrames_;
      const double delayed = line[delayPosition_];
      line[delayPosition_] = block.channels[c][i];
      double y = delayed * envelope_;
      if (enabled_ && std::fabs(y) > ceiling_) {
        largestUnclamped_ = std::max(largestUnclamped_, std::fabs(y) / ceiling_);
        y = std::copysign(ceiling_, y);
      }
      block.channels[c][i] = static_cast<float>(y);
    }
    if (++delayPosition_ == lookAheadFrames_) delayPosition_ = 0;
  }
}

}  // namespace woodshed::dsp
