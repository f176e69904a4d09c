#pragma once
// Test and reference signals: the engine's first source.
//
// Level is in dBFS as AES17 defines it: RMS relative to the RMS of a full-scale sine, so a
// sine at -12 dBFS peaks at -12 dBFS and every waveform at the same setting has the same RMS.
// Square, saw and triangle are band-limited with polynomial corrections at their
// discontinuities (PolyBLEP/PolyBLAMP). The same signal goes to every channel.

#include <cstdint>

#include "woodshed/dsp/process_spec.h"

namespace woodshed::dsp {

enum class Waveform : std::uint32_t { Sine, Square, Triangle, Saw, WhiteNoise, PinkNoise, LogSweep };

/// Parses "sine", "square", "triangle", "saw", "white", "pink", "sweep"; false if unknown.
bool parseWaveform(const char* name, Waveform& out) noexcept;
const char* toString(Waveform waveform) noexcept;

struct GeneratorParams {
  Waveform waveform = Waveform::Sine;
  double frequencyHz = 440.0;  ///< Ignored by noise; a log sweep runs kSweepLowHz..kSweepHighHz
  double levelDb = -12.0;      ///< AES17 dBFS
  bool enabled = false;
};

class SignalGenerator {
 public:
  static constexpr double kMinFrequencyHz = 20.0;
  static constexpr double kMaxFrequencyHz = 20000.0;
  static constexpr double kMinLevelDb = -120.0;
  static constexpr double kMaxLevelDb = 0.0;
  static constexpr double kSweepLowHz = 20.0;
  static constexpr double kSweepHighHz = 20000.0;
  static constexpr double kSweepSeconds = 10.0;
  /// Level and on/off changes ramp over this time so they never click.
  static constexpr double kRampSeconds = 0.010;

  /// Throws InvalidArgument with a message for out-of-range values; used before parameters
  /// are handed to the render thread.
  static void validate(const GeneratorParams& params);

  void prepare(const ProcessSpec& spec) noexcept;
  /// Restarts phase and noise state; the level ramp jumps to its target. Render thread.
  void reset() noexcept;
  /// Takes new parameters; frequency and waveform change at once (phase-continuous),
  /// level and on/off ramp. Values are clamped to the ranges above. Render thread.
  void setParams(const GeneratorParams& params) noexcept;
  const GeneratorParams& params() const noexcept { return params_; }

  /// Adds the signal to every channel of `block`. Render thread: no allocation, no locks.
  void processAdding(const AudioBlock& block) noexcept;

 private:
  double nextSample() noexcept;
  double nextWhite() noexcept;

  GeneratorParams params_{};
  SampleRate sampleRate_ = 44100.0;
  double phase_ = 0.0;        // [0, 1)
  double triangleState_ = 0.0;
  double sweepPosition_ = 0.0;  // seconds into the sweep
  double gain_ = 0.0;         // current linear amplitude
  double targetGain_ = 0.0;
  double gainStep_ = 0.0;
  std::uint64_t noiseState_ = 0x9E3779B97F4A7C15ull;
  double pink_[7] = {};
};

}  // namespace woodshed::dsp
