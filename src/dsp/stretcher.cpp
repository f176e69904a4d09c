#include "woodshed/dsp/stretcher.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <new>
#include <numbers>
#include <string>

#include "stretch_fft.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {
// The way back to bypass: every rotation moves towards 0 by this much per hop (at most a
// 0.7 Hz detune at 44.1 kHz), and the time map's fraction by this much per output frame.
constexpr float kThetaDecayPerHop = 0.05f;
constexpr double kFractionSlidePerFrame = 1e-3;
constexpr float kDenormalFloor = 1e-30f;

std::int64_t floorDiv(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
}  // namespace

Stretcher::Stretcher() = default;
Stretcher::~Stretcher() = default;
Stretcher::Stretcher(Stretcher&&) noexcept = default;
Stretcher& Stretcher::operator=(Stretcher&&) noexcept = default;

void Stretcher::prepare(const StretchSpec& spec) {
  if (!(spec.sampleRate > 0.0 && spec.sampleRate <= kMaxSampleRate)) {
    throw core::InvalidArgument("the time-stretcher runs at sample rates above 0 and up to 384000 Hz, not " +
                                std::to_string(spec.sampleRate));
  }
  if (spec.channels == 0 || spec.channels > kMaxStretchChannels) {
    throw core::InvalidArgument("the time-stretcher takes 1 to " + std::to_string(kMaxStretchChannels) +
                                " channels, not " + std::to_string(spec.channels));
  }
  if (spec.channelsPerGroup == 0 || spec.channels % spec.channelsPerGroup != 0) {
    throw core::InvalidArgument("the time-stretcher's channels (" + std::to_string(spec.channels) +
                                ") must be a whole number of sources of " + std::to_string(spec.channelsPerGroup) +
                                " channels");
  }
  preparedChannels_ = channels_ = spec.channels;
  groups_ = spec.channelsPerGroup;
  size_ = spec.sampleRate < 32000.0 ? 2048u : spec.sampleRate <= 64000.0 ? 4096u : 8192u;
  hopSize_ = size_ / 8;
  bins_ = size_ / 2 + 1;
  // The FIFO holds the analysis window (N), the planner's horizon (at most 3.5 N), the deviation
  // of a lock from the nominal map (N / 2) and the detector's latency: 8 N, a power of two.
  fifoFrames_ = 8 * size_;
  fifoMask_ = static_cast<std::int64_t>(fifoFrames_) - 1;
  olaMask_ = 2 * static_cast<std::int64_t>(size_) - 1;

  fft_ = std::make_unique<StretchFft>(size_);
  window_.resize(size_);
  synthesisWindow_.resize(size_);
  for (std::uint32_t n = 0; n < size_; ++n) {
    const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * n / size_);
    window_[n] = static_cast<float>(w);
    // Hann^2 at a hop of N/8 sums to 3; the inverse transform scales by N.
    synthesisWindow_[n] = static_cast<float>(w / (3.0 * size_));
  }

  planRe_.assign(static_cast<std::size_t>(groups_) * bins_, 0.0f);
  planIm_.assign(static_cast<std::size_t>(groups_) * bins_, 0.0f);
  centreRe_.assign(static_cast<std::size_t>(groups_) * bins_, 0.0f);
  centreIm_.assign(static_cast<std::size_t>(groups_) * bins_, 0.0f);
  centrePower_.assign(bins_, 0.0f);
  planRePointers_.resize(groups_);
  planImPointers_.resize(groups_);
  centreRePointers_.resize(groups_);
  centreImPointers_.resize(groups_);
  for (ChannelCount g = 0; g < groups_; ++g) {
    planRePointers_[g] = planRe_.data() + static_cast<std::size_t>(g) * bins_;
    planImPointers_[g] = planIm_.data() + static_cast<std::size_t>(g) * bins_;
    centreRePointers_[g] = centreRe_.data() + static_cast<std::size_t>(g) * bins_;
    centreImPointers_[g] = centreIm_.data() + static_cast<std::size_t>(g) * bins_;
  }
  fifo_.assign(static_cast<std::size_t>(channels_) * fifoFrames_, 0.0f);
  readPointers_.resize(channels_);
  ola_.assign(static_cast<std::size_t>(channels_) * 2 * size_, 0.0f);
  plan_.prepare(size_, groups_, spec.sampleRate);
  planner_.prepare(size_, hopSize_);
  resampler_.prepare();
  setSampleRate(spec.sampleRate);
  reset();
}

