#include "woodshed/dsp/parametric_eq.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>

#include "woodshed/core/invariant.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {

using Bands = ParametricEq::Bands;

constexpr double kShelfQ = 0.70710678118654752440;  // the cookbook's shelf slope S = 1
constexpr std::array<double, ParametricEq::kBandCount> kFlatFrequencies = {
    60.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0, 10000.0, 12000.0};

constexpr Bands makeFlat() {
  Bands bands{};
  for (std::size_t i = 0; i < bands.size(); ++i) {
    const bool shelf = i == 0 || i + 1 == bands.size();
    bands[i] = BandParams{kFlatFrequencies[i], 0.0, shelf ? kShelfQ : 1.0, true};
  }
  return bands;
}

constexpr Bands flatWith(std::initializer_list<std::pair<std::size_t, BandParams>> changes) {
  Bands bands = makeFlat();
  for (const auto& [index, params] : changes) bands[index] = params;
  return bands;
}

constexpr std::array<ParametricEq::Preset, 5> kPresets = {{
    {"Flat", makeFlat()},
    {"Bass boost", flatWith({{0, {90.0, 6.0, kShelfQ, true}}, {2, {220.0, -1.5, 1.2, true}}})},
    {"Vocal presence", flatWith({{3, {300.0, -2.0, 1.0, true}},
                                 {6, {3000.0, 4.0, 1.2, true}},
                                 {9, {10000.0, 2.0, kShelfQ, true}}})},
    {"De-mud", flatWith({{3, {320.0, -5.0, 1.4, true}}, {0, {60.0, 1.5, kShelfQ, true}}})},
    {"Bass cut (play along)", flatWith({{0, {150.0, -15.0, kShelfQ, true}}, {1, {90.0, -6.0, 1.0, true}}})},
}};

// Advances a linear ramp of `value` by up to `frames`, landing exactly on `target` at its end.
void advanceRamp(double& value, double target, double step, FrameCount framesLeft, FrameCount frames) noexcept {
  value = frames >= framesLeft ? target : value + step * static_cast<double>(frames);
}

BiquadCoefficients divided(const BiquadCoefficients& from, const BiquadCoefficients& to, double count) noexcept {
  return {(to.b0 - from.b0) / count, (to.b1 - from.b1) / count, (to.b2 - from.b2) / count,
          (to.a1 - from.a1) / count, (to.a2 - from.a2) / count};
}

}  // namespace

BiquadType ParametricEq::bandType(std::size_t index) noexcept {
  if (index == 0) return BiquadType::LowShelf;
  if (index + 1 == kBandCount) return BiquadType::HighShelf;
  return BiquadType::Peaking;
}

ParametricEq::Bands ParametricEq::flatBands() noexcept { return makeFlat(); }

std::span<const ParametricEq::Preset> ParametricEq::presets() noexcept { return kPresets; }

BandParams ParametricEq::clamped(const BandParams& params) noexcept {
  // NaN parameters become the lower bound rather than reaching the coefficients.
  auto clamp = [](double value, double low, double high) { return value >= low ? std::min(value, high) : low; };
  return BandParams{clamp(params.frequencyHz, kMinFrequencyHz, kMaxFrequencyHz),
                    clamp(params.gainDb, kMinGainDb, kMaxGainDb), clamp(params.q, kMinQ, kMaxQ), params.enabled};
}

double ParametricEq::responseDb(const Bands& bands, double frequencyHz, SampleRate sampleRate) noexcept {
  double db = 0.0;
  for (std::size_t i = 0; i < bands.size(); ++i) {
    const BandParams band = clamped(bands[i]);
    if (!band.enabled || band.gainDb == 0.0) continue;
    db += Biquad::magnitudeDb(Biquad::design(bandType(i), band.frequencyHz, band.gainDb, band.q, sampleRate),
                              frequencyHz, sampleRate);
  }
  return db;
}

ParametricEq::ParametricEq() noexcept : targets_(makeFlat()) {
  for (std::size_t i = 0; i < kBandCount; ++i) setBand(i, targets_[i]);
  jumpToTargets();
}

void ParametricEq::prepare(const ProcessSpec& spec) {
  if (!(spec.sampleRate > 0.0)) throw core::InvalidArgument("the EQ needs a positive sample rate");
  if (spec.channels > kMaxChannels) {
    throw core::InvalidArgument("the EQ processes at most " + std::to_string(kMaxChannels) + " channels, not " +
                                std::to_string(spec.channels));
  }
  sampleRate_ = spec.sampleRate;
  channels_ = spec.channels;
  rampFrames_ = static_cast<FrameCount>(std::max(1.0, std::round(kRampSeconds * sampleRate_)));
  reset();
}

void ParametricEq::reset() noexcept {
  jumpToTargets();
  for (Band& band : bands_) {
    for (Biquad& filter : band.filters) filter.reset();
  }
}

void ParametricEq::jumpToTargets() noexcept {
  for (std::size_t i = 0; i < kBandCount; ++i) {
    Band& band = bands_[i];
    band.logFrequency = band.targetLogFrequency;
    band.gainDb = band.targetGainDb;
    band.logQ = band.targetLogQ;
    band.framesLeft = 0;
    band.running = band.gliding = false;
    band.end = designSmoothed(i);
    band.step = {};
    for (Biquad& filter : band.filters) filter.setCoefficients(band.end);
  }
  mix_ = bypassTarget_ ? 0.0 : 1.0;
  mixFramesLeft_ = 0;
  subBlockPhase_ = 0;
}

