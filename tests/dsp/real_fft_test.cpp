#include "woodshed/dsp/real_fft.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <random>
#include <vector>

#include "kiss_fftr.h"
#include "support/allocation_counter.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

using Spectrum = std::vector<std::complex<double>>;

std::vector<std::uint32_t> sizesUpTo(std::uint32_t largest) {
  std::vector<std::uint32_t> sizes;
  for (std::uint32_t n = RealFft<float>::kMinSize; n <= largest; n *= 2) sizes.push_back(n);
  return sizes;
}

std::vector<float> noise(std::uint32_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> x(size);
  for (auto& v : x) v = uniform(rng);
  return x;
}

std::vector<float> sine(std::uint32_t size, double bins, double phase) {
  std::vector<float> x(size);
  for (std::uint32_t n = 0; n < size; ++n) {
    x[n] = static_cast<float>(0.7 * std::sin(2.0 * std::numbers::pi * bins * n / size + phase));
  }
  return x;
}

// The signals of test 1: seeded noise, an impulse, DC, Nyquist and a sine between bins.
std::vector<std::vector<float>> testSignals(std::uint32_t size) {
  std::vector<float> impulse(size, 0.0f), dc(size, 0.25f), nyquist(size);
  impulse[3] = 1.0f;
  for (std::uint32_t n = 0; n < size; ++n) nyquist[n] = n % 2 == 0 ? 0.5f : -0.5f;
  return {noise(size, size), impulse, dc, nyquist, sine(size, size / 7.3, 0.4)};
}

double norm(const std::vector<float>& x) {
  double sum = 0.0;
  for (const float v : x) sum += static_cast<double>(v) * v;
  return std::sqrt(sum);
}

// The DFT by its definition, in double, bins 0 .. N/2.
Spectrum naiveDft(const std::vector<float>& x) {
  const std::size_t size = x.size();
  std::vector<double> cosines(size), sines(size);
  for (std::size_t n = 0; n < size; ++n) {
    const double angle = 2.0 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(size);
    cosines[n] = std::cos(angle);
    sines[n] = std::sin(angle);
  }
  Spectrum bins(size / 2 + 1);
  for (std::size_t k = 0; k <= size / 2; ++k) {
    double re = 0.0, im = 0.0;
    for (std::size_t n = 0; n < size; ++n) {
      const std::size_t phase = (k * n) % size;
      re += x[n] * cosines[phase];
      im -= x[n] * sines[phase];
    }
    bins[k] = {re, im};
  }
  return bins;
}

Spectrum forward(RealFft<float>& fft, const std::vector<float>& x) {
  std::vector<float> re(fft.binCount()), im(fft.binCount());
  fft.forward(x.data(), re.data(), im.data());
  Spectrum bins(fft.binCount());
  for (std::size_t k = 0; k < bins.size(); ++k) bins[k] = {re[k], im[k]};
  return bins;
}

std::vector<float> inverse(RealFft<float>& fft, const Spectrum& bins) {
  std::vector<float> re(bins.size()), im(bins.size()), x(fft.size());
  for (std::size_t k = 0; k < bins.size(); ++k) {
    re[k] = static_cast<float>(bins[k].real());
    im[k] = static_cast<float>(bins[k].imag());
  }
  fft.inverse(re.data(), im.data(), x.data());
  return x;
}

struct Difference {
  double relativeRms, worst;
};

Difference difference(const Spectrum& a, const Spectrum& b) {
  double error = 0.0, reference = 0.0, worst = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    error += std::norm(a[k] - b[k]);
    reference += std::norm(b[k]);
    worst = std::max(worst, std::abs(a[k] - b[k]));
  }
  return {std::sqrt(error / std::max(reference, 1e-300)), worst};
}

TEST(RealFft, PrepareAcceptsPowersOfTwoFrom16To16384Only) {
  RealFft<float> fft;
  for (const std::uint32_t bad : {0u, 1u, 8u, 24u, 1000u, 32768u, 1u << 31}) {
    EXPECT_THROW(fft.prepare(bad), core::InvalidArgument) << bad;
  }
  EXPECT_EQ(fft.size(), 0u) << "a rejected size leaves the transform unprepared";
  RealFft<f32x4> lanes;
  EXPECT_NO_THROW(lanes.prepare(16));
  EXPECT_NO_THROW(lanes.prepare(16384));
  EXPECT_EQ(lanes.size(), 16384u);
  EXPECT_EQ(lanes.binCount(), 8193u);
}

