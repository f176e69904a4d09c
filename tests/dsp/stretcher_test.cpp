#include "woodshed/dsp/stretcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <random>
#include <vector>

#include "support/allocation_counter.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

constexpr double kRate = 44100.0;
constexpr double kPi = std::numbers::pi;

using Planar = std::vector<std::vector<float>>;

// A track in memory, read as the engine's readers would: fewer frames at its end, then none.
class BufferInput final : public StretchInput {
 public:
  explicit BufferInput(const Planar& audio) : audio_(audio) {}
  FrameCount read(float* const* into, FrameCount frames) noexcept override {
    const std::size_t length = audio_[0].size();
    const auto n = static_cast<FrameCount>(std::min<std::size_t>(frames, length - std::min(position_, length)));
    for (std::size_t c = 0; c < audio_.size(); ++c) {
      std::copy_n(audio_[c].begin() + static_cast<std::ptrdiff_t>(position_), n, into[c]);
    }
    position_ += n;
    return n;
  }

 private:
  const Planar& audio_;
  std::size_t position_ = 0;
};

struct Rendered {
  Planar audio;
  std::vector<std::int64_t> index;
};

// Renders `frames` output frames in calls of `block` frames.
void renderInto(Stretcher& stretcher, StretchInput& input, Rendered& r, std::size_t frames, FrameCount block) {
  const std::size_t channels = r.audio.size();
  const std::size_t start = r.index.size();
  for (auto& c : r.audio) c.resize(start + frames);
  r.index.resize(start + frames);
  std::vector<float*> out(channels);
  for (std::size_t done = 0; done < frames; done += block) {
    const auto n = static_cast<FrameCount>(std::min<std::size_t>(block, frames - done));
    for (std::size_t c = 0; c < channels; ++c) out[c] = r.audio[c].data() + start + done;
    stretcher.process(input, out.data(), n, r.index.data() + start + done);
  }
}

Rendered render(const Planar& in, ChannelCount perGroup, StretchParams params, std::size_t frames,
                FrameCount block = 128) {
  Stretcher stretcher;
  stretcher.prepare(StretchSpec{kRate, static_cast<ChannelCount>(in.size()), perGroup, block});
  stretcher.retune(params);
  stretcher.reset();
  BufferInput input(in);
  Rendered r;
  r.audio.resize(in.size());
  renderInto(stretcher, input, r, frames, block);
  return r;
}

Planar sine(double hz, double seconds, double amplitude = 0.5, ChannelCount channels = 2) {
  const auto frames = static_cast<std::size_t>(seconds * kRate);
  Planar x(channels, std::vector<float>(frames));
  for (std::size_t i = 0; i < frames; ++i) {
    const auto v = static_cast<float>(amplitude * std::sin(2.0 * kPi * hz * static_cast<double>(i) / kRate));
    for (auto& c : x) c[i] = v;
  }
  return x;
}

// The Hann-windowed DTFT of x at `hz` (complex, so phases can be compared too).
std::complex<double> dtft(const float* x, std::size_t n, double hz) {
  std::complex<double> sum = 0.0;
  const std::complex<double> step = std::polar(1.0, -2.0 * kPi * hz / kRate);
  std::complex<double> phasor = 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = 0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(i) / static_cast<double>(n));
    sum += w * static_cast<double>(x[i]) * phasor;
    if ((i & 1023) == 1023) phasor = std::polar(1.0, -2.0 * kPi * hz * static_cast<double>(i + 1) / kRate);
    else phasor *= step;
  }
  return sum;
}

// The frequency of the strongest component within +-range of `guess`: a scan, then a golden
// section search on the windowed DTFT's magnitude (resolution far below 0.01 Hz over 1 s).
double peakFrequency(const float* x, std::size_t n, double guess, double range = 6.0) {
  double best = guess, bestMagnitude = -1.0;
  for (double f = guess - range; f <= guess + range; f += 0.1) {
    const double m = std::abs(dtft(x, n, f));
    if (m > bestMagnitude) {
      bestMagnitude = m;
      best = f;
    }
  }
  double lo = best - 0.1, hi = best + 0.1;
  const double g = (std::sqrt(5.0) - 1.0) / 2.0;
  double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
  double fa = std::abs(dtft(x, n, a)), fb = std::abs(dtft(x, n, b));
  while (hi - lo > 1e-4) {
    if (fa > fb) {
      hi = b, b = a, fb = fa, a = hi - g * (hi - lo), fa = std::abs(dtft(x, n, a));
    } else {
      lo = a, a = b, fa = fb, b = lo + g * (hi - lo), fb = std::abs(dtft(x, n, b));
    }
  }
  return (lo + hi) / 2.0;
}

