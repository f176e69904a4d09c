#include "woodshed/engine/renderer.h"

#include <algorithm>
#include <cmath>
#include <string>

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

const Track* Renderer::apply(const Command& command) noexcept {
  switch (command.type) {
    case Command::Type::SetGenerator: generator_.setParams(command.generator); break;
    case Command::Type::SetMasterGain: chain_.setMasterGain(command.value); break;
    case Command::Type::SetSampleRate:
      spec_.sampleRate = command.value;
      prepareProcessors();
      break;
    case Command::Type::ResetStatistics: break;  // the engine's counters, not the renderer's
    case Command::Type::LoadTrack: {
      const Track* previous = player_.track();
      player_.setTrack(command.track);
      return previous;
    }
    case Command::Type::Play: player_.play(); break;
    case Command::Type::Pause: player_.pause(); break;
    case Command::Type::Stop: player_.stop(); break;
    case Command::Type::Seek: player_.seek(command.frame); break;
    case Command::Type::SetLooping: player_.setLooping(command.flag); break;
    case Command::Type::SetSourceGain: player_.setSourceGain(command.index, command.value); break;
    case Command::Type::SetSourceMute: player_.setSourceMute(command.index, command.flag); break;
    case Command::Type::SetSourceSolo: player_.setSourceSolo(command.index, command.flag); break;
    case Command::Type::SetEqBand: chain_.setEqBand(command.index, command.band); break;
    case Command::Type::SetEqBypass: chain_.setEqBypass(command.flag); break;
    case Command::Type::SetLimiter: chain_.setLimiter(command.value, command.flag); break;
    case Command::Type::SetTrackGain: player_.setTrackGain(command.value); break;
    case Command::Type::SetListeningVolume: listeningVolume_.setTarget(command.value); break;
  }
  return nullptr;
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
