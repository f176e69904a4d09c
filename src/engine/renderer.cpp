#include "woodshed/engine/renderer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <type_traits>
#include <variant>

#include "woodshed/core/invariant.h"
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
  clicks_ = std::make_unique<Click[]>(spec.maxBlockFrames);
  clickDelay_ = std::make_unique<Click[]>(positionDelayCapacity_);
  player_.prepare(spec);
  for (TimeStretchStage& stage : stretch_) {
    stage.prepare(StageSpec{spec.sampleRate, spec.maxBlockFrames, kMaxStageSources, kMaxSourceChannels});
  }
  player_.setLaneStages(&stretch_[0], &stretch_[1]);
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
  std::fill_n(clickDelay_.get(), positionDelayCapacity_, Click::None);
  metronome_.setSampleRate(spec_.sampleRate);
}

void Renderer::delayPositions(FrameCount frames) noexcept {
  if (positionDelayFrames_ == 0) return;
  for (FrameCount i = 0; i < frames; ++i) {
    const SourcePosition entering = positions_[i];
    positions_[i] = positionDelay_[positionDelayCursor_];
    positionDelay_[positionDelayCursor_] = entering;
    const Click click = clicks_[i];
    clicks_[i] = clickDelay_[positionDelayCursor_];
    clickDelay_[positionDelayCursor_] = click;
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
                   countInLeft_ = 0;
                   // A song's tempo and pitch are its own: the caller sets them again; the
                   // trainer stops.
                   tempoPitch_ = dsp::StretchParams{};
                   trainer_ = Trainer{};
                   applyTempoPitch();
                   player_.setTrack(c.track);  // not held; resets the stage, which takes the targets at once
                   grid_ = {};  // a song's grid is its own: the caller sets it again
                   updateHoldAtWrap();
                 },
                 [&](const command::Play&) { play(); },
                 // A pause during a count-in keeps the song held where it is, so playing again
                 // counts in again from there.
                 [&](const command::Pause&) {
                   countInLeft_ = 0;
                   player_.pause();
                 },
                 [&](const command::Stop&) {
                   countInLeft_ = 0;
                   player_.stop();
                 },
                 [&](const command::Seek& c) {
                   player_.seek(c.frame);
                   trainer_.last = kNoSourcePosition;  // a seek back is not a pass
                 },
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
                 [&](const command::SetBeatGrid& c) {
                   grid_ = c.grid;
                   updateHoldAtWrap();
                 },
                 [&](const command::SetTempoPitch& c) {
                   tempoPitch_ = dsp::StretchParams{c.tempo, c.semitones};
                   applyTempoPitch();
                 },
                 [&](const command::SetSpeedTrainer& c) {
                   trainer_ = Trainer{};
                   if (c.enabled) trainer_ = Trainer{true, c.start, c.step, c.target, std::max(1u, c.passesPerStep), 0, kNoSourcePosition};
                   applyTempoPitch();
                 },
                 [&](const command::SetMetronome& c) {
                   metronomeEnabled_ = c.enabled;
                   metronome_.setLevel(c.level);
                   countInMode_ = c.countIn;
                   countInBars_ = c.countInBars;
                   updateHoldAtWrap();
                 },
             },
             command);
  return released;
}

RenderedBlock Renderer::render(FrameCount frames) noexcept {
  if (!WOODSHED_INVARIANT(frames <= spec_.maxBlockFrames, "the render thread asked for a block larger than prepared")) {
    // Degrade: the largest block it can, silent, and nothing moves (see core/invariant.h).
    const dsp::AudioBlock silence{mixChannels_, spec_.channels, spec_.maxBlockFrames};
    clear(silence);
    std::fill_n(positions_.get(), spec_.maxBlockFrames, kNoSourcePosition);
    return RenderedBlock{silence, positions_.get(), true};
  }
  const dsp::AudioBlock mix{mixChannels_, spec_.channels, frames};
  clear(mix);
  std::fill_n(clicks_.get(), frames, Click::None);
  // The player in runs that end where a count-in ends, so the song goes on at its exact frame.
  for (FrameCount done = 0; done < frames;) {
    FrameCount run = frames - done;
    const bool countingIn = countInLeft_ > 0;
    if (countingIn) run = std::min(run, countInLeft_);
    std::array<float*, std::extent_v<decltype(mixChannels_)>> channels{};
    for (ChannelCount c = 0; c < spec_.channels; ++c) channels[c] = mixChannels_[c] + done;
    player_.process(dsp::AudioBlock{channels.data(), spec_.channels, run}, positions_.get() + done);
    if (countingIn) {
      countIn(done, run);
    } else if (player_.held() && player_.playing()) {
      if (countInMode_ == CountIn::Every && grid_.valid()) {
        // A loop wrap began the hold in this run: count in from the first frame not heard.
        FrameCount start = run;
        while (start > 0 && positions_[done + start - 1] == kNoSourcePosition) --start;
        if (start == run) {  // the song before the wrap is still coming out of the stage
          done += run;
          continue;
        }
        beginCountIn();
        const FrameCount counted = std::min(run - start, countInLeft_);
        countIn(done + start, counted);
        holdUntilCountInEnds();
        if (countInLeft_ == 0) {
          // A count-in shorter than the rest of the run (a long block at a low rate): the rest
          // was rendered held; render it again, playing.
          run = start + counted;
        }
      } else {
        player_.releaseHold();  // the count-in was turned off meanwhile
      }
    }
    if (done + run < frames) {
      for (ChannelCount c = 0; c < spec_.channels; ++c) std::fill_n(mixChannels_[c] + done + run, frames - done - run, 0.0f);
    }
    done += run;
  }
  if (trainer_.running) notePasses(positions_.get(), frames);
  if (metronomeEnabled_) metronome_.markBeats(grid_, positions_.get(), frames, clicks_.get());
  generator_.processAdding(mix);
  const bool finite = chain_.process(mix);
  delayPositions(frames);
  if (tap_ != nullptr && !tap_->tryPushBlock(mix.channels, frames, positions_.get())) ++droppedTapBlocks_;
  const bool clicked = metronome_.render(mix, clicks_.get());
  applyListeningVolume(mix, clicked);
  return RenderedBlock{mix, positions_.get(), finite};
}

