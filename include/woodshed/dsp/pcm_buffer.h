#pragma once
// Decoded audio kept compactly: planar 16-bit PCM with a scale of its own, half the size of
// float. Memory: 2 bytes a sample whatever the source was, so a minute of stereo takes
// 10.6 MB at 44.1 kHz and 11.5 MB at 48 kHz (10.1 and 11.0 MiB), 23.0 MB at 96 kHz.
//
// How float samples become 16 bits (the writer says which when it builds the buffer):
// - Decoded audio (the constructor taking Peaks). The writer measures the lowest and highest
//   sample over the whole track first (the browser import has the whole decoded AudioBuffer;
//   the scale must be fixed before the first write, because a track is written in chunks).
//   When nothing exceeds full scale (-1..+1), the scale is the unit one (sample s plays as
//   s / 32768; a sample of exactly +1.0 is held one step lower, at 32767); otherwise it is the
//   one that maps the farther peak to one step inside the 16-bit range, so decoder overs and
//   float files above 0 dBFS keep their peaks instead of being clipped.
//   A written chunk whose every sample sits on the 16-bit grid (a 16-bit WAV or FLAC, silence)
//   is stored exactly, as the file's own samples: s / 32768, or as Chromium's decoder gives
//   them, s / 32767 for positive s and s / 32768 for negative s (so 32767 decodes as 1.0).
//   Any other chunk is reduced with TPDF dither of one step peak-to-peak each side, so detail
//   below the last bit (of a 24-bit or float file) survives as signal in noise instead of
//   being rounded away. The dither's noise is a seeded hash of the channel and the
//   frame (no <random> distributions, which differ between standard libraries): a track stored
//   in any chunking, natively or in wasm, gets the same samples. Quiet material keeps the unit
//   scale, so a song's noise floor is that of a 16-bit file (about -96 dBFS with the dither).
// - Test signals and writers that give samples meant to sit on the grid (the constructor
//   without Peaks): unit scale, plain rounding, clipped at full scale. Anything decoded or
//   computed (a stem) passes its Peaks instead.
// Samples beyond full scale at the buffer's scale (more than a step or two beyond the Peaks
// given, or beyond +-1 at the unit scale) are clipped and counted in
// clippedSamples(); the track library refuses an import that clipped.
//
// Filled once on the main thread (write() refuses non-finite samples), then only read, from
// any number of threads (the render thread, the waveform job). Readers read below
// readableFrames(), which is every frame unless the buffer plays while it is still being filled
// (publishWrites(), for a long import): then it is the frames written on every channel so far,
// published with a release store after each write and read with an acquire load, so a reader
// never sees a frame being written, and nothing below it changes again. Every reader converts
// with the buffer's own scale(): static_cast<float>(channel(c)[i]) * scale().

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "woodshed/core/memory_budget.h"
#include "woodshed/core/types.h"

namespace woodshed::dsp {

class PcmBuffer {
 public:
  static constexpr ChannelCount kMaxChannels = 2;
  /// Steps to full scale on the 16-bit grid: at the unit scale sample s plays as s / 32768, as
  /// 16-bit files have it, so a 16-bit file is stored and exported bit for bit. Readers use
  /// scale(), which is 1 / kScale only at the unit scale.
  static constexpr float kScale = 32768.0f;
  /// The seed of the dither's noise.
  static constexpr std::uint64_t kDitherSeed = 20261115;

  /// The lowest and highest sample a track holds over all its channels, measured before the
  /// first write. An empty Peaks (nothing measured) holds silence.
  struct Peaks {
    float lowest = 0.0f;
    float highest = 0.0f;
    /// Widens the peaks to cover `count` samples; non-finite samples are left to write() to refuse.
    void include(const float* samples, std::uint64_t count) noexcept;
  };

  /// A buffer for samples meant to sit on the grid (test signals): unit scale, plain rounding.
  /// Allocates `channels` x `frames` samples inside `budget`. Throws InvalidArgument for 0 or
  /// too many channels or frames, LimitExceeded when the budget cannot hold it.
  PcmBuffer(ChannelCount channels, std::uint64_t frames, SampleRate sampleRate, core::MemoryBudget& budget);
  /// A buffer for decoded audio whose samples span `peaks` (see the top of this file). Throws
  /// as above, and InvalidArgument for non-finite peaks.
  PcmBuffer(ChannelCount channels, std::uint64_t frames, SampleRate sampleRate, core::MemoryBudget& budget,
            Peaks peaks);

  ChannelCount channels() const noexcept { return channels_; }
  std::uint64_t frames() const noexcept { return frames_; }
  SampleRate sampleRate() const noexcept { return sampleRate_; }
  double durationSeconds() const noexcept { return static_cast<double>(frames_) / sampleRate_; }
  std::uint64_t bytes() const noexcept { return reservation_.bytes(); }

  /// What one step is worth: sample s plays as s * scale(). 1 / kScale unless the peaks given
  /// at construction go beyond full scale.
  float scale() const noexcept { return scale_; }

  /// Converts `count` float samples into channel `channel` from frame `offset`. Throws
  /// InvalidArgument naming the time of the first NaN or infinite sample (and then stores
  /// nothing of this call), or for a range outside the buffer.
  void write(ChannelCount channel, std::uint64_t offset, const float* samples, std::uint64_t count);

  /// Samples written so far that were beyond full scale at this buffer's scale, and clipped.
  std::uint64_t clippedSamples() const noexcept { return clipped_; }
  /// Samples written so far with dither (in chunks that were not on the grid).
  std::uint64_t ditheredSamples() const noexcept { return dithered_; }

  /// Channel data, for readers; multiply by scale(). Read only below readableFrames().
  const std::int16_t* channel(ChannelCount c) const noexcept { return data_.get() + c * frames_; }

  /// Frames any thread may read: all of them, or while the buffer is being filled as it plays
  /// (publishWrites()) those written on every channel from frame 0 without a gap so far.
  std::uint64_t readableFrames() const noexcept { return readable_.load(std::memory_order_acquire); }
  bool complete() const noexcept { return readableFrames() == frames_; }
  /// Before the buffer is shared: readers see only what write() has stored, as it is stored.
  /// Writes then go in order on each channel (a write past a gap publishes nothing beyond it).
  void publishWrites() noexcept;
  /// The writer is done: every frame is readable (any it did not write is silence).
  void publishAll() noexcept;

 private:
  void allocate(core::MemoryBudget& budget);
  // Moves the readable frontier after a write of `count` frames of `channel` at `offset`.
  void published(ChannelCount channel, std::uint64_t offset, std::uint64_t count) noexcept;

  ChannelCount channels_;
  std::uint64_t frames_;
  SampleRate sampleRate_;
  bool dither_ = false;
  float scale_ = 1.0f / kScale;
  std::uint64_t clipped_ = 0;
  std::uint64_t dithered_ = 0;
  // Written so far on each channel, from frame 0 without a gap; only while publishing writes.
  bool publishing_ = false;
  std::array<std::uint64_t, kMaxChannels> written_{};
  std::atomic<std::uint64_t> readable_{0};
  core::MemoryBudget::Reservation reservation_;
  std::unique_ptr<std::int16_t[]> data_;
};

}  // namespace woodshed::dsp
