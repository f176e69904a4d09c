#include "woodshed/dsp/loudness_meter.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <string>

#include "ebur128.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {

constexpr int kMode = EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_LRA |
                      EBUR128_MODE_SAMPLE_PEAK | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_HISTOGRAM;

// libebur128 reports -HUGE_VAL for "no signal yet"; callers get a finite floor instead.
double finiteLufs(int status, double value) noexcept {
  return status == EBUR128_SUCCESS && std::isfinite(value) ? std::max(value, LoudnessMeter::kSilenceLufs)
                                                           : LoudnessMeter::kSilenceLufs;
}

double peakToDb(double peak) noexcept {
  return peak > 0.0 ? std::max(20.0 * std::log10(peak), LoudnessMeter::kSilenceLufs) : LoudnessMeter::kSilenceLufs;
}

}  // namespace

struct LoudnessMeter::State {
  ebur128_state* meter = nullptr;

  State(SampleRate sampleRate, ChannelCount channels)
      : meter(ebur128_init(channels, static_cast<unsigned long>(std::lround(sampleRate)), kMode)) {
    if (meter == nullptr) throw std::bad_alloc();
  }
  ~State() { ebur128_destroy(&meter); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
};

LoudnessMeter::LoudnessMeter() = default;
LoudnessMeter::~LoudnessMeter() = default;
LoudnessMeter::LoudnessMeter(LoudnessMeter&&) noexcept = default;
LoudnessMeter& LoudnessMeter::operator=(LoudnessMeter&&) noexcept = default;

void LoudnessMeter::prepare(SampleRate sampleRate, ChannelCount channels) {
  if (channels == 0 || channels > kMaxChannels) {
    throw core::InvalidArgument("the loudness meter takes 1 to " + std::to_string(kMaxChannels) + " channels, not " +
                                std::to_string(channels));
  }
  if (!(sampleRate >= kMinSampleRate && sampleRate <= kMaxSampleRate)) {
    throw core::InvalidArgument("the loudness meter runs at 8 to 384 kHz, not " + std::to_string(sampleRate) + " Hz");
  }
  auto state = std::make_unique<State>(sampleRate, channels);
  interleaved_.assign(static_cast<std::size_t>(kChunkFrames) * channels, 0.0f);
  state_ = std::move(state);
  sampleRate_ = sampleRate;
  channels_ = channels;
  start();
}

void LoudnessMeter::reset() {
  if (!state_) return;
  state_ = std::make_unique<State>(sampleRate_, channels_);
  start();
}

void LoudnessMeter::start() noexcept {
  settling_ = kSettleFrames;
  truePeak_ = 0.0;
  samplePeak_ = 0.0;
}

void LoudnessMeter::add(const float* samples, FrameCount frames) noexcept {
  while (frames > 0) {
    // The first frames of a measurement on their own, so their true peak can be left out.
    const FrameCount n = settling_ > 0 ? std::min(frames, settling_) : frames;
    ebur128_add_frames_float(state_->meter, samples, n);
    for (ChannelCount c = 0; c < channels_; ++c) {
      double sample = 0.0;
      double interpolated = 0.0;
      if (ebur128_prev_sample_peak(state_->meter, c, &sample) != EBUR128_SUCCESS) sample = 0.0;
      if (settling_ > 0 || ebur128_prev_true_peak(state_->meter, c, &interpolated) != EBUR128_SUCCESS) interpolated = sample;
      samplePeak_ = std::max(samplePeak_, sample);
      truePeak_ = std::max(truePeak_, std::max(interpolated, sample));
    }
    settling_ -= settling_ > 0 ? n : 0;
    samples += static_cast<std::size_t>(n) * channels_;
    frames -= n;
  }
}

void LoudnessMeter::addInterleaved(const float* samples, FrameCount frames) noexcept {
  if (state_) add(samples, frames);
}

void LoudnessMeter::addPlanar(const float* const* channels, FrameCount frames) noexcept {
  if (!state_) return;
  for (FrameCount done = 0; done < frames;) {
    const FrameCount chunk = std::min(frames - done, kChunkFrames);
    for (ChannelCount c = 0; c < channels_; ++c) {
      for (FrameCount i = 0; i < chunk; ++i) interleaved_[static_cast<std::size_t>(i) * channels_ + c] = channels[c][done + i];
    }
    add(interleaved_.data(), chunk);
    done += chunk;
  }
}

namespace {
// Runs one of libebur128's loudness queries; the query writes `value`, so it runs first.
double readLufs(ebur128_state* meter, int (*query)(ebur128_state*, double*)) noexcept {
  double value = 0.0;
  const int status = query(meter, &value);
  return finiteLufs(status, value);
}
}  // namespace

double LoudnessMeter::momentaryLufs() const noexcept {
  return state_ ? readLufs(state_->meter, ebur128_loudness_momentary) : kSilenceLufs;
}
double LoudnessMeter::shortTermLufs() const noexcept {
  return state_ ? readLufs(state_->meter, ebur128_loudness_shortterm) : kSilenceLufs;
}
double LoudnessMeter::integratedLufs() const noexcept {
  return state_ ? readLufs(state_->meter, ebur128_loudness_global) : kSilenceLufs;
}

double LoudnessMeter::loudnessRangeLu() const noexcept {
  double value = 0.0;
  if (!state_ || ebur128_loudness_range(state_->meter, &value) != EBUR128_SUCCESS || !std::isfinite(value)) return 0.0;
  return value;
}

double LoudnessMeter::truePeakDbtp() const noexcept { return peakToDb(truePeak_); }

double LoudnessMeter::samplePeakDbfs() const noexcept { return peakToDb(samplePeak_); }

}  // namespace woodshed::dsp