TEST(Stretcher, KeepsASinesPitchAtEveryTempo) {
  const Planar in = sine(440.0, 8.0);
  for (const double tempo : {0.5, 0.75, 1.5, 2.0}) {
    const Rendered r = render(in, 2, {tempo, 0.0}, static_cast<std::size_t>(3.0 * kRate));
    const std::size_t from = static_cast<std::size_t>(1.0 * kRate);
    const double hz = peakFrequency(r.audio[0].data() + from, static_cast<std::size_t>(kRate), 440.0);
    std::printf("[ measure  ] 440 Hz at tempo %.2f: %.4f Hz\n", tempo, hz);
    EXPECT_NEAR(hz, 440.0, 0.3) << "tempo " << tempo;
  }
}

TEST(Stretcher, ShiftsPitchBySevenSemitones) {
  const Planar in = sine(440.0, 6.0);
  const double expected = 440.0 * std::exp2(7.0 / 12.0);
  for (const double tempo : {1.0, 0.75}) {
    const Rendered r = render(in, 2, {tempo, 7.0}, static_cast<std::size_t>(3.0 * kRate));
    const std::size_t from = static_cast<std::size_t>(1.0 * kRate);
    const double hz = peakFrequency(r.audio[1].data() + from, static_cast<std::size_t>(kRate), expected);
    const double cents = 1200.0 * std::log2(hz / expected);
    std::printf("[ measure  ] +7 st at tempo %.2f: %.4f Hz (%.3f cents off %.4f)\n", tempo, hz, cents, expected);
    EXPECT_LT(std::fabs(cents), 1.0) << "tempo " << tempo;
  }
}

TEST(Stretcher, RunsAtTheExtremeRatios) {
  // rho = R / P from 4 (tempo 2, an octave down) to 1/8 (tempo 0.25, an octave up).
  const Planar in = sine(440.0, 8.0);
  const struct { double tempo, semitones, hz; } cases[] = {{2.0, -12, 220.0}, {0.25, 12, 880.0}, {0.25, -12, 220.0}};
  for (const auto& c : cases) {
    const Rendered r = render(in, 2, {c.tempo, c.semitones}, static_cast<std::size_t>(3.0 * kRate));
    const std::size_t from = static_cast<std::size_t>(1.0 * kRate);
    const double hz = peakFrequency(r.audio[0].data() + from, static_cast<std::size_t>(kRate), c.hz);
    const double level = std::abs(dtft(r.audio[0].data() + from, static_cast<std::size_t>(kRate), hz)) / (kRate / 4.0);
    std::printf("[ measure  ] 440 Hz at tempo %.2f, %+.0f st: %.4f Hz, amplitude %.3f (input 0.5)\n", c.tempo, c.semitones,
                hz, level);
    EXPECT_LT(std::fabs(1200.0 * std::log2(hz / c.hz)), 1.0) << c.tempo << ", " << c.semitones;
    EXPECT_NEAR(level, 0.5, 0.05) << c.tempo << ", " << c.semitones;
  }
}

TEST(Stretcher, OutputLengthIsTheInputOverTheTempo) {
  std::mt19937 rng(17);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  const auto length = static_cast<std::size_t>(3.0 * kRate);
  Planar in(2, std::vector<float>(length));
  for (std::size_t i = 0; i < length; ++i) in[0][i] = in[1][i] = noise(rng);
  const struct { double tempo, semitones; } cases[] = {{0.5, 0}, {0.75, 0}, {1.5, 0}, {2.0, 0}, {0.8, 5}, {1.25, -7}};
  for (const auto& c : cases) {
    const auto expected = static_cast<double>(length) / c.tempo;
    const Rendered r = render(in, 2, {c.tempo, c.semitones}, static_cast<std::size_t>(expected) + 20000);
    // The output ends where the time map passes the input's last frame.
    const auto end = static_cast<double>(
        std::find_if(r.index.begin(), r.index.end(), [&](std::int64_t k) { return k >= static_cast<std::int64_t>(length); }) -
        r.index.begin());
    std::printf("[ measure  ] %zu frames at tempo %.2f, %+.0f st: %.0f output frames, %.0f expected (%+.0f)\n", length,
                c.tempo, c.semitones, end, expected, end - expected);
    EXPECT_NEAR(end, expected, 512.0) << "tempo " << c.tempo << ", " << c.semitones << " st";
    EXPECT_EQ(r.index.front(), 0);
    EXPECT_TRUE(std::is_sorted(r.index.begin(), r.index.end()));
  }
}

