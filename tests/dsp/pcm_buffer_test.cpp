#include "woodshed/dsp/pcm_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

TEST(PcmBuffer, StoresSixteenBitRoundedAndClipped) {
  core::MemoryBudget budget("test budget", 1 << 20);
  PcmBuffer pcm(2, 4, 48000.0, budget);
  const float left[4] = {0.0f, 0.5f, -1.0f, 2.0f};
  pcm.write(0, 0, left, 4);
  EXPECT_EQ(pcm.channel(0)[1], 16384);
  EXPECT_EQ(pcm.channel(0)[2], -32768);
  EXPECT_EQ(pcm.channel(0)[3], 32767) << "clipped, not wrapped";
  EXPECT_EQ(pcm.clippedSamples(), 1u);
  EXPECT_EQ(pcm.ditheredSamples(), 0u) << "plain rounding for samples meant to sit on the grid";
  EXPECT_EQ(pcm.bytes(), 2u * 4u * 2u);
  EXPECT_EQ(budget.usedBytes(), 16u);
}

// What a browser's decoder gives for a 16-bit file (s / 32768) is stored as s, for every s.
TEST(PcmBuffer, StoresEverySixteenBitValueAsItself) {
  core::MemoryBudget budget("test budget", 1 << 20);
  PcmBuffer pcm(1, 65536, 48000.0, budget);
  std::vector<float> decoded(65536);
  for (int i = 0; i < 65536; ++i) decoded[static_cast<std::size_t>(i)] = static_cast<float>(i - 32768) / 32768.0f;
  pcm.write(0, 0, decoded.data(), decoded.size());
  int different = 0;
  for (int i = 0; i < 65536; ++i) different += pcm.channel(0)[i] != i - 32768;
  EXPECT_EQ(different, 0);
}

constexpr double kRate = 44100.0;

// What a decoder gives, stored as the import stores it: peaks first, then chunks per channel.
// (A buffer is not movable: readers may hold it while it is written. So it is built here and
// stored by storeInChunks.)
PcmBuffer decodedBuffer(core::MemoryBudget& budget, const std::vector<std::vector<float>>& channels) {
  PcmBuffer::Peaks peaks;
  for (const auto& samples : channels) peaks.include(samples.data(), samples.size());
  return PcmBuffer(static_cast<ChannelCount>(channels.size()), channels[0].size(), kRate, budget, peaks);
}

void storeInChunks(PcmBuffer& pcm, const std::vector<std::vector<float>>& channels, std::size_t chunk = 1 << 16) {
  for (ChannelCount c = 0; c < channels.size(); ++c) {
    for (std::size_t offset = 0; offset < channels[c].size(); offset += chunk) {
      pcm.write(c, offset, channels[c].data() + offset, std::min(chunk, channels[c].size() - offset));
    }
  }
}

std::vector<float> sine(std::size_t frames, double amplitude, double frequency) {
  std::vector<float> samples(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    samples[i] = static_cast<float>(amplitude * std::sin(2.0 * M_PI * frequency * static_cast<double>(i) / kRate));
  }
  return samples;
}

// The level of the `frequency` component of a stored channel, in dBFS, by correlation with the sine.
double levelDb(const PcmBuffer& pcm, ChannelCount c, double frequency) {
  double re = 0.0, im = 0.0;
  for (std::uint64_t i = 0; i < pcm.frames(); ++i) {
    const double s = static_cast<double>(pcm.channel(c)[i]) * pcm.scale();
    const double phase = 2.0 * M_PI * frequency * static_cast<double>(i) / kRate;
    re += s * std::sin(phase);
    im += s * std::cos(phase);
  }
  return 20.0 * std::log10(2.0 * std::hypot(re, im) / static_cast<double>(pcm.frames()));
}

// A 16-bit file through the browser's decoder (s / 32768), both extremes included: stored as its
// own samples at the unit scale, no dither.
TEST(PcmBuffer, DecodedSixteenBitAudioIsStoredBitExactlyAtTheUnitScale) {
  core::MemoryBudget budget("test budget", 1 << 20);
  std::vector<float> left(65536), right(65536);
  for (int i = 0; i < 65536; ++i) {
    left[static_cast<std::size_t>(i)] = static_cast<float>(i - 32768) / 32768.0f;
    right[static_cast<std::size_t>(i)] = static_cast<float>(32767 - ((i * 7919) & 0xFFFF)) / 32768.0f;
  }
  PcmBuffer pcm = decodedBuffer(budget, {left, right});
  storeInChunks(pcm, {left, right}, 4096);
  EXPECT_EQ(pcm.scale(), 1.0f / 32768.0f);
  EXPECT_EQ(pcm.ditheredSamples(), 0u);
  EXPECT_EQ(pcm.clippedSamples(), 0u);
  int different = 0;
  for (int i = 0; i < 65536; ++i) {
    different += pcm.channel(0)[i] != i - 32768;
    different += pcm.channel(1)[i] != 32767 - ((i * 7919) & 0xFFFF);
  }
  EXPECT_EQ(different, 0);
}

