#include "woodshed/engine/player.h"

#include <algorithm>
#include <cmath>

namespace woodshed::engine {

namespace {
constexpr float kPcmToFloat = 1.0f / dsp::PcmBuffer::kScale;
}

void Player::prepare(const dsp::ProcessSpec& spec) {
  maxBlockFrames_ = spec.maxBlockFrames;
  scratch_ = std::make_unique<float[]>(std::size_t{dsp::PcmBuffer::kMaxChannels} * spec.maxBlockFrames);
  fade_ = std::make_unique<float[]>(spec.maxBlockFrames);
  setSampleRate(spec.sampleRate);
}

void Player::setSampleRate(SampleRate sampleRate) noexcept {
  sampleRate_ = sampleRate;
  fadeStep_ = 1.0 / std::max(1.0, kFadeSeconds * sampleRate);
  for (auto& gain : sourceGains_) gain.prepare(dsp::ProcessSpec{sampleRate, maxBlockFrames_, 1});
}

void Player::setTrack(const Track* track) noexcept {
  track_ = track;
  position_ = 0;
  wantPlaying_ = false;
  pendingSeek_ = false;
  transportGain_ = 0.0;
  trackGain_ = 1.0;
  mix_.fill(SourceMix{});
  for (auto& gain : sourceGains_) {
    gain.setTarget(1.0);
    gain.reset();
  }
}

void Player::play() noexcept {
  if (track_ == nullptr) return;
  if (!pendingSeek_ && position_ >= track_->frames()) position_ = 0;  // play after the end: from the start
  wantPlaying_ = true;
}

void Player::pause() noexcept { wantPlaying_ = false; }

void Player::stop() noexcept {
  pause();
  seek(0);
}

void Player::seek(std::uint64_t frame) noexcept {
  if (track_ == nullptr) return;
  const std::uint64_t target = std::min(frame, track_->frames());
  if (!wantPlaying_ && transportGain_ == 0.0) {
    position_ = target;  // silent: jump now
    pendingSeek_ = false;
  } else {
    seekTarget_ = target;  // audible: fade out, jump, fade in
    pendingSeek_ = true;
  }
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
  if (track_ == nullptr) return;
  const std::uint64_t end = track_->frames();
  FrameCount done = 0;
  while (done < mix.numFrames) {
    if (pendingSeek_ && transportGain_ == 0.0) {
      position_ = seekTarget_;
      pendingSeek_ = false;
    }
    const bool fading = transportGain_ != (wantPlaying_ && !pendingSeek_ ? 1.0 : 0.0);
    if (!wantPlaying_ && !fading) break;  // paused and silent
    if (position_ >= end) {
      if (looping_ && end > 0) {
        position_ = 0;
      } else {
        wantPlaying_ = false;  // the end: stop where the audio stops
        transportGain_ = 0.0;
        break;
      }
    }
    // A run of frames from consecutive track positions with one fade direction.
    const double target = wantPlaying_ && !pendingSeek_ ? 1.0 : 0.0;
    FrameCount run = static_cast<FrameCount>(std::min<std::uint64_t>(mix.numFrames - done, end - position_));
    double gain = transportGain_;
    for (FrameCount k = 0; k < run; ++k) {
      if (gain < target) gain = std::min(target, gain + fadeStep_);
      if (gain > target) gain = std::max(target, gain - fadeStep_);
      fade_[done + k] = static_cast<float>(gain);
      if (gain == 0.0 && target == 0.0) {
        run = k + 1;  // faded out: a pending seek or pause takes effect after this frame
        break;
      }
    }
    transportGain_ = gain;
    renderSources(mix, done, run);
    for (FrameCount k = 0; k < run; ++k) positions[done + k] = static_cast<SourcePosition>(position_ + k);
    position_ += run;
    done += run;
  }
}

void Player::renderSources(const dsp::AudioBlock& mix, FrameCount offset, FrameCount frames) noexcept {
  const auto& sources = track_->sources();
  for (std::size_t s = 0; s < sources.size(); ++s) {
    const dsp::PcmBuffer& pcm = *sources[s].pcm;
    const ChannelCount inputs = pcm.channels();
    float* channels[dsp::PcmBuffer::kMaxChannels] = {scratch_.get(), scratch_.get() + maxBlockFrames_};
    for (ChannelCount c = 0; c < inputs; ++c) {
      const std::int16_t* in = pcm.channel(c) + position_;
      for (FrameCount k = 0; k < frames; ++k) channels[c][k] = static_cast<float>(in[k]) * kPcmToFloat;
    }
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
