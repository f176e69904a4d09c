#pragma once
// A look-ahead peak limiter whose output never exceeds its ceiling, whatever the input.
//
// Per frame, the gain that would bring the loudest channel down to the ceiling (stereo-linked:
// one gain for all channels) goes through a sliding minimum over L+1 frames and then a moving
// average over the same L+1 frames, while the audio is delayed by L frames (the look-ahead,
// reported by latencyFrames()). The average of minima that all include the sample now leaving
// the delay line is at most that sample's own gain, so every peak is met in time, and gain
// reduction ramps in linearly over the look-ahead instead of jumping. Release is a one-pole
// glide back up, aimed slightly past its target so that it arrives (it only ever slows the
// gain's rise, so it cannot break the guarantee). A last
// clamp to the ceiling catches floating-point rounding (a few ulp at most) and samples already
// in the delay line when the ceiling is lowered.
//
// Below the ceiling the gain is exactly 1 and the output is the input delayed by L frames,
// bit for bit. NaN and Inf input samples are replaced by silence before they reach the delay
// line or the gain detector (and counted), so they cannot poison the state; reset() clears it.
//
// prepare() allocates and may throw; everything else is for the render thread.

#include <cstdint>
#include <vector>

#include "woodshed/dsp/process_spec.h"

namespace woodshed::dsp {

class LookAheadLimiter {
 public:
  static constexpr double kDefaultCeilingDb = -1.0;
  static constexpr double kMinCeilingDb = -24.0;
  static constexpr double kMaxCeilingDb = 0.0;
  static constexpr double kDefaultLookAheadSeconds = 0.002;
  static constexpr double kMaxLookAheadSeconds = 0.005;
  static constexpr double kDefaultReleaseSeconds = 0.080;
  static constexpr double kMinReleaseSeconds = 0.005;
  static constexpr double kMaxReleaseSeconds = 2.0;
  /// Limits on what prepare() accepts; process() takes blocks of any length.
  static constexpr SampleRate kMaxSampleRate = 384000.0;
  static constexpr ChannelCount kMaxChannels = 8;

  LookAheadLimiter() noexcept;

  /// Sizes the delay line and gain history for `spec` (any block length works). Throws
  /// core::LimitExceeded above kMaxSampleRate or kMaxChannels, core::InvalidArgument for a
  /// look-ahead outside (0, kMaxLookAheadSeconds] or a rate that is not positive.
  void prepare(const ProcessSpec& spec, double lookAheadSeconds = kDefaultLookAheadSeconds);
  /// Empties the delay line and lets go of all gain reduction. Render thread.
  void reset() noexcept;

  /// Sets the ceiling (clamped to [kMinCeilingDb, kMaxCeilingDb]). Samples already inside the
  /// look-ahead when the ceiling drops are clamped hard once. Render thread.
  void setCeilingDb(double db) noexcept;
  double ceilingDb() const noexcept { return ceilingDb_; }
  /// Off: no new gain reduction and no clamp; what is held releases as usual, and the audio
  /// keeps its delay (so timing never jumps). Overs pass. Render thread.
  void setEnabled(bool enabled) noexcept { enabled_ = enabled; }
  bool enabled() const noexcept { return enabled_; }
  /// The ceiling as the float that output samples are held to: |output| <= ceilingGain().
  float ceilingGain() const noexcept { return ceilingGain_; }
  /// Sets the release time constant (clamped). Render thread.
  void setReleaseSeconds(double seconds) noexcept;

  /// The fixed delay from input to output.
  FrameCount latencyFrames() const noexcept { return lookAheadFrames_; }
  /// The gain applied to the last output frame, in dB (0 or negative).
  double gainReductionDb() const noexcept;
  /// How far above the ceiling the gain alone let a sample go since prepare(), in dB (0 if
  /// never), before the final clamp took it back: rounding-sized unless the ceiling dropped.
  double clampedOvershootDb() const noexcept;
  /// NaN and Inf input samples replaced by silence since prepare().
  std::uint64_t nonFiniteSamples() const noexcept { return nonFiniteSamples_; }

  /// Limits the block in place (numChannels <= the prepared channels). Render thread: no
  /// allocation, no locks.
  void process(const AudioBlock& block) noexcept;

 private:
  struct MinEntry {
    std::uint64_t frame;
    double gain;
  };

  double minimumGain(double gain) noexcept;

  ChannelCount channels_ = 0;
  bool enabled_ = true;
  SampleRate sampleRate_ = 44100.0;
  FrameCount lookAheadFrames_ = 0;  // L
  FrameCount windowFrames_ = 1;     // L + 1
  double ceilingDb_ = kDefaultCeilingDb;
  double ceiling_ = 0.0;            // linear, the float ceiling as a double
  float ceilingGain_ = 0.0f;
  double releaseSeconds_ = kDefaultReleaseSeconds;
  double releaseCoefficient_ = 0.0;
  double envelope_ = 1.0;
  std::uint64_t frame_ = 0;
  std::uint64_t nonFiniteSamples_ = 0;
  double largestUnclamped_ = 1.0;  // |sample| / ceiling before the clamp

  std::vector<float> delay_;         // channels x L, planar
  FrameCount delayPosition_ = 0;
  std::vector<double> boxHistory_;   // the last L+1 sliding minima
  FrameCount boxPosition_ = 0;
  double boxSum_ = 0.0;
  std::vector<MinEntry> minQueue_;   // ring: gains increasing from front to back
  FrameCount minFront_ = 0;
  FrameCount minSize_ = 0;
};

}  // namespace woodshed::dsp
