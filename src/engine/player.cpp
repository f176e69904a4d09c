#include "woodshed/engine/player.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace woodshed::engine {

namespace {
static_assert(kMaxStageSources == Track::kMaxSources, "a stage carries every source a track may have");
static_assert(kMaxSourceChannels == 2, "voices are stereo: a left and a right gain");

// A balance: 0 leaves both sides alone; towards one side the other fades out.
double panGain(double pan, ChannelCount channel) noexcept {
  return channel == 0 ? std::min(1.0, 1.0 - pan) : std::min(1.0, 1.0 + pan);
}
}  // namespace

FrameCount Player::Readers::pull(const SourceBlocks& into, FrameCount frames, SourcePosition* positions) noexcept {
  frames = std::min(frames, into.frames);
  FrameCount done = 0;
  const auto& sources = track->sources();
  const bool region = loopEnd > loopStart;
  while (done < frames) {
    if (holding) {  // silence that belongs to no source frame, with what was heard fading out
      // A counted hold gives that many frames more, then lets go (Player::releaseHoldAfter).
      const auto n = static_cast<FrameCount>(holdCounted ? std::min<std::uint64_t>(frames - done, holdLeft) : frames - done);
      for (std::size_t s = 0; s < into.sources; ++s) {
        for (ChannelCount c = 0; c < into.channelsPerSource; ++c) std::fill_n(into.channels[s][c] + done, n, 0.0f);
      }
      if (tailDone < tailFrames) mixTail(into, done, n);
      std::fill_n(positions + done, n, kNoSourcePosition);
      done += n;
      if (!holdCounted) break;
      holdLeft -= n;
      if (holdLeft > 0) break;
      release();
      continue;
    }
    // Where reading stops: B, when looping towards it; otherwise the end of the track.
    const bool towardsB = looping && region && position <= loopEnd;
    const std::uint64_t limit = towardsB ? loopEnd : track->frames();
    if (position >= limit && looping && track->frames() > 0) {
      // The wrap, exact: the frame after B - 1 (or the last frame) is A (or 0).
      if (towardsB) {
        tailPosition = loopEnd;
        tailDone = 0;
        tailFrames = static_cast<FrameCount>(std::min<std::uint64_t>(
            {crossfadeFrames, std::max(track->readableFrames(), loopEnd) - loopEnd, loopEnd - loopStart}));
      }
      position = region ? loopStart : 0;
      if (holdAtWrap) holding = true;  // a count-in before the next pass
      continue;
    }
    // A track still being imported plays up to what has arrived; at that frontier it waits, in
    // silence that belongs to no source frame, and goes on where it stopped when more arrives.
    const std::uint64_t readable = std::min(limit, track->readableFrames());
    const std::uint64_t left = position < readable ? readable - position : 0;
    const auto run = static_cast<FrameCount>(std::min<std::uint64_t>(frames - done, left));
    if (run == 0) {  // after the end, or at the import's frontier: silence that belongs to no source frame
      for (std::size_t s = 0; s < into.sources; ++s) {
        for (ChannelCount c = 0; c < into.channelsPerSource; ++c) std::fill_n(into.channels[s][c] + done, frames - done, 0.0f);
      }
      std::fill_n(positions + done, frames - done, kNoSourcePosition);
      break;
    }
    for (std::size_t s = 0; s < into.sources; ++s) {
      const dsp::PcmBuffer& pcm = *sources[s].pcm;
      const float scale = pcm.scale();
      for (ChannelCount c = 0; c < into.channelsPerSource; ++c) {
        // A narrower source repeats its first channel.
        const std::int16_t* in = pcm.channel(std::min<ChannelCount>(c, pcm.channels() - 1)) + position;
        float* out = into.channels[s][c] + done;
        for (FrameCount k = 0; k < run; ++k) out[k] = static_cast<float>(in[k]) * scale;
      }
    }
    if (fadeInDone < fadeInFrames) fadeIn(into, done, run);
    if (tailDone < tailFrames) mixTail(into, done, run);
    for (FrameCount k = 0; k < run; ++k) positions[done + k] = static_cast<SourcePosition>(position + k);
    position += run;
    done += run;
  }
  return frames;
}

void Player::Readers::beginHold() noexcept {
  holding = true;
  if (track == nullptr) return;
  tailPosition = position;
  tailDone = 0;
  const std::uint64_t readable = track->readableFrames();
  tailFrames = static_cast<FrameCount>(std::min<std::uint64_t>(crossfadeFrames, readable - std::min(position, readable)));
}

