#include "woodshed/dsp/look_ahead_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

using Stereo = std::vector<std::vector<float>>;

// Runs planar audio through the limiter in blocks of `blockFrames`, in place.
void render(LookAheadLimiter& limiter, Stereo& audio, FrameCount blockFrames) {
  const std::size_t frames = audio[0].size();
  std::vector<float*> channels(audio.size());
  for (std::size_t done = 0; done < frames; done += blockFrames) {
    for (std::size_t c = 0; c < audio.size(); ++c) channels[c] = audio[c].data() + done;
    const auto n = static_cast<FrameCount>(std::min<std::size_t>(blockFrames, frames - done));
    limiter.process(AudioBlock{channels.data(), static_cast<ChannelCount>(audio.size()), n});
  }
}

// Loud test material of one kind, made from `rng`: what a limiter in front of the output sees.
Stereo loudSignal(int kind, std::size_t frames, double sampleRate, std::mt19937& rng) {
  Stereo x(2, std::vector<float>(frames, 0.0f));
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_real_distribution<double> gainDb(-6.0, 30.0);
  const double pi = std::numbers::pi;
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / sampleRate;
    switch (kind) {
      case 0:  // white noise up to +30 dBFS, level changing every 1000 frames
        if (i % 1000 == 0) gainDb(rng);
        x[0][i] = uniform(rng) * 30.0f;
        x[1][i] = uniform(rng) * 8.0f;
        break;
      case 1:  // bursts: silence, then loud sine bursts with sharp onsets
        x[0][i] = x[1][i] = (i / 977) % 3 == 2 ? static_cast<float>(12.0 * std::sin(2.0 * pi * 3000.0 * t)) : 0.01f;
        break;
      case 2:  // DC far over full scale, with sign flips
        x[0][i] = (i / 5000) % 2 ? 7.0f : -3.0f;
        x[1][i] = -x[0][i];
        break;
      case 3:  // full-scale and hotter square waves
        x[0][i] = (i / 37) % 2 ? 1.0f : -1.0f;
        x[1][i] = (i / 11) % 2 ? 4.0f : -4.0f;
        break;
      case 4:  // isolated impulses of random height on one channel or the other
        if (i % 331 == 0) x[(i / 331) % 2][i] = uniform(rng) * 100.0f;
        break;
      default:  // a loud sine sweep whose level jumps at random
        x[0][i] = x[1][i] = static_cast<float>(dbToGain(i % 2000 == 0 ? gainDb(rng) : 12.0) *
                                               std::sin(2.0 * pi * (50.0 + 5000.0 * t) * t));
        break;
    }
  }
  return x;
}

TEST(LookAheadLimiter, OutputNeverExceedsTheCeiling) {
  std::mt19937 rng(2024);
  double worstOvershootDb = -std::numeric_limits<double>::infinity();
  double worstClampDb = 0.0;
  int runs = 0;
  for (const double rate : {22050.0, 44100.0, 48000.0, 96000.0, 192000.0}) {
    for (const FrameCount block : {1u, 3u, 64u, 128u, 517u, 4096u}) {
      for (int kind = 0; kind < 6; ++kind) {
        LookAheadLimiter limiter;
        limiter.prepare(ProcessSpec{rate, block, 2});
        const float ceiling = limiter.ceilingGain();
        Stereo x = loudSignal(kind, 20000, rate, rng);
        render(limiter, x, block);
        for (const auto& channel : x) {
          for (const float s : channel) {
            ASSERT_LE(std::fabs(s), ceiling) << rate << " Hz, blocks of " << block << ", signal " << kind;
            worstOvershootDb = std::max(worstOvershootDb, gainToDb(std::fabs(s) / ceiling));
          }
        }
        // The gain itself meets every peak; the final clamp only ever removes rounding.
        ASSERT_LT(limiter.clampedOvershootDb(), 1e-5) << rate << " Hz, blocks of " << block << ", signal " << kind;
        worstClampDb = std::max(worstClampDb, limiter.clampedOvershootDb());
        ++runs;
      }
    }
  }
  std::printf("  %d runs: loudest output %.6f dB relative to the ceiling; before the final clamp %.3g dB over\n",
              runs, worstOvershootDb, worstClampDb);
}

TEST(LookAheadLimiter, HoldsOtherCeilingsAndReleaseTimes) {
  std::mt19937 rng(77);
  for (const double ceilingDb : {-12.0, -3.0, -0.1, 0.0}) {
    for (const double release : {0.005, 0.050, 0.5}) {
      LookAheadLimiter limiter;
      limiter.setCeilingDb(ceilingDb);
      limiter.setReleaseSeconds(release);
      limiter.prepare(ProcessSpec{48000.0, 128, 2}, 0.0015);
      for (int kind = 0; kind < 6; ++kind) {
        Stereo x = loudSignal(kind, 10000, 48000.0, rng);
        render(limiter, x, 128);
        for (const auto& channel : x) {
          for (const float s : channel) ASSERT_LE(std::fabs(s), limiter.ceilingGain()) << ceilingDb << " dB";
        }
        ASSERT_LT(limiter.clampedOvershootDb(), 1e-5) << ceilingDb << " dB";
      }
    }
  }
}

