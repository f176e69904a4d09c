#include "woodshed/dsp/signal_generator.h"
#include "woodshed/core/error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "support/signal_analysis.h"

namespace woodshed::dsp {
namespace {

constexpr double kRate = 44100.0;

std::vector<float> render(SignalGenerator& generator, std::size_t frames, FrameCount blockSize = 128) {
  std::vector<float> left(frames, 0.0f), right(frames, 0.0f);
  for (std::size_t offset = 0; offset < frames; offset += blockSize) {
    const auto n = static_cast<FrameCount>(std::min<std::size_t>(blockSize, frames - offset));
    float* channels[2] = {left.data() + offset, right.data() + offset};
    generator.processAdding(AudioBlock{channels, 2, n});
  }
  EXPECT_EQ(left, right) << "the same signal goes to both channels";
  return left;
}

SignalGenerator makeGenerator(Waveform waveform, double frequency, double levelDb, double rate = kRate) {
  SignalGenerator generator;
  generator.prepare(ProcessSpec{rate, 128, 2});
  generator.setParams(GeneratorParams{waveform, frequency, levelDb, true});
  generator.reset();  // start at the target level, no ramp
  return generator;
}

struct LevelCase {
  Waveform waveform;
  double frequency;
  double tolerance;  // dB
};

std::string caseName(const ::testing::TestParamInfo<LevelCase>& info) { return toString(info.param.waveform); }

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const LevelCase& c, std::ostream* os) { *os << toString(c.waveform); }

class GeneratorLevel : public ::testing::TestWithParam<LevelCase> {};

// AES17: every waveform at -12 dBFS has the RMS of a sine peaking at -12 dBFS. The level is
// exact for the ideal waveform; band-limiting square and saw drops the harmonics above Nyquist
// (and PolyBLEP softens those just below), which measures 0.09 and 0.13 dB low at 441 Hz.
// Noise levels are statistical over 10 s.
TEST_P(GeneratorLevel, MatchesAes17LevelForEveryWaveform) {
  const LevelCase c = GetParam();
  for (double levelDb : {-12.0, -30.0}) {
    SignalGenerator generator = makeGenerator(c.waveform, c.frequency, levelDb);
    const std::vector<float> x = render(generator, static_cast<std::size_t>(kRate * 10));
    EXPECT_NEAR(test::aes17LevelDb(x.data(), x.size()), levelDb, c.tolerance)
        << toString(c.waveform) << " at " << levelDb << " dBFS";
  }
}

INSTANTIATE_TEST_SUITE_P(AllWaveforms, GeneratorLevel,
                         ::testing::Values(LevelCase{Waveform::Sine, 441.0, 0.01},
                                           LevelCase{Waveform::Square, 441.0, 0.15},
                                           LevelCase{Waveform::Triangle, 441.0, 0.05},
                                           LevelCase{Waveform::Saw, 441.0, 0.2},
                                           LevelCase{Waveform::WhiteNoise, 440.0, 0.1},
                                           LevelCase{Waveform::PinkNoise, 440.0, 0.3},
                                           LevelCase{Waveform::LogSweep, 440.0, 0.05}),
                         caseName);

TEST(SignalGenerator, SineAtMinus12DbfsPeaksAtMinus12Dbfs) {
  SignalGenerator generator = makeGenerator(Waveform::Sine, 440.0, -12.0);
  const std::vector<float> x = render(generator, 44100);
  EXPECT_NEAR(20.0 * std::log10(test::peak(x.data(), x.size())), -12.0, 0.01);
}

TEST(SignalGenerator, FrequencyIsAccurateAcrossTheRange) {
  for (double frequency : {20.0, 440.0, 1000.0, 12345.0}) {
    SignalGenerator generator = makeGenerator(Waveform::Sine, frequency, -6.0);
    const std::vector<float> x = render(generator, 44100 * 2);
    EXPECT_NEAR(test::zeroCrossingFrequency(x.data(), x.size(), kRate), frequency, frequency * 1e-4);
  }
}

TEST(SignalGenerator, HarmonicsFollowTheIdealWaveforms) {
  // Fourier series: saw 2t-1 = -(2/pi) sum sin(k w t)/k; square = (4/pi) sum_odd sin/k;
  // triangle 4|t-1/2|-1 = (8/pi^2) sum_odd cos/k^2. Amplitudes are scaled to the AES17 level.
  const double level = -12.0, f = 441.0;
  const double unit = dbToGain(level) * std::sqrt(1.5);  // saw and triangle amplitude
  struct Expected {
    Waveform waveform;
    double amplitude;
    std::vector<std::pair<int, double>> harmonics;  // k, relative amplitude
  };
  const std::vector<Expected> cases = {
      {Waveform::Saw, unit, {{1, 2 / std::numbers::pi}, {2, 1 / std::numbers::pi}, {5, 2 / (5 * std::numbers::pi)}}},
      {Waveform::Square, dbToGain(level) * std::sqrt(0.5),
       {{1, 4 / std::numbers::pi}, {3, 4 / (3 * std::numbers::pi)}, {2, 0.0}}},
      {Waveform::Triangle, unit,
       {{1, 8 / (std::numbers::pi * std::numbers::pi)}, {3, 8 / (9 * std::numbers::pi * std::numbers::pi)}, {2, 0.0}}},
  };
  for (const auto& c : cases) {
    SignalGenerator generator = makeGenerator(c.waveform, f, level);
    const std::vector<float> x = render(generator, 44100);
    for (const auto& [k, relative] : c.harmonics) {
      const double measured = test::toneAmplitude(x.data(), x.size(), k * f, kRate);
      EXPECT_NEAR(measured, c.amplitude * relative, c.amplitude * 0.002)
          << toString(c.waveform) << " harmonic " << k;
    }
  }
}

// A naive sawtooth at 2637 Hz aliases loudly below 10 kHz; the band-limited one must not.
TEST(SignalGenerator, SawAndSquareAreBandLimited) {
  const double f = 2637.0;
  const std::size_t n = 44100;
  for (Waveform waveform : {Waveform::Saw, Waveform::Square}) {
    SignalGenerator generator = makeGenerator(waveform, f, -6.0);
    const std::vector<float> x = render(generator, n);
    std::vector<float> naive(n);
    double phase = 0.0;
    for (auto& sample : naive) {
      sample = static_cast<float>(waveform == Waveform::Saw ? 2.0 * phase - 1.0 : (phase < 0.5 ? 1.0 : -1.0));
      phase += f / kRate;
      phase -= std::floor(phase);
    }
    const double fundamental = test::toneAmplitude(x.data(), n, f, kRate);
    const double naiveFundamental = test::toneAmplitude(naive.data(), n, f, kRate);
    double worstAlias = 0.0, worstNaiveAlias = 0.0;
    for (int k = 9; k <= 16; ++k) {  // harmonics above Nyquist fold back to kRate - k f
      const double alias = kRate - k * f;
      if (alias <= 0.0 || alias > 10000.0) continue;
      worstAlias = std::max(worstAlias, test::toneAmplitude(x.data(), n, alias, kRate) / fundamental);
      worstNaiveAlias = std::max(worstNaiveAlias, test::toneAmplitude(naive.data(), n, alias, kRate) / naiveFundamental);
    }
    const double aliasDb = 20 * std::log10(worstAlias), naiveDb = 20 * std::log10(worstNaiveAlias);
    std::printf("[ measure  ] %s at %.0f Hz: worst alias below 10 kHz %.1f dB (naive %.1f dB)\n", toString(waveform),
                f, aliasDb, naiveDb);
    EXPECT_LT(aliasDb, -40.0) << toString(waveform);
    EXPECT_LT(aliasDb, naiveDb - 15.0) << toString(waveform);
  }
}

TEST(SignalGenerator, LevelChangesRampWithoutClicks) {
  SignalGenerator generator = makeGenerator(Waveform::Sine, 100.0, -40.0);
  render(generator, 4410);
  generator.setParams(GeneratorParams{Waveform::Sine, 100.0, 0.0, true});
  const std::vector<float> x = render(generator, 4410);
  // A 100 Hz sine changes by at most 2*pi*100/44100*amplitude per sample; a jump from -40 dB
  // to 0 dB would step by about 1.0 at once.
  double biggestStep = 0.0;
  for (std::size_t i = 1; i < x.size(); ++i) biggestStep = std::max(biggestStep, std::fabs(double{x[i]} - x[i - 1]));
  EXPECT_LT(biggestStep, 2 * std::numbers::pi * 100.0 / kRate * 1.01);
  EXPECT_NEAR(test::peak(x.data() + 2205, 2205), 1.0, 0.001) << "reaches the new level after the ramp";
}

TEST(SignalGenerator, TurningOffFadesToSilence) {
  SignalGenerator generator = makeGenerator(Waveform::Square, 440.0, -6.0);
  render(generator, 1000);
  generator.setParams(GeneratorParams{Waveform::Square, 440.0, -6.0, false});
  const std::vector<float> x = render(generator, 4410);
  EXPECT_GT(test::peak(x.data(), 64), 0.1) << "fades, does not cut";
  EXPECT_EQ(test::peak(x.data() + 1000, x.size() - 1000), 0.0);
}

TEST(SignalGenerator, ValidateRejectsOutOfRangeValuesWithAMessage) {
  EXPECT_THROW(SignalGenerator::validate({Waveform::Sine, 10.0, -12.0, true}), core::InvalidArgument);
  EXPECT_THROW(SignalGenerator::validate({Waveform::Sine, 25000.0, -12.0, true}), core::InvalidArgument);
  EXPECT_THROW(SignalGenerator::validate({Waveform::Sine, 440.0, 3.0, true}), core::InvalidArgument);
  EXPECT_THROW(SignalGenerator::validate({Waveform::Sine, std::nan(""), -12.0, true}), core::InvalidArgument);
  EXPECT_NO_THROW(SignalGenerator::validate({Waveform::Saw, 20000.0, 0.0, true}));
  try {
    SignalGenerator::validate({Waveform::Sine, 5.0, -12.0, true});
  } catch (const core::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("20 Hz"), std::string::npos);
  }
}

TEST(SignalGenerator, ParsesWaveformNames) {
  Waveform w{};
  ASSERT_TRUE(parseWaveform("pink", w));
  EXPECT_EQ(w, Waveform::PinkNoise);
  EXPECT_STREQ(toString(Waveform::LogSweep), "sweep");
  EXPECT_FALSE(parseWaveform("banjo", w));
  EXPECT_FALSE(parseWaveform(nullptr, w));
}

}  // namespace
}  // namespace woodshed::dsp