void Player::Readers::fadeIn(const SourceBlocks& into, FrameCount offset, FrameCount frames) noexcept {
  const FrameCount n = std::min<FrameCount>(frames, fadeInFrames - fadeInDone);
  for (std::size_t s = 0; s < into.sources; ++s) {
    for (ChannelCount c = 0; c < into.channelsPerSource; ++c) {
      float* out = into.channels[s][c] + offset;
      for (FrameCount k = 0; k < n; ++k) {
        const double angle = 0.5 * M_PI * (static_cast<double>(fadeInDone + k) + 0.5) / static_cast<double>(fadeInFrames);
        out[k] = static_cast<float>(out[k] * std::sin(angle));
      }
    }
  }
  fadeInDone += n;
}

void Player::Readers::mixTail(const SourceBlocks& into, FrameCount offset, FrameCount frames) noexcept {
  const FrameCount n = std::min<FrameCount>(frames, tailFrames - tailDone);
  const auto& sources = track->sources();
  for (std::size_t s = 0; s < into.sources; ++s) {
    const dsp::PcmBuffer& pcm = *sources[s].pcm;
    const float scale = pcm.scale();
    for (ChannelCount c = 0; c < into.channelsPerSource; ++c) {
      const std::int16_t* tail = pcm.channel(std::min<ChannelCount>(c, pcm.channels() - 1)) + tailPosition;
      float* out = into.channels[s][c] + offset;
      for (FrameCount k = 0; k < n; ++k) {
        // Equal power: A and the frames after B are different music, so their powers add.
        const double angle = 0.5 * M_PI * (static_cast<double>(tailDone + k) + 0.5) / static_cast<double>(tailFrames);
        out[k] = static_cast<float>(out[k] * std::sin(angle) + tail[k] * scale * std::cos(angle));
      }
    }
  }
  tailPosition += n;
  tailDone += n;
}

void Player::prepare(const dsp::ProcessSpec& spec) {
  maxBlockFrames_ = spec.maxBlockFrames;
  const std::size_t laneFloats = kMaxStageSources * kMaxSourceChannels * std::size_t{spec.maxBlockFrames};
  scratch_ = std::make_unique<float[]>(2 * laneFloats);
  fade_ = std::make_unique<float[]>(spec.maxBlockFrames);
  weights_ = std::make_unique<float[]>(spec.maxBlockFrames);
  preRollPositions_ = std::make_unique<SourcePosition[]>(spec.maxBlockFrames);
  outgoingPositions_ = std::make_unique<SourcePosition[]>(spec.maxBlockFrames);
  for (std::size_t l = 0; l < lanes_.size(); ++l) {
    Lane& lane = lanes_[l];
    for (std::size_t s = 0; s < kMaxStageSources; ++s) {
      for (ChannelCount c = 0; c < kMaxSourceChannels; ++c) {
        lane.out.channels[s][c] = scratch_.get() + l * laneFloats + (s * kMaxSourceChannels + c) * std::size_t{spec.maxBlockFrames};
      }
    }
    lane.out.channelsPerSource = kMaxSourceChannels;
    lane.passThrough.prepare(StageSpec{spec.sampleRate, spec.maxBlockFrames, kMaxStageSources, kMaxSourceChannels});
  }
  setSampleRate(spec.sampleRate);
}

void Player::setLaneStages(TrackStage* first, TrackStage* second) noexcept {
  const std::array<TrackStage*, 2> stages{first, second};
  for (std::size_t l = 0; l < lanes_.size(); ++l) {
    Lane& lane = lanes_[l];
    const bool usingOwn = lane.stage == lane.own;
    lane.own = stages[l] != nullptr ? stages[l] : &lane.passThrough;
    if (usingOwn) lane.stage = lane.own;
  }
}

void Player::setSampleRate(SampleRate sampleRate) noexcept {
  sampleRate_ = sampleRate;
  fadeStep_ = 1.0 / std::max(1.0, kFadeSeconds * sampleRate);
  switchFrames_ = static_cast<FrameCount>(std::max(1.0, std::round(kSwitchSeconds * sampleRate)));
  for (Lane& lane : lanes_) {
    lane.readers.crossfadeFrames = static_cast<FrameCount>(std::max(1.0, std::round(kLoopCrossfadeSeconds * sampleRate)));
  }
  for (Lane& lane : lanes_) {
    for (auto& voice : lane.voices) {
      for (auto& gain : voice) gain.prepare(dsp::ProcessSpec{sampleRate, maxBlockFrames_, 1});
    }
    lane.stage->retune(sampleRate);
    if (lane.own != lane.stage) lane.own->retune(sampleRate);
  }
}

