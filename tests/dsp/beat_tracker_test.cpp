#include "woodshed/dsp/beat_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

constexpr double kRate = 44100.0;
constexpr double kPi = std::numbers::pi;

// What a test asks of the grid (the README quotes the measured values).
constexpr double kBpmTolerance = 0.5;
constexpr double kBeatToleranceSeconds = 0.020;

// A drum loop with a quiet bass and pad bed, made at test time from a seed: a kick (a sine
// falling from 110 to 52 Hz), a snare (a noise burst and a 180 Hz tone), hi-hats (high-passed
// noise), each hit moved by up to +-3 ms and its velocity by up to +-10 %. The bass and the pad
// change chord on every bar start, as songs do; beat 1's kick is played a little harder.
struct Loop {
  double bpm = 120.0;
  int beatsPerBar = 4;
  bool swing = false;        // 8th-note hats at 2:1 (the offbeat two thirds into the beat)
  double leadSeconds = 0.0;  // silence before the first bar
  double seconds = 24.0;
  std::uint32_t seed = 1;
  const char* name = "";
  double rate = kRate;
};

class LoopWriter {
 public:
  LoopWriter(double rate, std::size_t frames, std::uint32_t seed) : rate_(rate), out_(frames, 0.0f), random_(seed) {}

  double jitter(double range) { return std::uniform_real_distribution<double>(-range, range)(random_); }

  void kick(double at, double velocity) {
    double phase = 0.0;
    forEach(at, 0.35, [&](double t) {
      const double hz = 52.0 + 58.0 * std::exp(-t / 0.03);
      phase += 2.0 * kPi * hz / rate_;
      return 0.9 * velocity * std::exp(-t / 0.12) * std::sin(phase);
    });
  }
  void snare(double at, double velocity) {
    std::normal_distribution<double> noise(0.0, 1.0);
    forEach(at, 0.25, [&](double t) {
      const double tone = std::sin(2.0 * kPi * 180.0 * t);
      return velocity * (0.35 * std::exp(-t / 0.06) * noise(random_) + 0.4 * std::exp(-t / 0.08) * tone);
    });
  }
  void hat(double at, double velocity) {
    std::normal_distribution<double> noise(0.0, 1.0);
    double previous = 0.0;
    forEach(at, 0.08, [&](double t) {
      const double x = noise(random_);
      const double high = x - previous;  // a first difference: +6 dB per octave, mostly highs
      previous = x;
      return 0.12 * velocity * std::exp(-t / 0.025) * high;
    });
  }
  // A chord held from `at` for `length` s: a bass note and three pad voices with soft edges.
  // Each voice is a rotating phasor (a sine per sample per voice would dominate the test's time).
  void chord(double at, double length, double rootHz) {
    const double voices[4][2] = {{rootHz, 0.10}, {4.0 * rootHz, 0.025}, {5.04 * rootHz, 0.025}, {6.0 * rootHz, 0.025}};
    std::complex<double> phasors[4], steps[4];
    for (int v = 0; v < 4; ++v) {
      phasors[v] = voices[v][1];
      steps[v] = std::polar(1.0, 2.0 * kPi * voices[v][0] / rate_);
    }
    forEach(at, length, [&](double t) {
      const double edge = std::min({1.0, t / 0.04, (length - t) / 0.04});
      double sum = 0.0;
      for (int v = 0; v < 4; ++v) {
        sum += phasors[v].imag();
        phasors[v] *= steps[v];
      }
      return edge * sum;
    });
  }

  std::vector<float>& samples() { return out_; }

 private:
  template <typename Voice>
  void forEach(double at, double length, Voice&& voice) {
    const auto first = static_cast<std::size_t>(std::max(0.0, std::round(at * rate_)));
    const auto end = std::min(out_.size(), first + static_cast<std::size_t>(length * rate_));
    for (std::size_t i = first; i < end; ++i) {
      out_[i] += static_cast<float>(voice(static_cast<double>(i - first) / rate_));
    }
  }

  double rate_;
  std::vector<float> out_;
  std::mt19937 random_;
};

std::vector<float> render(const Loop& loop) {
  LoopWriter writer(loop.rate, static_cast<std::size_t>(loop.seconds * loop.rate), loop.seed);
  const double beat = 60.0 / loop.bpm;
  const double roots[4] = {55.0, 73.4, 61.7, 82.4};  // A1, D2, B1, E2
  int bar = 0;
  for (double start = loop.leadSeconds; start < loop.seconds; start += beat * loop.beatsPerBar, ++bar) {
    writer.chord(start, beat * loop.beatsPerBar, roots[bar % 4]);
    for (int b = 0; b < loop.beatsPerBar; ++b) {
      const double at = start + b * beat;
      auto hit = [&](double velocity) { return velocity * (1.0 + writer.jitter(0.1)); };
      if (loop.beatsPerBar == 3) {
        if (b == 0) writer.kick(at + writer.jitter(0.003), hit(1.0));
        if (b != 0) writer.snare(at + writer.jitter(0.003), hit(0.55));
      } else {
        if (b % 2 == 0) writer.kick(at + writer.jitter(0.003), hit(b == 0 ? 1.0 : 0.8));
        if (b % 2 == 1) writer.snare(at + writer.jitter(0.003), hit(1.0));
      }
      writer.hat(at + writer.jitter(0.003), hit(1.0));
      writer.hat(at + beat * (loop.swing ? 2.0 / 3.0 : 0.5) + writer.jitter(0.003), hit(0.6));
    }
  }
  return writer.samples();
}

