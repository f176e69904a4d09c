#pragma once
// Loudness as EBU R128 / ITU-R BS.1770-4 define it, measured by libebur128 in histogram mode:
// momentary (400 ms) and short-term (3 s) loudness, integrated loudness and loudness range
// since the last reset, and the true peak (4x oversampled below 96 kHz).
//
// Runs off the render thread (the analysis thread feeds it what the engine rendered); one
// thread uses an object. prepare() and reset() allocate and may throw; adding frames and
// reading values do not allocate in histogram mode, whatever the length of the measurement.
// Histogram mode keeps memory constant over any length of measurement; it reads integrated
// loudness and LRA from 0.1 LU-wide bins (a -23.0 LUFS tone reads -22.95).
// Mono counts as one front channel (BS.1770), so a mono signal reads 3 dB below the same
// signal on both channels of a stereo pair.
// A measurement starts (prepare, reset) with the true-peak interpolator empty, as if the signal
// jumped there from silence, and the interpolated jump overshoots: a -23 dBFS sine read up to
// -22.0 dBTP after a reset at the wrong moment. So the first kSettleFrames frames of a
// measurement count at their sample peak; the interpolator has forgotten the jump after them.

#include <memory>
#include <vector>

#include "woodshed/dsp/process_spec.h"

namespace woodshed::dsp {

class LoudnessMeter {
 public:
  static constexpr ChannelCount kMaxChannels = 8;
  static constexpr SampleRate kMinSampleRate = 8000.0;
  static constexpr SampleRate kMaxSampleRate = 384000.0;
  /// Planar input is interleaved through a buffer of this many frames.
  static constexpr FrameCount kChunkFrames = 1024;
  /// Frames at the start of a measurement whose true peak is their sample peak (libebur128's
  /// true-peak interpolator remembers about 12).
  static constexpr FrameCount kSettleFrames = 32;
  /// What the loudness getters return before there is enough signal (or only silence).
  static constexpr double kSilenceLufs = -200.0;

  LoudnessMeter();
  ~LoudnessMeter();
  LoudnessMeter(LoudnessMeter&&) noexcept;
  LoudnessMeter& operator=(LoudnessMeter&&) noexcept;

  /// Starts a new measurement. Throws core::InvalidArgument for 0 or more than kMaxChannels
  /// channels or a rate outside [kMinSampleRate, kMaxSampleRate], std::bad_alloc without memory.
  void prepare(SampleRate sampleRate, ChannelCount channels);
  /// Starts the measurement again with the same rate and channels (allocates).
  void reset();

  /// Adds `frames` interleaved frames. No allocation.
  void addInterleaved(const float* samples, FrameCount frames) noexcept;
  /// Adds `frames` frames of planar audio (channels[c][i]). No allocation.
  void addPlanar(const float* const* channels, FrameCount frames) noexcept;

  /// Loudness of the last 400 ms, LUFS.
  double momentaryLufs() const noexcept;
  /// Loudness of the last 3 s, LUFS.
  double shortTermLufs() const noexcept;
  /// Gated loudness since the start, LUFS.
  double integratedLufs() const noexcept;
  /// Loudness range (LRA) since the start, LU.
  double loudnessRangeLu() const noexcept;
  /// The highest true peak of any channel since the start, dBTP.
  double truePeakDbtp() const noexcept;
  /// The highest sample peak of any channel since the start, dBFS.
  double samplePeakDbfs() const noexcept;

  SampleRate sampleRate() const noexcept { return sampleRate_; }
  ChannelCount channels() const noexcept { return channels_; }

 private:
  struct State;
  // Adds interleaved frames and follows the peaks.
  void add(const float* samples, FrameCount frames) noexcept;
  void start() noexcept;  // a new measurement's peaks

  std::unique_ptr<State> state_;
  std::vector<float> interleaved_;  // kChunkFrames x channels
  FrameCount settling_ = 0;         // frames left that count at their sample peak
  double truePeak_ = 0.0;           // since the measurement started, every channel, linear
  double samplePeak_ = 0.0;
  SampleRate sampleRate_ = 0.0;
  ChannelCount channels_ = 0;
};

}  // namespace woodshed::dsp
