#include "woodshed/dsp/rate_converter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::dsp {
namespace {

std::vector<float> tone(double frequency, double rate, std::size_t frames, double amplitude = 0.5) {
  std::vector<float> samples(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    samples[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * frequency * static_cast<double>(i) / rate));
  }
  return samples;
}

std::vector<float> convertWhole(const std::vector<float>& in, double from, double to) {
  RateConverter converter(from, to, in.size());
  std::vector<float> out;
  converter.push(in.data(), in.size(), out);
  converter.finish(out);
  return out;
}

double rms(const float* samples, std::size_t count) {
  double sum = 0.0;
  for (std::size_t i = 0; i < count; ++i) sum += static_cast<double>(samples[i]) * samples[i];
  return std::sqrt(sum / static_cast<double>(count));
}

// A song at 44.1 kHz stored at 48 kHz: a low and a high tone come out as the same tones at
// the new rate, the error against the ideal ones (away from the edges) far below the 16-bit floor.
TEST(RateConverter, UpsamplingGivesTheSameTonesAtTheNewRate) {
  for (const double frequency : {1000.0, 15000.0}) {
    const std::vector<float> out = convertWhole(tone(frequency, 44100.0, 88200), 44100.0, 48000.0);
    ASSERT_EQ(out.size(), 96000u);
    const std::vector<float> ideal = tone(frequency, 48000.0, 96000);
    std::vector<float> error(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) error[i] = out[i] - ideal[i];
    const std::size_t edge = 2000;
    const double errorDb = 20.0 * std::log10(rms(error.data() + edge, error.size() - 2 * edge) / (0.5 / std::numbers::sqrt2));
    std::printf("[ measure  ] 44.1 -> 48 kHz, %.0f Hz: error %.1f dB\n", frequency, errorDb);
    EXPECT_LT(errorDb, -90.0) << frequency;
  }
}

// Going down, what the new rate cannot hold is removed, not folded back as a false tone; what it
// can hold passes at its level.
TEST(RateConverter, DownsamplingRemovesWhatTheNewRateCannotHold) {
  const std::vector<float> high = convertWhole(tone(30000.0, 96000.0, 192000), 96000.0, 44100.0);
  ASSERT_EQ(high.size(), 88200u);
  const double aliasDb = 20.0 * std::log10(rms(high.data() + 2000, high.size() - 4000) / (0.5 / std::numbers::sqrt2));
  const std::vector<float> low = convertWhole(tone(5000.0, 96000.0, 192000), 96000.0, 44100.0);
  const double passDb = 20.0 * std::log10(rms(low.data() + 2000, low.size() - 4000) / (0.5 / std::numbers::sqrt2));
  std::printf("[ measure  ] 96 -> 44.1 kHz: a 30 kHz tone comes out at %.1f dB, a 5 kHz one at %+.4f dB\n", aliasDb, passDb);
  EXPECT_LT(aliasDb, -90.0);
  EXPECT_NEAR(passDb, 0.0, 0.01);
}

// The import feeds the decoder's chunks as they come: any chunking gives the same samples.
TEST(RateConverter, ChunksOfAnySizeGiveTheSameSamplesAsTheWhole) {
  std::mt19937 random(7);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  std::vector<float> in(100000);
  for (float& x : in) x = noise(random);
  for (const auto& [from, to] : {std::pair{44100.0, 48000.0}, std::pair{48000.0, 44100.0}, std::pair{22050.0, 48000.0}}) {
    const std::vector<float> whole = convertWhole(in, from, to);
    RateConverter converter(from, to, in.size());
    std::vector<float> chunked;
    std::uniform_int_distribution<std::size_t> size(1, 5000);
    for (std::size_t at = 0; at < in.size();) {
      const std::size_t n = std::min(size(random), in.size() - at);
      converter.push(in.data() + at, n, chunked);
      at += n;
    }
    converter.finish(chunked);
    ASSERT_EQ(chunked.size(), RateConverter::outputFrames(in.size(), from, to));
    EXPECT_TRUE(chunked == whole) << from << " -> " << to;
  }
}

// A song's channels: one converter copied per channel (sharing its kernel table) converts each
// channel as a converter of its own would, whichever is fed first and in whatever chunks.
TEST(RateConverter, CopiesConvertEachChannelAsAConverterOfItsOwn) {
  std::mt19937 random(11);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  std::vector<float> left(30000), right(30000);
  for (float& x : left) x = noise(random);
  for (float& x : right) x = noise(random);
  const RateConverter first(44100.0, 48000.0, left.size());
  std::vector<RateConverter> channels(2, first);
  std::vector<float> outLeft, outRight;
  for (std::size_t at = 0; at < left.size(); at += 7000) {
    const std::size_t n = std::min<std::size_t>(7000, left.size() - at);
    channels[1].push(right.data() + at, n, outRight);
    channels[0].push(left.data() + at, n, outLeft);
  }
  channels[0].finish(outLeft);
  channels[1].finish(outRight);
  EXPECT_TRUE(outLeft == convertWhole(left, 44100.0, 48000.0));
  EXPECT_TRUE(outRight == convertWhole(right, 44100.0, 48000.0));
  EXPECT_EQ(channels[1].peakGain(), first.peakGain());
}

TEST(RateConverter, TakesWholeRatesWhoseRatioItCanTabulateAndSaysWhyNot) {
  EXPECT_TRUE(RateConverter::supports(44100.0, 48000.0));
  EXPECT_TRUE(RateConverter::supports(8000.0, 44100.0));
  EXPECT_FALSE(RateConverter::supports(44100.0, 44101.0)) << "44101 phases";
  EXPECT_FALSE(RateConverter::supports(44100.5, 48000.0));
  EXPECT_FALSE(RateConverter::supports(0.0, 48000.0));
  EXPECT_THROW(RateConverter(44100.0, 44101.0, 10), core::InvalidArgument);
  RateConverter converter(44100.0, 48000.0, 10);
  std::vector<float> out;
  const std::vector<float> eleven(11, 0.0f);
  EXPECT_THROW(converter.push(eleven.data(), eleven.size(), out), core::InvalidArgument);
}

// The import widens a song's peaks by peakGain(), so nothing the conversion makes is clipped:
// a full-scale square wave (the worst ripple) stays within it.
TEST(RateConverter, NoOutputGoesBeyondThePeakGain) {
  std::vector<float> square(44100);
  for (std::size_t i = 0; i < square.size(); ++i) square[i] = (i / 50) % 2 == 0 ? 1.0f : -1.0f;
  RateConverter converter(44100.0, 48000.0, square.size());
  std::vector<float> out;
  converter.push(square.data(), square.size(), out);
  converter.finish(out);
  float peak = 0.0f;
  for (const float x : out) peak = std::max(peak, std::fabs(x));
  std::printf("[ measure  ] a full-scale square wave peaks at %.4f after conversion; bound %.4f\n", peak, converter.peakGain());
  EXPECT_GT(peak, 1.0f) << "the ripple overshoots";
  EXPECT_LE(peak, converter.peakGain());
}

}  // namespace
}  // namespace woodshed::dsp
