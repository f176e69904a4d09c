#include "woodshed/dsp/parametric_eq.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <cstdio>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "support/signal_analysis.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

constexpr double kRate = 48000.0;
constexpr double kPi = std::numbers::pi;

std::vector<float> sine(double frequency, double amplitude, std::size_t frames) {
  std::vector<float> x(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    x[i] = static_cast<float>(amplitude * std::sin(2.0 * kPi * frequency * static_cast<double>(i) / kRate));
  }
  return x;
}

// Runs `input` through the EQ on both channels in blocks of `blockFrames`; returns the left
// channel and checks that the right one came out the same.
std::vector<float> render(ParametricEq& eq, const std::vector<float>& input, FrameCount blockFrames = 128) {
  std::vector<float> left = input, right = input;
  for (std::size_t done = 0; done < input.size(); done += blockFrames) {
    const auto frames = static_cast<FrameCount>(std::min<std::size_t>(blockFrames, input.size() - done));
    float* channels[2] = {left.data() + done, right.data() + done};
    eq.process(AudioBlock{channels, 2, frames});
  }
  EXPECT_EQ(std::memcmp(left.data(), right.data(), left.size() * sizeof(float)), 0) << "channels differ";
  return left;
}

ParametricEq preparedEq() {
  ParametricEq eq;
  eq.prepare(ProcessSpec{kRate, 128, 2});
  return eq;
}

// The EQ with only band `index` set, settled at once.
ParametricEq eqWithBand(std::size_t index, const BandParams& params) {
  ParametricEq eq = preparedEq();
  eq.setBand(index, params);
  eq.reset();
  return eq;
}

// Gain in dB at `frequency`, from a stepped sine rendered through the EQ after it settled.
double steppedSineGainDb(ParametricEq& eq, double frequency) {
  eq.reset();
  const std::size_t frames = 48000;
  const auto x = sine(frequency, 0.25, frames);
  const auto y = render(eq, x);
  const std::size_t settled = frames / 2;
  return 20.0 * std::log10(test::toneAmplitude(y.data() + settled, frames - settled, frequency, kRate) /
                           test::toneAmplitude(x.data() + settled, frames - settled, frequency, kRate));
}

// The rendered impulse response of the EQ: long enough for every band here to decay fully.
std::vector<float> impulseResponse(ParametricEq& eq) {
  eq.reset();
  std::vector<float> x(32768, 0.0f);
  x[0] = 1.0f;
  return render(eq, x);
}

// |H(f)| in dB from a rendered impulse response, by its DTFT at exactly `frequency`.
double responseFromImpulseDb(const std::vector<float>& h, double frequency) {
  std::complex<double> sum = 0.0;
  const std::complex<double> rotation = std::polar(1.0, -2.0 * kPi * frequency / kRate);
  std::complex<double> phasor = 1.0;
  for (const float s : h) {
    sum += double{s} * phasor;
    phasor *= rotation;
  }
  return 20.0 * std::log10(std::abs(sum));
}