void Stretcher::setSampleRate(SampleRate sampleRate) noexcept {
  if (!(sampleRate > 0.0 && sampleRate <= kMaxSampleRate)) return;
  sampleRate_ = sampleRate;
  fadeFrames_ = static_cast<FrameCount>(std::max(1.0, std::round(kBypassFadeSeconds * sampleRate)));
  tempoStepPerHop_ = kGlideOctavesPerSecond * hopSize_ / sampleRate;
  pitchStepPerFrame_ = kGlideOctavesPerSecond / sampleRate;
  detector_.setSampleRate(sampleRate);
  plan_.setSampleRate(sampleRate);
}

void Stretcher::setActiveChannels(ChannelCount channels) noexcept {
  if (groups_ == 0) return;
  channels_ = std::max(groups_, std::min(channels, preparedChannels_) / groups_ * groups_);
  reset();
}

void Stretcher::retune(const StretchParams& params) noexcept {
  double tempo = params.tempo, semitones = params.semitones;
  if (!std::isfinite(tempo)) {
    ++clamped_;
    tempo = targetTempo_;
  } else if (tempo < kMinTempo || tempo > kMaxTempo) {
    ++clamped_;
    tempo = std::clamp(tempo, kMinTempo, kMaxTempo);
  }
  if (!std::isfinite(semitones)) {
    ++clamped_;
    semitones = targetLogPitch_ * 12.0;
  } else if (semitones < kMinSemitones || semitones > kMaxSemitones) {
    ++clamped_;
    semitones = std::clamp(semitones, kMinSemitones, kMaxSemitones);
  }
  targetTempo_ = tempo;
  targetLogTempo_ = std::log2(tempo);
  targetLogPitch_ = semitones / 12.0;
}

double Stretcher::currentTempo() const noexcept { return std::exp2(logTempo_); }
double Stretcher::currentPitchRatio() const noexcept { return std::exp2(logPitch_); }

void Stretcher::reset() noexcept {
  std::fill_n(fifo_.begin(), static_cast<std::size_t>(channels_) * fifoFrames_, 0.0f);
  inputEnd_ = 0;
  detector_.reset(0);
  planner_.clearOnsets();
  logTempo_ = targetLogTempo_;
  logPitch_ = targetLogPitch_;
  lastIndex_ = -1;
  dryIndex_ = 0;
  fadeDone_ = 0;
  if (targetLogTempo_ == 0.0 && targetLogPitch_ == 0.0) {
    mode_ = Mode::Dry;
  } else {
    mode_ = Mode::Wet;
    startWet(0, std::exp2(logTempo_ - logPitch_));
  }
}

void Stretcher::startWet(std::int64_t anchor, double ratio) noexcept {
  plan_.reset();
  std::fill_n(ola_.begin(), static_cast<std::size_t>(channels_) * 2 * size_, 0.0f);
  // Hop 0 reads at `anchor`; the hops before it cover the window around internal frame 0.
  const auto firstHop = -static_cast<std::int64_t>(size_ / 2 / hopSize_);
  planner_.restart(firstHop, static_cast<double>(anchor), ratio);
  lastHop_ = firstHop - 1;
  finalEnd_ = firstHop * hopSize_ - static_cast<std::int64_t>(size_);
  whole_ = 0;
  fraction_ = 0.0;
  cleanHops_ = 0;
}

void Stretcher::fill(StretchInput& in, std::int64_t until) noexcept {
  while (inputEnd_ < until) {
    const auto slot = static_cast<FrameCount>(inputEnd_ & fifoMask_);
    const auto frames = static_cast<FrameCount>(std::min<std::int64_t>(until - inputEnd_, fifoFrames_ - slot));
    for (ChannelCount c = 0; c < channels_; ++c) {
      readPointers_[c] = fifo_.data() + static_cast<std::size_t>(c) * fifoFrames_ + slot;
    }
    const FrameCount got = std::min(in.read(readPointers_.data(), frames), frames);
    for (ChannelCount c = 0; c < channels_; ++c) std::fill(readPointers_[c] + got, readPointers_[c] + frames, 0.0f);
    if (mode_ == Mode::Dry) planner_.dropOnsetsBefore(dryIndex_);
    // The detector sees the mono plan: each plan channel sums its sources in source order.
    for (FrameCount i = 0; i < frames; ++i) {
      float mono = 0.0f;
      for (ChannelCount g = 0; g < groups_; ++g) {
        float sum = readPointers_[g][i];
        for (ChannelCount c = g + groups_; c < channels_; c += groups_) sum += readPointers_[c][i];
        mono += sum;
      }
      std::int64_t onset = 0;
      if (detector_.push(mono, onset)) planner_.addOnset(onset);
    }
    inputEnd_ += frames;
  }
}