void Player::setTrack(const Track* track) noexcept {
  if (switchLeft_ > 0) finishSwitch();
  Lane& lane = lanes_[active_];
  lane.readers.track = track;
  lane.readers.position = 0;
  lane.readers.tailFrames = 0;
  lane.readers.fadeInFrames = 0;
  for (Lane& each : lanes_) each.readers.holding = false;
  setLoopRegion(0, 0);  // a song's loop is its own: the caller sets it again
  lane.stage->reset();
  heardPosition_ = 0;
  wantPlaying_ = false;
  pendingSeek_ = false;
  transportGain_ = 0.0;
  trackGain_ = 1.0;
  mix_.fill(SourceMix{});
  peaks_.fill(0.0f);
  updateSourceTargets();
  jumpGainsToTargets();
}

void Player::switchTo(const Track* track, TrackStage* stage) noexcept {
  if (switchLeft_ > 0) finishSwitch();
  Lane& from = lanes_[active_];
  Lane& to = lanes_[1 - active_];
  TrackStage* next = stage != nullptr ? stage : to.own;
  if (track == from.readers.track && (next == from.stage || (stage == nullptr && from.stage == from.own))) return;
  to.readers.track = track;
  to.readers.looping = looping_;
  to.readers.loopStart = from.readers.loopStart;
  to.readers.loopEnd = from.readers.loopEnd;
  to.readers.tailFrames = 0;
  to.readers.holding = from.readers.holding;
  to.readers.fadeInFrames = 0;
  to.stage = next;
  to.voices = from.voices;  // the same gains, mid-ramp where they are
  const bool audible = wantPlaying_ || transportGain_ > 0.0;
  // Held (a count-in), the song goes on from where the readers hold, not from what was heard.
  const std::uint64_t goOnAt = from.readers.holding ? from.readers.position : heardPosition_;
  // One stage cannot run on both sides of a crossover: with the same stage, switch at once.
  const bool sharedStage = next == from.stage;
  if (!audible || track == nullptr || from.readers.track == nullptr || sharedStage) {
    to.readers.position = std::min(goOnAt, track != nullptr ? track->frames() : 0);
    to.stage->reset();
    active_ = 1 - active_;
    release(from.readers.track, from.stage, to);
    from.readers.track = nullptr;
    from.stage = from.own;
    return;
  }
  prime(to, goOnAt);
  active_ = 1 - active_;
  switchLeft_ = switchFrames_;
}

void Player::prime(Lane& lane, std::uint64_t frame) noexcept {
  lane.stage->reset();
  lane.readers.position = std::min(frame, lane.readers.track->frames());
  // Pre-roll: the stage takes in its latency's worth from `frame` on, and what it puts out
  // meanwhile (its reset state) is dropped; its next output frame is `frame`.
  for (FrameCount left = lane.stage->latencyFrames(); left > 0;) {
    const FrameCount n = std::min(left, maxBlockFrames_);
    runLane(lane, n, preRollPositions_.get());
    left -= n;
  }
}

void Player::finishSwitch() noexcept {
  Lane& from = lanes_[1 - active_];
  release(from.readers.track, from.stage, lanes_[active_]);
  from.readers.track = nullptr;
  from.stage = from.own;
  switchLeft_ = 0;
}

void Player::release(const Track* track, TrackStage* stage, const Lane& keeper) noexcept {
  if (track != nullptr && track != keeper.readers.track) {
    for (auto& slot : releasedTracks_) {
      if (slot == nullptr) {
        slot = track;
        break;
      }
    }
  }
  const bool ownStage = stage == &lanes_[0].passThrough || stage == &lanes_[1].passThrough ||
                        stage == lanes_[0].own || stage == lanes_[1].own;
  if (!ownStage && stage != keeper.stage) {
    for (auto& slot : releasedStages_) {
      if (slot == nullptr) {
        slot = stage;
        break;
      }
    }
  }
}

const Track* Player::takeReleasedTrack() noexcept {
  for (auto& slot : releasedTracks_) {
    if (slot != nullptr) return std::exchange(slot, nullptr);
  }
  return nullptr;
}

TrackStage* Player::takeReleasedStage() noexcept {
  for (auto& slot : releasedStages_) {
    if (slot != nullptr) return std::exchange(slot, nullptr);
  }
  return nullptr;
}

void Player::play() noexcept {
  if (track() == nullptr) return;
  if (!pendingSeek_ && lanes_[active_].readers.atEnd() && heardPosition_ >= track()->frames()) jumpTo(0);
  wantPlaying_ = true;
}