TEST(RealFft, MatchesADoubleDftOfNoiseImpulseDcNyquistAndASine) {
  double worstRms = 0.0, worstBin = 0.0;  // relative to the tolerance's log2 N and to |x|
  for (const std::uint32_t size : sizesUpTo(4096)) {
    RealFft<float> fft;
    fft.prepare(size);
    const double log2n = std::log2(size);
    int signal = 0;
    for (const auto& x : testSignals(size)) {
      const Difference d = difference(forward(fft, x), naiveDft(x));
      const double scale = norm(x);
      EXPECT_LE(d.relativeRms, 1e-6 * log2n) << size << " points, signal " << signal;
      EXPECT_LE(d.worst, 1e-5 * scale) << size << " points, signal " << signal;
      worstRms = std::max(worstRms, d.relativeRms / log2n);
      worstBin = std::max(worstBin, d.worst / scale);
      ++signal;
    }
  }
  std::printf("  worst relative RMS error %.2e x log2 N, worst bin error %.2e x |x|\n", worstRms, worstBin);
}

TEST(RealFft, InverseOfForwardIsNTimesTheInputUpTo16384Points) {
  double worst = 0.0;
  for (const std::uint32_t size : sizesUpTo(16384)) {
    RealFft<float> fft;
    fft.prepare(size);
    const auto x = noise(size, 7 * size);
    const auto y = inverse(fft, forward(fft, x));
    double error = 0.0;
    for (std::uint32_t n = 0; n < size; ++n) {
      const double e = static_cast<double>(y[n]) / size - x[n];
      error += e * e;
    }
    const double relativeRms = std::sqrt(error) / norm(x);
    EXPECT_LE(relativeRms, 1e-6) << size << " points";
    worst = std::max(worst, relativeRms);
  }
  std::printf("  worst round-trip relative RMS error %.2e\n", worst);
}

TEST(RealFft, AgreesWithKissFftrForwardAndInverse) {
  double worstForward = 0.0, worstInverse = 0.0;
  for (const std::uint32_t size : sizesUpTo(16384)) {
    RealFft<float> fft;
    fft.prepare(size);
    kiss_fftr_cfg kissForward = kiss_fftr_alloc(static_cast<int>(size), 0, nullptr, nullptr);
    kiss_fftr_cfg kissInverse = kiss_fftr_alloc(static_cast<int>(size), 1, nullptr, nullptr);
    ASSERT_NE(kissForward, nullptr);
    ASSERT_NE(kissInverse, nullptr);
    const auto x = noise(size, 3 * size + 1);
    std::vector<kiss_fft_cpx> kissBins(size / 2 + 1);
    kiss_fftr(kissForward, x.data(), kissBins.data());
    const Spectrum ours = forward(fft, x);
    double worst = 0.0;
    for (std::size_t k = 0; k < ours.size(); ++k) {
      worst = std::max(worst, std::abs(ours[k] - std::complex<double>(kissBins[k].r, kissBins[k].i)));
    }
    EXPECT_LE(worst, 2e-5 * norm(x)) << size << " points, forward";
    worstForward = std::max(worstForward, worst / norm(x));

    // Both inverses are scaled by N; compare them on the same (KissFFT's) spectrum.
    std::vector<float> kissTime(size);
    kiss_fftri(kissInverse, kissBins.data(), kissTime.data());
    Spectrum bins(kissBins.size());
    for (std::size_t k = 0; k < bins.size(); ++k) bins[k] = {kissBins[k].r, kissBins[k].i};
    const auto y = inverse(fft, bins);
    worst = 0.0;
    for (std::uint32_t n = 0; n < size; ++n) worst = std::max(worst, std::fabs(static_cast<double>(y[n]) - kissTime[n]));
    const double scale = size * norm(x);
    EXPECT_LE(worst, 2e-5 * scale) << size << " points, inverse";
    worstInverse = std::max(worstInverse, worst / scale);
    kiss_fftr_free(kissForward);
    kiss_fftr_free(kissInverse);
  }
  std::printf("  worst difference from kiss_fftr %.2e x |x|, from kiss_fftri %.2e x N |x|\n", worstForward,
              worstInverse);
}

TEST(RealFft, EachLaneOfTheVectorTransformIsBitwiseTheScalarTransformOfItsChannel) {
  for (const std::uint32_t size : sizesUpTo(16384)) {
    RealFft<float> scalar;
    RealFft<f32x4> lanes;
    scalar.prepare(size);
    lanes.prepare(size);
    const std::uint32_t bins = size / 2 + 1;
    const std::vector<std::vector<float>> channels = {noise(size, size + 11), sine(size, 5.5, 0.1),
                                                      testSignals(size)[1], noise(size, size + 12)};
    std::vector<f32x4> time(size), re(bins), im(bins), back(size);
    for (std::uint32_t n = 0; n < size; ++n) {
      for (int c = 0; c < 4; ++c) time[n][c] = channels[c][n];
    }
    lanes.forward(time.data(), re.data(), im.data());
    lanes.inverse(re.data(), im.data(), back.data());

    std::vector<float> scalarRe(bins), scalarIm(bins), scalarBack(size);
    for (int c = 0; c < 4; ++c) {
      scalar.forward(channels[c].data(), scalarRe.data(), scalarIm.data());
      scalar.inverse(scalarRe.data(), scalarIm.data(), scalarBack.data());
      int mismatches = 0;
      for (std::uint32_t k = 0; k < bins; ++k) {
        const float r = re[k][c], i = im[k][c];
        mismatches += std::memcmp(&r, &scalarRe[k], sizeof r) != 0 || std::memcmp(&i, &scalarIm[k], sizeof i) != 0;
      }
      for (std::uint32_t n = 0; n < size; ++n) {
        const float v = back[n][c];
        mismatches += std::memcmp(&v, &scalarBack[n], sizeof v) != 0;
      }
      EXPECT_EQ(mismatches, 0) << size << " points, lane " << c;
    }
  }
}