// The frequency between `low` and `high` where the rendered response crosses `targetDb`.
double crossing(const std::vector<float>& h, double low, double high, double targetDb) {
  const bool risingAtLow = responseFromImpulseDb(h, low) < targetDb;
  for (int i = 0; i < 40; ++i) {
    const double mid = std::sqrt(low * high);
    if ((responseFromImpulseDb(h, mid) < targetDb) == risingAtLow) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return std::sqrt(low * high);
}

TEST(ParametricEq, PeakingBandReachesItsGainAtItsCentreFrequency) {
  double worst = 0.0;
  for (const double gain : {-18.0, -7.5, 4.0, 12.0, 18.0}) {
    for (const double frequency : {80.0, 1000.0, 6300.0}) {
      for (const double q : {0.5, 2.0, 8.0}) {
        ParametricEq eq = eqWithBand(4, {frequency, gain, q, true});
        const double error = steppedSineGainDb(eq, frequency) - gain;
        worst = std::max(worst, std::fabs(error));
        EXPECT_NEAR(error, 0.0, 0.05) << frequency << " Hz, " << gain << " dB, Q " << q;
      }
    }
  }
  std::printf("  worst centre-gain error: %.4f dB\n", worst);
}

// Bandwidth as the cookbook defines it for peaking EQs: between the frequencies where the gain
// in dB is half the band's gain. Through the bilinear transform those edges satisfy
// tan(pi f_hi / fs) - tan(pi f_lo / fs) = tan(pi f0 / fs) / Q, so Q is measured as
// tan(pi f0 / fs) / (tan(pi f_hi / fs) - tan(pi f_lo / fs)) and must match within 1%.
TEST(ParametricEq, PeakingBandwidthMatchesItsQ) {
  double worst = 0.0;
  for (const double gain : {-12.0, 6.0, 15.0}) {
    for (const double frequency : {200.0, 1000.0, 5000.0}) {
      for (const double q : {0.7, 1.0, 4.0}) {
        ParametricEq eq = eqWithBand(5, {frequency, gain, q, true});
        const auto h = impulseResponse(eq);
        const double low = crossing(h, frequency / 16.0, frequency, gain / 2);
        const double high = crossing(h, frequency, std::min(frequency * 16.0, 0.49 * kRate), gain / 2);
        const double warp = kPi / kRate;
        const double measuredQ = std::tan(warp * frequency) / (std::tan(warp * high) - std::tan(warp * low));
        const double relative = measuredQ / q - 1.0;
        worst = std::max(worst, std::fabs(relative));
        EXPECT_NEAR(relative, 0.0, 0.01) << frequency << " Hz, " << gain << " dB, Q " << q << ": edges " << low
                                          << " and " << high << " Hz";
      }
    }
  }
  std::printf("  worst bandwidth-Q error: %.2e%%\n", 100.0 * worst);
}

TEST(ParametricEq, ShelvesReachTheirPlateaus) {
  double worst = 0.0;
  for (const double gain : {-15.0, -6.0, 9.0, 18.0}) {
    ParametricEq low = eqWithBand(0, {200.0, gain, 0.7071, true});
    ParametricEq high = eqWithBand(9, {2000.0, gain, 0.7071, true});
    const double errors[] = {steppedSineGainDb(low, 20.0) - gain, steppedSineGainDb(high, 20000.0) - gain,
                             steppedSineGainDb(low, 20000.0), steppedSineGainDb(high, 20.0)};
    for (const double error : errors) {
      worst = std::max(worst, std::fabs(error));
      EXPECT_NEAR(error, 0.0, 0.05) << gain << " dB";
    }
    // DC (a constant) gets exactly the low shelf's gain.
    low.reset();
    const auto y = render(low, std::vector<float>(48000, 0.25f));
    EXPECT_NEAR(20.0 * std::log10(y.back() / 0.25), gain, 0.05);
  }
  std::printf("  worst shelf plateau error: %.4f dB\n", worst);
}

TEST(ParametricEq, RenderedResponseOfEveryPresetMatchesResponseDb) {
  double worst = 0.0;
  for (const auto& preset : ParametricEq::presets()) {
    ParametricEq eq = preparedEq();
    eq.applyPreset(preset);
    for (double f = 30.0; f < 18000.0; f *= 1.9) {
      const double error = steppedSineGainDb(eq, f) - eq.responseDb(f);
      worst = std::max(worst, std::fabs(error));
      EXPECT_NEAR(error, 0.0, 0.05) << preset.name << " at " << f << " Hz";
    }
  }
  std::printf("  worst preset response error: %.2e dB\n", worst);
}

TEST(ParametricEq, PresetsAreNamedFirstIsFlatAndAllAreInRange) {
  const auto presets = ParametricEq::presets();
  ASSERT_GE(presets.size(), 4u);
  EXPECT_STREQ(presets[0].name, "Flat");
  for (double f = 20.0; f < 20000.0; f *= 1.3) {
    EXPECT_EQ(ParametricEq::responseDb(presets[0].bands, f, kRate), 0.0);
  }
  for (const auto& preset : presets) {
    EXPECT_GT(std::string(preset.name).size(), 0u);
    for (const auto& band : preset.bands) {
      const BandParams c = ParametricEq::clamped(band);
      EXPECT_EQ(c.frequencyHz, band.frequencyHz) << preset.name;
      EXPECT_EQ(c.gainDb, band.gainDb) << preset.name;
      EXPECT_EQ(c.q, band.q) << preset.name;
    }
  }
}

TEST(ParametricEq, BypassAndFlatSettingsAreBitExactPassThrough) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  std::vector<float> x(9600);
  for (float& s : x) s = noise(rng);

  ParametricEq eq = preparedEq();
  EXPECT_EQ(render(eq, x), x) << "flat";

  eq.applyPreset(ParametricEq::presets()[2]);
  eq.setBand(5, {1000.0, 12.0, 2.0, true});
  render(eq, x);
  eq.setBypass(true);
  render(eq, std::vector<float>(1200, 0.1f));  // the 20 ms crossfade
  EXPECT_EQ(render(eq, x), x) << "bypassed";

  // Disabling every band ramps it to 0 dB; afterwards the EQ is the identity again.
  eq.setBypass(false);
  for (std::size_t i = 0; i < ParametricEq::kBandCount; ++i) {
    BandParams band = eq.band(i);
    band.enabled = false;
    eq.setBand(i, band);
  }
  render(eq, x);
  EXPECT_EQ(render(eq, x), x) << "all bands disabled";
}

