#pragma once
// The stage slot at track level: between the readers and the voices, a stage sees every
// source's channels at once, so a time-stretcher can use one plan for the whole track (stems
// stay sample-aligned and sum to the stretched mix; the stereo image holds).
//
// Pull-based: the player asks the stage for N output frames; the stage pulls the input frames
// it needs from the readers (StageInput), however many that is. For each output frame it
// reports the source frame it came from (the time map), so what is heard maps back to the exact
// source frame through the stage and the output chain.
//
// Shape: prepare (may allocate) / retune (noexcept, realtime-safe) / reset / process. After
// prepare, nothing on the render thread allocates, locks, waits or throws.

#include <array>
#include <cstddef>

#include "woodshed/core/types.h"
#include "woodshed/dsp/pcm_buffer.h"
#include "woodshed/dsp/process_spec.h"

namespace woodshed::engine {

/// Sources a stage can carry (Track::kMaxSources checks against it).
inline constexpr std::size_t kMaxStageSources = 8;
/// Channels per source (PcmBuffer's limit).
inline constexpr ChannelCount kMaxSourceChannels = dsp::PcmBuffer::kMaxChannels;

/// Planar audio of every source of a track: channel c of source s is channels[s][c].
struct SourceBlocks {
  std::array<std::array<float*, kMaxSourceChannels>, kMaxStageSources> channels{};
  std::size_t sources = 0;
  ChannelCount channelsPerSource = 0;  ///< the widest source's; narrower ones repeat channel 0
  FrameCount frames = 0;
};

/// What a stage pulls its input from: the track's readers, in lockstep.
class StageInput {
 public:
  /// Fills up to `frames` frames of every source into `into` (which has room for them) and the
  /// source position of each into `positions` (kNoSourcePosition after the end of the track).
  /// Returns the frames filled: fewer than asked only when the stage asks for more than the
  /// block it was prepared for.
  virtual FrameCount pull(const SourceBlocks& into, FrameCount frames, SourcePosition* positions) noexcept = 0;

 protected:
  ~StageInput() = default;
};

struct StageSpec {
  SampleRate sampleRate = 44100.0;
  FrameCount maxBlockFrames = 0;  ///< the most output frames one process() call asks for
  std::size_t sources = 0;
  ChannelCount channelsPerSource = 0;
};

class TrackStage {
 public:
  virtual ~TrackStage() = default;
  /// Main thread: sizes buffers for `spec`. May allocate and throw.
  virtual void prepare(const StageSpec& spec) = 0;
  /// Render thread: a new sample rate, without allocating.
  virtual void retune(SampleRate sampleRate) noexcept { (void)sampleRate; }
  /// Render thread: forgets all state (after a seek or a loop wrap of the transport).
  virtual void reset() noexcept = 0;
  /// Frames between an input frame entering and its output leaving.
  virtual FrameCount latencyFrames() const noexcept = 0;
  /// Source frames per output frame once settled (a time-stretcher's tempo): an offline render
  /// of n source frames writes n / this.
  virtual double sourceFramesPerOutputFrame() const noexcept { return 1.0; }
  /// How many more input frames the stage pulls before the one it puts out `outputFrames`
  /// frames from now (negative: that one was pulled already). A stage that reads ahead of what
  /// it outputs (a time-stretcher) makes a count-in hold its readers for exactly this long.
  virtual std::int64_t inputFramesBefore(FrameCount outputFrames) const noexcept { return outputFrames; }
  /// Render thread: writes `out.frames` output frames of every source into `out`, pulling input
  /// from `input`, and the source position of each output frame into `positions`.
  virtual void process(StageInput& input, const SourceBlocks& out, SourcePosition* positions) noexcept = 0;
};

/// The default stage: what the readers give, unchanged.
class PassThroughStage final : public TrackStage {
 public:
  void prepare(const StageSpec&) override {}
  void reset() noexcept override {}
  FrameCount latencyFrames() const noexcept override { return 0; }
  void process(StageInput& input, const SourceBlocks& out, SourcePosition* positions) noexcept override {
    input.pull(out, out.frames, positions);
  }
};

}  // namespace woodshed::engine