TEST(Stretcher, ClicksStayDistinctClicksAtHalfSpeed) {
  // 40 clicks 250 ms apart: each a 1 ms Hann burst of white noise plus an impulse.
  std::mt19937 rng(40);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  const auto spacing = static_cast<std::size_t>(0.25 * kRate);
  const auto first = static_cast<std::size_t>(0.1 * kRate);
  const auto burst = static_cast<std::size_t>(0.001 * kRate);
  Planar in(2, std::vector<float>(first + 41 * spacing));
  std::vector<std::size_t> onsets;
  for (int k = 0; k < 40; ++k) {
    const std::size_t at = first + static_cast<std::size_t>(k) * spacing;
    onsets.push_back(at);
    for (std::size_t i = 0; i < burst; ++i) {
      const auto w = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(i) / burst));
      in[0][at + i] = in[1][at + i] = 0.3f * w * noise(rng);
    }
    in[0][at + burst / 2] += 0.5f;
    in[1][at + burst / 2] += 0.5f;
  }
  const Rendered r = render(in, 2, {0.5, 0.0}, 2 * in[0].size());
  const auto& y = r.audio[0];
  const auto& x = in[0];
  const auto window = static_cast<std::ptrdiff_t>(0.05 * kRate);
  double worstTimingMs = 0.0, worstPeakDb = 0.0, worstGhostDb = -200.0;
  std::vector<double> found;
  for (int k = 0; k < 40; ++k) {
    const auto expected = static_cast<std::ptrdiff_t>(2 * onsets[static_cast<std::size_t>(k)]);
    const auto size = static_cast<std::ptrdiff_t>(y.size());
    const auto lo = y.begin() + (expected - window), hi = y.begin() + std::min(expected + window, size);
    const auto at = std::max_element(lo, hi, [](float a, float b) { return std::fabs(a) < std::fabs(b); });
    found.push_back(static_cast<double>(at - y.begin()));
    const double inPeak = *std::max_element(x.begin() + static_cast<std::ptrdiff_t>(onsets[static_cast<std::size_t>(k)]),
                                            x.begin() + static_cast<std::ptrdiff_t>(onsets[static_cast<std::size_t>(k)] + burst),
                                            [](float a, float b) { return std::fabs(a) < std::fabs(b); });
    const double peakDb = 20.0 * std::log10(std::fabs(*at) / std::fabs(inPeak));
    worstPeakDb = std::fabs(peakDb) > std::fabs(worstPeakDb) ? peakDb : worstPeakDb;
    EXPECT_LT(std::fabs(peakDb), 3.0) << "click " << k;
    // Distinct: nothing else in the half spacing around it comes within 12 dB of the click.
    double ghost = 0.0;
    // (Within the output: the first click's half spacing starts before it, the last's ends after it.)
    for (auto i = std::max<std::ptrdiff_t>(expected - static_cast<std::ptrdiff_t>(spacing), 0); i < std::min(expected + static_cast<std::ptrdiff_t>(spacing), size); ++i) {
      if (std::abs(i - (at - y.begin())) > static_cast<std::ptrdiff_t>(0.005 * kRate)) {
        ghost = std::max(ghost, double{std::fabs(y[static_cast<std::size_t>(i)])});
      }
    }
    worstGhostDb = std::max(worstGhostDb, 20.0 * std::log10(ghost / std::fabs(*at) + 1e-12));
    EXPECT_LT(ghost, 0.25 * std::fabs(*at)) << "click " << k;
    if (k > 0) {
      const double spacingMs = (found[static_cast<std::size_t>(k)] - found[static_cast<std::size_t>(k - 1)]) / kRate * 1000.0;
      worstTimingMs = std::max(worstTimingMs, std::fabs(spacingMs - 500.0));
      EXPECT_NEAR(spacingMs, 500.0, 1.0) << "click " << k;
    }
  }
  std::printf("[ measure  ] 40 clicks at tempo 0.5: worst spacing error %.3f ms, worst peak change %+.2f dB, "
              "loudest other peak %.1f dB below its click\n", worstTimingMs, worstPeakDb, -worstGhostDb);
}

