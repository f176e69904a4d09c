#pragma once
// Time-stretch and pitch-shift of a track's sources: a phase vocoder with one phase plan for
// every channel (design: docs/design/stretcher.md, issue 17).
//
// Shape. The stretcher pulls its input from a StretchInput into a FIFO, as far ahead as its
// planner needs, and produces output frames on demand. For each output frame it also says
// which input frame that output corresponds to (the time map), so the caller can map output
// back to track positions. There is no latency: after reset() output frame 0 maps to input
// frame 0, and the read-ahead is reported instead (readAheadFrames()).
//
// Algorithm. The input is stretched by rho = R / P (R the tempo, P = 2^(semitones / 12)) with a
// 4096-point (at 32-64 kHz; 2048 below, 8192 above) Hann STFT, synthesis hop N/8 and an integer
// analysis hop per hop from the StretchPlanner (nominal map, transient locks, phase resets).
// The PhasePlan derives one rotation per bin from the mix of all sources (plan channel g is the
// sum over sources of each source's channel g) and every channel is rotated by it, so sources
// sum to the stretched mix and stereo keeps its inter-channel phase. A SincResampler then reads
// the stretched signal at P internal frames per output frame.
//
// Bypass. At tempo 1 and 0 semitones, once glides have settled, the plan has returned to the
// identity and the time map is whole, the output is the input, bit for bit, and no STFT runs.
// Entering and leaving the wet path cross-fades over 10 ms between two signals that are equal
// to float rounding (both read the same FIFO through the same time map).
//
// Glides. Tempo and pitch move towards their targets in the log domain at 1 octave per 100 ms,
// the tempo once per hop, the pitch once per output frame. No decision reads block boundaries or
// the timing of reads, so any split of the output into process() calls gives the same output.
//
// Threads. prepare() runs on the main thread before rendering starts (it allocates and may
// throw); everything else (retune, setSampleRate, setActiveChannels, reset, process and the
// queries) is for the render thread: no allocation, no locks, no waiting, no exceptions.
// process() takes any number of frames per call; StretchSpec::maxBlockFrames is not a limit.

#include <cstdint>
#include <memory>
#include <vector>

#include "woodshed/core/types.h"
#include "woodshed/dsp/phase_plan.h"
#include "woodshed/dsp/sinc_resampler.h"
#include "woodshed/dsp/stretch_planner.h"

namespace woodshed::dsp {

class StretchFft;  // src/dsp/stretch_fft.h

/// What a Stretcher is prepared for. channels = sources x channelsPerGroup; channel c of
/// source s is s * channelsPerGroup + c, and plan channel c sums channel c of every source.
struct StretchSpec {
  SampleRate sampleRate = 44100.0;
  ChannelCount channels = 2;
  ChannelCount channelsPerGroup = 2;
  FrameCount maxBlockFrames = 128;
};

/// Tempo (source frames per output frame; 0.5 = half speed) and pitch shift in semitones.
struct StretchParams {
  double tempo = 1.0;
  double semitones = 0.0;
};

/// Where the stretcher's input comes from (render thread: must not allocate, lock or wait).
class StretchInput {
 public:
  /// Appends `frames` frames of every channel at `into` (room guaranteed); returns frames
  /// written. Fewer than asked (the end of the track) is fine: the rest counts as silence
  /// and still takes its input indices.
  virtual FrameCount read(float* const* into, FrameCount frames) noexcept = 0;

 protected:
  ~StretchInput() = default;
};

class Stretcher {
 public:
  static constexpr double kMinTempo = 0.25;
  static constexpr double kMaxTempo = 2.0;
  static constexpr double kMinSemitones = -12.0;
  static constexpr double kMaxSemitones = 12.0;
  /// The most channels (sources x channels per source) one stretcher takes.
  static constexpr ChannelCount kMaxStretchChannels = 16;
  /// Highest sample rate prepare() accepts.
  static constexpr SampleRate kMaxSampleRate = 384000.0;
  /// Length of the cross-fades into and out of bypass.
  static constexpr double kBypassFadeSeconds = 0.010;
  /// Glide speed of tempo and pitch, in octaves per second.
  static constexpr double kGlideOctavesPerSecond = 10.0;

  Stretcher();
  ~Stretcher();
  Stretcher(Stretcher&&) noexcept;
  Stretcher& operator=(Stretcher&&) noexcept;
  Stretcher(const Stretcher&) = delete;
  Stretcher& operator=(const Stretcher&) = delete;

  /// Main thread: sizes every buffer for `spec` (FFT size from its rate) and resets. Allocates;
  /// throws core::InvalidArgument for a rate outside (0, kMaxSampleRate], no channels, more than
  /// kMaxStretchChannels, or channels that are not a multiple of channelsPerGroup.
  void prepare(const StretchSpec& spec);
  /// Render thread: new targets, glided to. Out-of-range values are clamped, non-finite ones
  /// ignored; both are counted (clampedParameters()).
  void retune(const StretchParams& params) noexcept;
  /// Render thread: a new sample rate with the same FFT size; recomputes the rate-dependent
  /// constants (band edges, onset spacing, glide speed, fade length).
  void setSampleRate(SampleRate sampleRate) noexcept;
  /// Render thread: processes only the first `channels` channels (whole sources; at least one
  /// source, at most the prepared channels, rounded down to whole sources) and resets. Input
  /// and output channels past them are neither read, written nor called for.
  void setActiveChannels(ChannelCount channels) noexcept;
  ChannelCount activeChannels() const noexcept { return channels_; }
  /// Render thread: empties every buffer; the next output frame maps to input frame 0 and the
  /// next read() starts there. Glides snap to their targets.
  void reset() noexcept;
  /// Render thread: writes `frames` output frames of every channel to `out` and, for each, the
  /// input index it maps to (counted from reset(); -1 before input frame 0) to `inputIndex`
  /// (which may be null). Calls in.read() whenever it needs more input.
  void process(StretchInput& in, float* const* out, FrameCount frames, std::int64_t* inputIndex) noexcept;