// The largest distance from a true beat in the middle of the loop to the nearest grid beat.
double worstBeatError(const Loop& loop, const BeatGrid& grid) {
  const std::vector<double> found = beatTimes(grid, loop.seconds);
  const double beat = 60.0 / loop.bpm;
  double worst = 0.0;
  for (double t = loop.leadSeconds; t < loop.seconds; t += beat) {
    if (t < 0.2 * loop.seconds || t > 0.8 * loop.seconds) continue;
    double nearest = std::numeric_limits<double>::infinity();
    for (double f : found) nearest = std::min(nearest, std::fabs(f - t));
    worst = std::max(worst, nearest);
  }
  return worst;
}

// How far the grid's first downbeat is from a true bar start, modulo the bar.
double downbeatError(const Loop& loop, const BeatGrid& grid) {
  const double bar = 60.0 / loop.bpm * loop.beatsPerBar;
  return std::fabs(std::remainder(grid.offsetSeconds - loop.leadSeconds, bar));
}

BeatGrid estimate(const std::vector<float>& x, double rate = kRate) {
  return estimateBeatGrid(x.data(), x.size(), rate, [](double) {});
}

void expectGridMatches(const Loop& loop, const BeatGrid& grid) {
  const double beatError = worstBeatError(loop, grid);
  const double barError = downbeatError(loop, grid);
  std::printf("[ measure  ] %s: %.3f BPM (true %.1f), %d beats/bar, worst beat error %.1f ms, downbeat error %.1f ms, "
              "confidence %.2f\n",
              loop.name, grid.bpm, loop.bpm, grid.beatsPerBar, 1000.0 * beatError, 1000.0 * barError, grid.confidence);
  EXPECT_NEAR(grid.bpm, loop.bpm, kBpmTolerance) << loop.name;
  EXPECT_LE(beatError, kBeatToleranceSeconds) << loop.name;
  EXPECT_EQ(grid.beatsPerBar, loop.beatsPerBar) << loop.name;
  EXPECT_LE(barError, kBeatToleranceSeconds) << loop.name << ": offset " << grid.offsetSeconds << " s";
  EXPECT_GE(grid.offsetSeconds, 0.0);
  EXPECT_LT(grid.offsetSeconds, 60.0 / grid.bpm * grid.beatsPerBar);
}

TEST(BeatTracker, FindsTheTempoBeatsAndBarsOfA97BpmStraightLoop) {
  const Loop loop{97.0, 4, false, 0.0, 24.0, 11, "97 BPM 4/4 straight"};
  expectGridMatches(loop, estimate(render(loop)));
}

TEST(BeatTracker, FindsTheTempoBeatsAndBarsOfA120BpmSwungLoop) {
  const Loop loop{120.0, 4, true, 0.0, 24.0, 12, "120 BPM 4/4 swung 2:1"};
  expectGridMatches(loop, estimate(render(loop)));
}

TEST(BeatTracker, FindsThreeBeatsABarIn143BpmWaltzTime) {
  const Loop loop{143.0, 3, false, 0.0, 24.0, 13, "143 BPM 3/4"};
  expectGridMatches(loop, estimate(render(loop)));
}

TEST(BeatTracker, PlacesTheFirstDownbeatAfterLeadingSilence) {
  const Loop loop{108.0, 4, false, 1.3, 24.0, 14, "108 BPM 4/4 after 1.3 s of silence"};
  const BeatGrid grid = estimate(render(loop));
  expectGridMatches(loop, grid);
  EXPECT_NEAR(grid.offsetSeconds, 1.3, kBeatToleranceSeconds);
}

TEST(BeatTracker, FindsTheSameGridAtOtherSampleRates) {
  const Loop at48{120.0, 4, true, 0.4, 20.0, 19, "120 BPM 4/4 swung at 48 kHz", 48000.0};
  expectGridMatches(at48, estimate(render(at48), at48.rate));
  const Loop at22{120.0, 4, true, 0.4, 20.0, 20, "120 BPM 4/4 swung at 22.05 kHz", 22050.0};
  expectGridMatches(at22, estimate(render(at22), at22.rate));
}

// The engine averages songs down by a whole factor to about 11 kHz before detection.
TEST(BeatTracker, FindsTheGridOfAudioAveragedDownToAQuarterRate) {
  const Loop loop{97.0, 4, false, 0.7, 20.0, 21, "97 BPM 4/4 averaged down to 11.025 kHz"};
  const std::vector<float> full = render(loop);
  std::vector<float> quarter(full.size() / 4);
  for (std::size_t i = 0; i < quarter.size(); ++i) {
    quarter[i] = 0.25f * (full[4 * i] + full[4 * i + 1] + full[4 * i + 2] + full[4 * i + 3]);
  }
  expectGridMatches(loop, estimate(quarter, kRate / 4.0));
}