TEST(Stretcher, KeepsTheStereoPhaseOffset) {
  const double tones[] = {220.0, 277.18, 329.63, 440.0};
  const auto frames = static_cast<std::size_t>(6.0 * kRate);
  Planar in(2, std::vector<float>(frames));
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / kRate;
    double l = 0.0, rr = 0.0;
    for (const double f : tones) {
      for (int h = 1; h <= 3; ++h) {
        l += 0.06 / h * std::sin(2.0 * kPi * f * h * t);
        rr += 0.06 / h * std::sin(2.0 * kPi * f * h * t + kPi / 2.0);
      }
    }
    in[0][i] = static_cast<float>(l);
    in[1][i] = static_cast<float>(rr);
  }
  double worst = 0.0;
  for (const double tempo : {0.7, 1.4}) {
    const Rendered r = render(in, 2, {tempo, 0.0}, static_cast<std::size_t>(3.5 * kRate));
    const std::size_t from = static_cast<std::size_t>(1.5 * kRate), n = static_cast<std::size_t>(kRate);
    for (const double f : tones) {
      for (int h = 1; h <= 3; ++h) {
        const auto left = dtft(r.audio[0].data() + from, n, f * h), right = dtft(r.audio[1].data() + from, n, f * h);
        const double degrees = std::arg(right / left) * 180.0 / kPi;
        worst = std::max(worst, std::fabs(degrees - 90.0));
        EXPECT_NEAR(degrees, 90.0, 5.0) << f * h << " Hz at tempo " << tempo;
      }
    }
  }
  std::printf("[ measure  ] stereo chord, 90 degrees between channels: worst error after stretching %.4f degrees\n",
              worst);
}

TEST(Stretcher, SourcesSumToTheStretchedMix) {
  // Four stereo sources: a chord tone each, one of them with noise bursts, one with clicks.
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  const auto frames = static_cast<std::size_t>(4.0 * kRate);
  Planar stems(8, std::vector<float>(frames));
  const double tones[] = {110.0, 261.6, 392.0, 587.3};
  for (std::size_t s = 0; s < 4; ++s) {
    for (std::size_t i = 0; i < frames; ++i) {
      const double t = static_cast<double>(i) / kRate;
      float v = static_cast<float>(0.2 * std::sin(2.0 * kPi * tones[s] * t + static_cast<double>(s)));
      if (s == 1 && (i / 4410) % 5 == 0) v += 0.1f * noise(rng);
      if (s == 3 && i % 11025 == 0) v += 0.6f;
      stems[2 * s][i] = v;
      stems[2 * s + 1][i] = 0.7f * v + (s == 2 ? 0.05f * noise(rng) : 0.0f);
    }
  }
  Planar mix(2, std::vector<float>(frames, 0.0f));
  for (std::size_t s = 0; s < 4; ++s) {
    for (std::size_t i = 0; i < frames; ++i) {
      mix[0][i] += stems[2 * s][i];
      mix[1][i] += stems[2 * s + 1][i];
    }
  }
  const auto out = static_cast<std::size_t>(5.0 * kRate);
  const Rendered stretchedStems = render(stems, 2, {0.7, 0.0}, out);
  const Rendered stretchedMix = render(mix, 2, {0.7, 0.0}, out);
  EXPECT_EQ(stretchedStems.index, stretchedMix.index);
  double error = 0.0, energy = 0.0;
  for (std::size_t c = 0; c < 2; ++c) {
    for (std::size_t i = 0; i < out; ++i) {
      double sum = 0.0;
      for (std::size_t s = 0; s < 4; ++s) sum += stretchedStems.audio[2 * s + c][i];
      const double m = stretchedMix.audio[c][i];
      error += (sum - m) * (sum - m);
      energy += m * m;
    }
  }
  const double db = 10.0 * std::log10(error / energy);
  std::printf("[ measure  ] 4 stereo sources at tempo 0.7: their sum differs from the stretched mix by %.1f dB\n", db);
  EXPECT_LT(db, -40.0);
}

