#pragma once
// Tempo and pitch at track level: the stretcher (dsp/stretcher.h) as the player's track stage.
//
// It pulls whatever input the stretcher asks for from the readers, straight into the
// stretcher's input, and keeps the source position of every frame it pulled in a ring indexed
// by the input stream's frame count. The stretcher names, for each output frame, the input
// frame it maps to; the ring turns that into the exact source frame, so what is heard maps back
// through loops, holds and the end of the track, which the readers already put in the
// positions.
//
// One plan for all channels of all sources (design: docs/design/stretcher.md, section 2), so
// stems stay aligned and sum to the stretched mix. At tempo 1 and 0 semitones the stretcher
// passes its input through bit for bit.
//
// prepare() allocates; setParams, retune, reset and process are realtime-safe.

#include <array>
#include <cstdint>
#include <memory>

#include "woodshed/dsp/stretcher.h"
#include "woodshed/engine/track_stage.h"

namespace woodshed::engine {

class TimeStretchStage final : public TrackStage, private dsp::StretchInput {
 public:
  /// Limit: input frames whose source positions are kept (a power of two), more than the
  /// stretcher ever reads ahead of the frame it outputs.
  static constexpr std::uint32_t kPositionRingFrames = 1u << 17;

  void prepare(const StageSpec& spec) override;
  void retune(SampleRate sampleRate) noexcept override;
  void reset() noexcept override;
  FrameCount latencyFrames() const noexcept override { return 0; }
  double sourceFramesPerOutputFrame() const noexcept override { return params_.tempo; }
  std::int64_t inputFramesBefore(FrameCount outputFrames) const noexcept override;
  void process(StageInput& input, const SourceBlocks& out, SourcePosition* positions) noexcept override;

  /// Render thread: new targets for tempo (source frames per output frame) and pitch; the
  /// stretcher glides to them. The caller has validated them against the engine's limits.
  void setParams(const dsp::StretchParams& params) noexcept;
  const dsp::StretchParams& params() const noexcept { return params_; }
  /// True while the stretcher passes its input through unchanged.
  bool bypassed() const noexcept { return stretcher_.bypassed(); }

 private:
  FrameCount read(float* const* into, FrameCount frames) noexcept override;

  dsp::Stretcher stretcher_;
  dsp::StretchParams params_{};
  StageSpec spec_{};
  std::size_t sources_ = 0;  // sources of the current input: the stretcher's active channels / 2
  StageInput* input_ = nullptr;
  std::unique_ptr<SourcePosition[]> pullPositions_;
  std::unique_ptr<SourcePosition[]> ring_;
  std::uint64_t pulled_ = 0;  // input frames pulled since the last reset
  std::unique_ptr<std::int64_t[]> inputIndex_;
  std::array<float*, kMaxStageSources * kMaxSourceChannels> outChannels_{};
};

}  // namespace woodshed::engine
