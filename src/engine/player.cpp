#include "woodshed/engine/player.h"

#include <algorithm>
#include <cmath>

namespace woodshed::engine {

namespace {
constexpr float kPcmToFloat = 1.0f / dsp::PcmBuffer::kScale;
static_assert(kMaxStageSources == Track::kMaxSources, "a stage carries every source a track may have");
}  // namespace

FrameCount Player::Readers::pull(const SourceBlocks& into, FrameCount frames, SourcePosition* positions) noexcept {
  frames = std::min(frames, into.frames);
  FrameCount done = 0;
  const auto& sources = track->sources();
  while (done < frames) {
    if (position >= track->frames() && looping && track->frames() > 0) position = 0;  // the wrap, exact
    const std::uint64_t left = position < track->frames() ? track->frames() - position : 0;
    const auto run = static_cast<FrameCount>(std::min<std::uint64_t>(frames - done, left));
    if (run == 0) {  // after the end: silence that belongs to no source frame
      for (std::size_t s = 0; s < into.sources; ++s) {
        for (ChannelCount c = 0; c < into.channelsPerSource; ++c) std::fill_n(into.channels[s][c] + done, frames - done, 0.0f);
      }
      std::fill_n(positions + done, frames - done, kNoSourcePosition);
      break;
    }
    for (std::size_t s = 0; s < into.sources; ++s) {
      const dsp::PcmBuffer& pcm = *sources[s].pcm;
      for (ChannelCount c = 0; c < into.channelsPerSource; ++c) {
        // A narrower source repeats its first channel.
        const std::int16_t* in = pcm.channel(std::min<ChannelCount>(c, pcm.channels() - 1)) + position;
        float* out = into.channels[s][c] + done;
        for (FrameCount k = 0; k < run; ++k) out[k] = static_cast<float>(in[k]) * kPcmToFloat;
      }
    }
    for (FrameCount k = 0; k < run; ++k) positions[done + k] = static_cast<SourcePosition>(position + k);
    position += run;
    done += run;
  }
  return frames;
}

void Player::prepare(const dsp::ProcessSpec& spec) {
  maxBlockFrames_ = spec.maxBlockFrames;
  scratch_ = std::make_unique<float[]>(kMaxStageSources * kMaxSourceChannels * std::size_t{spec.maxBlockFrames});
  fade_ = std::make_unique<float[]>(spec.maxBlockFrames);
  for (std::size_t s = 0; s < kMaxStageSources; ++s) {
    for (ChannelCount c = 0; c < kMaxSourceChannels; ++c) {
      stageOut_.channels[s][c] = scratch_.get() + (s * kMaxSourceChannels + c) * std::size_t{spec.maxBlockFrames};
    }
  }
  stageOut_.channelsPerSource = kMaxSourceChannels;
  passThrough_.prepare(StageSpec{spec.sampleRate, spec.maxBlockFrames, kMaxStageSources, kMaxSourceChannels});
  setSampleRate(spec.sampleRate);
}

void Player::setSampleRate(SampleRate sampleRate) noexcept {
  sampleRate_ = sampleRate;
  fadeStep_ = 1.0 / std::max(1.0, kFadeSeconds * sampleRate);
  for (auto& gain : sourceGains_) gain.prepare(dsp::ProcessSpec{sampleRate, maxBlockFrames_, 1});
  stage_->retune(sampleRate);
}

void Player::setStage(TrackStage* stage) noexcept {
  stage_ = stage != nullptr ? stage : &passThrough_;
  stage_->reset();
}

void Player::setTrack(const Track* track) noexcept {
  readers_.track = track;
  readers_.position = 0;
  heardPosition_ = 0;
  wantPlaying_ = false;
  pendingSeek_ = false;
  transportGain_ = 0.0;
  trackGain_ = 1.0;
  stage_->reset();
  mix_.fill(SourceMix{});
  for (auto& gain : sourceGains_) {
    gain.setTarget(1.0);
    gain.reset();
  }
}

void Player::play() noexcept {
  if (readers_.track == nullptr) return;
  if (!pendingSeek_ && readers_.atEnd()) jumpTo(0);  // play after the end: from the start
  wantPlaying_ = true;
}

void Player::startAt(std::uint64_t frame) noexcept {
  if (readers_.track == nullptr) return;
  jumpTo(std::min(frame, readers_.track->frames()));
  pendingSeek_ = false;
  wantPlaying_ = true;
  transportGain_ = 1.0;
}

void Player::pause() noexcept { wantPlaying_ = false; }

void Player::stop() noexcept {
  pause();
  seek(0);
}

void Player::seek(std::uint64_t frame) noexcept {
  if (readers_.track == nullptr) return;
  const std::uint64_t target = std::min(frame, readers_.track->frames());
  if (!wantPlaying_ && transportGain_ == 0.0) {
    jumpTo(target);  // silent: jump now
    pendingSeek_ = false;
  } else {
    seekTarget_ = target;  // audible: fade out, jump, fade in
    pendingSeek_ = true;
  }
}

void Player::jumpTo(std::uint64_t frame) noexcept {
  readers_.position = frame;
  heardPosition_ = frame;
  stage_->reset();
}

void Player::setSourceGain(std::size_t source, double gain) noexcept {
  if (source >= mix_.size()) return;
  mix_[source].gain = gain;
  updateSourceTargets();
}

void Player::setSourceMute(std::size_t source, bool mute) noexcept {
  if (source >= mix_.size()) return;
  mix_[source].mute = mute;
  updateSourceTargets();
}

void Player::setSourceSolo(std::size_t source, bool solo) noexcept {
  if (source >= mix_.size()) return;
  mix_[source].solo = solo;
  updateSourceTargets();
}

void Player::setTrackGain(double gain) noexcept {
  trackGain_ = gain;
  updateSourceTargets();
}

void Player::jumpGainsToTargets() noexcept {
  for (auto& gain : sourceGains_) gain.reset();
}

void Player::updateSourceTargets() noexcept {
  const bool anySolo = std::any_of(mix_.begin(), mix_.end(), [](const SourceMix& m) { return m.solo; });
  for (std::size_t i = 0; i < mix_.size(); ++i) {
    const SourceMix& m = mix_[i];
    const bool audible = !m.mute && (!anySolo || m.solo);
    sourceGains_[i].setTarget(audible ? m.gain * trackGain_ : 0.0);
  }
}

void Player::process(const dsp::AudioBlock& mix, SourcePosition* positions) noexcept {
  std::fill_n(positions, mix.numFrames, kNoSourcePosition);
  if (readers_.track == nullptr) return;
  FrameCount done = 0;
  while (done < mix.numFrames) {
    if (pendingSeek_ && transportGain_ == 0.0) {
      jumpTo(seekTarget_);
      pendingSeek_ = false;
    }
    const double target = wantPlaying_ && !pendingSeek_ ? 1.0 : 0.0;
    if (!wantPlaying_ && transportGain_ == target) break;  // paused and silent
    // A run of output frames with one fade direction; a fade-out ends the run at its last
    // audible frame, so a pending seek or pause takes effect right after it.
    FrameCount run = mix.numFrames - done;
    double gain = transportGain_;
    for (FrameCount k = 0; k < run; ++k) {
      if (gain < target) gain = std::min(target, gain + fadeStep_);
      if (gain > target) gain = std::max(target, gain - fadeStep_);
      fade_[done + k] = static_cast<float>(gain);
      if (gain == 0.0 && target == 0.0) {
        run = k + 1;
        break;
      }
    }
    transportGain_ = gain;
    stageOut_.sources = readers_.track->sources().size();
    stageOut_.frames = run;
    stage_->process(readers_, stageOut_, positions + done);
    mixVoices(mix, done, run);
    // Track frames that came out; the last one is where the transport is heard to be.
    const SourcePosition last = positions[done + run - 1];
    if (last != kNoSourcePosition) heardPosition_ = static_cast<std::uint64_t>(last) + 1;
    done += run;
    if (readers_.atEnd() && !readers_.looping && last == kNoSourcePosition) {
      wantPlaying_ = false;  // the end has come out of the stage: stop where the audio stops
      transportGain_ = 0.0;
      heardPosition_ = readers_.track->frames();
      break;
    }
  }
}

void Player::mixVoices(const dsp::AudioBlock& mix, FrameCount offset, FrameCount frames) noexcept {
  const auto& sources = readers_.track->sources();
  for (std::size_t s = 0; s < sources.size(); ++s) {
    const ChannelCount inputs = sources[s].pcm->channels();
    float* const* channels = stageOut_.channels[s].data();
    sourceGains_[s].process(dsp::AudioBlock{channels, inputs, frames});
    for (ChannelCount out = 0; out < mix.numChannels; ++out) {
      const float* in = channels[std::min(out, inputs - 1)];  // mono plays on every channel
      float* destination = mix.channels[out] + offset;
      const float* fade = fade_.get() + offset;
      for (FrameCount k = 0; k < frames; ++k) destination[k] += in[k] * fade[k];
    }
  }
}

}  // namespace woodshed::engine