TEST(BeatTracker, NotANumberSamplesCountAsSilence) {
  const Loop loop{97.0, 4, false, 0.0, 24.0, 15, "97 BPM 4/4 with a NaN and Inf burst"};
  std::vector<float> x = render(loop);
  for (std::size_t i = 300000; i < 330000; ++i) x[i] = (i % 3 == 0) ? std::numeric_limits<float>::infinity()
                                                                    : std::numeric_limits<float>::quiet_NaN();
  expectGridMatches(loop, estimate(x));
}

TEST(BeatTracker, NoiseReadsAsUncertainAndSilenceAsNoTempo) {
  std::mt19937 random(16);
  std::normal_distribution<double> noise(0.0, 0.1);
  std::vector<float> x(static_cast<std::size_t>(20.0 * kRate));
  for (float& v : x) v = static_cast<float>(noise(random));
  const BeatGrid noisy = estimate(x);
  std::fill(x.begin(), x.end(), 0.0f);
  const BeatGrid silent = estimate(x);
  const Loop loop{120.0, 4, false, 0.0, 24.0, 17, "120 BPM 4/4"};
  const BeatGrid clear = estimate(render(loop));
  std::printf("[ measure  ] confidence: white noise %.2f, silence %.2f, a 120 BPM loop %.2f\n", noisy.confidence,
              silent.confidence, clear.confidence);
  EXPECT_LT(noisy.confidence, 0.3);
  EXPECT_EQ(silent.confidence, 0.0);
  EXPECT_GT(clear.confidence, 0.5);
}

TEST(BeatTracker, ReportsRisingProgressOftenAndStopsWhenTheCheckpointThrows) {
  const Loop loop{120.0, 4, false, 0.0, 30.0, 18, "120 BPM"};
  const std::vector<float> x = render(loop);
  std::vector<double> fractions;
  estimateBeatGrid(x.data(), x.size(), kRate, [&](double f) { fractions.push_back(f); });
  ASSERT_FALSE(fractions.empty());
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  EXPECT_GE(fractions.front(), 0.0);
  EXPECT_EQ(fractions.back(), 1.0);
  // The STFT alone checks every 32 hops of ~5.8 ms: 30 s is 161 checks (~0.2 ms of work each).
  EXPECT_GE(fractions.size(), 160u);

  struct Stop {};
  int calls = 0;
  EXPECT_THROW(estimateBeatGrid(x.data(), x.size(), kRate,
                                [&](double) {
                                  if (++calls == 5) throw Stop{};
                                }),
               Stop);
  EXPECT_EQ(calls, 5);
}

TEST(BeatTracker, RefusesAbsurdInputWithAMessage) {
  const std::vector<float> x(static_cast<std::size_t>(10.0 * kRate), 0.0f);
  auto message = [&](double rate, std::size_t frames) {
    try {
      estimateBeatGrid(x.data(), frames, rate, {});
    } catch (const core::InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  EXPECT_NE(message(4000.0, x.size()).find("sample rate"), std::string::npos);
  EXPECT_NE(message(1e6, x.size()).find("sample rate"), std::string::npos);
  EXPECT_NE(message(std::numeric_limits<double>::quiet_NaN(), x.size()).find("sample rate"), std::string::npos);
  EXPECT_NE(message(kRate, static_cast<std::size_t>(3.9 * kRate)).find("at least 4 s"), std::string::npos);
  EXPECT_NE(message(kRate, 0).find("at least 4 s"), std::string::npos);
  EXPECT_THROW(estimateBeatGrid(nullptr, x.size(), kRate, {}), core::InvalidArgument);
}

TEST(BeatTracker, BeatTimesCoverTheSongFromZeroAndDownbeatsAreEveryBarthBeat) {
  const BeatGrid grid{120.0, 1.3, 4, 1.0};
  const std::vector<double> beats = beatTimes(grid, 5.0);
  const std::vector<double> expected = {0.3, 0.8, 1.3, 1.8, 2.3, 2.8, 3.3, 3.8, 4.3, 4.8};
  ASSERT_EQ(beats.size(), expected.size());
  for (std::size_t i = 0; i < beats.size(); ++i) EXPECT_NEAR(beats[i], expected[i], 1e-12);
  const std::vector<double> downbeats = downbeatTimes(grid, 5.0);
  ASSERT_EQ(downbeats.size(), 2u);
  EXPECT_NEAR(downbeats[0], 1.3, 1e-12);
  EXPECT_NEAR(downbeats[1], 3.3, 1e-12);
  for (double d : downbeats) EXPECT_NE(std::find(beats.begin(), beats.end(), d), beats.end());
  EXPECT_TRUE(beatTimes(BeatGrid{}, 5.0).empty());
}

}  // namespace
}  // namespace woodshed::dsp