void ParametricEq::setBand(std::size_t index, const BandParams& params) noexcept {
  if (!WOODSHED_INVARIANT(index < kBandCount, "an EQ band index out of range")) return;
  const BandParams target = clamped(params);
  targets_[index] = target;
  Band& band = bands_[index];
  band.targetLogFrequency = std::log2(target.frequencyHz);
  band.targetGainDb = target.enabled ? target.gainDb : 0.0;
  band.targetLogQ = std::log2(target.q);
  const bool moves = band.targetLogFrequency != band.logFrequency || band.targetGainDb != band.gainDb ||
                     band.targetLogQ != band.logQ;
  band.framesLeft = moves ? rampFrames_ : 0;
  const double frames = static_cast<double>(rampFrames_);
  band.logFrequencyStep = (band.targetLogFrequency - band.logFrequency) / frames;
  band.gainStep = (band.targetGainDb - band.gainDb) / frames;
  band.logQStep = (band.targetLogQ - band.logQ) / frames;
}

void ParametricEq::applyPreset(const Preset& preset) noexcept {
  for (std::size_t i = 0; i < kBandCount; ++i) setBand(i, preset.bands[i]);
}

void ParametricEq::setBypass(bool bypassed) noexcept {
  bypassTarget_ = bypassed;
  const double target = bypassed ? 0.0 : 1.0;
  mixFramesLeft_ = mix_ == target ? 0 : rampFrames_;
  mixStep_ = (target - mix_) / static_cast<double>(rampFrames_);
}

double ParametricEq::responseDb(double frequencyHz) const noexcept {
  return responseDb(targets_, frequencyHz, sampleRate_);
}

BiquadCoefficients ParametricEq::designSmoothed(std::size_t index) const noexcept {
  const Band& band = bands_[index];
  return Biquad::design(bandType(index), std::exp2(band.logFrequency), band.gainDb, std::exp2(band.logQ),
                        sampleRate_);
}

void ParametricEq::beginSubBlock() noexcept {
  for (std::size_t i = 0; i < kBandCount; ++i) {
    Band& band = bands_[i];
    band.running = band.framesLeft > 0 || band.gainDb != 0.0;
    band.gliding = band.framesLeft > 0;
    if (!band.gliding) continue;
    const FrameCount frames = std::min(band.framesLeft, kSubBlockFrames);
    advanceRamp(band.logFrequency, band.targetLogFrequency, band.logFrequencyStep, band.framesLeft, frames);
    advanceRamp(band.gainDb, band.targetGainDb, band.gainStep, band.framesLeft, frames);
    advanceRamp(band.logQ, band.targetLogQ, band.logQStep, band.framesLeft, frames);
    band.framesLeft -= frames;
    band.end = designSmoothed(i);
    band.step = divided(band.filters[0].coefficients(), band.end, static_cast<double>(kSubBlockFrames));
  }
}

void ParametricEq::endSubBlock() noexcept {
  for (Band& band : bands_) {
    for (Biquad& filter : band.filters) {
      // Rounding in the per-sample glide must not accumulate: land exactly on the design.
      if (band.gliding) filter.setCoefficients(band.end);
      if (!filter.hasFiniteState()) filter.reset();
    }
  }
}

void ParametricEq::process(const AudioBlock& block) noexcept {
  if (!WOODSHED_INVARIANT(block.numChannels <= channels_, "the EQ was given more channels than prepared")) {
    for (ChannelCount c = 0; c < block.numChannels; ++c) std::fill_n(block.channels[c], block.numFrames, 0.0f);
    return;
  }
  const ChannelCount channels = block.numChannels;
  const double mixTarget = bypassTarget_ ? 0.0 : 1.0;
  FrameCount done = 0;
  while (done < block.numFrames) {
    if (subBlockPhase_ == 0) beginSubBlock();
    const FrameCount frames = std::min(block.numFrames - done, kSubBlockFrames - subBlockPhase_);
    for (ChannelCount c = 0; c < channels; ++c) {
      float* io = block.channels[c] + done;
      float* wet = wet_[c].data();
      std::copy(io, io + frames, wet);
      for (Band& band : bands_) {
        Biquad& filter = band.filters[c];
        if (!band.running) {
          filter.primeAsPassThrough(wet, frames);
        } else if (band.gliding) {
          filter.processRamping(band.step, wet, frames);
        } else {
          filter.process(wet, frames);
        }
      }
      if (mixFramesLeft_ == 0) {
        if (mix_ == 1.0) std::copy(wet, wet + frames, io);
        continue;  // fully bypassed: the dry signal stays as it is, bit for bit
      }
      double mix = mix_;
      FrameCount left = mixFramesLeft_;
      for (FrameCount i = 0; i < frames; ++i) {
        if (left > 0) {
          --left;
          mix = left == 0 ? mixTarget : mix + mixStep_;
        }
        const double dry = io[i];
        io[i] = static_cast<float>(dry + mix * (double{wet[i]} - dry));
      }
    }
    if (mixFramesLeft_ > 0) {
      const FrameCount step = std::min(frames, mixFramesLeft_);
      advanceRamp(mix_, mixTarget, mixStep_, mixFramesLeft_, step);
      mixFramesLeft_ -= step;
    }
    subBlockPhase_ += frames;
    done += frames;
    if (subBlockPhase_ == kSubBlockFrames) {
      endSubBlock();
      subBlockPhase_ = 0;
    }
  }
}

}  // namespace woodshed::dsp