TEST(ParametricEq, OutputDoesNotDependOnBlockSize) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
  std::vector<float> x(6000);
  for (float& s : x) s = noise(rng);
  std::vector<float> reference;
  for (const FrameCount block : {1u, 37u, 128u, 480u, 4096u}) {
    ParametricEq eq = preparedEq();
    eq.setBand(3, {400.0, 9.0, 2.0, true});  // still gliding through most of the input
    eq.setBand(9, {8000.0, -6.0, 0.7071, true});
    const auto y = render(eq, x, block);
    if (reference.empty()) {
      reference = y;
    } else {
      EXPECT_EQ(y, reference) << "blocks of " << block;
    }
  }
}

// Largest |fifth difference| of y over [begin, end). A fifth difference passes a 1 kHz sine at
// 48 kHz 88 dB down (|2 sin(w / 2)|^5) and broadband clicks with a gain of up to 32, so what
// it leaves is the high-frequency content a click adds.
double largestFifthDifference(const std::vector<float>& y, std::size_t begin, std::size_t end) {
  double largest = 0.0;
  for (std::size_t i = std::max<std::size_t>(begin, 5); i < end; ++i) {
    const double d = double{y[i]} - 5.0 * y[i - 1] + 10.0 * y[i - 2] - 10.0 * y[i - 3] + 5.0 * y[i - 4] - y[i - 5];
    largest = std::max(largest, std::fabs(d));
  }
  return largest;
}

