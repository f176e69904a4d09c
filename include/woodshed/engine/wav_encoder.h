#pragma once
// WAV files as Woodshed exports them, byte for byte the same from the command-line tool and
// the browser: a 44-byte header and interleaved little-endian samples.
//
// The three formats of the API conventions: 'wav16' (TPDF dither where a chunk is not already
// on the 16-bit grid), 'wav24' (rounded), 'wav32f' (the float samples as they are). Full scale
// is 2^15 and 2^23 steps, as 16- and 24-bit files and the browser's decoder have it, so a
// 16-bit song at neutral settings exports as its own samples in every format.
//
// The dither's noise comes from the encoder's own seeded generator (not <random>'s
// distributions, which differ between standard libraries), so a native and a wasm render of
// the same settings agree bit for bit.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "woodshed/dsp/process_spec.h"

namespace woodshed::engine {

enum class ExportFormat { Wav16, Wav24, Wav32f };

/// "wav16", "wav24", "wav32f"; false for anything else.
bool parseExportFormat(const std::string& name, ExportFormat& out) noexcept;
const char* toString(ExportFormat format) noexcept;
/// Bytes one sample takes in the file: 2, 3 or 4.
std::size_t bytesPerSample(ExportFormat format) noexcept;

inline constexpr std::size_t kWavHeaderBytes = 44;
/// Limit: a WAV's sizes are 32-bit, so its data stays under 4 GiB (about 3 hours of stereo
/// 48 kHz float, 6 hours of 16-bit).
inline constexpr std::uint64_t kMaxWavDataBytes = 0xFFFFFFFFull - (kWavHeaderBytes - 8);

/// The header of a WAV holding `frames` frames. Throws LimitExceeded, naming the duration,
/// when the data would not fit kMaxWavDataBytes; InvalidArgument for 0 or more than 2 channels.
std::array<std::uint8_t, kWavHeaderBytes> wavHeader(ExportFormat format, ChannelCount channels, SampleRate sampleRate,
                                                    std::uint64_t frames);

/// Converts planar float blocks to a WAV's interleaved samples. One per file: the dither's
/// generator runs on from block to block.
class WavSampleEncoder {
 public:
  /// The seed every export starts from, so that a render is reproducible.
  static constexpr std::uint32_t kDitherSeed = 20260207;

  WavSampleEncoder(ExportFormat format, ChannelCount channels, std::uint32_t ditherSeed = kDitherSeed);

  ExportFormat format() const noexcept { return format_; }
  /// Bytes per frame in the file.
  std::size_t frameBytes() const noexcept { return frameBytes_; }
  /// Writes `block` (block.numChannels must be channels()) interleaved into `out`, which holds
  /// block.numFrames * frameBytes() bytes; returns the bytes written. Samples above full scale
  /// are clipped in the integer formats and counted. Wait-free, no allocation.
  std::size_t encode(const dsp::AudioBlock& block, std::uint8_t* out) noexcept;

  /// Samples above full scale that an integer format clipped.
  std::uint64_t clippedSamples() const noexcept { return clipped_; }
  /// Samples that were dithered (wav16 chunks not already on the 16-bit grid).
  std::uint64_t ditheredSamples() const noexcept { return dithered_; }

 private:
  double nextUniform() noexcept;

  ExportFormat format_;
  ChannelCount channels_;
  std::size_t frameBytes_;
  std::uint32_t random_;
  std::uint64_t clipped_ = 0;
  std::uint64_t dithered_ = 0;
};

}  // namespace woodshed::engine
