#pragma once
// A 10-band stereo parametric EQ: band 0 a low shelf, bands 1-8 peaking, band 9 a high shelf.
//
// Every change is smooth. setBand() and setBypass() only set targets; process() moves each
// band's frequency (on a log scale), gain (in dB) and Q (on a log scale) linearly to its target
// over kRampSeconds, recomputes the band's coefficients every kSubBlockFrames frames and glides
// the coefficients linearly between those points sample by sample. Disabling a band ramps its
// gain to 0 dB, and bypass crossfades between the filtered and the dry signal over the same time.
// Sub-blocks are counted on a grid of their own, so the output does not depend on how the
// caller splits the audio into blocks.
//
// A band at 0 dB (flat, or disabled) is the exact identity and is skipped; a fully bypassed
// EQ leaves the block untouched, bit for bit. Filters keep running while bypassed, so that
// turning the EQ back on crossfades into settled filters.
//
// Every call except prepare() is meant for the render thread (the engine hands parameters
// over lock-free); the object is not shared between threads. The UI draws the curve from its
// own copy of the parameters with the static responseDb().

#include <array>
#include <cstddef>
#include <span>

#include "woodshed/dsp/biquad.h"
#include "woodshed/dsp/process_spec.h"

namespace woodshed::dsp {

/// One band's settings. Out-of-range values are clamped by setBand().
struct BandParams {
  double frequencyHz = 1000.0;
  double gainDb = 0.0;
  double q = 1.0;
  bool enabled = true;
};

class ParametricEq {
 public:
  static constexpr std::size_t kBandCount = 10;
  static constexpr ChannelCount kMaxChannels = 2;
  static constexpr double kMinGainDb = -18.0;
  static constexpr double kMaxGainDb = 18.0;
  static constexpr double kMinFrequencyHz = 20.0;
  static constexpr double kMaxFrequencyHz = 20000.0;
  static constexpr double kMinQ = 0.1;
  static constexpr double kMaxQ = 18.0;
  /// Time over which parameter changes and bypass glide to their targets.
  static constexpr double kRampSeconds = 0.020;
  /// Coefficients are recomputed this often while a band moves (and interpolated in between).
  static constexpr FrameCount kSubBlockFrames = 32;

  using Bands = std::array<BandParams, kBandCount>;

  /// A named setting of all bands, for the preset menu.
  struct Preset {
    const char* name;
    Bands bands;
  };

  /// LowShelf for band 0, HighShelf for the last band, Peaking in between.
  static BiquadType bandType(std::size_t index) noexcept;
  /// The flat layout: every band enabled at 0 dB, at frequencies spread over the spectrum.
  static Bands flatBands() noexcept;
  /// The built-in presets; the first is flat.
  static std::span<const Preset> presets() noexcept;
  /// `params` with every value clamped to the ranges above.
  static BandParams clamped(const BandParams& params) noexcept;
  /// The analytic response in dB at `frequencyHz`: the sum of the enabled bands' responses
  /// (bypass is not part of `bands`; the UI shows it separately).
  static double responseDb(const Bands& bands, double frequencyHz, SampleRate sampleRate) noexcept;

  ParametricEq() noexcept;

  /// Takes the sample rate; throws core::InvalidArgument for more than kMaxChannels channels
  /// or a rate that is not positive. Allocates nothing (all state is inline).
  void prepare(const ProcessSpec& spec);
  /// Clears the filters' history (also after NaN or Inf) and jumps every ramp to its target.
  /// Render thread.
  void reset() noexcept;

  /// Starts a smooth transition of band `index` to `params` (clamped); an index out of range is
  /// ignored. Render thread: no allocation.
  void setBand(std::size_t index, const BandParams& params) noexcept;
  /// The target settings of band `index` (what the last setBand asked for, clamped).
  const BandParams& band(std::size_t index) const noexcept { return targets_[index]; }
  const Bands& bands() const noexcept { return targets_; }
  /// Sets every band from `preset`, smoothly. Render thread: no allocation.
  void applyPreset(const Preset& preset) noexcept;
  /// Starts a crossfade to the dry (true) or the filtered (false) signal. Render thread.
  void setBypass(bool bypassed) noexcept;
  bool bypassed() const noexcept { return bypassTarget_; }

  /// The analytic response of the target settings at `frequencyHz`, ignoring bypass.
  double responseDb(double frequencyHz) const noexcept;

  /// Filters the block in place (numChannels <= the prepared channels). NaN or Inf input
  /// gives non-finite output only until the end of the current sub-block; the filters then
  /// clear their history themselves. Render thread: no allocation, no locks.
  void process(const AudioBlock& block) noexcept;

 private:
  struct Band {
    // Smoothed shape, stepping linearly towards the target shape.
    double logFrequency = 0.0;
    double gainDb = 0.0;
    double logQ = 0.0;
    double targetLogFrequency = 0.0;
    double targetGainDb = 0.0;
    double targetLogQ = 0.0;
    double logFrequencyStep = 0.0;
    double gainStep = 0.0;
    double logQStep = 0.0;
    FrameCount framesLeft = 0;
    bool running = false;  // filtering during the current sub-block
    bool gliding = false;  // and its coefficients move
    BiquadCoefficients end{};   // coefficients at the end of the current sub-block
    BiquadCoefficients step{};  // per-sample coefficient increment in the current sub-block
    std::array<Biquad, kMaxChannels> filters{};
  };

  void beginSubBlock() noexcept;
  void endSubBlock() noexcept;
  BiquadCoefficients designSmoothed(std::size_t index) const noexcept;
  void jumpToTargets() noexcept;

  std::array<Band, kBandCount> bands_{};
  Bands targets_{};
  SampleRate sampleRate_ = 44100.0;
  ChannelCount channels_ = 2;
  FrameCount rampFrames_ = 882;
  FrameCount subBlockPhase_ = 0;  // frames of the current sub-block already processed
  bool bypassTarget_ = false;
  double mix_ = 1.0;  // 1 filtered, 0 dry
  double mixStep_ = 0.0;
  FrameCount mixFramesLeft_ = 0;
  std::array<std::array<float, kSubBlockFrames>, kMaxChannels> wet_{};
};

}  // namespace woodshed::dsp
