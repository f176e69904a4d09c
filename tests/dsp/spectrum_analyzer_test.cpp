#include "woodshed/dsp/spectrum_analyzer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <utility>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

constexpr double kRate = 48000.0;

std::vector<float> sine(double frequency, double levelDb, std::size_t frames, double phase = 0.3) {
  std::vector<float> x(frames);
  const double amplitude = dbToGain(levelDb);
  for (std::size_t i = 0; i < frames; ++i) {
    x[i] = static_cast<float>(
        amplitude * std::sin(2.0 * std::numbers::pi * frequency * static_cast<double>(i) / kRate + phase));
  }
  return x;
}

SpectrumAnalyzer analyzerFor(std::uint32_t size, SpectrumWindow window) {
  SpectrumAnalyzer analyzer;
  analyzer.prepare(kRate, SpectrumSettings{size, window, 0.1, 12.0});
  return analyzer;
}

TEST(SpectrumAnalyzer, SinesOnAndBetweenBinsReadTheirLevelAndFrequency) {
  double worstLevel = 0.0, worstBins = 0.0;
  for (const auto window : {SpectrumWindow::Hann, SpectrumWindow::BlackmanHarris}) {
    for (const std::uint32_t size : {1024u, 2048u, 4096u, 16384u}) {
      SpectrumAnalyzer analyzer = analyzerFor(size, window);
      const double binHz = kRate / size;
      for (const double bin : {20.0, 20.5, 57.25, 100.0, 100.5, 211.75, 300.5, 400.0}) {
        for (const double levelDb : {0.0, -20.0, -60.0}) {
          const double frequency = bin * binHz;
          const auto x = sine(frequency, levelDb, size);
          analyzer.reset();
          analyzer.pushMono(x.data(), size);
          analyzer.analyze(0.0);
          const SpectralPeak peak = analyzer.findPeak(20.0, 20000.0);
          const double levelError = peak.levelDb - levelDb;
          const double binError = (peak.frequencyHz - frequency) / binHz;
          worstLevel = std::max(worstLevel, std::fabs(levelError));
          worstBins = std::max(worstBins, std::fabs(binError));
          EXPECT_NEAR(levelError, 0.0, 0.1) << size << " points, bin " << bin << ", " << levelDb << " dB";
          EXPECT_NEAR(binError, 0.0, 0.05) << size << " points, bin " << bin << ", " << levelDb << " dB";
        }
      }
    }
  }
  std::printf("  worst level error %.2e dB, worst frequency error %.2e bins\n", worstLevel, worstBins);
}

TEST(SpectrumAnalyzer, FullScaleSineOnABinCentreReadsZeroDbWithoutInterpolation) {
  for (const auto window : {SpectrumWindow::Hann, SpectrumWindow::BlackmanHarris}) {
    SpectrumAnalyzer analyzer = analyzerFor(4096, window);
    const auto x = sine(100.0 * kRate / 4096, 0.0, 4096);
    analyzer.pushStereo(x.data(), x.data(), 4096);  // the same on both channels: the mid is full scale
    analyzer.analyze(0.0);
    EXPECT_NEAR(analyzer.currentDb()[100], 0.0, 0.01);
    EXPECT_LT(analyzer.currentDb()[140], -100.0) << "far from the tone, only leakage";
  }
}

TEST(SpectrumAnalyzer, HalfBinSinesNeedTheInterpolation) {
  // Without it a half-bin sine reads the window's scalloping loss low: 1.42 dB for Hann,
  // 0.83 dB for Blackman-Harris.
  const std::pair<SpectrumWindow, double> windows[] = {{SpectrumWindow::Hann, -1.42},
                                                        {SpectrumWindow::BlackmanHarris, -0.83}};
  for (const auto& [window, scallopDb] : windows) {
    SpectrumAnalyzer analyzer = analyzerFor(4096, window);
    const auto x = sine(100.5 * kRate / 4096, 0.0, 4096);
    analyzer.pushMono(x.data(), 4096);
    analyzer.analyze(0.0);
    EXPECT_NEAR(std::max(analyzer.currentDb()[100], analyzer.currentDb()[101]), scallopDb, 0.01);
    EXPECT_NEAR(analyzer.findPeak(20.0, 20000.0).levelDb, 0.0, 0.01);
  }
}

TEST(SpectrumAnalyzer, AveragesAndHoldsPeaksOverTime) {
  SpectrumAnalyzer analyzer = analyzerFor(4096, SpectrumWindow::Hann);
  const auto x = sine(100.0 * kRate / 4096, -6.0, 4096);
  analyzer.pushMono(x.data(), 4096);
  analyzer.analyze(0.05);
  EXPECT_NEAR(analyzer.averageDb()[100], -6.0, 0.01) << "the first frame is the average";
  const std::vector<float> silence(4096, 0.0f);
  analyzer.pushMono(silence.data(), 4096);
  analyzer.analyze(0.1);  // one averaging time constant: power falls to 1/e
  EXPECT_NEAR(analyzer.averageDb()[100], -6.0 - 10.0 * std::log10(std::exp(1.0)), 0.01);
  EXPECT_NEAR(analyzer.peakHoldDb()[100], -6.0 - 12.0 * 0.1, 0.01);
  EXPECT_EQ(analyzer.currentDb()[100], SpectrumAnalyzer::kFloorDb);
  analyzer.reset();
  EXPECT_EQ(analyzer.peakHoldDb()[100], SpectrumAnalyzer::kFloorDb);
}

TEST(SpectrumAnalyzer, RefusesSizesThatAreNotPowersOfTwoInRange) {
  SpectrumAnalyzer analyzer;
  for (const std::uint32_t size : {0u, 512u, 1000u, 3000u, 32768u}) {
    EXPECT_THROW(analyzer.prepare(kRate, SpectrumSettings{size}), core::InvalidArgument) << size;
  }
  for (const std::uint32_t size : {1024u, 2048u, 4096u, 8192u, 16384u}) {
    EXPECT_NO_THROW(analyzer.prepare(kRate, SpectrumSettings{size}));
    EXPECT_EQ(analyzer.binCount(), size / 2 + 1);
  }
}

TEST(SpectrumAnalyzer, NamesNotesForAxisLabels) {
  EXPECT_EQ(noteName(440.0), "A4");
  EXPECT_EQ(noteName(261.63), "C4");
  EXPECT_EQ(noteName(466.16), "A#4");
  EXPECT_EQ(noteName(27.5), "A0");
  EXPECT_EQ(noteName(16.35), "C0");
  EXPECT_EQ(noteName(8.18), "C-1");
  EXPECT_EQ(noteName(4186.0), "C8");
  EXPECT_EQ(noteName(452.0), "A4") << "nearest note, within half a semitone";
  EXPECT_EQ(noteName(0.0), "");
}

TEST(SpectrumAnalyzer, LogFrequencyAxisMapsBothWays) {
  EXPECT_DOUBLE_EQ(logFrequencyPosition(20.0, 20.0, 20000.0), 0.0);
  EXPECT_DOUBLE_EQ(logFrequencyPosition(20000.0, 20.0, 20000.0), 1.0);
  EXPECT_NEAR(logFrequencyPosition(200.0, 20.0, 20000.0), 1.0 / 3.0, 1e-12);
  for (double p = 0.0; p <= 1.0; p += 0.1) {
    EXPECT_NEAR(logFrequencyPosition(frequencyAtLogPosition(p, 20.0, 20000.0), 20.0, 20000.0), p, 1e-12);
  }
}

}  // namespace
}  // namespace woodshed::dsp
