#pragma once
// Audio files for the command-line tool: reading any file libsndfile knows into a Track, and
// writing WAV through the engine's encoder (engine/wav_encoder.h), so that the tool and the
// browser's export give the same bytes for the same settings.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "woodshed/core/memory_budget.h"
#include "woodshed/engine/engine.h"
#include "woodshed/engine/offline_render.h"
#include "woodshed/engine/track.h"
#include "woodshed/engine/wav_encoder.h"

namespace woodshed::cli {

struct InputFile {
  std::shared_ptr<engine::Track> track;
  /// The format a render keeps unless told otherwise: 16-bit for 8- and 16-bit integer
  /// sources, 24-bit for 24- and 32-bit integer ones, float for float and lossy ones.
  engine::ExportFormat format = engine::ExportFormat::Wav16;
};

/// Sample rates a file may have: the tool renders at the file's own rate, which the engine takes.
inline constexpr int kMinFileRate = static_cast<int>(engine::Engine::kMinSampleRate);
inline constexpr int kMaxFileRate = static_cast<int>(engine::Engine::kMaxSampleRate);

/// Reads `path` (WAV, FLAC, Ogg Vorbis, AIFF, ... as libsndfile knows them), mono or stereo.
/// Throws core::Error with the file's name and the reason: no audio, too many channels, a rate
/// outside kMinFileRate-kMaxFileRate, more than the memory budget, a sample that is NaN or
/// infinite (with its time), or what libsndfile says is wrong.
InputFile readAudioFile(const std::string& path, core::MemoryBudget& budget);

/// The same from `size` bytes in memory; `name` names the file in messages and the track.
InputFile readAudioBytes(const std::string& name, const std::uint8_t* bytes, std::size_t size,
                         core::MemoryBudget& budget);

/// Writes a WAV of a known length chunk by chunk into `path`.partial and, on commit(), renames
/// it to `path`, so a failed or interrupted render leaves no file behind: the destructor removes
/// the partial file, and so does SIGINT, SIGTERM or SIGHUP while one is open. One at a time.
class WavWriter final : public engine::RenderSink {
 public:
  /// Creates `path`.partial with the header of a WAV of `frames` frames. Throws what
  /// engine::wavHeader() throws (before creating anything), and core::Error naming the file
  /// and the reason when it cannot be created.
  WavWriter(const std::string& path, engine::ExportFormat format, ChannelCount channels, SampleRate sampleRate,
            std::uint64_t frames);
  ~WavWriter() override;
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;

  /// Encodes and writes `block`. Throws core::Error naming the file and the system's reason
  /// (a full disk, a file size limit) when writing fails, and when more frames come than the
  /// header announced.
  void write(const dsp::AudioBlock& block) override;
  /// Closes the file and moves it into place. Throws core::Error when fewer frames came than
  /// the header announced, or when closing or renaming fails.
  void commit();
  /// Samples above full scale that an integer format clipped.
  std::uint64_t clippedSamples() const noexcept { return encoder_.clippedSamples(); }
  /// Samples that were not on the 16-bit grid and were dithered (wav16 only).
  std::uint64_t ditheredSamples() const noexcept { return encoder_.ditheredSamples(); }

 private:
  void put(const std::uint8_t* bytes, std::size_t count);
  void discard() noexcept;

  std::string path_;
  std::string partial_;
  engine::WavSampleEncoder encoder_;
  std::uint64_t frames_;
  std::uint64_t written_ = 0;
  std::FILE* file_ = nullptr;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace woodshed::cli