void Renderer::play() noexcept {
  if (player_.playing() || player_.track() == nullptr) {
    player_.play();
    return;
  }
  if (countInMode_ == CountIn::Off || !grid_.valid()) {
    player_.releaseHold();  // held by a pause during a count-in that is off now
    player_.play();
    return;
  }
  // From where the song is heard, with the stage emptied: what it read ahead before the pause
  // would otherwise play during the count-in.
  player_.seek(player_.position());
  player_.hold();  // before play(): from a pause nothing is audible, so nothing fades out
  player_.play();
  beginCountIn();
  holdUntilCountInEnds();
}

double Renderer::Trainer::tempo() const noexcept {
  const double steps = std::floor(static_cast<double>(passes) / static_cast<double>(passesPerStep));
  return std::min(target, start + steps * step);
}

void Renderer::applyTempoPitch() noexcept {
  dsp::StretchParams params = tempoPitch_;
  if (trainer_.running) params.tempo = trainer_.tempo();
  for (TimeStretchStage& stage : stretch_) stage.setParams(params);
}

void Renderer::notePasses(const SourcePosition* positions, FrameCount frames) noexcept {
  // A pass ends where the frames heard jump back (the loop's wrap, or its count-in's return to
  // A); a tempo step then takes effect as the next pass is heard.
  for (FrameCount i = 0; i < frames; ++i) {
    const SourcePosition p = positions[i];
    if (p == kNoSourcePosition) continue;
    if (trainer_.last != kNoSourcePosition && p + 1 < trainer_.last && player_.looping()) {
      ++trainer_.passes;
      applyTempoPitch();
    }
    trainer_.last = p;
  }
}

void Renderer::holdUntilCountInEnds() noexcept {
  // The readers give silence until the song's next frame is the one the stage puts out when
  // the count-in ends (a stage off 100 % reads ahead of what it puts out).
  if (countInLeft_ == 0) return;
  const std::int64_t frames = player_.inputFramesBefore(countInLeft_);
  player_.releaseHoldAfter(static_cast<std::uint64_t>(std::max<std::int64_t>(frames, 0)));
}

void Renderer::beginCountIn() noexcept {
  // Spaced at the heard tempo: the grid's beat in source frames, at the tempo ratio (source
  // frames per output frame), in output frames.
  const double kTempoRatio = stretch_[0].params().tempo;
  countInPeriod_ = grid_.periodFrames / kTempoRatio;
  // On the song's pulse: the song goes on from p, `into` after its last beat b0, so the
  // count-in's bars end on b0 and the song comes in that much later; its clicks count the
  // bars that lead to b0 (accented where the song's bars start), and b0 itself is clicked
  // when p is past it.
  const auto p = static_cast<double>(player_.position());
  const double beatsToB0 = std::floor((p - grid_.offsetFrames) / grid_.periodFrames);
  const double into = (p - (grid_.offsetFrames + beatsToB0 * grid_.periodFrames)) / kTempoRatio;
  const auto bpb = static_cast<long long>(grid_.beatsPerBar);
  countInBarPhase_ = ((static_cast<long long>(beatsToB0) % bpb) + bpb) % bpb;
  const double beats = static_cast<double>(grid_.beatsPerBar) * countInBars_;
  countInTotal_ = static_cast<FrameCount>(std::llround(beats * countInPeriod_ + into));
  countInLeft_ = std::max<FrameCount>(countInTotal_, 1);
}

void Renderer::countIn(FrameCount offset, FrameCount frames) noexcept {
  const FrameCount elapsed = countInTotal_ - countInLeft_;
  for (FrameCount i = 0; i < frames; ++i) {
    // A click on the first frame at or after each beat of the count-in: beat k * period in
    // (at - 1, at].
    const double at = static_cast<double>(elapsed + i);
    const double beat = std::floor(at / countInPeriod_);
    if (beat * countInPeriod_ > at - 1.0) {
      const long long inBar = (countInBarPhase_ + static_cast<long long>(beat)) % grid_.beatsPerBar;
      clicks_[offset + i] = inBar == 0 ? Click::Downbeat : Click::Beat;
    }
  }
  countInLeft_ -= std::min(frames, countInLeft_);
  if (countInLeft_ == 0) player_.releaseHold();
}

void Renderer::updateHoldAtWrap() noexcept {
  player_.setHoldAtWrap(countInMode_ == CountIn::Every && grid_.valid());
}

void Renderer::applyListeningVolume(const dsp::AudioBlock& block, bool clicked) noexcept {
  const bool boosting = listeningVolume_.target() > 1.0 || listeningVolume_.current() > 1.0;
  listeningVolume_.process(block);
  // At or below unity, and without clicks, the chain's own clipper already kept every sample
  // below full scale, and a second bend would change the sound; above unity, or with the
  // metronome's clicks added to a loud song, the peaks may need it.
  if (!boosting && !clicked) return;
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