TEST(LookAheadLimiter, SignalsBelowTheCeilingPassBitExactAfterTheDelay) {
  std::mt19937 rng(5);
  for (const double rate : {44100.0, 48000.0, 96000.0}) {
    LookAheadLimiter limiter;
    limiter.prepare(ProcessSpec{rate, 256, 2});
    const FrameCount latency = limiter.latencyFrames();
    EXPECT_EQ(latency, static_cast<FrameCount>(std::lround(LookAheadLimiter::kDefaultLookAheadSeconds * rate)));
    // First something loud (so the limiter has worked and released), then quiet noise.
    Stereo loud = loudSignal(0, 4000, rate, rng);
    render(limiter, loud, 256);
    std::uniform_real_distribution<float> quiet(-0.89f, 0.89f);  // -1 dBFS is 0.891
    const std::size_t frames = static_cast<std::size_t>(1.5 * rate);  // a full release takes ~0.55 s
    Stereo x(2, std::vector<float>(frames));
    for (auto& channel : x) {
      for (float& s : channel) s = quiet(rng);
    }
    Stereo y = x;
    render(limiter, y, 256);
    const std::size_t settled = static_cast<std::size_t>(0.6 * rate);
    for (std::size_t c = 0; c < 2; ++c) {
      EXPECT_EQ(std::memcmp(y[c].data() + settled, x[c].data() + settled - latency,
                            (frames - settled) * sizeof(float)),
                0)
          << rate << " Hz, channel " << c;
    }
    EXPECT_EQ(limiter.gainReductionDb(), 0.0);
  }
}

TEST(LookAheadLimiter, GainRampsDownOverTheLookAheadAndRecoversWithTheRelease) {
  const double rate = 48000.0;
  LookAheadLimiter limiter;
  limiter.prepare(ProcessSpec{rate, 128, 1});
  const FrameCount latency = limiter.latencyFrames();
  // A quiet constant, one sample 12 dB over the ceiling, then the constant again.
  std::vector<float> x(48000, 0.1f);
  x[10000] = limiter.ceilingGain() * 4.0f;
  std::vector<float> y = x;
  float* channels[1] = {y.data()};
  limiter.process(AudioBlock{channels, 1, 48000});
  // The peak comes out exactly at the ceiling: the gain reached -12 dB just in time...
  EXPECT_NEAR(y[10000 + latency], limiter.ceilingGain(), 1e-6);
  // ...having ramped down linearly over the look-ahead (not jumped) before it.
  const double g = 0.25;
  for (FrameCount i = 1; i <= latency; ++i) {
    const double expected = 1.0 - (1.0 - g) * static_cast<double>(latency + 1 - i) / (latency + 1);
    EXPECT_NEAR(y[10000 + latency - i] / 0.1, expected, 1e-5) << i;
  }
  EXPECT_EQ(y[10000 - 1], 0.1f) << "untouched before the look-ahead";
  // Release: one-pole with an 80 ms time constant (aimed 1e-3 past unity), fully back later.
  const std::size_t after = 10000 + latency + latency;
  const std::size_t release = static_cast<std::size_t>(LookAheadLimiter::kDefaultReleaseSeconds * rate);
  EXPECT_NEAR(y[after + release] / 0.1, 1.0 - 0.751 * std::exp(-1.0), 0.01);
  EXPECT_EQ(y[47999], 0.1f);
}

TEST(LookAheadLimiter, StereoLinkedGainKeepsTheImage) {
  LookAheadLimiter limiter;
  limiter.prepare(ProcessSpec{48000.0, 512, 2});
  Stereo x(2, std::vector<float>(48000));
  for (std::size_t i = 0; i < 48000; ++i) {
    const float s = static_cast<float>(std::sin(2.0 * std::numbers::pi * 100.0 * static_cast<double>(i) / 48000.0));
    x[0][i] = 4.0f * s;  // +12 dBFS
    x[1][i] = 0.5f * s;  // 18 dB quieter, well below the ceiling
  }
  render(limiter, x, 512);
  for (std::size_t i = 24000; i < 48000; ++i) {
    if (std::fabs(x[0][i]) > 1e-3f) {
      ASSERT_NEAR(x[1][i] / x[0][i], 0.125, 1e-4) << i;
    }
  }
}

TEST(LookAheadLimiter, NonFiniteInputIsSilencedCountedAndClearedByReset) {
  LookAheadLimiter limiter;
  limiter.prepare(ProcessSpec{48000.0, 128, 2});
  std::mt19937 rng(8);
  Stereo x = loudSignal(0, 4800, 48000.0, rng);
  x[0][100] = std::numeric_limits<float>::quiet_NaN();
  x[1][200] = std::numeric_limits<float>::infinity();
  x[0][300] = -std::numeric_limits<float>::infinity();
  render(limiter, x, 128);
  EXPECT_EQ(limiter.nonFiniteSamples(), 3u);
  for (const auto& channel : x) {
    for (const float s : channel) ASSERT_TRUE(std::isfinite(s) && std::fabs(s) <= limiter.ceilingGain());
  }

  Stereo nan(2, std::vector<float>(1000, std::numeric_limits<float>::quiet_NaN()));
  render(limiter, nan, 128);
  limiter.reset();
  Stereo quiet(2, std::vector<float>(1000, 0.25f));
  render(limiter, quiet, 128);
  for (std::size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(quiet[0][i], i < limiter.latencyFrames() ? 0.0f : 0.25f) << i;
  }
  EXPECT_EQ(limiter.gainReductionDb(), 0.0);
}

TEST(LookAheadLimiter, RefusesWhatItWasNotSizedFor) {
  LookAheadLimiter limiter;
  EXPECT_THROW(limiter.prepare(ProcessSpec{768000.0, 128, 2}), core::LimitExceeded);
  EXPECT_THROW(limiter.prepare(ProcessSpec{48000.0, 128, 9}), core::LimitExceeded);
  EXPECT_THROW(limiter.prepare(ProcessSpec{48000.0, 128, 2}, 0.010), core::InvalidArgument);
  EXPECT_THROW(limiter.prepare(ProcessSpec{0.0, 128, 2}), core::InvalidArgument);
}

}  // namespace
}  // namespace woodshed::dsp
