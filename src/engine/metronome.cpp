#include "woodshed/engine/metronome.h"

#include <cmath>
#include <utility>

namespace woodshed::engine {

namespace {
// Positions that move on by more than this per frame are a jump, not playback (the tempo
// moves them by at most 2 frames per frame).
constexpr double kLargestStep = 4.0;
}  // namespace

const char* toString(CountIn countIn) noexcept {
  switch (countIn) {
    case CountIn::Off: return "off";
    case CountIn::First: return "first";
    case CountIn::Every: return "every";
  }
  return "off";
}

void Metronome::setSampleRate(SampleRate sampleRate) noexcept {
  sampleRate_ = sampleRate;
  clickFrames_ = static_cast<FrameCount>(std::lround(kClickSeconds * sampleRate));
  decay_ = std::exp(-1.0 / (kDecaySeconds * sampleRate));
  reset();
}

void Metronome::reset() noexcept {
  previous_ = kNoSourcePosition;
  clickLength_ = 0;
}

void Metronome::markBeats(const BeatGridFrames& grid, const SourcePosition* positions, FrameCount frames,
                          Click* clicks) noexcept {
  if (!grid.valid()) {
    previous_ = frames > 0 ? positions[frames - 1] : previous_;
    return;
  }
  const auto beatOf = [&](double frame) { return std::floor((frame - grid.offsetFrames) / grid.periodFrames); };
  for (FrameCount i = 0; i < frames; ++i) {
    const SourcePosition now = positions[i];
    const SourcePosition before = std::exchange(previous_, now);
    if (now == kNoSourcePosition) continue;
    const double at = static_cast<double>(now);
    const double beat = beatOf(at);
    bool reached;
    // (A stage that repeats a position, slowing down, is playback too.)
    if (before != kNoSourcePosition && now >= before && at - static_cast<double>(before) <= kLargestStep) {
      reached = beat > beatOf(static_cast<double>(before));  // a beat in (before, now]
    } else {
      reached = at - (grid.offsetFrames + beat * grid.periodFrames) < 1.0;  // landed on one: (now - 1, now]
    }
    if (!reached || clicks[i] != Click::None) continue;
    const auto inBar = static_cast<long long>(beat) % grid.beatsPerBar;
    clicks[i] = inBar == 0 ? Click::Downbeat : Click::Beat;
  }
}

void Metronome::start(Click click) noexcept {
  const bool downbeat = click == Click::Downbeat;
  phaseStep_ = 2.0 * M_PI * (downbeat ? kDownbeatHz : kBeatHz) / sampleRate_;
  phase_ = phaseStep_;  // the click's first frame is already heard
  envelope_ = 1.0;
  gain_ = level_ * (downbeat ? 1.0 : kBeatGain);
  clickDone_ = 0;
  clickLength_ = clickFrames_;
}

bool Metronome::render(const dsp::AudioBlock& block, const Click* clicks) noexcept {
  bool sounded = false;
  for (FrameCount i = 0; i < block.numFrames; ++i) {
    if (clicks[i] != Click::None) start(clicks[i]);
    if (clickLength_ == 0) continue;
    sounded = true;
    // A decaying sine that ends at exactly zero: the exponential times a linear fade.
    const double fade = 1.0 - static_cast<double>(clickDone_) / static_cast<double>(clickLength_);
    const auto sample = static_cast<float>(gain_ * envelope_ * fade * std::sin(phase_));
    for (ChannelCount c = 0; c < block.numChannels; ++c) block.channels[c][i] += sample;
    phase_ += phaseStep_;
    envelope_ *= decay_;
    if (++clickDone_ == clickLength_) clickLength_ = 0;
  }
  return sounded;
}

}  // namespace woodshed::engine