TEST(RealFft, IsLinearKeepsEnergyAndTurnsATimeShiftIntoAPhaseRamp) {
  std::mt19937 rng(2024);
  std::uniform_real_distribution<double> gain(-2.0, 2.0);
  double worstLinearity = 0.0, worstParseval = 0.0, worstShift = 0.0;
  for (const std::uint32_t size : sizesUpTo(16384)) {
    RealFft<float> fft;
    fft.prepare(size);
    for (int trial = 0; trial < 3; ++trial) {
      const auto x = noise(size, static_cast<std::uint32_t>(rng())), y = noise(size, static_cast<std::uint32_t>(rng()));
      const double alpha = gain(rng), beta = gain(rng);
      std::vector<float> mix(size);
      for (std::uint32_t n = 0; n < size; ++n) mix[n] = static_cast<float>(alpha * x[n] + beta * y[n]);
      const Spectrum fx = forward(fft, x), fy = forward(fft, y), fm = forward(fft, mix);
      Spectrum expected(fx.size());
      for (std::size_t k = 0; k < fx.size(); ++k) expected[k] = alpha * fx[k] + beta * fy[k];
      const double linearity = difference(fm, expected).relativeRms;
      EXPECT_LE(linearity, 1e-6 * std::log2(size)) << size << " points";
      worstLinearity = std::max(worstLinearity, linearity);

      // Parseval for a real signal: sum x^2 = (|X0|^2 + |XN/2|^2 + 2 sum_{0<k<N/2} |Xk|^2) / N.
      double energy = 0.0;
      for (std::size_t k = 0; k < fx.size(); ++k) {
        energy += (k == 0 || k == fx.size() - 1 ? 1.0 : 2.0) * std::norm(fx[k]);
      }
      const double parseval = std::fabs(energy / size / (norm(x) * norm(x)) - 1.0);
      EXPECT_LE(parseval, 1e-5) << size << " points";
      worstParseval = std::max(worstParseval, parseval);

      // x delayed by d (circularly) has the spectrum X[k] e^{-2 pi i k d / N}.
      const std::uint32_t delay = 1 + static_cast<std::uint32_t>(rng() % (size - 1));
      std::vector<float> shifted(size);
      for (std::uint32_t n = 0; n < size; ++n) shifted[(n + delay) % size] = x[n];
      Spectrum ramp(fx.size());
      for (std::size_t k = 0; k < fx.size(); ++k) {
        const double angle = -2.0 * std::numbers::pi * static_cast<double>((k * delay) % size) / size;
        ramp[k] = fx[k] * std::polar(1.0, angle);
      }
      const double shift = difference(forward(fft, shifted), ramp).relativeRms;
      EXPECT_LE(shift, 1e-6 * std::log2(size)) << size << " points, delay " << delay;
      worstShift = std::max(worstShift, shift);
    }
  }
  std::printf("  worst linearity error %.2e, Parseval %.2e, phase ramp %.2e (relative)\n", worstLinearity,
              worstParseval, worstShift);
}

TEST(RealFft, ForwardAndInverseNeverAllocate) {
  ASSERT_GE(test::allocationsSeenBySelfCheck(), 3) << "the counter must see allocations, or this proves nothing";
  RealFft<float> scalar;
  RealFft<f32x4> lanes;
  scalar.prepare(4096);
  lanes.prepare(16384);
  std::vector<float> x = noise(4096, 5), re(2049), im(2049), y(4096);
  std::vector<f32x4> time(16384), laneRe(8193), laneIm(8193), back(16384);
  for (std::uint32_t n = 0; n < 16384; ++n) time[n] = f32x4{1.0f, -1.0f, 0.5f, 0.25f} * static_cast<float>(n % 17);

  test::AllocationWindow window;
  for (int i = 0; i < 10; ++i) {
    scalar.forward(x.data(), re.data(), im.data());
    scalar.inverse(re.data(), im.data(), y.data());
    lanes.forward(time.data(), laneRe.data(), laneIm.data());
    lanes.inverse(laneRe.data(), laneIm.data(), back.data());
  }
  EXPECT_EQ(window.count(), 0);
}

}  // namespace
}  // namespace woodshed::dsp
