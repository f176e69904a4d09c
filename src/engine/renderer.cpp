#include "woodshed/engine/renderer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <variant>

#include "woodshed/core/assert.h"
#include "woodshed/core/error.h"

namespace woodshed::engine {

void Renderer::prepare(const dsp::ProcessSpec& spec) {
  if (spec.channels < 1 || spec.channels > std::size(mixChannels_)) {
    throw core::InvalidArgument("the renderer supports 1 to 8 channels, got " + std::to_string(spec.channels));
  }
  if (spec.maxBlockFrames < 1) throw core::InvalidArgument("block size must be at least one frame");
  spec_ = spec;
  mixStorage_ = std::make_unique<float[]>(std::size_t{spec.channels} * spec.maxBlockFrames);
  for (ChannelCount c = 0; c < spec.channels; ++c) mixChannels_[c] = mixStorage_.get() + std::size_t{c} * spec.maxBlockFrames;
  positions_ = std::make_unique<SourcePosition[]>(spec.maxBlockFrames);
  positionDelayCapacity_ =
      static_cast<FrameCount>(std::ceil(dsp::LookAheadLimiter::kMaxLookAheadSeconds * kMaxSupportedSampleRate)) + 1;
  positionDelay_ = std::make_unique<SourcePosition[]>(positionDelayCapacity_);
  player_.prepare(spec);
  chain_.prepare(spec);
  listeningVolume_.prepare(spec);
  prepareProcessors();
}

void Renderer::prepareProcessors() noexcept {
  generator_.prepare(spec_);
  chain_.setSampleRate(spec_.sampleRate);
  player_.setSampleRate(spec_.sampleRate);
  // The largest delay any supported rate needs was allocated by prepare(); the current one is
  // a prefix of it.
  positionDelayFrames_ = chain_.latencyFrames();
  positionDelayCursor_ = 0;
  if (positionDelayFrames_ > positionDelayCapacity_) positionDelayFrames_ = positionDelayCapacity_;
  std::fill_n(positionDelay_.get(), positionDelayCapacity_, kNoSourcePosition);
}

void Renderer::delayPositions(FrameCount frames) noexcept {
  if (positionDelayFrames_ == 0) return;
  for (FrameCount i = 0; i < frames; ++i) {
    const SourcePosition entering = positions_[i];
    positions_[i] = positionDelay_[positionDelayCursor_];
    positionDelay_[positionDelayCursor_] = entering;
    if (++positionDelayCursor_ == positionDelayFrames_) positionDelayCursor_ = 0;
  }
}

namespace {
// One callable out of several lambdas, for std::visit.
template <typename... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <typename... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;
}  // namespace

const Track* Renderer::apply(const Command& command) noexcept {
  const Track* released = nullptr;
  std::visit(Overloaded{
                 [&](const command::ResetStatistics&) {},  // the engine's counters, not the renderer's
                 [&](const command::SetGenerator& c) { generator_.setParams(c.params); },
                 [&](const command::SetMasterGain& c) { chain_.setMasterGain(c.linear); },
                 [&](const command::SetSampleRate& c) {
                   spec_.sampleRate = c.rate;
                   prepareProcessors();
                 },
                 [&](const command::LoadTrack& c) {
                   released = player_.track();
                   player_.setTrack(c.track);
                 },
                 [&](const command::Play&) { player_.play(); },
                 [&](const command::Pause&) { player_.pause(); },
                 [&](const command::Stop&) { player_.stop(); },
                 [&](const command::Seek& c) { player_.seek(c.frame); },
                 [&](const command::SetLooping& c) { player_.setLooping(c.looping); },
                 [&](const command::SetLoopRegion& c) { player_.setLoopRegion(c.start, c.end); },
                 [&](const command::SetSourceGain& c) { player_.setSourceGain(c.source, c.linear); },
                 [&](const command::SetSourceMute& c) { player_.setSourceMute(c.source, c.mute); },
                 [&](const command::SetSourceSolo& c) { player_.setSourceSolo(c.source, c.solo); },
                 [&](const command::SetSourcePan& c) { player_.setSourcePan(c.source, c.pan); },
                 [&](const command::ReplaceSources& c) { player_.switchTo(c.track, nullptr); },
                 [&](const command::SetEqBand& c) { chain_.setEqBand(c.band, c.params); },
                 [&](const command::SetEqBypass& c) { chain_.setEqBypass(c.bypassed); },
                 [&](const command::SetLimiter& c) { chain_.setLimiter(c.ceilingDb, c.enabled); },
                 [&](const command::SetTrackGain& c) { player_.setTrackGain(c.linear); },
                 [&](const command::SetListeningVolume& c) { listeningVolume_.setTarget(c.linear); },
             },
             command);
  return released;
}

RenderedBlock Renderer::render(FrameCount frames) noexcept {
  WOODSHED_ASSERT(frames <= spec_.maxBlockFrames, "block larger than prepared");
  frames = std::min(frames, spec_.maxBlockFrames);
  const dsp::AudioBlock mix{mixChannels_, spec_.channels, frames};
  clear(mix);
  player_.process(mix, positions_.get());
  generator_.processAdding(mix);
  const bool finite = chain_.process(mix);
  delayPositions(frames);
  if (tap_ != nullptr && !tap_->tryPushBlock(mix.channels, frames, positions_.get())) ++droppedTapBlocks_;
  applyListeningVolume(mix);
  return RenderedBlock{mix, positions_.get(), finite};
}

void Renderer::applyListeningVolume(const dsp::AudioBlock& block) noexcept {
  const bool boosting = listeningVolume_.target() > 1.0 || listeningVolume_.current() > 1.0;
  listeningVolume_.process(block);
  // At or below unity the chain's own clipper already kept every sample below full scale, and
  // a second bend would change the sound; above unity the peaks may need it.
  if (!boosting) return;
  const float threshold = static_cast<float>(finalClipper_.thresholdGain());
  bool bent = false;
  for (ChannelCount c = 0; c < block.numChannels && !bent; ++c) {
    for (FrameCount i = 0; i < block.numFrames; ++i) {
      if (std::fabs(block.channels[c][i]) > threshold) {
        bent = true;
        break;
      }
    }
  }
  if (!bent) return;
  ++volumeLimitedBlocks_;
  finalClipper_.process(block);
}

}  // namespace woodshed::engine
