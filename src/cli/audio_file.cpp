#include "cli/audio_file.h"

#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::cli {

namespace {

/// Frames read from a file at once.
constexpr sf_count_t kReadFrames = 1 << 16;

std::string reason(SNDFILE* file) { return sf_strerror(file); }
std::string systemReason(int error) { return std::strerror(error); }

// The partial file that SIGINT, SIGTERM or SIGHUP removes before the process ends: set while a
// WavWriter holds one. The handler only reads these, with calls that are async-signal-safe
// (a lock-free atomic load, unlink, raise).
char partialPath[4096];
std::atomic<bool> partialArmed{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void removePartialAndRaise(int signal) {
  if (partialArmed.load(std::memory_order_acquire)) ::unlink(partialPath);
  // SA_RESETHAND restored the default action; the signal is delivered once this returns.
  std::raise(signal);
}

void armPartial(const std::string& path) noexcept {
  partialArmed.store(false, std::memory_order_release);
  if (path.size() >= sizeof partialPath) return;  // not removed on a signal; the destructor still does
  std::memcpy(partialPath, path.c_str(), path.size() + 1);
  struct sigaction action{};
  action.sa_handler = removePartialAndRaise;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal, &action, nullptr);
  partialArmed.store(true, std::memory_order_release);
}

void disarmPartial() noexcept { partialArmed.store(false, std::memory_order_release); }

}  // namespace

namespace {

/// Bytes in memory as libsndfile's virtual I/O sees them.
struct MemoryFile {
  const std::uint8_t* data;
  sf_count_t size;
  sf_count_t position = 0;
};

sf_count_t memoryLength(void* user) { return static_cast<MemoryFile*>(user)->size; }
sf_count_t memorySeek(sf_count_t offset, int whence, void* user) {
  auto& file = *static_cast<MemoryFile*>(user);
  sf_count_t to = offset;
  if (whence == SEEK_CUR) to = file.position + offset;
  else if (whence == SEEK_END) to = file.size + offset;
  if (to < 0 || to > file.size) return -1;
  return file.position = to;
}
sf_count_t memoryRead(void* destination, sf_count_t count, void* user) {
  auto& file = *static_cast<MemoryFile*>(user);
  const sf_count_t n = std::max<sf_count_t>(0, std::min(count, file.size - file.position));
  if (n > 0) std::memcpy(destination, file.data + file.position, static_cast<std::size_t>(n));
  file.position += n;
  return n;
}
sf_count_t memoryWrite(const void*, sf_count_t, void*) { return 0; }
sf_count_t memoryTell(void* user) { return static_cast<MemoryFile*>(user)->position; }

/// The first sample that is not a finite number in `count` interleaved samples, or -1.
std::int64_t firstInvalid(const float* samples, std::uint64_t count) noexcept {
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!std::isfinite(samples[i])) return static_cast<std::int64_t>(i);
  }
  return -1;
}

