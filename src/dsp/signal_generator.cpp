#include "woodshed/dsp/signal_generator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>

#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
// RMS of a unit-amplitude waveform, relative to the reference RMS of a full-scale sine.
constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kSqrtThreeHalves = 1.22474487139158904909;

// Polynomial band-limited step residual (two-sample), t in [0, 1) phase, dt phase increment.
double polyBlep(double t, double dt) noexcept {
  if (t < dt) {
    t /= dt;
    return t + t - t * t - 1.0;
  }
  if (t > 1.0 - dt) {
    t = (t - 1.0) / dt;
    return t * t + t + t + 1.0;
  }
  return 0.0;
}

// Polynomial band-limited ramp residual: the integral of polyBlep, for slope changes.
double polyBlamp(double t, double dt) noexcept {
  if (t < dt) {
    t = t / dt - 1.0;
    return -t * t * t / 3.0;
  }
  if (t > 1.0 - dt) {
    t = (t - 1.0) / dt + 1.0;
    return t * t * t / 3.0;
  }
  return 0.0;
}

double wrapPhase(double phase) noexcept { return phase - std::floor(phase); }

// Linear amplitude giving an AES17 level of `levelDb` for a waveform.
double amplitudeFor(Waveform waveform, double levelDb) noexcept {
  const double sineAmplitude = dbToGain(levelDb);
  switch (waveform) {
    case Waveform::Sine:
    case Waveform::LogSweep: return sineAmplitude;
    case Waveform::Square:
    case Waveform::PinkNoise: return sineAmplitude * kSqrtHalf;  // unit RMS waveforms
    case Waveform::Triangle:
    case Waveform::Saw:
    case Waveform::WhiteNoise: return sineAmplitude * kSqrtThreeHalves;  // RMS 1/sqrt(3)
  }
  return 0.0;
}

struct WaveformName {
  Waveform waveform;
  const char* name;
};
constexpr WaveformName kWaveformNames[] = {
    {Waveform::Sine, "sine"},        {Waveform::Square, "square"},    {Waveform::Triangle, "triangle"},
    {Waveform::Saw, "saw"},          {Waveform::WhiteNoise, "white"}, {Waveform::PinkNoise, "pink"},
    {Waveform::LogSweep, "sweep"},
};

// Paul Kellet's refined pink filter (-3 dB/octave within 0.05 dB above 9 Hz), one step.
double pinkStep(double (&b)[7], double white) noexcept {
  b[0] = 0.99886 * b[0] + white * 0.0555179;
  b[1] = 0.99332 * b[1] + white * 0.0750759;
  b[2] = 0.96900 * b[2] + white * 0.1538520;
  b[3] = 0.86650 * b[3] + white * 0.3104856;
  b[4] = 0.55000 * b[4] + white * 0.5329522;
  b[5] = -0.7616 * b[5] - white * 0.0168980;
  const double out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + white * 0.5362;
  b[6] = white * 0.115926;
  return out;
}

// Scales pinkStep's output, fed with uniform white noise in [-1, 1), to unit RMS. Computed from
// the filter's impulse-response energy (sum of h^2 about 9.318) and the uniform noise's variance (1/3).
constexpr double kPinkScale = 0.5674153;

}  // namespace

bool parseWaveform(const char* name, Waveform& out) noexcept {
  if (name == nullptr) return false;
  for (const auto& entry : kWaveformNames) {
    if (std::strcmp(entry.name, name) == 0) {
      out = entry.waveform;
      return true;
    }
  }
  return false;
}

const char* toString(Waveform waveform) noexcept {
  for (const auto& entry : kWaveformNames) {
    if (entry.waveform == waveform) return entry.name;
  }
  return "unknown";
}

void SignalGenerator::validate(const GeneratorParams& params) {
  if (!(params.frequencyHz >= kMinFrequencyHz && params.frequencyHz <= kMaxFrequencyHz)) {
    throw core::InvalidArgument("generator frequency must be between 20 Hz and 20000 Hz, got " +
                                std::to_string(params.frequencyHz) + " Hz");
  }
  if (!(params.levelDb >= kMinLevelDb && params.levelDb <= kMaxLevelDb)) {
    throw core::InvalidArgument("generator level must be between -120 and 0 dBFS, got " +
                                std::to_string(params.levelDb) + " dBFS");
  }
  if (static_cast<std::uint32_t>(params.waveform) > static_cast<std::uint32_t>(Waveform::LogSweep)) {
    throw core::InvalidArgument("unknown generator waveform");
  }
}

