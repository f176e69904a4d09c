#include "woodshed/dsp/loudness_meter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

constexpr double kRate = 48000.0;

// `seconds` of a stereo sine, interleaved, the same on both channels.
std::vector<float> stereoSine(double frequency, double levelDb, double seconds, double phase = 0.0) {
  const auto frames = static_cast<std::size_t>(seconds * kRate);
  std::vector<float> x(2 * frames);
  const double amplitude = dbToGain(levelDb);
  for (std::size_t i = 0; i < frames; ++i) {
    x[2 * i] = x[2 * i + 1] = static_cast<float>(
        amplitude * std::sin(2.0 * std::numbers::pi * frequency * static_cast<double>(i) / kRate + phase));
  }
  return x;
}

LoudnessMeter stereoMeter() {
  LoudnessMeter meter;
  meter.prepare(kRate, 2);
  return meter;
}

// EBU Tech 3341 cases 1 and 2: a 1 kHz stereo sine at -23 dBFS reads -23.0 LUFS (and -33 at -33).
TEST(LoudnessMeter, SineAt1kHzReadsItsLevelIntegrated) {
  for (const double level : {-23.0, -33.0}) {
    LoudnessMeter meter = stereoMeter();
    const auto x = stereoSine(1000.0, level, 20.0);
    meter.addInterleaved(x.data(), static_cast<FrameCount>(x.size() / 2));
    std::printf("  %.0f dBFS sine: integrated %.3f LUFS, momentary %.3f, short-term %.3f, LRA %.3f LU\n", level,
                meter.integratedLufs(), meter.momentaryLufs(), meter.shortTermLufs(), meter.loudnessRangeLu());
    EXPECT_NEAR(meter.integratedLufs(), level, 0.1);
    EXPECT_NEAR(meter.momentaryLufs(), level, 0.1);
    EXPECT_NEAR(meter.shortTermLufs(), level, 0.1);
    EXPECT_NEAR(meter.loudnessRangeLu(), 0.0, 0.1) << "a steady tone has no range";
  }
}

// EBU Tech 3341 case 3-like: -36, -23, -36 dBFS for 10, 60, 10 s: the quiet parts are gated out
// by the relative gate (-10 LU), so the integrated loudness is -23.0.
TEST(LoudnessMeter, RelativeGateIgnoresQuietPassages) {
  LoudnessMeter meter = stereoMeter();
  for (const auto& [level, seconds] : {std::pair{-36.0, 10.0}, {-23.0, 60.0}, {-36.0, 10.0}}) {
    const auto x = stereoSine(1000.0, level, seconds);
    meter.addInterleaved(x.data(), static_cast<FrameCount>(x.size() / 2));
  }
  EXPECT_NEAR(meter.integratedLufs(), -23.0, 0.1);
}

TEST(LoudnessMeter, MomentaryAndShortTermFollowASteadyToneAfterAStep) {
  LoudnessMeter meter = stereoMeter();
  const auto loud = stereoSine(1000.0, -20.0, 5.0);
  meter.addInterleaved(loud.data(), static_cast<FrameCount>(loud.size() / 2));
  const auto quiet = stereoSine(1000.0, -30.0, 0.5);
  meter.addInterleaved(quiet.data(), static_cast<FrameCount>(quiet.size() / 2));
  EXPECT_NEAR(meter.momentaryLufs(), -30.0, 0.1) << "the 400 ms window holds only the quiet tone";
  // 3 s window: 2.5 s at -20 and 0.5 s at -30 LUFS, averaged in power.
  const double expected = 10.0 * std::log10((2.5 * std::pow(10.0, -2.0) + 0.5 * std::pow(10.0, -3.0)) / 3.0);
  EXPECT_NEAR(meter.shortTermLufs(), expected, 0.1);
}

