#include "cli/audio_file.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::cli {

namespace {

/// Frames read from a file at once.
constexpr sf_count_t kReadFrames = 1 << 16;
/// How far (in 16-bit steps) a sample may be from the grid and still count as on it.
constexpr double kGridTolerance = 0.01;

std::string reason(SNDFILE* file) { return sf_strerror(file); }

}  // namespace

bool parseSampleFormat(const std::string& name, SampleFormat& out) noexcept {
  if (name == "wav16") out = SampleFormat::Wav16;
  else if (name == "wav24") out = SampleFormat::Wav24;
  else if (name == "wav32f") out = SampleFormat::Wav32f;
  else return false;
  return true;
}

const char* toString(SampleFormat format) noexcept {
  switch (format) {
    case SampleFormat::Wav16: return "wav16";
    case SampleFormat::Wav24: return "wav24";
    case SampleFormat::Wav32f: return "wav32f";
  }
  return "";
}

InputFile readAudioFile(const std::string& path, core::MemoryBudget& budget) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) throw core::Error(path + ": " + reason(nullptr));
  struct Closer {
    SNDFILE* file;
    ~Closer() { sf_close(file); }
  } closer{file};
  if (info.channels < 1 || info.channels > static_cast<int>(dsp::PcmBuffer::kMaxChannels)) {
    throw core::Error(path + ": has " + std::to_string(info.channels) + " channels; Woodshed reads mono and stereo");
  }
  if (info.frames < 1) throw core::Error(path + ": has no audio");
  const auto channels = static_cast<ChannelCount>(info.channels);
  auto pcm = std::make_shared<dsp::PcmBuffer>(channels, static_cast<std::uint64_t>(info.frames),
                                               static_cast<SampleRate>(info.samplerate), budget);
  InputFile input;
  const int subtype = info.format & SF_FORMAT_SUBMASK;
  const bool sixteenBit = subtype == SF_FORMAT_PCM_16 || subtype == SF_FORMAT_PCM_S8 || subtype == SF_FORMAT_PCM_U8;
  if (subtype == SF_FORMAT_PCM_24 || subtype == SF_FORMAT_PCM_32) input.format = SampleFormat::Wav24;
  else if (!sixteenBit) input.format = SampleFormat::Wav32f;

  // 16-bit sources are read as integers, so the samples stored are the file's own exactly.
  std::vector<short> shorts(sixteenBit ? static_cast<std::size_t>(kReadFrames) * channels : 0);
  std::vector<float> interleaved(static_cast<std::size_t>(kReadFrames) * channels);
  std::vector<float> planar(static_cast<std::size_t>(kReadFrames));
  std::uint64_t offset = 0;
  for (;;) {
    sf_count_t got = 0;
    if (sixteenBit) {
      got = sf_readf_short(file, shorts.data(), kReadFrames);
      for (sf_count_t i = 0; i < got * channels; ++i) {
        interleaved[static_cast<std::size_t>(i)] = static_cast<float>(shorts[static_cast<std::size_t>(i)]) / dsp::PcmBuffer::kScale;
      }
    } else {
      got = sf_readf_float(file, interleaved.data(), kReadFrames);
    }
    if (got <= 0) break;
    for (ChannelCount c = 0; c < channels; ++c) {
      for (sf_count_t i = 0; i < got; ++i) planar[static_cast<std::size_t>(i)] = interleaved[static_cast<std::size_t>(i * channels + c)];
      pcm->write(c, offset, planar.data(), static_cast<std::uint64_t>(got));
    }
    offset += static_cast<std::uint64_t>(got);
  }
  if (sf_error(file) != SF_ERR_NO_ERROR) throw core::Error(path + ": " + reason(file));
  if (offset == 0) throw core::Error(path + ": has no audio");
  std::string name = path.substr(path.find_last_of('/') + 1);
  input.track = std::make_shared<engine::Track>(1, name, std::vector<engine::TrackSource>{{"mix", std::move(pcm)}});
  return input;
}

