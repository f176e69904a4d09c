#pragma once
// Renders blocks of the engine's output: the part of the engine that runs on the render thread.
// The whole path, in order (later issues add their stages where this says):
//
//   readers -> [track stage: tempo/pitch] -> voices (gain, pan, mute, solo, meter) -> mixer
//   (track gain in the voices) -> + generator -> master gain -> EQ -> limiter
//   -> [export point: offline renders and exports stop here] -> safety clipper -> NaN/Inf guard
//   -> [analysis tap] -> [listening tools; later] -> metronome and count-in clicks
//   -> listening volume and mute -> final safety stage (above 0 dB of volume)
//
// The count-in: a Play (from paused) with the count-in on and a beat grid holds the player
// (Player::hold) for its bars of clicks, spaced at the heard tempo, and releases it on the
// frame after the last beat's span, so the song goes on exactly on the next beat. With
// CountIn::Every each loop wrap holds at the loop's start and counts in again.
//
// The Player owns readers to mixer (player.h), the OutputChain master gain to NaN guard
// (output_chain.h), offline_render.h the same graph to the export point.
//
// prepare() allocates the scratch buffers; everything after it (apply, render, changing the
// sample rate) is noexcept and allocation-free. A Renderer is used by one thread at a time.

#include <cstdint>
#include <memory>

#include "woodshed/core/audio_ring.h"
#include "woodshed/dsp/process_spec.h"
#include "woodshed/dsp/signal_generator.h"
#include "woodshed/engine/commands.h"
#include "woodshed/engine/metronome.h"
#include "woodshed/dsp/safety_clipper.h"
#include "woodshed/dsp/smoothed_gain.h"
#include "woodshed/engine/output_chain.h"
#include "woodshed/engine/player.h"
#include "woodshed/engine/time_stretch_stage.h"

namespace woodshed::engine {

/// A block the renderer produced: planar channels and the track position of every frame.
struct RenderedBlock {
  dsp::AudioBlock audio;
  const SourcePosition* positions = nullptr;
  bool wasFinite = true;  ///< false when the NaN guard silenced this block
};

class Renderer {
 public:
  /// The highest sample rate prepare() sizes its buffers for.
  static constexpr SampleRate kMaxSupportedSampleRate = 192000.0;

  /// Allocates buffers for blocks of up to spec.maxBlockFrames frames. May throw.
  void prepare(const dsp::ProcessSpec& spec);

  /// Applies one command. Returns the track a LoadTrack replaced (the caller hands it back to
  /// the main thread), or null. Render thread: no allocation.
  const Track* apply(const Command& command) noexcept;

  /// Renders `frames` (<= maxBlockFrames) frames. The returned view stays valid until the
  /// next call. Render thread: no allocation, no locks, no waiting.
  RenderedBlock render(FrameCount frames) noexcept;

  const dsp::ProcessSpec& spec() const noexcept { return spec_; }
  const dsp::GeneratorParams& generatorParams() const noexcept { return generator_.params(); }
  const Player& player() const noexcept { return player_; }
  const OutputChain& chain() const noexcept { return chain_; }
  /// Tempo and pitch as heard (the trainer's tempo while it runs; the stage glides to them).
  const dsp::StretchParams& tempoPitch() const noexcept { return stretch_[0].params(); }
  /// The speed trainer: passes of the loop heard since it started (0 when off).
  bool trainerRunning() const noexcept { return trainer_.running; }
  std::uint32_t trainerPasses() const noexcept { return trainer_.passes; }
  /// Blocks in which the listening volume (above 0 dB) would have exceeded full scale and the
  /// final safety stage bent the peaks.
  std::uint64_t volumeLimitedBlocks() const noexcept { return volumeLimitedBlocks_; }
  /// True while a count-in plays (the player holds meanwhile).
  bool countingIn() const noexcept { return countInLeft_ > 0; }