TEST(LoudnessMeter, PlanarInputReadsLikeInterleaved) {
  LoudnessMeter interleaved = stereoMeter(), planar = stereoMeter();
  const auto x = stereoSine(440.0, -18.0, 5.0);
  interleaved.addInterleaved(x.data(), static_cast<FrameCount>(x.size() / 2));
  std::vector<float> left(x.size() / 2), right(x.size() / 2);
  for (std::size_t i = 0; i < left.size(); ++i) {
    left[i] = x[2 * i];
    right[i] = x[2 * i + 1] * 0.5f;
  }
  std::vector<float> interleavedQuieterRight = x;
  for (std::size_t i = 1; i < x.size(); i += 2) interleavedQuieterRight[i] *= 0.5f;
  LoudnessMeter reference = stereoMeter();
  reference.addInterleaved(interleavedQuieterRight.data(), static_cast<FrameCount>(x.size() / 2));
  const float* channels[2] = {left.data(), right.data()};
  planar.addPlanar(channels, static_cast<FrameCount>(left.size()));
  EXPECT_DOUBLE_EQ(planar.integratedLufs(), reference.integratedLufs());
  EXPECT_LT(planar.integratedLufs(), interleaved.integratedLufs() - 1.0);
}

// A full-scale sine at fs/4 sampled 45 degrees off its peaks: every sample is +-0.707
// (-3.01 dBFS), but the waveform between them reaches full scale (0 dBTP).
TEST(LoudnessMeter, TruePeakSeesPeaksBetweenSamples) {
  LoudnessMeter meter = stereoMeter();
  const auto x = stereoSine(kRate / 4.0, 0.0, 1.0, std::numbers::pi / 4.0);
  meter.addInterleaved(x.data(), static_cast<FrameCount>(x.size() / 2));
  std::printf("  fs/4 sine at 45 degrees: sample peak %.3f dBFS, true peak %.3f dBTP\n", meter.samplePeakDbfs(),
              meter.truePeakDbtp());
  EXPECT_NEAR(meter.samplePeakDbfs(), -3.01, 0.01);
  EXPECT_NEAR(meter.truePeakDbtp(), 0.0, 0.3);
}

TEST(LoudnessMeter, ResetStartsAFreshMeasurement) {
  LoudnessMeter meter = stereoMeter();
  const auto x = stereoSine(1000.0, -10.0, 3.0);
  meter.addInterleaved(x.data(), static_cast<FrameCount>(x.size() / 2));
  meter.reset();
  EXPECT_EQ(meter.integratedLufs(), LoudnessMeter::kSilenceLufs);
  EXPECT_EQ(meter.momentaryLufs(), LoudnessMeter::kSilenceLufs);
  EXPECT_EQ(meter.truePeakDbtp(), LoudnessMeter::kSilenceLufs);
  const auto y = stereoSine(1000.0, -23.0, 5.0);
  meter.addInterleaved(y.data(), static_cast<FrameCount>(y.size() / 2));
  EXPECT_NEAR(meter.integratedLufs(), -23.0, 0.1);
}

// A reset lands anywhere in a sine: the true peak read after it is the sine's, not the overshoot
// of an interpolator that saw the sine start from silence (up to -22.0 dBTP before the fix).
TEST(LoudnessMeter, AResetMidSignalReadsTheSignalsTruePeak) {
  for (double phase : {0.0, 0.4, 1.2, 2.0, 2.9, 4.4}) {
    LoudnessMeter meter = stereoMeter();
    const auto x = stereoSine(1000.0, -23.0, 2.0, phase);
    meter.addInterleaved(x.data(), 1000);
    meter.reset();
    meter.addInterleaved(x.data() + 2 * 1000, static_cast<FrameCount>(x.size() / 2 - 1000));
    EXPECT_NEAR(meter.truePeakDbtp(), -23.0, 0.05) << "phase " << phase;
    EXPECT_NEAR(meter.samplePeakDbfs(), -23.0, 0.05) << "phase " << phase;
  }
}

TEST(LoudnessMeter, RefusesChannelCountsAndRatesOutOfRange) {
  LoudnessMeter meter;
  EXPECT_THROW(meter.prepare(kRate, 0), core::InvalidArgument);
  EXPECT_THROW(meter.prepare(kRate, 9), core::InvalidArgument);
  EXPECT_THROW(meter.prepare(4000.0, 2), core::InvalidArgument);
  EXPECT_NO_THROW(meter.prepare(44100.0, 1));
}

}  // namespace
}  // namespace woodshed::dsp
