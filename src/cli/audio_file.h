#pragma once
// Audio files for the command-line tool, through libsndfile: reading a file into a Track, and
// writing WAV in the formats Woodshed exports ('wav16' with TPDF dither, 'wav24', 'wav32f').

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "woodshed/core/memory_budget.h"
#include "woodshed/engine/offline_render.h"
#include "woodshed/engine/track.h"

struct sf_private_tag;

namespace woodshed::cli {

/// The one audio format enum of the API conventions.
enum class SampleFormat { Wav16, Wav24, Wav32f };

/// "wav16", "wav24", "wav32f"; false for anything else.
bool parseSampleFormat(const std::string& name, SampleFormat& out) noexcept;
const char* toString(SampleFormat format) noexcept;

struct InputFile {
  std::shared_ptr<engine::Track> track;
  /// The format a render keeps unless told otherwise: 16-bit for 8- and 16-bit integer
  /// sources, 24-bit for 24- and 32-bit integer ones, float for float and lossy ones.
  SampleFormat format = SampleFormat::Wav16;
};

/// Reads `path` (WAV, FLAC, Ogg Vorbis, AIFF, ... as libsndfile knows them), mono or stereo.
/// Throws core::Error with the file's name and the reason.
InputFile readAudioFile(const std::string& path, core::MemoryBudget& budget);

/// Writes WAV chunk by chunk into `path`.partial and, on commit(), renames it to `path`, so a
/// failed or interrupted render leaves no file behind (the destructor removes the partial one).
class WavWriter final : public engine::RenderSink {
 public:
  WavWriter(const std::string& path, SampleFormat format, ChannelCount channels, SampleRate sampleRate);
  ~WavWriter() override;
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;

  void write(const dsp::AudioBlock& block) override;
  /// Closes the file and moves it into place. Throws core::Error when that fails.
  void commit();
  /// Samples above full scale that an integer format clipped.
  std::uint64_t clippedSamples() const noexcept { return clipped_; }
  /// Samples that were not on the 16-bit grid and were dithered (wav16 only).
  std::uint64_t ditheredSamples() const noexcept { return dithered_; }

 private:
  std::string path_;
  std::string partial_;
  SampleFormat format_;
  ChannelCount channels_;
  sf_private_tag* file_ = nullptr;  // libsndfile's SNDFILE
  std::unique_ptr<std::int32_t[]> interleaved_;
  std::size_t capacity_ = 0;
  std::uint64_t clipped_ = 0;
  std::uint64_t dithered_ = 0;
  std::minstd_rand random_{20260207};
};

}  // namespace woodshed::cli