// Chromium's decoder gives positive 16-bit samples as s / 32767 (32767 as exactly 1.0) and
// negative ones as s / 32768: the file's own samples are stored all the same.
TEST(PcmBuffer, SixteenBitAudioAsChromiumDecodesItIsStoredAsTheFilesOwnSamples) {
  core::MemoryBudget budget("test budget", 1 << 20);
  std::vector<float> decoded(65536);
  for (int i = 0; i < 65536; ++i) {
    const int s = i - 32768;
    decoded[static_cast<std::size_t>(i)] = s > 0 ? static_cast<float>(s) / 32767.0f : static_cast<float>(s) / 32768.0f;
  }
  EXPECT_EQ(decoded.back(), 1.0f);
  PcmBuffer pcm = decodedBuffer(budget, {decoded});
  storeInChunks(pcm, {decoded}, 4096);
  EXPECT_EQ(pcm.scale(), 1.0f / 32768.0f) << "nothing beyond full scale";
  EXPECT_EQ(pcm.ditheredSamples(), 0u);
  EXPECT_EQ(pcm.clippedSamples(), 0u);
  int different = 0;
  for (int i = 0; i < 65536; ++i) different += pcm.channel(0)[i] != i - 32768;
  EXPECT_EQ(different, 0);
}

// A float file peaking at +3 dBFS (as decoders give loud masters) keeps its peak: a scale of its
// own instead of a clip at full scale.
TEST(PcmBuffer, DecodedAudioAboveFullScaleKeepsItsPeak) {
  core::MemoryBudget budget("test budget", 1 << 22);
  const double peak = std::pow(10.0, 3.0 / 20.0);
  const std::vector<float> source = sine(44100, peak, 997.0);
  PcmBuffer pcm = decodedBuffer(budget, {source});
  storeInChunks(pcm, {source});
  EXPECT_EQ(pcm.clippedSamples(), 0u);
  EXPECT_GT(pcm.scale(), 1.0f / 32768.0f);
  EXPECT_EQ(pcm.ditheredSamples(), source.size());
  double worst = 0.0, stored = 0.0, error = 0.0, signal = 0.0;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const double x = static_cast<double>(pcm.channel(0)[i]) * pcm.scale();
    worst = std::max(worst, std::fabs(x - source[i]) / pcm.scale());
    stored = std::max(stored, std::fabs(x));
    error += (x - source[i]) * (x - source[i]);
    signal += static_cast<double>(source[i]) * source[i];
  }
  EXPECT_LT(worst, 1.5) << "rounding plus dither: under a step and a half of the buffer's scale";
  EXPECT_NEAR(20.0 * std::log10(stored), 3.0, 0.01) << "the peak survives";
  const double snrDb = 10.0 * std::log10(signal / error);
  EXPECT_GT(snrDb, 90.0) << "16 bits with TPDF dither below the peak";
  std::printf("[ measured ] +3 dBFS sine stored at scale %.3g (%.4f x the unit scale): peak %.3f dBFS, error %.1f dB below the signal\n",
              pcm.scale(), pcm.scale() * 32768.0, 20.0 * std::log10(stored), snrDb);
}

// A sine of a third of a 16-bit step survives storage as a tone in the dither's noise; plain
// rounding leaves silence (with the dither taken out of write(), this measured -inf dB).
TEST(PcmBuffer, DitherKeepsASineBelowTheLastBit) {
  core::MemoryBudget budget("test budget", 1 << 22);
  const double amplitude = std::pow(10.0, -100.0 / 20.0);  // 1e-5: a third of a step (3.05e-5)
  const std::vector<float> quiet = sine(65536, amplitude, 1000.0);
  PcmBuffer pcm = decodedBuffer(budget, {quiet});
  storeInChunks(pcm, {quiet});
  EXPECT_EQ(pcm.scale(), 1.0f / 32768.0f) << "quiet material keeps the unit scale";
  EXPECT_EQ(pcm.ditheredSamples(), quiet.size());
  const double db = levelDb(pcm, 0, 1000.0);
  std::printf("[ measured ] -100 dBFS 1 kHz sine after storage: %.2f dBFS\n", db);
  EXPECT_NEAR(db, -100.0, 1.0);

  PcmBuffer rounded(1, quiet.size(), kRate, budget);
  rounded.write(0, 0, quiet.data(), quiet.size());
  EXPECT_TRUE(std::all_of(rounded.channel(0), rounded.channel(0) + quiet.size(), [](std::int16_t s) { return s == 0; }))
      << "plain rounding erases it";
}

