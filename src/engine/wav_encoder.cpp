#include "woodshed/engine/wav_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "woodshed/core/error.h"
#include "woodshed/engine/settings.h"

namespace woodshed::engine {
namespace {

constexpr double k16BitScale = 32768.0;
constexpr double k24BitScale = 8388608.0;
/// How far (in 16-bit steps) a sample may be from the grid and still count as on it: a gain
/// of exactly 1 leaves samples on it, float rounding elsewhere a few thousandths off.
constexpr double kGridTolerance = 0.01;

void put16(std::uint8_t* at, std::uint32_t v) noexcept {
  at[0] = static_cast<std::uint8_t>(v);
  at[1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(std::uint8_t* at, std::uint32_t v) noexcept {
  put16(at, v);
  put16(at + 2, v >> 16);
}

}  // namespace

bool parseExportFormat(const std::string& name, ExportFormat& out) noexcept {
  if (name == "wav16") out = ExportFormat::Wav16;
  else if (name == "wav24") out = ExportFormat::Wav24;
  else if (name == "wav32f") out = ExportFormat::Wav32f;
  else return false;
  return true;
}

const char* toString(ExportFormat format) noexcept {
  switch (format) {
    case ExportFormat::Wav16: return "wav16";
    case ExportFormat::Wav24: return "wav24";
    case ExportFormat::Wav32f: return "wav32f";
  }
  return "?";
}

std::size_t bytesPerSample(ExportFormat format) noexcept {
  switch (format) {
    case ExportFormat::Wav16: return 2;
    case ExportFormat::Wav24: return 3;
    case ExportFormat::Wav32f: return 4;
  }
  return 4;
}

std::array<std::uint8_t, kWavHeaderBytes> wavHeader(ExportFormat format, ChannelCount channels, SampleRate sampleRate,
                                                    std::uint64_t frames) {
  if (channels < 1 || channels > 2) {
    throw core::InvalidArgument("a WAV export has 1 or 2 channels, got " + std::to_string(channels));
  }
  const std::size_t frameBytes = bytesPerSample(format) * channels;
  if (frames > kMaxWavDataBytes / frameBytes) {
    const double limitMinutes = static_cast<double>(kMaxWavDataBytes / frameBytes) / sampleRate / 60.0;
    throw core::LimitExceeded("WAV data size", kMaxWavDataBytes,
                              "a " + std::string(toString(format)) + " file holds at most " +
                                  formatNumber(std::floor(limitMinutes)) + " minutes of this audio (a WAV stays under 4 GiB); "
                                  "export a shorter region or a smaller format");
  }
  const auto dataBytes = static_cast<std::uint32_t>(frames * frameBytes);
  const auto rate = static_cast<std::uint32_t>(std::lround(sampleRate));
  std::array<std::uint8_t, kWavHeaderBytes> h{};
  std::memcpy(h.data(), "RIFF", 4);
  put32(h.data() + 4, dataBytes + static_cast<std::uint32_t>(kWavHeaderBytes - 8));
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put32(h.data() + 16, 16);
  put16(h.data() + 20, format == ExportFormat::Wav32f ? 3 : 1);  // IEEE float or PCM
  put16(h.data() + 22, channels);
  put32(h.data() + 24, rate);
  put32(h.data() + 28, rate * static_cast<std::uint32_t>(frameBytes));
  put16(h.data() + 32, static_cast<std::uint32_t>(frameBytes));
  put16(h.data() + 34, static_cast<std::uint32_t>(8 * bytesPerSample(format)));
  std::memcpy(h.data() + 36, "data", 4);
  put32(h.data() + 40, dataBytes);
  return h;
}

WavSampleEncoder::WavSampleEncoder(ExportFormat format, ChannelCount channels, std::uint32_t ditherSeed)
    : format_(format), channels_(channels), frameBytes_(bytesPerSample(format) * channels),
      // The Park-Miller generator's state is 1..2^31-2.
      random_(ditherSeed % 2147483646u + 1u) {
  if (channels < 1 || channels > 2) {
    throw core::InvalidArgument("a WAV export has 1 or 2 channels, got " + std::to_string(channels));
  }
}

double WavSampleEncoder::nextUniform() noexcept {
  random_ = static_cast<std::uint32_t>((std::uint64_t{random_} * 48271u) % 2147483647u);
  return (static_cast<double>(random_) - 1.0) / 2147483646.0 - 0.5;  // [-0.5, 0.5]
}

std::size_t WavSampleEncoder::encode(const dsp::AudioBlock& block, std::uint8_t* out) noexcept {
  const FrameCount frames = block.numFrames;
  const ChannelCount channels = std::min(channels_, block.numChannels);
  if (format_ == ExportFormat::Wav32f) {
    for (FrameCount i = 0; i < frames; ++i) {
      for (ChannelCount c = 0; c < channels_; ++c) {
        const float x = block.channels[std::min<ChannelCount>(c, channels - 1)][i];
        std::uint32_t bits;
        std::memcpy(&bits, &x, 4);
        put32(out + i * frameBytes_ + c * 4, bits);
      }
    }
  } else if (format_ == ExportFormat::Wav24) {
    for (FrameCount i = 0; i < frames; ++i) {
      for (ChannelCount c = 0; c < channels_; ++c) {
        const double v = std::nearbyint(double{block.channels[std::min<ChannelCount>(c, channels - 1)][i]} * k24BitScale);
        if (v > k24BitScale - 1.0 || v < -k24BitScale) ++clipped_;
        const auto s = static_cast<std::uint32_t>(static_cast<std::int32_t>(std::clamp(v, -k24BitScale, k24BitScale - 1.0)));
        std::uint8_t* at = out + i * frameBytes_ + c * 3;
        at[0] = static_cast<std::uint8_t>(s);
        at[1] = static_cast<std::uint8_t>(s >> 8);
        at[2] = static_cast<std::uint8_t>(s >> 16);
      }
    }
  } else {
    // A chunk already on the 16-bit grid (a 16-bit song at neutral settings) keeps its
    // samples; any other gets TPDF dither of one step peak to peak per side, so that what lies
    // between the steps (a quiet tail, a fade) stays as noise instead of vanishing.
    bool onGrid = true;
    for (ChannelCount c = 0; c < channels && onGrid; ++c) {
      for (FrameCount i = 0; i < frames; ++i) {
        const double v = double{block.channels[c][i]} * k16BitScale;
        if (std::fabs(v - std::nearbyint(v)) > kGridTolerance) {
          onGrid = false;
          break;
        }
      }
    }
    for (FrameCount i = 0; i < frames; ++i) {
      for (ChannelCount c = 0; c < channels_; ++c) {
        double v = double{block.channels[std::min<ChannelCount>(c, channels - 1)][i]} * k16BitScale;
        if (!onGrid) {
          v += nextUniform() + nextUniform();
          ++dithered_;
        }
        v = std::nearbyint(v);
        if (v > k16BitScale - 1.0 || v < -k16BitScale) ++clipped_;
        const auto s = static_cast<std::uint32_t>(static_cast<std::int32_t>(std::clamp(v, -k16BitScale, k16BitScale - 1.0)));
        put16(out + i * frameBytes_ + c * 2, s);
      }
    }
  }
  return std::size_t{frames} * frameBytes_;
}

}  // namespace woodshed::engine