/// Reads an opened file into a Track named `name`; messages start with `label` (the path).
InputFile readOpened(SNDFILE* file, const SF_INFO& info, const std::string& label, const std::string& name,
                     core::MemoryBudget& budget) {
  struct Closer {
    SNDFILE* file;
    ~Closer() { sf_close(file); }
  } closer{file};
  if (info.channels < 1 || info.channels > static_cast<int>(dsp::PcmBuffer::kMaxChannels)) {
    throw core::Error(label + ": has " + std::to_string(info.channels) + " channels; Woodshed reads mono and stereo");
  }
  if (info.frames < 1) throw core::Error(label + ": has no audio");
  if (info.samplerate < static_cast<int>(kMinFileRate) || info.samplerate > static_cast<int>(kMaxFileRate)) {
    throw core::Error(label + ": its sample rate of " + std::to_string(info.samplerate) + " Hz is outside " +
                      std::to_string(kMinFileRate) + "-" + std::to_string(kMaxFileRate) + " Hz");
  }
  const auto channels = static_cast<ChannelCount>(info.channels);
  const int subtype = info.format & SF_FORMAT_SUBMASK;
  const bool sixteenBit = subtype == SF_FORMAT_PCM_16 || subtype == SF_FORMAT_PCM_S8 || subtype == SF_FORMAT_PCM_U8;
  const auto invalidAt = [&](std::uint64_t frame) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(frame) / info.samplerate);
    return core::Error(label + ": the audio contains invalid samples (NaN or infinity), the first at " + seconds + " s");
  };
  // Other sources are stored as the app stores them (dsp::PcmBuffer): scaled to their peaks,
  // so overs survive, with dither, so detail below the last bit does. A first pass finds the
  // peaks, and refuses samples that are not numbers (as the app does).
  std::shared_ptr<dsp::PcmBuffer> pcm;
  try {
    if (sixteenBit) {
      pcm = std::make_shared<dsp::PcmBuffer>(channels, static_cast<std::uint64_t>(info.frames),
                                             static_cast<SampleRate>(info.samplerate), budget);
    } else {
      dsp::PcmBuffer::Peaks peaks;
      std::vector<float> block(static_cast<std::size_t>(kReadFrames) * channels);
      std::uint64_t frame = 0;
      for (sf_count_t got; (got = sf_readf_float(file, block.data(), kReadFrames)) > 0;) {
        const auto count = static_cast<std::uint64_t>(got) * channels;
        if (const auto at = firstInvalid(block.data(), count); at >= 0) throw invalidAt(frame + static_cast<std::uint64_t>(at) / channels);
        peaks.include(block.data(), count);
        frame += static_cast<std::uint64_t>(got);
      }
      if (sf_seek(file, 0, SEEK_SET) != 0) throw core::Error(label + ": could not be read twice (" + reason(file) + ")");
      pcm = std::make_shared<dsp::PcmBuffer>(channels, static_cast<std::uint64_t>(info.frames),
                                             static_cast<SampleRate>(info.samplerate), budget, peaks);
    }
  } catch (const core::LimitExceeded& e) {
    throw core::Error(label + ": " + e.what());
  } catch (const core::InvalidArgument& e) {
    throw core::Error(label + ": " + e.what());
  }
  InputFile input;
  if (subtype == SF_FORMAT_PCM_24 || subtype == SF_FORMAT_PCM_32) input.format = engine::ExportFormat::Wav24;
  else if (!sixteenBit) input.format = engine::ExportFormat::Wav32f;

  // 16-bit sources are read as integers: s / 32768 is exact in float, and the storage's scale
  // is the same 32768, so the samples stored are the file's own exactly.
  std::vector<short> shorts(sixteenBit ? static_cast<std::size_t>(kReadFrames) * channels : 0);
  std::vector<float> interleaved(static_cast<std::size_t>(kReadFrames) * channels);
  std::vector<float> planar(static_cast<std::size_t>(kReadFrames));
  std::uint64_t offset = 0;
  const auto frames = static_cast<std::uint64_t>(info.frames);
  for (;;) {
    // Never more than the header announced: the buffer holds that many.
    const auto want = static_cast<sf_count_t>(std::min<std::uint64_t>(kReadFrames, frames - offset));
    if (want == 0) break;
    sf_count_t got = 0;
    if (sixteenBit) {
      got = sf_readf_short(file, shorts.data(), want);
      for (sf_count_t i = 0; i < got * channels; ++i) {
        interleaved[static_cast<std::size_t>(i)] = static_cast<float>(shorts[static_cast<std::size_t>(i)]) / dsp::PcmBuffer::kScale;
      }
    } else {
      got = sf_readf_float(file, interleaved.data(), want);
    }
    if (got <= 0) break;
    for (ChannelCount c = 0; c < channels; ++c) {
      for (sf_count_t i = 0; i < got; ++i) planar[static_cast<std::size_t>(i)] = interleaved[static_cast<std::size_t>(i * channels + c)];
      try {
        pcm->write(c, offset, planar.data(), static_cast<std::uint64_t>(got));  // refuses NaN, with its time
      } catch (const core::InvalidArgument& e) {
        throw core::Error(label + ": " + e.what());
      }
    }
    offset += static_cast<std::uint64_t>(got);
  }
  if (sf_error(file) != SF_ERR_NO_ERROR) throw core::Error(label + ": " + reason(file));
  if (offset == 0) throw core::Error(label + ": has no audio");
  input.track = std::make_shared<engine::Track>(1, name, std::vector<engine::TrackSource>{{"mix", std::move(pcm)}});
  return input;
}

}  // namespace