TEST(Stretcher, GlidesFromHalfToOneAndAHalfWithoutSteps) {
  const Planar in = sine(200.0, 8.0, 0.5, 1);
  double ownStep = 0.0;
  for (std::size_t i = 1; i < in[0].size(); ++i) ownStep = std::max(ownStep, double{std::fabs(in[0][i] - in[0][i - 1])});
  Stretcher stretcher;
  stretcher.prepare(StretchSpec{kRate, 1, 1, 128});
  stretcher.retune({0.5, 0.0});
  stretcher.reset();
  BufferInput input(in);
  Rendered r;
  r.audio.resize(1);
  renderInto(stretcher, input, r, static_cast<std::size_t>(1.0 * kRate), 128);
  stretcher.retune({1.5, 0.0});
  renderInto(stretcher, input, r, static_cast<std::size_t>(2.0 * kRate), 128);
  EXPECT_DOUBLE_EQ(stretcher.currentTempo(), 1.5);
  double worst = 0.0;
  const auto& y = r.audio[0];
  for (std::size_t i = 1; i < y.size(); ++i) worst = std::max(worst, double{std::fabs(y[i] - y[i - 1])});
  std::printf("[ measure  ] glide 0.5 -> 1.5 on a 200 Hz sine: largest step %.5f, the sine's own %.5f (%.1f %%)\n", worst,
              ownStep, 100.0 * worst / ownStep);
  EXPECT_LE(worst, 1.1 * ownStep);
}

TEST(Stretcher, NeverAllocatesWhileSweepingTempoAndPitch) {
  EXPECT_GE(test::allocationsSeenBySelfCheck(), 3) << "the counter must see allocations, or this test proves nothing";
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> noise(-0.3f, 0.3f);
  Planar in(4, std::vector<float>(static_cast<std::size_t>(20.0 * kRate)));
  for (auto& c : in) {
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = (i % 9000 < 50 ? 1.0f : 0.1f) * noise(rng);
  }
  Stretcher stretcher;
  stretcher.prepare(StretchSpec{kRate, 4, 2, 128});
  BufferInput input(in);
  std::vector<float> buffers(4 * 128);
  float* out[4] = {buffers.data(), buffers.data() + 128, buffers.data() + 256, buffers.data() + 384};
  std::int64_t index[128];
  const int blocks = 1500;
  test::AllocationWindow window;
  for (int b = 0; b < blocks; ++b) {
    const double x = static_cast<double>(b) / (blocks - 1);
    stretcher.retune({0.25 * std::pow(8.0, x), -12.0 + 24.0 * x});
    if (b == blocks / 2) stretcher.reset();
    stretcher.process(input, out, 128, index);
  }
  EXPECT_EQ(window.count(), 0);
}

TEST(Stretcher, BypassIsBitExactAtTempoOneAndNoShift) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  Planar in(2, std::vector<float>(static_cast<std::size_t>(2.0 * kRate)));
  for (auto& c : in) {
    for (auto& v : c) v = noise(rng);
  }
  const Rendered r = render(in, 2, {1.0, 0.0}, in[0].size(), 100);
  for (std::size_t i = 0; i < in[0].size(); ++i) {
    ASSERT_EQ(r.index[i], static_cast<std::int64_t>(i));
    ASSERT_EQ(std::memcmp(&r.audio[0][i], &in[0][i], sizeof(float)), 0) << i;
    ASSERT_EQ(std::memcmp(&r.audio[1][i], &in[1][i], sizeof(float)), 0) << i;
  }
}

