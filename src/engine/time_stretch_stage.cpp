#include "woodshed/engine/time_stretch_stage.h"

#include <algorithm>
#include <cmath>

namespace woodshed::engine {

namespace {
constexpr std::uint64_t kRingMask = TimeStretchStage::kPositionRingFrames - 1;
// Frames pulled from the readers at once (positions scratch).
constexpr FrameCount kPullFrames = 1024;
}  // namespace

void TimeStretchStage::prepare(const StageSpec& spec) {
  spec_ = spec;
  stretcher_.prepare(dsp::StretchSpec{spec.sampleRate, static_cast<ChannelCount>(kMaxStageSources * kMaxSourceChannels),
                                      kMaxSourceChannels, spec.maxBlockFrames});
  pullPositions_ = std::make_unique<SourcePosition[]>(kPullFrames);
  ring_ = std::make_unique<SourcePosition[]>(kPositionRingFrames);
  inputIndex_ = std::make_unique<std::int64_t[]>(spec.maxBlockFrames);
  stretcher_.retune(params_);
  sources_ = 0;
  reset();
}

void TimeStretchStage::retune(SampleRate sampleRate) noexcept {
  spec_.sampleRate = sampleRate;
  stretcher_.setSampleRate(sampleRate);
  reset();
}

void TimeStretchStage::reset() noexcept {
  stretcher_.reset();
  pulled_ = 0;
}

std::int64_t TimeStretchStage::inputFramesBefore(FrameCount outputFrames) const noexcept {
  // The next output frame maps about one tempo step past the last one's input frame, and the
  // stretcher has read readAheadFrames() beyond that one.
  const double tempo = stretcher_.currentTempo();
  return std::llround(static_cast<double>(outputFrames + 1) * tempo) - static_cast<std::int64_t>(stretcher_.readAheadFrames()) - 1;
}

void TimeStretchStage::setParams(const dsp::StretchParams& params) noexcept {
  params_ = params;
  stretcher_.retune(params);
}

FrameCount TimeStretchStage::read(float* const* into, FrameCount frames) noexcept {
  SourceBlocks blocks;
  blocks.sources = sources_;
  blocks.channelsPerSource = kMaxSourceChannels;
  FrameCount done = 0;
  while (done < frames) {
    const FrameCount n = std::min(frames - done, kPullFrames);
    blocks.frames = n;
    for (std::size_t s = 0; s < sources_; ++s) {
      for (ChannelCount c = 0; c < kMaxSourceChannels; ++c) blocks.channels[s][c] = into[s * kMaxSourceChannels + c] + done;
    }
    const FrameCount got = input_->pull(blocks, n, pullPositions_.get());
    for (FrameCount k = 0; k < got; ++k) ring_[(pulled_ + k) & kRingMask] = pullPositions_[k];
    pulled_ += got;
    done += got;
    if (got < n) break;
  }
  return done;
}

void TimeStretchStage::process(StageInput& input, const SourceBlocks& out, SourcePosition* positions) noexcept {
  if (out.sources != sources_) {  // another track, or its stems: the stretcher's channels follow
    sources_ = std::min(out.sources, kMaxStageSources);
    stretcher_.setActiveChannels(static_cast<ChannelCount>(std::max<std::size_t>(1, sources_) * kMaxSourceChannels));
    reset();
  }
  input_ = &input;
  FrameCount done = 0;
  while (done < out.frames) {
    const FrameCount n = std::min(out.frames - done, spec_.maxBlockFrames);
    for (std::size_t s = 0; s < sources_; ++s) {
      for (ChannelCount c = 0; c < kMaxSourceChannels; ++c) outChannels_[s * kMaxSourceChannels + c] = out.channels[s][c] + done;
    }
    stretcher_.process(*this, outChannels_.data(), n, inputIndex_.get());
    for (FrameCount k = 0; k < n; ++k) {
      const std::int64_t index = inputIndex_[k];
      const bool known = index >= 0 && static_cast<std::uint64_t>(index) < pulled_ &&
                         pulled_ - static_cast<std::uint64_t>(index) <= kPositionRingFrames;
      positions[done + k] = known ? ring_[static_cast<std::uint64_t>(index) & kRingMask] : kNoSourcePosition;
    }
    done += n;
  }
  input_ = nullptr;
}

}  // namespace woodshed::engine