void Player::startAt(std::uint64_t frame) noexcept {
  if (track() == nullptr) return;
  jumpTo(std::min(frame, track()->frames()));
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
  if (track() == nullptr) return;
  const std::uint64_t target = std::min(frame, track()->frames());
  if (!wantPlaying_ && transportGain_ == 0.0) {
    jumpTo(target);  // silent: jump now
    pendingSeek_ = false;
  } else {
    seekTarget_ = target;  // audible: fade out, jump, fade in
    pendingSeek_ = true;
  }
}

void Player::jumpTo(std::uint64_t frame) noexcept {
  if (switchLeft_ > 0) finishSwitch();
  Lane& lane = lanes_[active_];
  lane.readers.position = frame;
  lane.readers.tailFrames = 0;  // a wrap's crossfade ends with the jump
  heardPosition_ = frame;
  lane.stage->reset();
}

void Player::setLooping(bool looping) noexcept {
  looping_ = looping;
  for (Lane& lane : lanes_) lane.readers.looping = looping;
  wrapIfPastLoop();
}

void Player::wrapIfPastLoop() noexcept {
  Lane& lane = lanes_[active_];
  Readers& readers = lane.readers;
  if (!looping_ || readers.loopEnd <= readers.loopStart || readers.position <= readers.loopEnd || pendingSeek_) return;
  if (switchLeft_ > 0) finishSwitch();
  if ((!wantPlaying_ && transportGain_ == 0.0) || readers.holding) {  // silent: just go there
    jumpTo(readers.loopStart);
    return;
  }
  // As at B: the frames from here fade out while A fades in, and the loop's length is exact
  // from then on.
  const std::uint64_t frames = readers.track != nullptr ? readers.track->readableFrames() : 0;
  readers.tailPosition = std::min(readers.position, frames);
  readers.tailDone = 0;
  readers.tailFrames = static_cast<FrameCount>(std::min<std::uint64_t>(readers.crossfadeFrames, frames - readers.tailPosition));
  readers.position = readers.loopStart;
  lane.stage->reset();
  if (readers.holdAtWrap) readers.holding = true;
}

void Player::hold() noexcept {
  // Audible: what plays fades out from where it is. Silent: nothing to fade.
  const bool audible = wantPlaying_ || transportGain_ > 0.0;
  for (Lane& lane : lanes_) {
    if (lane.readers.holding) continue;
    lane.readers.holdCounted = false;
    if (audible) {
      lane.readers.beginHold();
    } else {
      lane.readers.holding = true;
    }
  }
}

void Player::Readers::release() noexcept {
  holding = false;
  holdCounted = false;
  fadeInDone = 0;
  fadeInFrames = crossfadeFrames;
}

void Player::releaseHold() noexcept {
  for (Lane& lane : lanes_) {
    if (lane.readers.holding) lane.readers.release();
  }
}

void Player::releaseHoldAfter(std::uint64_t frames) noexcept {
  for (Lane& lane : lanes_) {
    if (!lane.readers.holding) continue;
    if (frames == 0) {
      lane.readers.release();
    } else {
      lane.readers.holdCounted = true;
      lane.readers.holdLeft = frames;
    }
  }
}

void Player::setHoldAtWrap(bool on) noexcept {
  for (Lane& lane : lanes_) lane.readers.holdAtWrap = on;
}

void Player::setLoopRegion(std::uint64_t start, std::uint64_t end) noexcept {
  for (Lane& lane : lanes_) {
    lane.readers.loopStart = end > start ? start : 0;
    lane.readers.loopEnd = end > start ? end : 0;
  }
  wrapIfPastLoop();
}

void Player::setSourceGain(std::size_t source, double gain) noexcept {
  if (source >= mix_.size()) return;
  mix_[source].gain = gain;
  updateSourceTargets();
}

void Player::setSourcePan(std::size_t source, double pan) noexcept {
  if (source >= mix_.size()) return;
  mix_[source].pan = std::clamp(pan, -1.0, 1.0);
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
  for (Lane& lane : lanes_) {
    for (auto& voice : lane.voices) {
      for (auto& gain : voice) gain.reset();
    }
  }
}

void Player::updateSourceTargets() noexcept {
  for (Lane& lane : lanes_) updateLaneTargets(lane);
}

