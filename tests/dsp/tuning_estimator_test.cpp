// The tuning estimator on music made here, at run time: harmonic tones (1/h partials) in chords
// and a melody with vibrato over drums and noise, tuned off A440 by a known number of cents.
// Nothing here was used to choose the estimator's constants.

#include "woodshed/dsp/tuning_estimator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace woodshed::dsp {
namespace {

// `seconds` of a small arrangement at `rate`, every pitch shifted by `cents`.
std::vector<float> arrangement(double cents, double rate, double seconds, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<float> out(static_cast<std::size_t>(seconds * rate), 0.0f);
  const double shift = std::pow(2.0, cents / 1200.0);
  const auto midiHz = [&](double note) { return 440.0 * std::pow(2.0, (note - 69.0) / 12.0) * shift; };
  const auto tone = [&](double start, double length, double hz, double level, double vibratoCents) {
    const auto from = static_cast<std::size_t>(start * rate);
    const auto to = std::min(out.size(), static_cast<std::size_t>((start + length) * rate));
    std::uniform_real_distribution<double> anyPhase(0.0, 2.0 * M_PI);
    std::vector<double> phases(7);
    for (double& phase : phases) phase = anyPhase(rng);
    for (std::size_t i = from; i < to; ++i) {
      const double t = static_cast<double>(i - from) / rate;
      const double envelope = std::min(1.0, t / 0.02) * std::exp(-1.5 * t);
      const double wobble = std::pow(2.0, vibratoCents * std::sin(2.0 * M_PI * 5.5 * t) / 1200.0);
      double sample = 0.0;
      for (int h = 1; h <= 6; ++h) {
        if (hz * h > rate * 0.45) break;
        phases[h] += 2.0 * M_PI * hz * h * wobble / rate;
        sample += std::sin(phases[h]) / h;
      }
      out[i] += static_cast<float>(level * envelope * sample);
    }
  };
  // Chords, a bar each (2 s), from a few progressions' worth of roots.
  const int roots[] = {48, 53, 55, 50, 45, 52, 47, 57};
  for (int bar = 0; bar * 2.0 < seconds; ++bar) {
    const int root = roots[(bar + seed) % 8];
    const bool minor = (bar + seed) % 3 == 0;
    for (const int interval : {0, minor ? 3 : 4, 7}) tone(bar * 2.0, 2.0, midiHz(root + interval + 12), 0.12, 0.0);
    tone(bar * 2.0, 2.0, midiHz(root - 12), 0.15, 0.0);  // bass
  }
  // A melody with vibrato, a note every 0.5 s.
  const int scale[] = {0, 2, 4, 5, 7, 9, 11, 12};
  for (int n = 0; n * 0.5 < seconds; ++n) {
    tone(n * 0.5, 0.45, midiHz(72 + scale[rng() % 8]), 0.1, n % 2 == 0 ? 25.0 : 0.0);
  }
  // Drums: noise bursts on the beat, and a noise floor.
  std::normal_distribution<double> noise(0.0, 1.0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double beat = std::fmod(static_cast<double>(i) / rate, 0.5);
    out[i] += static_cast<float>((beat < 0.05 ? 0.3 * std::exp(-beat * 60.0) : 0.0) * noise(rng) + 0.003 * noise(rng));
  }
  return out;
}

TEST(TuningEstimator, ASteadySineReadsItsOffsetExactly) {
  constexpr double kRate = 11025.0;
  std::vector<float> sine(static_cast<std::size_t>(5 * kRate));
  const double hz = 440.0 * std::pow(2.0, 18.0 / 1200.0);
  for (std::size_t i = 0; i < sine.size(); ++i) sine[i] = static_cast<float>(0.5 * std::sin(2.0 * M_PI * hz * static_cast<double>(i) / kRate));
  const auto estimate = estimateTuning(sine.data(), sine.size(), kRate);
  ASSERT_TRUE(estimate.has_value());
  EXPECT_NEAR(estimate->offsetCents, 18.0, 0.1);
}

struct Case {
  double cents;
  double rate;
  unsigned seed;
};

class TuningOfMusic : public ::testing::TestWithParam<Case> {};

TEST_P(TuningOfMusic, IsReadWithinTwoCents) {
  const Case c = GetParam();
  const std::vector<float> music = arrangement(c.cents, c.rate, 30.0, c.seed);
  const auto estimate = estimateTuning(music.data(), music.size(), c.rate);
  ASSERT_TRUE(estimate.has_value());
  std::printf("[ measure  ] tuned %+.0f cents at %.0f Hz: read %+.2f cents (agreement %.2f, %zu partials)\n", c.cents,
              c.rate, estimate->offsetCents, estimate->agreement, estimate->partials);
  EXPECT_NEAR(estimate->offsetCents, c.cents, 2.0);
}

INSTANTIATE_TEST_SUITE_P(Offsets, TuningOfMusic,
                         ::testing::Values(Case{18.0, 11025.0, 1}, Case{0.0, 11025.0, 2}, Case{-35.0, 11025.0, 3},
                                           Case{45.0, 11025.0, 4}, Case{-7.0, 44100.0, 5}),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           const Case& c = param.param;
                           return std::string(c.cents < 0 ? "Flat" : "Sharp") + std::to_string(static_cast<int>(std::fabs(c.cents))) +
                                  "CentsAt" + std::to_string(static_cast<int>(c.rate)) + "Hz";
                         });

TEST(TuningEstimator, NoiseAndSilenceHaveNoTuning) {
  constexpr double kRate = 11025.0;
  std::mt19937 rng(9);
  std::normal_distribution<double> noise(0.0, 0.2);
  std::vector<float> samples(static_cast<std::size_t>(10 * kRate));
  for (float& s : samples) s = static_cast<float>(noise(rng));
  EXPECT_FALSE(estimateTuning(samples.data(), samples.size(), kRate).has_value());
  std::fill(samples.begin(), samples.end(), 0.0f);
  EXPECT_FALSE(estimateTuning(samples.data(), samples.size(), kRate).has_value());
  EXPECT_FALSE(estimateTuning(samples.data(), 100, kRate).has_value()) << "too short";
}

}  // namespace
}  // namespace woodshed::dsp
