#pragma once
// Plays the current track on the render thread:
//
//   transport -> readers -> [track stage] -> voices -> mixer
//
// - The transport (play, pause, seek, loop) counts source frames. The readers read every source
//   of the track in lockstep from its position and own the loop wrap and the end, so later
//   stages never see a wrap. The stage (track_stage.h; a pass-through unless one is set) pulls
//   what it needs from the readers and maps each output frame to its source frame. Each source
//   then goes through its voice (gain, mute, solo, and the track gain), and the mixer sums them.
// - Sample-accurate: a seek lands on the exact frame; a loop wraps at the exact end frame,
//   inside a block if need be. Every output frame records the track frame it came from,
//   through the stage.
// - No clicks: play, pause and seek ramp the transport gain over kFadeSeconds (a seek while
//   playing fades out, jumps, fades in); source gain, mute and solo ramp too.
// - Render thread only, after prepare(): no allocation, no locks, no waiting.

#include <array>
#include <cstdint>
#include <memory>

#include "woodshed/dsp/process_spec.h"
#include "woodshed/dsp/smoothed_gain.h"
#include "woodshed/engine/track.h"
#include "woodshed/engine/track_stage.h"

namespace woodshed::engine {

class Player {
 public:
  static constexpr double kFadeSeconds = 0.005;

  /// Allocates per-block scratch for spec.maxBlockFrames. May throw.
  void prepare(const dsp::ProcessSpec& spec);
  /// The stage between the readers and the voices, prepared by the caller for this player's
  /// block size, kMaxStageSources sources of kMaxSourceChannels channels; null: pass-through.
  /// It is reset when set. Render thread (or before playing).
  void setStage(TrackStage* stage) noexcept;
  const TrackStage& stage() const noexcept { return *stage_; }
  /// Retunes ramps to a new sample rate. No allocation.
  void setSampleRate(SampleRate sampleRate) noexcept;

  // Render thread from here on.
  /// Makes `track` current (nullptr: none), paused at frame 0, mixer reset to unity.
  void setTrack(const Track* track) noexcept;
  void play() noexcept;
  /// Plays from `frame` at full level at once, with no fade-in: for offline renders, whose
  /// first frame must be the song's own. Realtime playback uses seek() and play().
  void startAt(std::uint64_t frame) noexcept;
  void pause() noexcept;
  /// Pauses and returns to frame 0.
  void stop() noexcept;
  /// Moves to `frame` (clamped to the track), exactly.
  void seek(std::uint64_t frame) noexcept;
  void setLooping(bool looping) noexcept { readers_.looping = looping; }
  void setSourceGain(std::size_t source, double gain) noexcept;
  void setSourceMute(std::size_t source, bool mute) noexcept;
  void setSourceSolo(std::size_t source, bool solo) noexcept;
  /// The whole track's playback gain (linear), e.g. from loudness normalization; ramps.
  void setTrackGain(double gain) noexcept;
  /// Ends every gain ramp at its target (offline renders start with no glides).
  void jumpGainsToTargets() noexcept;

  /// Adds the current track into `mix` and writes each frame's track position into
  /// `positions` (kNoSourcePosition where nothing plays).
  void process(const dsp::AudioBlock& mix, SourcePosition* positions) noexcept;

  const Track* track() const noexcept { return readers_.track; }
  /// The source frame after the last one output (or where playback will start).
  std::uint64_t position() const noexcept { return pendingSeek_ ? seekTarget_ : heardPosition_; }
  /// True while the transport plays (also during the fade-out after pause()).
  bool playing() const noexcept { return wantPlaying_; }
  bool looping() const noexcept { return readers_.looping; }

 private:
  struct SourceMix {
    double gain = 1.0;
    bool mute = false;
    bool solo = false;
  };

  // Every source of the track, read in lockstep from one source position (render thread).
  class Readers final : public StageInput {
   public:
    FrameCount pull(const SourceBlocks& into, FrameCount frames, SourcePosition* positions) noexcept override;
    bool atEnd() const noexcept { return track != nullptr && position >= track->frames(); }

    const Track* track = nullptr;
    std::uint64_t position = 0;  ///< the next source frame to read
    bool looping = false;
  };

  void updateSourceTargets() noexcept;
  /// Moves the readers (the stage forgets what it held).
  void jumpTo(std::uint64_t frame) noexcept;
  /// Voices and mixer: adds `frames` frames of the stage's output into `mix` at `offset`.
  void mixVoices(const dsp::AudioBlock& mix, FrameCount offset, FrameCount frames) noexcept;

  Readers readers_;
  PassThroughStage passThrough_;
  TrackStage* stage_ = &passThrough_;
  SourceBlocks stageOut_;
  std::uint64_t heardPosition_ = 0;
  bool wantPlaying_ = false;
  double trackGain_ = 1.0;
  bool pendingSeek_ = false;
  std::uint64_t seekTarget_ = 0;
  double transportGain_ = 0.0;  // 0..1, ramps by fadeStep_ per frame
  double fadeStep_ = 1.0;
  SampleRate sampleRate_ = 44100.0;

  std::array<SourceMix, Track::kMaxSources> mix_{};
  std::array<dsp::SmoothedGain, Track::kMaxSources> sourceGains_{};
  std::unique_ptr<float[]> scratch_;  // the stage's output: every source, planar, maxBlockFrames each
  std::unique_ptr<float[]> fade_;     // the transport gain of each frame in the block
  FrameCount maxBlockFrames_ = 0;
};

}  // namespace woodshed::engine
