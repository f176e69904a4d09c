// libFuzzer target, differential: samples the fuzzer chooses are written as a WAV by the
// engine's encoder (what an export writes) and read back by the command-line tool's reader.
// The header must describe what follows (format, channels, rate, length), and every sample must
// come back: exactly from a 16-bit file, within two steps of the storage's scale otherwise.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cli/audio_file.h"
#include "woodshed/core/error.h"
#include "woodshed/engine/wav_encoder.h"

namespace {

using woodshed::engine::ExportFormat;

[[noreturn]] void finding(const char* what, std::uint64_t frame = 0) {
  std::fprintf(stderr, "wav_round_trip_fuzz: %s (frame %llu)\n", what, static_cast<unsigned long long>(frame));
  std::abort();
}

constexpr std::array<double, 6> kRates{8000, 22050, 44100, 48000, 96000, 192000};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const ExportFormat format = std::array{ExportFormat::Wav16, ExportFormat::Wav24, ExportFormat::Wav32f}[data[0] % 3];
  const woodshed::ChannelCount channels = 1 + data[1] % 2;
  const double rate = kRates[data[2] % kRates.size()];
  // The rest: 16-bit samples, interleaved; at least one frame.
  const std::uint64_t frames = (size - 3) / (2 * channels);
  if (frames == 0) return 0;
  std::vector<std::vector<float>> planar(channels, std::vector<float>(frames));
  for (std::uint64_t i = 0; i < frames; ++i) {
    for (woodshed::ChannelCount c = 0; c < channels; ++c) {
      const std::size_t at = 3 + 2 * (i * channels + c);
      const auto value = static_cast<std::int16_t>(data[at] | (data[at + 1] << 8));
      planar[c][i] = static_cast<float>(value) / 32768.0f;
    }
  }

  const auto header = woodshed::engine::wavHeader(format, channels, rate, frames);
  woodshed::engine::WavSampleEncoder encoder(format, channels);
  std::vector<std::uint8_t> file(header.begin(), header.end());
  file.resize(header.size() + frames * encoder.frameBytes());
  std::array<float*, 2> pointers{planar[0].data(), planar[channels - 1].data()};
  const woodshed::dsp::AudioBlock block{pointers.data(), channels, static_cast<woodshed::FrameCount>(frames)};
  encoder.encode(block, file.data() + header.size());

  woodshed::core::MemoryBudget budget("fuzz", 64ull << 20);
  woodshed::cli::InputFile input;
  try {
    input = woodshed::cli::readAudioBytes("round-trip.wav", file.data(), file.size(), budget);
  } catch (const woodshed::core::Error& e) {
    std::fprintf(stderr, "wav_round_trip_fuzz: the encoder's file was refused: %s\n", e.what());
    std::abort();
  }
  const auto& pcm = *input.track->sources()[0].pcm;
  if (pcm.channels() != channels) finding("the channels differ");
  if (pcm.frames() != frames) finding("the length differs");
  if (pcm.sampleRate() != rate) finding("the rate differs");
  const float step = pcm.scale();
  for (woodshed::ChannelCount c = 0; c < channels; ++c) {
    const std::int16_t* stored = pcm.channel(c);
    for (std::uint64_t i = 0; i < frames; ++i) {
      const float back = static_cast<float>(stored[i]) * step;
      const float error = std::fabs(back - planar[c][i]);
      if (format == ExportFormat::Wav16 ? error != 0.0f : !(error <= 2.0f * step)) finding("a sample came back wrong", i);
    }
  }
  return 0;
}