TEST(Stretcher, ReturnsToBitExactBypassAfterAStretch) {
  const Planar in = sine(330.0, 12.0, 0.4);
  Stretcher stretcher;
  stretcher.prepare(StretchSpec{kRate, 2, 2, 128});
  stretcher.reset();
  BufferInput input(in);
  Rendered r;
  r.audio.resize(2);
  renderInto(stretcher, input, r, 4410, 128);
  EXPECT_TRUE(stretcher.bypassed());
  stretcher.retune({0.8, 2.5});
  renderInto(stretcher, input, r, static_cast<std::size_t>(1.0 * kRate), 128);
  EXPECT_FALSE(stretcher.bypassed());
  stretcher.retune({1.0, 0.0});
  std::size_t backAt = 0;
  for (int block = 0; block < 400 && backAt == 0; ++block) {
    renderInto(stretcher, input, r, 128, 128);
    if (stretcher.bypassed()) backAt = r.index.size();
  }
  ASSERT_GT(backAt, 0u) << "never returned to bypass";
  std::printf("[ measure  ] back in bypass %.3f s after returning to tempo 1, 0 st\n",
              static_cast<double>(backAt - 4410 - static_cast<std::size_t>(kRate)) / kRate);
  renderInto(stretcher, input, r, 4096, 128);
  double worstStep = 0.0;
  for (std::size_t i = 1; i < r.index.size(); ++i) {
    worstStep = std::max(worstStep, double{std::fabs(r.audio[0][i] - r.audio[0][i - 1])});
  }
  EXPECT_LT(worstStep, 1.1 * 0.4 * 2.0 * std::sin(kPi * 330.0 * 2.0 * std::exp2(2.5 / 12.0) / kRate));
  for (std::size_t i = backAt; i < r.index.size(); ++i) {
    ASSERT_EQ(r.index[i], r.index[i - 1] + 1) << i;
    const auto k = static_cast<std::size_t>(r.index[i]);
    ASSERT_EQ(std::memcmp(&r.audio[0][i], &in[0][k], sizeof(float)), 0) << i;
  }
}

TEST(Stretcher, OutputDoesNotDependOnBlockSize) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  const auto frames = static_cast<std::size_t>(4.0 * kRate);
  Planar in(2, std::vector<float>(frames));
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / kRate;
    const float click = i % 13000 < 40 ? noise(rng) : 0.0f;
    in[0][i] = static_cast<float>(0.3 * std::sin(2.0 * kPi * 220.0 * t)) + click;
    in[1][i] = static_cast<float>(0.3 * std::sin(2.0 * kPi * 330.0 * t)) + click;
  }
  for (const StretchParams params : {StretchParams{0.7, 3.0}, StretchParams{1.6, -5.0}}) {
    const auto out = static_cast<std::size_t>(static_cast<double>(frames) / params.tempo);
    const Rendered small = render(in, 2, params, out, 128);
    const Rendered large = render(in, 2, params, out, 4096);
    const Rendered odd = render(in, 2, params, out, 333);
    EXPECT_EQ(small.index, large.index);
    EXPECT_EQ(small.index, odd.index);
    for (std::size_t c = 0; c < 2; ++c) {
      EXPECT_EQ(std::memcmp(small.audio[c].data(), large.audio[c].data(), out * sizeof(float)), 0) << params.tempo;
      EXPECT_EQ(std::memcmp(small.audio[c].data(), odd.audio[c].data(), out * sizeof(float)), 0) << params.tempo;
    }
  }
}

TEST(Stretcher, RefusesSpecsItCannotRunAndClampsParameters) {
  Stretcher stretcher;
  EXPECT_THROW(stretcher.prepare(StretchSpec{0.0, 2, 2, 128}), core::InvalidArgument);
  EXPECT_THROW(stretcher.prepare(StretchSpec{kRate, 0, 1, 128}), core::InvalidArgument);
  EXPECT_THROW(stretcher.prepare(StretchSpec{kRate, 18, 2, 128}), core::InvalidArgument);
  EXPECT_THROW(stretcher.prepare(StretchSpec{kRate, 6, 4, 128}), core::InvalidArgument);
  stretcher.prepare(StretchSpec{kRate, 16, 2, 128});
  EXPECT_EQ(stretcher.fftSize(), 4096u);
  stretcher.retune({5.0, -30.0});
  stretcher.reset();
  EXPECT_DOUBLE_EQ(stretcher.currentTempo(), Stretcher::kMaxTempo);
  EXPECT_DOUBLE_EQ(stretcher.currentPitchRatio(), 0.5);
  stretcher.retune({std::nan(""), 0.0});
  EXPECT_EQ(stretcher.clampedParameters(), 3u);
  EXPECT_DOUBLE_EQ(stretcher.sourceFramesPerOutputFrame(), Stretcher::kMaxTempo);
  stretcher.prepare(StretchSpec{22050.0, 2, 2, 128});
  EXPECT_EQ(stretcher.fftSize(), 2048u);
  stretcher.prepare(StretchSpec{96000.0, 2, 2, 128});
  EXPECT_EQ(stretcher.fftSize(), 8192u);
}

}  // namespace
}  // namespace woodshed::dsp