InputFile readAudioFile(const std::string& path, core::MemoryBudget& budget) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) throw core::Error(path + ": " + reason(nullptr));
  return readOpened(file, info, path, path.substr(path.find_last_of('/') + 1), budget);
}

InputFile readAudioBytes(const std::string& name, const std::uint8_t* bytes, std::size_t size,
                         core::MemoryBudget& budget) {
  SF_VIRTUAL_IO io{memoryLength, memorySeek, memoryRead, memoryWrite, memoryTell};
  MemoryFile memory{bytes, static_cast<sf_count_t>(size)};
  SF_INFO info{};
  SNDFILE* file = sf_open_virtual(&io, SFM_READ, &info, &memory);
  if (file == nullptr) throw core::Error(name + ": " + reason(nullptr));
  return readOpened(file, info, name, name, budget);
}

WavWriter::WavWriter(const std::string& path, engine::ExportFormat format, ChannelCount channels,
                     SampleRate sampleRate, std::uint64_t frames)
    : path_(path), partial_(path + ".partial"), encoder_(format, channels), frames_(frames) {
  const auto header = engine::wavHeader(format, channels, sampleRate, frames);
  armPartial(partial_);
  file_ = std::fopen(partial_.c_str(), "wb");
  if (file_ == nullptr) {
    const int error = errno;
    disarmPartial();
    throw core::Error(path_ + ": cannot be written (" + systemReason(error) + ")");
  }
  put(header.data(), header.size());
}

WavWriter::~WavWriter() { discard(); }

void WavWriter::discard() noexcept {
  if (file_ == nullptr) return;
  std::fclose(file_);
  file_ = nullptr;
  std::remove(partial_.c_str());  // not committed: leave nothing half-written
  disarmPartial();
}

void WavWriter::put(const std::uint8_t* bytes, std::size_t count) {
  if (std::fwrite(bytes, 1, count, file_) != count) {
    const int error = errno;
    discard();
    throw core::Error(path_ + ": writing failed (" + systemReason(error) + ")");
  }
}

void WavWriter::write(const dsp::AudioBlock& block) {
  if (file_ == nullptr) throw core::Error(path_ + ": written after it was finished or failed");
  if (written_ + block.numFrames > frames_) {
    throw core::Error(path_ + ": the render gave more frames than the file announces (" + std::to_string(frames_) + ")");
  }
  const std::size_t needed = std::size_t{block.numFrames} * encoder_.frameBytes();
  if (needed > bytes_.size()) bytes_.resize(needed);
  put(bytes_.data(), encoder_.encode(block, bytes_.data()));
  written_ += block.numFrames;
}

void WavWriter::commit() {
  if (file_ == nullptr) throw core::Error(path_ + ": finished twice, or after it failed");
  if (written_ != frames_) {
    discard();
    throw core::Error(path_ + ": the render gave " + std::to_string(written_) + " frames, not the " +
                      std::to_string(frames_) + " the file announces");
  }
  // A full disk may only show when the last buffered bytes go out.
  int error = 0;
  if (std::fflush(file_) != 0) error = errno;
  if (std::fclose(file_) != 0 && error == 0) error = errno;
  file_ = nullptr;
  if (error == 0 && std::rename(partial_.c_str(), path_.c_str()) != 0) error = errno;
  if (error != 0) {
    std::remove(partial_.c_str());
    disarmPartial();
    throw core::Error(path_ + ": could not be finished (" + systemReason(error) + ")");
  }
  disarmPartial();
}

}  // namespace woodshed::cli
