// libFuzzer target: any bytes through the command-line tool's audio reader (cli::readAudioBytes,
// libsndfile underneath). A file is read, or refused with core::Error; any other exception, a
// crash, a sanitizer report, or a read track that breaks what the engine relies on is a finding.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "cli/audio_file.h"
#include "woodshed/core/error.h"

namespace {

/// A fuzz input is small: a budget like a phone's keeps a header's absurd length a refusal.
constexpr std::uint64_t kBudgetBytes = 64ull << 20;

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "audio_file_fuzz: %s\n", what);
  std::abort();
}

void checkTrack(const woodshed::cli::InputFile& input) {
  const auto& track = *input.track;
  if (track.sources().size() != 1) finding("a read file is not one source");
  const auto& pcm = *track.sources()[0].pcm;
  if (pcm.channels() < 1 || pcm.channels() > 2) finding("channels outside 1-2");
  if (pcm.frames() < 1) finding("a read file has no frames");
  if (!(pcm.sampleRate() >= woodshed::cli::kMinFileRate && pcm.sampleRate() <= woodshed::cli::kMaxFileRate)) {
    finding("a sample rate outside the limits was read");
  }
  if (!std::isfinite(pcm.scale()) || !(pcm.scale() > 0)) finding("the storage scale is not a positive number");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  woodshed::core::MemoryBudget budget("fuzz", kBudgetBytes);
  try {
    checkTrack(woodshed::cli::readAudioBytes("fuzz.wav", data, size, budget));
  } catch (const woodshed::core::Error&) {
    // Refused with a message: what bad input should get.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "audio_file_fuzz: escaped as %s\n", e.what());
    std::abort();
  }
  if (budget.usedBytes() != 0) finding("memory was still reserved after the track was released");
  return 0;
}