  /// Gives the renderer a ring to copy every output block into for analysis (or null). Set
  /// before rendering starts. A full tap drops the block (counted), never waits.
  void setAnalysisTap(core::AudioRing* tap) noexcept { tap_ = tap; }
  /// A track the player let go of after a switch of sources (once), or null: hand it back.
  const Track* takeReleasedTrack() noexcept { return player_.takeReleasedTrack(); }
  /// Blocks the analysis tap had no room for.
  std::uint64_t droppedTapBlocks() const noexcept { return droppedTapBlocks_; }

 private:
  void prepareProcessors() noexcept;
  void applyListeningVolume(const dsp::AudioBlock& block, bool clicked) noexcept;
  void play() noexcept;
  /// Starts a count-in (the player must hold already).
  void beginCountIn() noexcept;
  /// Sends tempo and pitch to the stages: the trainer's tempo while it runs, else the set one.
  void applyTempoPitch() noexcept;
  /// Counts the loop's wraps in the frames heard (positions jumping back) for the trainer.
  void notePasses(const SourcePosition* positions, FrameCount frames) noexcept;
  /// Sets the player's hold to end where the count-in does.
  void holdUntilCountInEnds() noexcept;
  /// Marks `frames` frames of the count-in's clicks from block frame `offset` on.
  void countIn(FrameCount offset, FrameCount frames) noexcept;
  void updateHoldAtWrap() noexcept;

  dsp::ProcessSpec spec_{};
  std::unique_ptr<float[]> mixStorage_;
  float* mixChannels_[8] = {};
  void delayPositions(FrameCount frames) noexcept;

  std::unique_ptr<SourcePosition[]> positions_;
  // Where clicks start, per frame: marked before the chain, delayed with the positions.
  std::unique_ptr<Click[]> clicks_;
  std::unique_ptr<Click[]> clickDelay_;
  // The output chain delays audio by its latency; positions are delayed to match, so every
  // frame that leaves still names the track frame it came from.
  std::unique_ptr<SourcePosition[]> positionDelay_;
  FrameCount positionDelayFrames_ = 0;
  FrameCount positionDelayCapacity_ = 0;
  FrameCount positionDelayCursor_ = 0;
  core::AudioRing* tap_ = nullptr;
  std::uint64_t droppedTapBlocks_ = 0;
  Player player_;
  // Tempo and pitch: one stage per player lane, so a switch of sources can cross over.
  std::array<TimeStretchStage, 2> stretch_;
  dsp::StretchParams tempoPitch_{};  // as set; the trainer overrides the tempo while it runs
  // The speed trainer: each pass of the loop heard (a wrap in the positions) may step the tempo.
  struct Trainer {
    bool running = false;
    double start = 1.0, step = 0.0, target = 1.0;
    std::uint32_t passesPerStep = 1;
    std::uint32_t passes = 0;
    SourcePosition last = kNoSourcePosition;  // the last frame heard, to see a wrap
    double tempo() const noexcept;
  };
  Trainer trainer_;
  dsp::SignalGenerator generator_;
  OutputChain chain_;
  // The listening volume and mute: the last stage, after the analysis tap, so meters and
  // loudness measure the song and not the knob. Above 0 dB a final safety stage keeps the
  // output within full scale.
  // The metronome and the count-in (see above).
  Metronome metronome_;
  BeatGridFrames grid_;
  bool metronomeEnabled_ = false;
  CountIn countInMode_ = CountIn::Off;
  std::uint8_t countInBars_ = 1;
  FrameCount countInLeft_ = 0;
  FrameCount countInTotal_ = 0;
  double countInPeriod_ = 0.0;  // output frames per count-in beat
  long long countInBarPhase_ = 0;  // where in the song's bar the count-in's first click falls
  dsp::SmoothedGain listeningVolume_;
  dsp::SafetyClipper finalClipper_;
  std::uint64_t volumeLimitedBlocks_ = 0;
};

}  // namespace woodshed::engine
