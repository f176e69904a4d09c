#pragma once
// Plays the current track on the render thread: the transport (play, pause, seek, loop) and
// the mixer (per-source gain, mute, solo).
//
// - Sample-accurate: a seek lands on the exact frame; a loop wraps at the exact end frame,
//   inside a block if need be. Every output frame records the track frame it came from.
// - No clicks: play, pause and seek ramp the transport gain over kFadeSeconds (a seek while
//   playing fades out, jumps, fades in); source gain, mute and solo ramp too.
// - Render thread only, after prepare(): no allocation, no locks, no waiting.

#include <array>
#include <cstdint>
#include <memory>

#include "woodshed/dsp/process_spec.h"
#include "woodshed/dsp/smoothed_gain.h"
#include "woodshed/engine/track.h"

namespace woodshed::engine {

class Player {
 public:
  static constexpr double kFadeSeconds = 0.005;

  /// Allocates per-block scratch for spec.maxBlockFrames. May throw.
  void prepare(const dsp::ProcessSpec& spec);
  /// Retunes ramps to a new sample rate. No allocation.
  void setSampleRate(SampleRate sampleRate) noexcept;

  // Render thread from here on.
  /// Makes `track` current (nullptr: none), paused at frame 0, mixer reset to unity.
  void setTrack(const Track* track) noexcept;
  void play() noexcept;
  void pause() noexcept;
  /// Pauses and returns to frame 0.
  void stop() noexcept;
  /// Moves to `frame` (clamped to the track), exactly.
  void seek(std::uint64_t frame) noexcept;
  void setLooping(bool looping) noexcept { looping_ = looping; }
  void setSourceGain(std::size_t source, double gain) noexcept;
  void setSourceMute(std::size_t source, bool mute) noexcept;
  void setSourceSolo(std::size_t source, bool solo) noexcept;
  /// The whole track's playback gain (linear), e.g. from loudness normalization; ramps.
  void setTrackGain(double gain) noexcept;

  /// Adds the current track into `mix` and writes each frame's track position into
  /// `positions` (kNoSourcePosition where nothing plays).
  void process(const dsp::AudioBlock& mix, SourcePosition* positions) noexcept;

  const Track* track() const noexcept { return track_; }
  std::uint64_t position() const noexcept { return pendingSeek_ ? seekTarget_ : position_; }
  /// True while the transport plays (also during the fade-out after pause()).
  bool playing() const noexcept { return wantPlaying_; }
  bool looping() const noexcept { return looping_; }

 private:
  struct SourceMix {
    double gain = 1.0;
    bool mute = false;
    bool solo = false;
  };

  void updateSourceTargets() noexcept;
  void renderSources(const dsp::AudioBlock& mix, FrameCount offset, FrameCount frames) noexcept;

  const Track* track_ = nullptr;
  std::uint64_t position_ = 0;
  bool wantPlaying_ = false;
  bool looping_ = false;
  double trackGain_ = 1.0;
  bool pendingSeek_ = false;
  std::uint64_t seekTarget_ = 0;
  double transportGain_ = 0.0;  // 0..1, ramps by fadeStep_ per frame
  double fadeStep_ = 1.0;
  SampleRate sampleRate_ = 44100.0;

  std::array<SourceMix, Track::kMaxSources> mix_{};
  std::array<dsp::SmoothedGain, Track::kMaxSources> sourceGains_{};
  std::unique_ptr<float[]> scratch_;  // one source, planar, maxBlockFrames per channel
  std::unique_ptr<float[]> fade_;     // the transport gain of each frame in the block
  FrameCount maxBlockFrames_ = 0;
};

}  // namespace woodshed::engine