WavWriter::WavWriter(const std::string& path, SampleFormat format, ChannelCount channels, SampleRate sampleRate)
    : path_(path), partial_(path + ".partial"), format_(format), channels_(channels) {
  SF_INFO info{};
  info.channels = static_cast<int>(channels);
  info.samplerate = static_cast<int>(std::lround(sampleRate));
  info.format = SF_FORMAT_WAV | (format == SampleFormat::Wav16   ? SF_FORMAT_PCM_16
                                 : format == SampleFormat::Wav24 ? SF_FORMAT_PCM_24
                                                                 : SF_FORMAT_FLOAT);
  file_ = sf_open(partial_.c_str(), SFM_WRITE, &info);
  if (file_ == nullptr) throw core::Error(path + ": cannot be written (" + reason(nullptr) + ")");
}

WavWriter::~WavWriter() {
  if (file_ != nullptr) {
    sf_close(file_);
    std::remove(partial_.c_str());  // not committed: leave nothing half-written
  }
}

void WavWriter::write(const dsp::AudioBlock& block) {
  const std::size_t needed = std::size_t{block.numFrames} * channels_;
  if (needed > capacity_) {
    interleaved_ = std::make_unique<std::int32_t[]>(needed);
    capacity_ = needed;
  }
  sf_count_t written = 0;
  if (format_ == SampleFormat::Wav32f) {
    auto* out = reinterpret_cast<float*>(interleaved_.get());
    for (FrameCount i = 0; i < block.numFrames; ++i) {
      for (ChannelCount c = 0; c < channels_; ++c) out[i * channels_ + c] = block.channels[c][i];
    }
    written = sf_writef_float(file_, out, block.numFrames);
  } else if (format_ == SampleFormat::Wav24) {
    for (FrameCount i = 0; i < block.numFrames; ++i) {
      for (ChannelCount c = 0; c < channels_; ++c) {
        const double v = std::nearbyint(double{block.channels[c][i]} * 8388607.0);
        if (v > 8388607.0 || v < -8388608.0) ++clipped_;
        // libsndfile takes 24-bit samples in the top bits of an int.
        interleaved_[i * channels_ + c] = static_cast<std::int32_t>(std::clamp(v, -8388608.0, 8388607.0)) * 256;
      }
    }
    written = sf_writef_int(file_, interleaved_.get(), block.numFrames);
  } else {
    auto* out = reinterpret_cast<short*>(interleaved_.get());
    // A chunk already on the 16-bit grid (a 16-bit source with neutral settings; float rounding
    // leaves it within a few thousandths of a step) keeps its samples; any other gets TPDF
    // dither of one step peak to peak per side.
    bool onGrid = true;
    for (ChannelCount c = 0; c < channels_ && onGrid; ++c) {
      for (FrameCount i = 0; i < block.numFrames; ++i) {
        const double v = double{block.channels[c][i]} * dsp::PcmBuffer::kScale;
        if (std::fabs(v - std::nearbyint(v)) > kGridTolerance) {
          onGrid = false;
          break;
        }
      }
    }
    std::uniform_real_distribution<double> lsb(-0.5, 0.5);
    for (FrameCount i = 0; i < block.numFrames; ++i) {
      for (ChannelCount c = 0; c < channels_; ++c) {
        double v = double{block.channels[c][i]} * dsp::PcmBuffer::kScale;
        if (!onGrid) {
          v += lsb(random_) + lsb(random_);
          ++dithered_;
        }
        v = std::nearbyint(v);
        if (v > 32767.0 || v < -32768.0) ++clipped_;
        out[i * channels_ + c] = static_cast<short>(std::clamp(v, -32768.0, 32767.0));
      }
    }
    written = sf_writef_short(file_, out, block.numFrames);
  }
  if (written != block.numFrames) throw core::Error(path_ + ": writing failed (" + reason(file_) + ")");
}

void WavWriter::commit() {
  const int closed = sf_close(file_);
  file_ = nullptr;
  if (closed != 0 || std::rename(partial_.c_str(), path_.c_str()) != 0) {
    std::remove(partial_.c_str());
    throw core::Error(path_ + ": could not be finished (is the disk full?)");
  }
}

}  // namespace woodshed::cli