void Stretcher::windowPlan(std::int64_t centre, ChannelCount group, float* into, std::size_t stride) const noexcept {
  const std::int64_t start = centre - static_cast<std::int64_t>(size_ / 2);
  for (std::uint32_t n = 0; n < size_; ++n) {
    const std::int64_t index = start + n;
    float sum = 0.0f;
    if (index >= 0) {
      const auto slot = static_cast<std::size_t>(index & fifoMask_);
      sum = fifo_[static_cast<std::size_t>(group) * fifoFrames_ + slot];
      for (ChannelCount c = group + groups_; c < channels_; c += groups_) {
        sum += fifo_[static_cast<std::size_t>(c) * fifoFrames_ + slot];
      }
    }
    into[n * stride] = sum * window_[n];
  }
}

void Stretcher::transformPlan(std::int64_t centre, float* re, float* im) noexcept {
  constexpr int kLanes = StretchFft::kLanes;
  for (ChannelCount first = 0; first < groups_; first += kLanes) {
    const int count = static_cast<int>(std::min<ChannelCount>(kLanes, groups_ - first));
    for (int k = 0; k < count; ++k) windowPlan(centre, first + static_cast<ChannelCount>(k), fft_->time() + k, kLanes);
    fft_->forward();
    const float* laneRe = fft_->re();
    const float* laneIm = fft_->im();
    for (int k = 0; k < count; ++k) {
      float* r = re + static_cast<std::size_t>(first + static_cast<ChannelCount>(k)) * bins_;
      float* i = im + static_cast<std::size_t>(first + static_cast<ChannelCount>(k)) * bins_;
      for (std::uint32_t b = 0; b < bins_; ++b) {
        r[b] = laneRe[std::size_t{b} * kLanes + static_cast<std::size_t>(k)];
        i[b] = laneIm[std::size_t{b} * kLanes + static_cast<std::size_t>(k)];
      }
    }
  }
}

void Stretcher::windowChannel(std::int64_t centre, ChannelCount channel, float* into, std::size_t stride) const noexcept {
  const std::int64_t start = centre - static_cast<std::int64_t>(size_ / 2);
  const float* ring = fifo_.data() + static_cast<std::size_t>(channel) * fifoFrames_;
  for (std::uint32_t n = 0; n < size_; ++n) {
    const std::int64_t index = start + n;
    into[n * stride] = index >= 0 ? ring[index & fifoMask_] * window_[n] : 0.0f;
  }
}

float Stretcher::dry(ChannelCount channel, std::int64_t index) const noexcept {
  return index >= 0 ? fifo_[static_cast<std::size_t>(channel) * fifoFrames_ + static_cast<std::size_t>(index & fifoMask_)]
                    : 0.0f;
}

