#include "woodshed/dsp/biquad.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "support/signal_analysis.h"

namespace woodshed::dsp {
namespace {

constexpr double kRate = 48000.0;

// Gain in dB that the filter applies to a sine, measured on the rendered output once settled.
double renderedGainDb(const BiquadCoefficients& coefficients, double frequency) {
  Biquad filter;
  filter.setCoefficients(coefficients);
  const std::size_t frames = 48000;
  std::vector<float> x(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    x[i] = static_cast<float>(0.25 * std::sin(2.0 * std::numbers::pi * frequency * static_cast<double>(i) / kRate));
  }
  std::vector<float> y = x;
  filter.process(y.data(), static_cast<FrameCount>(frames));
  const std::size_t settled = frames / 2;
  return 20.0 * std::log10(test::toneAmplitude(y.data() + settled, frames - settled, frequency, kRate) /
                           test::toneAmplitude(x.data() + settled, frames - settled, frequency, kRate));
}

TEST(Biquad, AnalyticMagnitudeMatchesTheRenderedResponse) {
  const BiquadCoefficients filters[] = {
      Biquad::design(BiquadType::Peaking, 1000.0, 9.0, 2.0, kRate),
      Biquad::design(BiquadType::LowShelf, 150.0, -12.0, 0.7071, kRate),
      Biquad::design(BiquadType::HighShelf, 5000.0, 6.0, 0.7071, kRate),
  };
  double worst = 0.0;
  for (const auto& coefficients : filters) {
    for (double f = 40.0; f < 20000.0; f *= 1.7) {
      const double error = renderedGainDb(coefficients, f) - Biquad::magnitudeDb(coefficients, f, kRate);
      worst = std::max(worst, std::fabs(error));
      EXPECT_NEAR(error, 0.0, 0.01) << f << " Hz";
    }
  }
  std::printf("  worst analytic vs rendered difference: %.2e dB\n", worst);
}

TEST(Biquad, PeakingReachesItsGainAtItsCentreAndShelvesAtTheirPlateaus) {
  for (const double gain : {-18.0, -6.0, 3.0, 12.0, 18.0}) {
    EXPECT_NEAR(Biquad::magnitudeDb(Biquad::design(BiquadType::Peaking, 2500.0, gain, 1.4, kRate), 2500.0, kRate), gain,
                1e-9);
    EXPECT_NEAR(Biquad::magnitudeDb(Biquad::design(BiquadType::LowShelf, 200.0, gain, 0.7071, kRate), 0.0, kRate), gain,
                1e-9);
    EXPECT_NEAR(
        Biquad::magnitudeDb(Biquad::design(BiquadType::HighShelf, 3000.0, gain, 0.7071, kRate), kRate / 2, kRate), gain,
        1e-9);
    // The shelf's midpoint: half the gain (in dB) at the corner frequency.
    EXPECT_NEAR(Biquad::magnitudeDb(Biquad::design(BiquadType::LowShelf, 200.0, gain, 0.7071, kRate), 200.0, kRate),
                gain / 2, 1e-9);
  }
}

TEST(Biquad, ShelfWithButterworthQHasNoOvershoot) {
  const auto shelf = Biquad::design(BiquadType::LowShelf, 300.0, 12.0, 0.7071, kRate);
  double previous = Biquad::magnitudeDb(shelf, 1.0, kRate);
  for (double f = 1.0; f < 23000.0; f *= 1.05) {
    const double db = Biquad::magnitudeDb(shelf, f, kRate);
    ASSERT_LE(db, previous + 1e-9) << f;
    ASSERT_LE(db, 12.0 + 1e-9) << f;
    previous = db;
  }
}

TEST(Biquad, ZeroGainIsTheExactIdentity) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  for (const auto type : {BiquadType::LowShelf, BiquadType::Peaking, BiquadType::HighShelf}) {
    const auto c = Biquad::design(type, 777.0, 0.0, 3.0, kRate);
    EXPECT_EQ(c.b0, 1.0);
    EXPECT_EQ(c.b1, c.a1);
    EXPECT_EQ(c.b2, c.a2);
    Biquad filter;
    filter.setCoefficients(c);
    std::vector<float> x(1000);
    for (float& s : x) s = noise(rng);
    std::vector<float> y = x;
    filter.process(y.data(), 1000);
    EXPECT_EQ(y, x);
  }
}

TEST(Biquad, RampingLandsOnTheTargetCoefficients) {
  Biquad filter;
  const auto from = Biquad::design(BiquadType::Peaking, 1000.0, 0.0, 1.0, kRate);
  const auto to = Biquad::design(BiquadType::Peaking, 1000.0, 12.0, 1.0, kRate);
  filter.setCoefficients(from);
  const BiquadCoefficients step{(to.b0 - from.b0) / 32, (to.b1 - from.b1) / 32, (to.b2 - from.b2) / 32,
                                (to.a1 - from.a1) / 32, (to.a2 - from.a2) / 32};
  std::vector<float> x(32, 0.1f);
  filter.processRamping(step, x.data(), 32);
  EXPECT_NEAR(filter.coefficients().b0, to.b0, 1e-12);
  EXPECT_NEAR(filter.coefficients().a1, to.a1, 1e-12);
  EXPECT_NEAR(filter.coefficients().a2, to.a2, 1e-12);
}

TEST(Biquad, NonFiniteInputIsClearedByReset) {
  Biquad filter;
  filter.setCoefficients(Biquad::design(BiquadType::Peaking, 1000.0, 6.0, 1.0, kRate));
  float x[4] = {0.5f, std::numeric_limits<float>::quiet_NaN(), 0.5f, 0.5f};
  filter.process(x, 4);
  EXPECT_FALSE(filter.hasFiniteState());
  filter.reset();
  EXPECT_TRUE(filter.hasFiniteState());
  float y[4] = {0.5f, 0.5f, 0.5f, 0.5f};
  filter.process(y, 4);
  for (const float s : y) EXPECT_TRUE(std::isfinite(s));
}

}  // namespace
}  // namespace woodshed::dsp