  /// True while the output is the input itself (no STFT running, no cross-fade).
  bool bypassed() const noexcept;
  /// Input frames read beyond the input index of the last output frame.
  FrameCount readAheadFrames() const noexcept;
  /// The most readAheadFrames() can ever be for this spec (the FIFO's capacity): the size a
  /// caller's ring of per-input-frame data needs.
  FrameCount maxReadAheadFrames() const noexcept { return fifoFrames_; }
  /// The target tempo: source frames per output frame once glides settle.
  double sourceFramesPerOutputFrame() const noexcept { return targetTempo_; }
  /// The current (glided) tempo and pitch ratio.
  double currentTempo() const noexcept;
  double currentPitchRatio() const noexcept;
  /// FFT size and synthesis hop chosen by prepare().
  std::uint32_t fftSize() const noexcept { return size_; }
  std::uint32_t synthesisHop() const noexcept { return hopSize_; }
  /// Parameters clamped or ignored by retune() since prepare().
  std::uint64_t clampedParameters() const noexcept { return clamped_; }

 private:
  enum class Mode { Dry, FadeToWet, Wet, FadeToDry };

  void fill(StretchInput& in, std::int64_t until) noexcept;
  void startWet(std::int64_t anchor, double ratio) noexcept;
  void runHop(StretchInput& in) noexcept;
  /// A windowed frame at `centre` into into[n * stride] (the FFT's lanes).
  void windowPlan(std::int64_t centre, ChannelCount group, float* into, std::size_t stride) const noexcept;
  /// Every plan channel's spectrum at `centre`, into re/im (group g at g * bins).
  void transformPlan(std::int64_t centre, float* re, float* im) noexcept;
  void windowChannel(std::int64_t centre, ChannelCount channel, float* into, std::size_t stride) const noexcept;
  std::int64_t mapToInput(std::int64_t whole, double fraction) const noexcept;
  float dry(ChannelCount channel, std::int64_t index) const noexcept;
  void stepPitch() noexcept;

  // Spec and sizes.
  SampleRate sampleRate_ = 44100.0;
  ChannelCount preparedChannels_ = 0;
  ChannelCount channels_ = 0;       // active channels
  ChannelCount groups_ = 0;
  std::uint32_t size_ = 0, hopSize_ = 0, bins_ = 0;
  FrameCount fifoFrames_ = 0;
  std::int64_t fifoMask_ = 0, olaMask_ = 0;
  FrameCount fadeFrames_ = 441;
  double tempoStepPerHop_ = 0.0, pitchStepPerFrame_ = 0.0;

  // Parameters (log2 of tempo and pitch ratio), targets and glided values.
  double targetTempo_ = 1.0;
  double targetLogTempo_ = 0.0, targetLogPitch_ = 0.0;
  double logTempo_ = 0.0, logPitch_ = 0.0;
  std::uint64_t clamped_ = 0;

  // Input FIFO: channels x fifoFrames_ ring by input index, and where it ends.
  std::vector<float> fifo_;
  std::int64_t inputEnd_ = 0;
  std::vector<float*> readPointers_;

  // Wet state: hops, their analysis centres by hop (ring), overlap-add rings, output position.
  std::unique_ptr<StretchFft> fft_;
  PhasePlan plan_;
  StretchPlanner planner_;
  OnsetDetector detector_;
  SincResampler resampler_;
  std::vector<float> window_, synthesisWindow_;
  std::vector<float> planRe_, planIm_;                   // groups x bins
  std::vector<float> centreRe_, centreIm_, centrePower_; // a lock's centre frame
  std::vector<const float*> planRePointers_, planImPointers_;
  std::vector<const float*> centreRePointers_, centreImPointers_;
  std::vector<float> ola_;                               // channels x (2N) ring by internal frame
  static constexpr int kHopRing = 64;
  std::int64_t analysisByHop_[kHopRing] = {};
  std::int64_t lastHop_ = 0;       // the latest hop run
  std::int64_t finalEnd_ = 0;      // internal frames below this are final
  std::int64_t whole_ = 0;         // output position tau in internal frames: whole_ + fraction_
  double fraction_ = 0.0;
  int cleanHops_ = 0;              // consecutive hops whose plan was the identity at ratio 1

  // Bypass.
  Mode mode_ = Mode::Dry;
  FrameCount fadeDone_ = 0;
  std::int64_t dryIndex_ = 0;      // input index of the next dry output frame
  std::int64_t lastIndex_ = -1;    // input index of the last output frame
};

}  // namespace woodshed::dsp