void Stretcher::runHop(StretchInput& in) noexcept {
  const bool neutral = targetLogTempo_ == 0.0 && targetLogPitch_ == 0.0;
  if (mode_ != Mode::FadeToWet) {
    logTempo_ += std::clamp(targetLogTempo_ - logTempo_, -tempoStepPerHop_, tempoStepPerHop_);
  }
  const double pitch = std::exp2(logPitch_);
  const double ratio = std::exp2(logTempo_ - logPitch_);
  fill(in, planner_.requiredInput(ratio));
  const StretchPlanner::Hop hop = planner_.next(ratio);
  const std::int64_t j = planner_.nextHop() - 1;
  const std::int64_t half = size_ / 2;
  fill(in, std::max(hop.analysis, hop.lockStart ? hop.lockCentre : hop.analysis) + half);

  const std::int64_t hs = hopSize_;
  // The first hop of a map has no previous one: its plan keeps theta = 0.
  const std::int64_t firstHop = -static_cast<std::int64_t>(size_ / 2 / hopSize_);
  const std::int64_t analysisHop = j > firstHop ? hop.analysis - analysisByHop_[(j - 1) & (kHopRing - 1)] : hs;
  analysisByHop_[j & (kHopRing - 1)] = hop.analysis;

  transformPlan(hop.analysis, planRe_.data(), planIm_.data());
  plan_.analyse(planRePointers_.data(), planImPointers_.data(), groups_, analysisHop, hs);
  if (hop.lockStart) {
    transformPlan(hop.lockCentre, centreRe_.data(), centreIm_.data());
    plan_.powerOf(centreRePointers_.data(), centreImPointers_.data(), groups_, centrePower_.data());
    plan_.resetRisingBins(plan_.previousPower(), centrePower_.data());
  }
  if (hop.resetHere) plan_.resetRisingBins(plan_.previousPower(), plan_.power());
  const bool settled = neutral && logTempo_ == 0.0 && logPitch_ == 0.0;
  if (settled) plan_.decayTowardsZero(kThetaDecayPerHop);
  plan_.makePhasors(pitch);
  // Locks at ratio 1 read where the nominal map does, so they do not keep the wet path from
  // becoming the dry one.
  const bool clean = settled && analysisHop == hs && plan_.isIdentity();
  cleanHops_ = clean ? cleanHops_ + 1 : 0;

  const float* cosines = plan_.cosines();
  const float* sines = plan_.sines();
  const bool oneSource = channels_ == groups_;
  const std::int64_t start = j * hs - half;
  const auto olaFrames = static_cast<std::size_t>(olaMask_ + 1);
  // Channels in batches of the FFT's lanes: forward (unless the plan's spectra are theirs),
  // the plan's rotation of every lane at once, inverse, overlap-add.
  constexpr int kLanes = StretchFft::kLanes;
  for (ChannelCount first = 0; first < channels_; first += kLanes) {
    const int count = static_cast<int>(std::min<ChannelCount>(kLanes, channels_ - first));
    if (oneSource) {
      float* laneRe = fft_->re();
      float* laneIm = fft_->im();
      for (int k = 0; k < count; ++k) {
        const float* r = planRe_.data() + static_cast<std::size_t>(first + static_cast<ChannelCount>(k)) * bins_;
        const float* i = planIm_.data() + static_cast<std::size_t>(first + static_cast<ChannelCount>(k)) * bins_;
        for (std::uint32_t b = 0; b < bins_; ++b) {
          laneRe[std::size_t{b} * kLanes + static_cast<std::size_t>(k)] = r[b];
          laneIm[std::size_t{b} * kLanes + static_cast<std::size_t>(k)] = i[b];
        }
      }
    } else {
      for (int k = 0; k < count; ++k) windowChannel(hop.analysis, first + static_cast<ChannelCount>(k), fft_->time() + k, kLanes);
      fft_->forward();
    }
    f32x4* re = fft_->reLanes();
    f32x4* im = fft_->imLanes();
    for (std::uint32_t b = 0; b < bins_; ++b) {
      const f32x4 x = re[b], y = im[b];
      const float c = cosines[b], s = sines[b];
      re[b] = x * c - y * s;
      im[b] = x * s + y * c;
    }
    fft_->inverse();
    const float* frames = fft_->time();
    for (int k = 0; k < count; ++k) {
      float* ring = ola_.data() + static_cast<std::size_t>(first + static_cast<ChannelCount>(k)) * olaFrames;
      // The hop's last Hs frames are new to the ring (no earlier hop reached them).
      for (std::int64_t o = start + static_cast<std::int64_t>(size_) - hs; o < start + static_cast<std::int64_t>(size_); ++o) {
        ring[o & olaMask_] = 0.0f;
      }
      const float* frame = frames + k;
      for (std::uint32_t n = 0; n < size_; ++n) ring[(start + n) & olaMask_] += frame[std::size_t{n} * kLanes] * synthesisWindow_[n];
      // The frames this hop finalises: no denormals into the resampler (neither wasm nor x86
      // flushes them by default).
      for (std::int64_t o = start; o < start + hs; ++o) {
        float& v = ring[o & olaMask_];
        if (std::fabs(v) < kDenormalFloor) v = 0.0f;
      }
    }
  }
  lastHop_ = j;
  finalEnd_ = j * hs + hs - half;
}

std::int64_t Stretcher::mapToInput(std::int64_t whole, double fraction) const noexcept {
  const std::int64_t hs = hopSize_;
  const std::int64_t j = floorDiv(whole, hs);
  const double within = static_cast<double>(whole - j * hs) + fraction;
  const std::int64_t a0 = analysisByHop_[j & (kHopRing - 1)];
  const std::int64_t a1 = analysisByHop_[(j + 1) & (kHopRing - 1)];
  const double source = static_cast<double>(a0) + within * static_cast<double>(a1 - a0) / static_cast<double>(hs);
  const std::int64_t index = std::llround(source);
  return index < 0 ? -1 : index;
}