void SignalGenerator::prepare(const ProcessSpec& spec) noexcept {
  sampleRate_ = spec.sampleRate;
  reset();
}

void SignalGenerator::reset() noexcept {
  phase_ = 0.0;
  triangleState_ = 0.0;
  sweepPosition_ = 0.0;
  noiseState_ = 0x9E3779B97F4A7C15ull;
  std::fill(std::begin(pink_), std::end(pink_), 0.0);
  targetGain_ = params_.enabled ? amplitudeFor(params_.waveform, params_.levelDb) : 0.0;
  gain_ = targetGain_;
  gainStep_ = 0.0;
}

void SignalGenerator::setParams(const GeneratorParams& params) noexcept {
  params_ = params;
  params_.frequencyHz = std::clamp(params.frequencyHz, kMinFrequencyHz, kMaxFrequencyHz);
  params_.levelDb = std::clamp(params.levelDb, kMinLevelDb, kMaxLevelDb);
  targetGain_ = params_.enabled ? amplitudeFor(params_.waveform, params_.levelDb) : 0.0;
  gainStep_ = (targetGain_ - gain_) / std::max(1.0, kRampSeconds * sampleRate_);
}

double SignalGenerator::nextWhite() noexcept {
  // xorshift64*: fast, allocation-free, and statistically fine for audio noise.
  noiseState_ ^= noiseState_ >> 12;
  noiseState_ ^= noiseState_ << 25;
  noiseState_ ^= noiseState_ >> 27;
  const std::uint64_t bits = noiseState_ * 0x2545F4914F6CDD1Dull;
  return static_cast<double>(bits >> 11) * (2.0 / 9007199254740992.0) - 1.0;  // [-1, 1)
}

double SignalGenerator::nextSample() noexcept {
  const double nyquistSafe = 0.45 * sampleRate_;
  double frequency = std::min(params_.frequencyHz, nyquistSafe);
  if (params_.waveform == Waveform::LogSweep) {
    frequency = std::min(kSweepLowHz * std::pow(kSweepHighHz / kSweepLowHz, sweepPosition_ / kSweepSeconds),
                         nyquistSafe);
    sweepPosition_ += 1.0 / sampleRate_;
    if (sweepPosition_ >= kSweepSeconds) sweepPosition_ -= kSweepSeconds;
  }
  const double dt = frequency / sampleRate_;
  const double t = phase_;
  double value = 0.0;
  switch (params_.waveform) {
    case Waveform::Sine:
    case Waveform::LogSweep: value = std::sin(kTwoPi * t); break;
    case Waveform::Saw: value = 2.0 * t - 1.0 - polyBlep(t, dt); break;
    case Waveform::Square:
      value = (t < 0.5 ? 1.0 : -1.0) + polyBlep(t, dt) - polyBlep(wrapPhase(t + 0.5), dt);
      break;
    case Waveform::Triangle:
      // Corners at t = 0 (peak, slope -8 per cycle) and t = 0.5 (trough, slope +8).
      value = 4.0 * std::fabs(t - 0.5) - 1.0 - 8.0 * dt * polyBlamp(t, dt) +
              8.0 * dt * polyBlamp(wrapPhase(t + 0.5), dt);
      break;
    case Waveform::WhiteNoise: value = nextWhite(); break;
    case Waveform::PinkNoise: value = pinkStep(pink_, nextWhite()) * kPinkScale; break;
  }
  phase_ = wrapPhase(phase_ + dt);
  return value;
}

void SignalGenerator::processAdding(const AudioBlock& block) noexcept {
  if (gain_ == 0.0 && targetGain_ == 0.0) return;
  for (FrameCount i = 0; i < block.numFrames; ++i) {
    if (gainStep_ != 0.0) {
      gain_ += gainStep_;
      if ((gainStep_ > 0.0 && gain_ >= targetGain_) || (gainStep_ < 0.0 && gain_ <= targetGain_)) {
        gain_ = targetGain_;
        gainStep_ = 0.0;
      }
    }
    const auto sample = static_cast<float>(gain_ * nextSample());
    for (ChannelCount c = 0; c < block.numChannels; ++c) block.channels[c][i] += sample;
  }
}

}  // namespace woodshed::dsp