// The noise is TPDF of one step peak-to-peak each side: the error of a stored sample lies within
// a step and a half, averages zero, and its power is rounding's (1/12) plus the dither's (1/6).
TEST(PcmBuffer, TheDitherIsTriangularOfOneStepEachWay) {
  core::MemoryBudget budget("test budget", 1 << 22);
  std::vector<float> samples(200000);
  std::uint32_t state = 12345;
  for (float& x : samples) {
    state = state * 1664525u + 1013904223u;
    x = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * 0.5f;  // off the grid, within full scale
  }
  PcmBuffer pcm = decodedBuffer(budget, {samples});
  storeInChunks(pcm, {samples});
  double sum = 0.0, power = 0.0, worst = 0.0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double e = pcm.channel(0)[i] - static_cast<double>(samples[i]) * 32768.0;
    sum += e;
    power += e * e;
    worst = std::max(worst, std::fabs(e));
  }
  const double n = static_cast<double>(samples.size());
  EXPECT_LT(worst, 1.5);
  EXPECT_NEAR(sum / n, 0.0, 0.005);
  EXPECT_NEAR(power / n, 0.25, 0.005);
}

// The dither depends on the channel and frame only: any chunking stores the same samples.
TEST(PcmBuffer, ADecodedTrackIsStoredTheSameInAnyChunking) {
  core::MemoryBudget budget("test budget", 1 << 22);
  const std::vector<float> left = sine(50000, 0.3, 440.0), right = sine(50000, 0.2, 660.0);
  PcmBuffer whole = decodedBuffer(budget, {left, right});
  storeInChunks(whole, {left, right}, 50000);
  PcmBuffer chunked = decodedBuffer(budget, {left, right});
  storeInChunks(chunked, {left, right}, 777);
  EXPECT_TRUE(std::equal(whole.channel(0), whole.channel(0) + 2 * 50000, chunked.channel(0)));
  EXPECT_FALSE(std::equal(whole.channel(0), whole.channel(0) + 50000, whole.channel(1))) << "channels get their own noise";
}

// Silence (a chunk on the grid) stays digital silence even inside a dithered track.
TEST(PcmBuffer, AChunkOnTheGridIsStoredExactlyInsideADitheredTrack) {
  core::MemoryBudget budget("test budget", 1 << 22);
  std::vector<float> samples = sine(8192, 1.2, 440.0);  // above full scale: a scale of its own
  std::fill(samples.begin(), samples.begin() + 4096, 0.0f);
  PcmBuffer pcm = decodedBuffer(budget, {samples});
  storeInChunks(pcm, {samples}, 4096);
  EXPECT_TRUE(std::all_of(pcm.channel(0), pcm.channel(0) + 4096, [](std::int16_t s) { return s == 0; }));
  EXPECT_EQ(pcm.ditheredSamples(), 4096u);
}

TEST(PcmBuffer, RefusesNonFinitePeaks) {
  core::MemoryBudget budget("test budget", 1 << 20);
  EXPECT_THROW(PcmBuffer(1, 100, kRate, budget, PcmBuffer::Peaks{-1.0f, std::numeric_limits<float>::infinity()}),
               core::InvalidArgument);
  EXPECT_EQ(budget.usedBytes(), 0u);
}

TEST(PcmBuffer, RefusesNonFiniteSamplesNamingWhere) {
  core::MemoryBudget budget("test budget", 1 << 20);
  PcmBuffer pcm(1, 48000, 48000.0, budget);
  std::vector<float> samples(48000, 0.1f);
  samples[24000] = std::numeric_limits<float>::quiet_NaN();
  try {
    pcm.write(0, 0, samples.data(), samples.size());
    FAIL() << "NaN accepted";
  } catch (const core::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("invalid samples (NaN or infinity)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("0.500 s"), std::string::npos) << e.what();
  }
}

TEST(PcmBuffer, RefusesShapesItCannotHold) {
  core::MemoryBudget budget("test budget", 1 << 20);
  EXPECT_THROW(PcmBuffer(0, 100, 44100.0, budget), core::InvalidArgument);
  EXPECT_THROW(PcmBuffer(3, 100, 44100.0, budget), core::InvalidArgument);
  EXPECT_THROW(PcmBuffer(2, 0, 44100.0, budget), core::InvalidArgument);
  EXPECT_THROW(PcmBuffer(2, 100, 0.0, budget), core::InvalidArgument);
  EXPECT_EQ(budget.usedBytes(), 0u);
}

TEST(PcmBuffer, StaysWithinItsBudgetAndReturnsItWhenFreed) {
  core::MemoryBudget budget("audio memory budget", 1000);
  {
    PcmBuffer first(1, 400, 44100.0, budget);  // 800 bytes
    try {
      PcmBuffer second(1, 200, 44100.0, budget);
      FAIL() << "over budget";
    } catch (const core::LimitExceeded& e) {
      EXPECT_EQ(e.limitName(), "audio memory budget");
      EXPECT_NE(std::string(e.what()).find("needs"), std::string::npos);
    }
    EXPECT_EQ(budget.usedBytes(), 800u);
  }
  EXPECT_EQ(budget.usedBytes(), 0u);
}

}  // namespace
}  // namespace woodshed::dsp
