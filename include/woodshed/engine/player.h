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
  /// How long a switch of sources or stage crosses over (equal-gain: old and new are aligned).
  static constexpr double kSwitchSeconds = 0.010;
  /// How long the wrap of an A-B loop crosses over, from the frames just after B into A.
  static constexpr double kLoopCrossfadeSeconds = 0.005;

  /// Allocates per-block scratch for spec.maxBlockFrames. May throw.
  void prepare(const dsp::ProcessSpec& spec);
  /// Retunes ramps to a new sample rate. No allocation.
  void setSampleRate(SampleRate sampleRate) noexcept;

  // Render thread from here on.
  /// Makes `track` current (nullptr: none), paused at frame 0, mixer reset to unity.
  void setTrack(const Track* track) noexcept;
  /// Main thread, before rendering: the default stage of each lane (null: the pass-through),
  /// prepared by the caller for this player's block size and kMaxStageSources sources of
  /// kMaxSourceChannels channels. Each lane needs its own, so a switch can cross over; the
  /// engine's are its tempo and pitch stages. The player never hands them back.
  void setLaneStages(TrackStage* first, TrackStage* second) noexcept;
  /// Sets the stage between the readers and the voices: prepared by the caller for this
  /// player's block size and kMaxStageSources sources of kMaxSourceChannels channels; null is
  /// the lane's default stage. Same as switchTo(track(), stage).
  void setStage(TrackStage* stage) noexcept { switchTo(track(), stage); }
  /// Goes on with `track` (the same song, e.g. with its stems as sources: same length and rate)
  /// through `stage` (null: the lane's default stage), at the same source position and play state. While
  /// audible, the new path is primed with pre-roll (its stage's latency) and the two cross over
  /// in kSwitchSeconds, so nothing jumps, clicks or goes silent. The previous track, when it
  /// differs, is handed back through takeReleasedTrack() once nothing reads it; the previous
  /// stage through takeReleasedStage(). A second switch during a crossover finishes the first.
  void switchTo(const Track* track, TrackStage* stage) noexcept;
  /// The track a finished switch no longer reads (once), or null.
  const Track* takeReleasedTrack() noexcept;
  /// The stage a finished switch no longer uses (once), or null; never the pass-through.
  TrackStage* takeReleasedStage() noexcept;
  const TrackStage& stage() const noexcept { return *lanes_[active_].stage; }
  /// Input frames the readers give before the one heard `outputFrames` from now (the stage's).
  std::int64_t inputFramesBefore(FrameCount outputFrames) const noexcept {
    return lanes_[active_].stage->inputFramesBefore(outputFrames);
  }
  bool switching() const noexcept { return switchLeft_ > 0; }

  void play() noexcept;
  /// Plays from `frame` at full level at once, with no fade-in: for offline renders, whose
  /// first frame must be the song's own. Realtime playback uses seek() and play().
  void startAt(std::uint64_t frame) noexcept;
  void pause() noexcept;
  /// Pauses and returns to frame 0.
  void stop() noexcept;
  /// Moves to `frame` (clamped to the track), exactly.
  void seek(std::uint64_t frame) noexcept;
  void setLooping(bool looping) noexcept;
  /// The A-B loop in source frames, [start, end); {0, 0} clears it (then looping wraps the
  /// whole track). A loop set (or looping turned on) while the transport is past B wraps to A
  /// at once: B set at the playhead the user hears is behind the engine, which runs ahead by
  /// the output latency. After that, looping wraps at B only when the transport comes to B
  /// from before it, so a seek past B leaves the loop. The wrap keeps the loop's exact length and crosses over (equal power, kLoopCrossfadeSeconds)
  /// from the frames just after B into A, reporting A's positions meanwhile. The caller
  /// validates the region (start < end <= the track's frames).
  void setLoopRegion(std::uint64_t start, std::uint64_t end) noexcept;
  /// Holds the transport where it is: the readers stop advancing and put out silence (what was
  /// audible fades out over kLoopCrossfadeSeconds from the frames after it), and report no
  /// source frame. For a count-in: releaseHold() goes on from the same frame, fading in over
  /// kLoopCrossfadeSeconds. Playing and pausing are unaffected; a seek moves where it goes on.
  void hold() noexcept;
  void releaseHold() noexcept;
  /// Ends the hold once the readers have given `frames` more frames of silence (0: now), so the
  /// song comes out of a stage that reads ahead exactly when it should (see
  /// TrackStage::inputFramesBefore).
  void releaseHoldAfter(std::uint64_t frames) noexcept;
  bool held() const noexcept { return lanes_[active_].readers.holding; }
  /// When on, each loop wrap holds at the loop's start instead of playing on (a count-in
  /// before every pass); the frames after the loop's end fade out as at a wrap.
  void setHoldAtWrap(bool on) noexcept;
  // The voices: per source gain, pan (-1 left .. +1 right, a balance: 0 leaves both sides as
  // they are), mute and solo, all ramped.
  void setSourceGain(std::size_t source, double gain) noexcept;
  void setSourcePan(std::size_t source, double pan) noexcept;
  void setSourceMute(std::size_t source, bool mute) noexcept;
  void setSourceSolo(std::size_t source, bool solo) noexcept;
  /// The whole track's playback gain (linear), e.g. from loudness normalization; ramps.
  void setTrackGain(double gain) noexcept;
  /// Ends every gain ramp at its target (offline renders start with no glides).
  void jumpGainsToTargets() noexcept;

  /// Adds the current track into `mix` and writes each frame's track position into
  /// `positions` (kNoSourcePosition where nothing plays).
  void process(const dsp::AudioBlock& mix, SourcePosition* positions) noexcept;

  const Track* track() const noexcept { return lanes_[active_].readers.track; }
  /// The source frame after the last one output (or where playback will start; while held,
  /// where it goes on).
  std::uint64_t position() const noexcept {
    if (pendingSeek_) return seekTarget_;
    return held() ? lanes_[active_].readers.position : heardPosition_;
  }
  /// True while the transport plays (also during the fade-out after pause()).
  bool playing() const noexcept { return wantPlaying_; }
  bool looping() const noexcept { return looping_; }
  /// The voice meter: the largest sample of source `source` in the last block, after its gain
  /// and pan (0 when silent or absent).
  float sourcePeak(std::size_t source) const noexcept { return source < peaks_.size() ? peaks_[source] : 0.0f; }

 private:
  struct SourceMix {
    double gain = 1.0;
    double pan = 0.0;
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
    // Held: silence, no advance (see Player::hold). holdAtWrap: a wrap begins a hold.
    bool holding = false;
    bool holdAtWrap = false;
    // A counted hold: holdLeft more frames of silence, then the song fades in.
    bool holdCounted = false;
    std::uint64_t holdLeft = 0;
    // After a hold: the first frames fade in (equal power, as the A side of a wrap).
    FrameCount fadeInDone = 0;
    FrameCount fadeInFrames = 0;
    // The A-B loop ({0, 0}: none) and its wrap's crossfade.
    std::uint64_t loopStart = 0;
    std::uint64_t loopEnd = 0;
    FrameCount crossfadeFrames = 0;
    // The frames just after B, fading out over the first frames after a wrap.
    std::uint64_t tailPosition = 0;
    FrameCount tailDone = 0;
    FrameCount tailFrames = 0;

    /// Begins a hold at `position`: the frames from it on fade out as a wrap's tail does.
    void beginHold() noexcept;

    /// Ends the hold: the song fades in from where it was held.
    void release() noexcept;

   private:
    void mixTail(const SourceBlocks& into, FrameCount offset, FrameCount frames) noexcept;
    void fadeIn(const SourceBlocks& into, FrameCount offset, FrameCount frames) noexcept;
  };

  // One path from the sources to the mix: readers, stage, the stage's output, and a voice
  // (two gains, left and right) per source. Two exist so a switch can cross over.
  struct Lane {
    Readers readers;
    PassThroughStage passThrough;
    TrackStage* own = &passThrough;  // the lane's default stage (setLaneStages)
    TrackStage* stage = &passThrough;
    SourceBlocks out;
    std::array<std::array<dsp::SmoothedGain, kMaxSourceChannels>, Track::kMaxSources> voices{};
  };

  /// Wraps to A now when looping an A-B loop whose end the transport has passed.
  void wrapIfPastLoop() noexcept;
  void updateSourceTargets() noexcept;
  void updateLaneTargets(Lane& lane) noexcept;
  /// Moves the readers (the stage forgets what it held) and drops any crossover.
  void jumpTo(std::uint64_t frame) noexcept;
  /// Ends a crossover: the outgoing lane lets go of its track and stage.
  void finishSwitch() noexcept;
  void release(const Track* track, TrackStage* stage, const Lane& keeper) noexcept;
  /// Readies the incoming lane to output source frame `frame` next: reset, then pre-roll.
  void prime(Lane& lane, std::uint64_t frame) noexcept;
  /// Runs `lane` for `frames` output frames: stage output into lane.out, positions.
  void runLane(Lane& lane, FrameCount frames, SourcePosition* positions) noexcept;
  /// Voices and mixer: adds `frames` frames of `lane`'s output times `weight` into `mix` at
  /// `offset`, noting each voice's peak.
  void mixVoices(Lane& lane, const dsp::AudioBlock& mix, FrameCount offset, FrameCount frames,
                 const float* weight) noexcept;

  std::array<Lane, 2> lanes_;
  std::size_t active_ = 0;       // the lane heard (the incoming one during a crossover)
  FrameCount switchLeft_ = 0;    // frames of crossover still to go
  FrameCount switchFrames_ = 441;
  // What finished switches let go of, until the renderer takes it (two switches at most can
  // finish between its looks: one finishing inside switchTo(), and that switch itself).
  std::array<const Track*, 2> releasedTracks_{};
  std::array<TrackStage*, 2> releasedStages_{};
  std::uint64_t heardPosition_ = 0;
  bool wantPlaying_ = false;
  bool looping_ = false;
  double trackGain_ = 1.0;
  bool pendingSeek_ = false;
  std::uint64_t seekTarget_ = 0;
  double transportGain_ = 0.0;  // 0..1, ramps by fadeStep_ per frame
  double fadeStep_ = 1.0;
  SampleRate sampleRate_ = 44100.0;

  std::array<SourceMix, Track::kMaxSources> mix_{};
  std::array<float, Track::kMaxSources> peaks_{};
  std::unique_ptr<float[]> scratch_;   // both lanes' stage output: every source, planar
  std::unique_ptr<float[]> preRoll_;   // the incoming lane's discarded pre-roll output
  std::unique_ptr<SourcePosition[]> preRollPositions_;
  std::unique_ptr<SourcePosition[]> outgoingPositions_;
  std::unique_ptr<float[]> fade_;      // the transport gain of each frame in the block
  std::unique_ptr<float[]> weights_;   // fade times each lane's crossover share
  FrameCount maxBlockFrames_ = 0;
};

}  // namespace woodshed::engine