void Player::updateLaneTargets(Lane& lane) noexcept {
  const bool anySolo = std::any_of(mix_.begin(), mix_.end(), [](const SourceMix& m) { return m.solo; });
  for (std::size_t i = 0; i < mix_.size(); ++i) {
    const SourceMix& m = mix_[i];
    const bool audible = !m.mute && (!anySolo || m.solo);
    const double gain = audible ? m.gain * trackGain_ : 0.0;
    for (ChannelCount c = 0; c < kMaxSourceChannels; ++c) lane.voices[i][c].setTarget(gain * panGain(m.pan, c));
  }
}

void Player::runLane(Lane& lane, FrameCount frames, SourcePosition* positions) noexcept {
  lane.out.sources = lane.readers.track->sources().size();
  lane.out.frames = frames;
  lane.stage->process(lane.readers, lane.out, positions);
}

void Player::process(const dsp::AudioBlock& mix, SourcePosition* positions) noexcept {
  std::fill_n(positions, mix.numFrames, kNoSourcePosition);
  peaks_.fill(0.0f);
  if (track() == nullptr) return;
  FrameCount done = 0;
  while (done < mix.numFrames) {
    if (pendingSeek_ && transportGain_ == 0.0) {
      jumpTo(seekTarget_);
      pendingSeek_ = false;
    }
    const double target = wantPlaying_ && !pendingSeek_ ? 1.0 : 0.0;
    if (!wantPlaying_ && transportGain_ == target) break;  // paused and silent
    // A run of output frames with one fade direction; a fade-out ends the run at its last
    // audible frame, so a pending seek or pause takes effect right after it. A crossover ends
    // at a run's end.
    FrameCount run = mix.numFrames - done;
    if (switchLeft_ > 0) run = std::min(run, switchLeft_);
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
    Lane& incoming = lanes_[active_];
    runLane(incoming, run, positions + done);
    if (switchLeft_ > 0) {
      // Equal-gain crossover: the two lanes play the same music in step, so their sum keeps
      // its level.
      Lane& outgoing = lanes_[1 - active_];
      runLane(outgoing, run, outgoingPositions_.get());
      const double total = static_cast<double>(switchFrames_);
      for (FrameCount k = 0; k < run; ++k) {
        const double share = static_cast<double>(switchLeft_ - k) / total;  // of the outgoing lane
        weights_[k] = static_cast<float>(fade_[done + k] * share);
      }
      mixVoices(outgoing, mix, done, run, weights_.get());
      for (FrameCount k = 0; k < run; ++k) {
        weights_[k] = static_cast<float>(fade_[done + k] * (1.0 - static_cast<double>(switchLeft_ - k) / total));
      }
      mixVoices(incoming, mix, done, run, weights_.get());
      switchLeft_ -= run;
      if (switchLeft_ == 0) finishSwitch();
    } else {
      mixVoices(incoming, mix, done, run, fade_.get() + done);
    }
    // Track frames that came out; the last one is where the transport is heard to be.
    const SourcePosition last = positions[done + run - 1];
    // The last one that is a track frame: a block may end in the silence of a wait for audio.
    for (FrameCount k = run; k > 0; --k) {
      if (positions[done + k - 1] == kNoSourcePosition) continue;
      heardPosition_ = static_cast<std::uint64_t>(positions[done + k - 1]) + 1;
      break;
    }
    done += run;
    if (lanes_[active_].readers.atEnd() && !looping_ && last == kNoSourcePosition) {
      wantPlaying_ = false;  // the end has come out of the stage: stop where the audio stops
      transportGain_ = 0.0;
      heardPosition_ = track()->frames();
      break;
    }
  }
}

void Player::mixVoices(Lane& lane, const dsp::AudioBlock& mix, FrameCount offset, FrameCount frames,
                       const float* weight) noexcept {
  const std::size_t sources = lane.readers.track->sources().size();
  for (std::size_t s = 0; s < sources; ++s) {
    float* const* channels = lane.out.channels[s].data();
    float peak = peaks_[s];
    for (ChannelCount c = 0; c < kMaxSourceChannels; ++c) {
      float* samples = channels[c];
      lane.voices[s][c].process(dsp::AudioBlock{&samples, 1, frames});
      for (FrameCount k = 0; k < frames; ++k) peak = std::max(peak, std::fabs(samples[k]));
    }
    peaks_[s] = peak;
    for (ChannelCount out = 0; out < mix.numChannels; ++out) {
      const float* in = channels[std::min<ChannelCount>(out, kMaxSourceChannels - 1)];
      float* destination = mix.channels[out] + offset;
      for (FrameCount k = 0; k < frames; ++k) destination[k] += in[k] * weight[k];
    }
  }
}

}  // namespace woodshed::engine