TEST(ParametricEq, DraggingAGainDoesNotClick) {
  const std::size_t frames = 48000;
  const auto x = sine(1000.0, 0.25, frames);
  const std::size_t dragStart = 4800, dragBlocks = 75;  // 0 to +12 dB in 200 ms, one step per block
  const double settledHf = 0.25 * dbToGain(12.0) * std::pow(2.0 * std::sin(kPi * 1000.0 / kRate), 5.0);

  for (const bool oneJump : {false, true}) {
    ParametricEq eq = preparedEq();
    std::vector<float> y = x, right = x;
    for (std::size_t block = 0; block * 128 < frames; ++block) {
      if (block * 128 >= dragStart && (block * 128 - dragStart) / 128 < dragBlocks) {
        const double step = static_cast<double>((block * 128 - dragStart) / 128 + 1);
        const double gain = oneJump ? 12.0 : 12.0 * step / dragBlocks;
        eq.setBand(5, {1000.0, gain, 1.0, true});
      }
      float* channels[2] = {y.data() + block * 128, right.data() + block * 128};
      eq.process(AudioBlock{channels, 2, 128});
    }
    const double during = largestFifthDifference(y, dragStart, dragStart + dragBlocks * 128 + 4800);
    std::printf("  %s: largest 5th difference %.3g, settled sine at +12 dB %.3g\n",
                oneJump ? "one jump to +12 dB" : "dragged over 200 ms", during, settledHf);
    EXPECT_LT(during, 1.05 * settledHf) << (oneJump ? "jump" : "drag");
    EXPECT_NEAR(test::toneAmplitude(y.data() + frames / 2, frames / 2, 1000.0, kRate), 0.25 * dbToGain(12.0),
                0.25 * dbToGain(12.0) * 0.006);
  }

  // The measure sees a click: the same change with the coefficients switched at once.
  Biquad abrupt;
  abrupt.setCoefficients(Biquad::design(BiquadType::Peaking, 1000.0, 0.0, 1.0, kRate));
  std::vector<float> y = x;
  abrupt.process(y.data(), static_cast<FrameCount>(dragStart));
  abrupt.setCoefficients(Biquad::design(BiquadType::Peaking, 1000.0, 12.0, 1.0, kRate));
  abrupt.process(y.data() + dragStart, static_cast<FrameCount>(frames - dragStart));
  const double clicked = largestFifthDifference(y, dragStart, dragStart + 4800);
  std::printf("  unsmoothed switch: largest 5th difference %.3g\n", clicked);
  EXPECT_GT(clicked, 20.0 * settledHf);
}

TEST(ParametricEq, RecoversFromNonFiniteInputAndResetClearsIt) {
  ParametricEq eq = eqWithBand(0, {100.0, 12.0, 0.7071, true});
  auto x = sine(440.0, 0.25, 4800);
  x[1000] = std::numeric_limits<float>::quiet_NaN();
  x[1001] = std::numeric_limits<float>::infinity();
  const auto y = render(eq, x);
  for (std::size_t i = 1024 + ParametricEq::kSubBlockFrames; i < y.size(); ++i) {
    ASSERT_TRUE(std::isfinite(y[i])) << i;
  }
  render(eq, std::vector<float>(64, std::numeric_limits<float>::quiet_NaN()));
  eq.reset();
  for (const float s : render(eq, sine(440.0, 0.25, 480))) ASSERT_TRUE(std::isfinite(s));
}

TEST(ParametricEq, ClampsParametersToTheirRanges) {
  ParametricEq eq = preparedEq();
  eq.setBand(2, {5.0, 40.0, 100.0, true});
  EXPECT_EQ(eq.band(2).frequencyHz, ParametricEq::kMinFrequencyHz);
  EXPECT_EQ(eq.band(2).gainDb, ParametricEq::kMaxGainDb);
  EXPECT_EQ(eq.band(2).q, ParametricEq::kMaxQ);
  eq.setBand(3, {std::numeric_limits<double>::quiet_NaN(), -40.0, 0.0, true});
  EXPECT_EQ(eq.band(3).frequencyHz, ParametricEq::kMinFrequencyHz);
  EXPECT_EQ(eq.band(3).gainDb, ParametricEq::kMinGainDb);
  EXPECT_EQ(eq.band(3).q, ParametricEq::kMinQ);
  EXPECT_THROW(eq.prepare(ProcessSpec{kRate, 128, 3}), core::InvalidArgument);
}

TEST(ParametricEq, BandTypesAreShelvesAtTheEnds) {
  EXPECT_EQ(ParametricEq::bandType(0), BiquadType::LowShelf);
  for (std::size_t i = 1; i + 1 < ParametricEq::kBandCount; ++i) EXPECT_EQ(ParametricEq::bandType(i), BiquadType::Peaking);
  EXPECT_EQ(ParametricEq::bandType(ParametricEq::kBandCount - 1), BiquadType::HighShelf);
}

}  // namespace
}  // namespace woodshed::dsp