void Stretcher::stepPitch() noexcept {
  logPitch_ += std::clamp(targetLogPitch_ - logPitch_, -pitchStepPerFrame_, pitchStepPerFrame_);
}

void Stretcher::process(StretchInput& in, float* const* out, FrameCount frames, std::int64_t* inputIndex) noexcept {
  const std::int64_t dryAhead = 3 * static_cast<std::int64_t>(size_) / 2 + hopSize_ + OnsetDetector::kLatencyFrames + 1;
  const std::size_t olaFrames = static_cast<std::size_t>(olaMask_ + 1);
  for (FrameCount i = 0; i < frames; ++i) {
    const bool neutral = targetLogTempo_ == 0.0 && targetLogPitch_ == 0.0;
    if (mode_ == Mode::Dry) {
      if (neutral) {
        // Bypassed, read only what goes out (all of this call's frames at once): a hold or a
        // loop wrap in the input then reaches the output as it does without a stretcher. The
        // look-ahead is filled when the wet path starts.
        fill(in, dryIndex_ + static_cast<std::int64_t>(frames - i));
        for (ChannelCount c = 0; c < channels_; ++c) out[c][i] = dry(c, dryIndex_);
        lastIndex_ = dryIndex_++;
        if (inputIndex != nullptr) inputIndex[i] = lastIndex_;
        continue;
      }
      // Leave bypass: the wet path starts at ratio 1 with theta = 0 (equal to the dry one), the
      // cross-fade runs, and then the glides start.
      fill(in, dryIndex_ + dryAhead);
      startWet(dryIndex_, 1.0);
      mode_ = Mode::FadeToWet;
      fadeDone_ = 0;
    } else if (mode_ == Mode::Wet && neutral && logTempo_ == 0.0 && logPitch_ == 0.0 && fraction_ == 0.0 &&
               cleanHops_ >= static_cast<int>(size_ / hopSize_) + 2) {
      mode_ = Mode::FadeToDry;
      fadeDone_ = 0;
    } else if (mode_ == Mode::FadeToDry && !neutral) {
      mode_ = Mode::Wet;
    }

    while (whole_ + SincResampler::kLookAhead >= finalEnd_) runHop(in);
    const std::int64_t index = mapToInput(whole_, fraction_);
    const float fade = static_cast<float>(fadeDone_ + 1) / static_cast<float>(fadeFrames_ + 1);
    for (ChannelCount c = 0; c < channels_; ++c) {
      const float wet = resampler_.interpolate(ola_.data() + static_cast<std::size_t>(c) * olaFrames, olaMask_,
                                               whole_, fraction_);
      switch (mode_) {
        case Mode::FadeToWet: out[c][i] = dry(c, index) + fade * (wet - dry(c, index)); break;
        case Mode::FadeToDry: out[c][i] = wet + fade * (dry(c, index) - wet); break;
        default: out[c][i] = wet; break;
      }
    }
    lastIndex_ = index;
    if (inputIndex != nullptr) inputIndex[i] = index;

    if (mode_ == Mode::FadeToWet || mode_ == Mode::FadeToDry) {
      if (++fadeDone_ >= fadeFrames_) {
        if (mode_ == Mode::FadeToDry) dryIndex_ = index + 1;
        mode_ = mode_ == Mode::FadeToWet ? Mode::Wet : Mode::Dry;
      }
    }
    // Advance the read position by the pitch ratio, then glide the pitch.
    const double pitch = std::exp2(logPitch_);
    if (mode_ != Mode::FadeToWet) stepPitch();
    fraction_ += pitch;
    const double step = std::floor(fraction_);
    whole_ += static_cast<std::int64_t>(step);
    fraction_ -= step;
    if (logPitch_ == 0.0 && targetLogPitch_ == 0.0 && fraction_ != 0.0) {
      // Back at pitch 1: slide the fraction to a whole frame, so the wet path can become the dry one.
      fraction_ = fraction_ < 0.5 ? std::max(0.0, fraction_ - kFractionSlidePerFrame)
                                  : std::min(1.0, fraction_ + kFractionSlidePerFrame);
      if (fraction_ == 1.0) {
        fraction_ = 0.0;
        ++whole_;
      }
    }
  }
}

bool Stretcher::bypassed() const noexcept { return mode_ == Mode::Dry; }

FrameCount Stretcher::readAheadFrames() const noexcept {
  return static_cast<FrameCount>(std::max<std::int64_t>(0, inputEnd_ - 1 - lastIndex_));
}

}  // namespace woodshed::dsp
