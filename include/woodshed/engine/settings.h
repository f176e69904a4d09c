#pragma once
// One owner for every setting a user can change.
//
// - Limits: each setting's range, initial value, unit and name, in one table. The engine checks
//   against it (one message for every caller), the UI's sliders take their ends from it, and the
//   JS API hands it to pages (limits()), so no layer keeps its own idea of a range.
// - EngineSettings: the last accepted value of every parameter, kept by the Engine on the main
//   thread when a change is handed to the render thread. The UI, the JS API and per-song recall
//   read settings back from here and keep no copies.
//
// Later settings (tempo, pitch, loop, stem mix) add a Limit here and a field below.

#include <array>
#include <optional>
#include <string>

#include "woodshed/dsp/look_ahead_limiter.h"
#include "woodshed/dsp/parametric_eq.h"
#include "woodshed/dsp/signal_generator.h"
#include "woodshed/engine/metronome.h"

namespace woodshed::engine {

/// A named range: what a setting accepts, where it starts, and how messages name it.
struct Limit {
  const char* key;    ///< the name in the JS API and in limits() ("volumeDb", "eq.gainDb")
  const char* label;  ///< the name in messages ("the volume")
  const char* unit;   ///< "dB", "Hz", "ms"... ("" for none)
  double min;
  double max;
  double initial;

  bool contains(double value) const noexcept { return value >= min && value <= max; }
  /// Throws core::InvalidArgument "<label> must be between <min> and <max> <unit>, got <value>"
  /// when `value` is out of range or not a number.
  void check(double value) const;
  /// The message check() throws for `value`.
  std::string outOfRangeMessage(double value) const;
};

namespace limits {
inline constexpr Limit kGeneratorFrequency{"generator.frequency", "the generator's frequency", "Hz",
                                           dsp::SignalGenerator::kMinFrequencyHz,
                                           dsp::SignalGenerator::kMaxFrequencyHz, 440.0};
inline constexpr Limit kGeneratorLevel{"generator.levelDb", "the generator's level", "dBFS",
                                       dsp::SignalGenerator::kMinLevelDb, dsp::SignalGenerator::kMaxLevelDb, -12.0};
inline constexpr Limit kMasterGain{"masterGainDb", "the master gain", "dB", -120.0, 12.0, 0.0};
inline constexpr Limit kVolume{"volumeDb", "the volume", "dB", -60.0, 6.0, 0.0};
inline constexpr Limit kLatency{"latencyMs", "the latency", "ms", 5.0, 250.0, 80.0};
inline constexpr Limit kEqFrequency{"eq.frequency", "an EQ band's frequency", "Hz", dsp::ParametricEq::kMinFrequencyHz,
                                    dsp::ParametricEq::kMaxFrequencyHz, 1000.0};
inline constexpr Limit kEqGain{"eq.gainDb", "an EQ band's gain", "dB", dsp::ParametricEq::kMinGainDb,
                               dsp::ParametricEq::kMaxGainDb, 0.0};
inline constexpr Limit kEqQ{"eq.q", "an EQ band's Q", "", dsp::ParametricEq::kMinQ, dsp::ParametricEq::kMaxQ, 0.707};
inline constexpr Limit kLimiterCeiling{"limiter.ceilingDb", "the limiter's ceiling", "dBFS",
                                       dsp::LookAheadLimiter::kMinCeilingDb, dsp::LookAheadLimiter::kMaxCeilingDb,
                                       dsp::LookAheadLimiter::kDefaultCeilingDb};
inline constexpr Limit kTrackGain{"trackGainDb", "the track gain", "dB", -40.0, 40.0, 0.0};
inline constexpr Limit kSourceGain{"source.gainDb", "a source's gain", "dB", -120.0, 12.0, 0.0};
inline constexpr Limit kSourcePan{"source.pan", "a source's pan", "", -1.0, 1.0, 0.0};
inline constexpr Limit kLoudnessTarget{"normalize.targetLufs", "the loudness target", "LUFS", -40.0, -5.0, -14.0};
/// A song's A-B loop, as kept with it (0 and 0: none); a loop must also fit its song.
inline constexpr Limit kLoopStart{"loopStartSeconds", "the loop's start", "s", 0.0, 24.0 * 3600.0, 0.0};
inline constexpr Limit kLoopEnd{"loopEndSeconds", "the loop's end", "s", 0.0, 24.0 * 3600.0, 0.0};
/// A song's beat grid: its tempo, where a downbeat is (within the song), and the meter.
inline constexpr Limit kGridBpm{"beatGrid.bpm", "the tempo", "BPM", 20.0, 300.0, 120.0};
inline constexpr Limit kGridOffset{"beatGrid.offsetSeconds", "the grid's offset", "s", 0.0, 24.0 * 3600.0, 0.0};
inline constexpr Limit kBeatsPerBar{"beatGrid.beatsPerBar", "the beats per bar", "", 1.0, 12.0, 4.0};
/// The metronome's clicks (a downbeat's level) and the count-in's length.
inline constexpr Limit kMetronomeLevel{"metronome.levelDb", "the metronome's level", "dBFS", -40.0, 0.0, -6.0};
inline constexpr Limit kCountInBars{"metronome.countInBars", "the count-in", "bars", 1.0, 2.0, 1.0};
/// A song's speed (source seconds per second heard: 0.5 is half speed, the pitch kept) and
/// pitch (semitones, fractional for cents), each on its own.
inline constexpr Limit kTempo{"tempo", "the speed", "", 0.25, 2.0, 1.0};
inline constexpr Limit kPitch{"pitchSemitones", "the pitch", "semitones", -12.0, 12.0, 0.0};

/// Every limit, for limits() and the tests.
inline constexpr std::array<const Limit*, 22> kAll{
    &kGeneratorFrequency, &kGeneratorLevel, &kMasterGain, &kVolume, &kLatency, &kEqFrequency, &kEqGain, &kEqQ,
    &kLimiterCeiling, &kTrackGain, &kSourceGain, &kSourcePan, &kLoudnessTarget, &kLoopStart, &kLoopEnd,
    &kGridBpm, &kGridOffset, &kBeatsPerBar, &kMetronomeLevel, &kCountInBars, &kTempo, &kPitch};
}  // namespace limits

/// The mixer settings of one source of the current track.
struct SourceSettings {
  double gainDb = limits::kSourceGain.initial;
  double pan = limits::kSourcePan.initial;
  bool mute = false;
  bool solo = false;
};

/// Sources a track may have (Track::kMaxSources checks against it).
inline constexpr std::size_t kMaxSources = 8;

/// A song's beat grid in song seconds; bpm 0: none (detection runs, or found none).
struct BeatGridSettings {
  double bpm = 0.0;
  double offsetSeconds = 0.0;
  int beatsPerBar = static_cast<int>(limits::kBeatsPerBar.initial);
};

/// The metronome and the count-in; they stay for the songs loaded after.
struct MetronomeSettings {
  bool enabled = false;
  double levelDb = limits::kMetronomeLevel.initial;
  CountIn countIn = CountIn::Off;
  int countInBars = static_cast<int>(limits::kCountInBars.initial);
};

/// The speed trainer: tempo ratios from start to target, by step, each for passesPerStep passes.
struct SpeedTrainerSettings {
  double start = 0.6;
  double step = 0.05;
  double target = 1.0;
  int passesPerStep = 2;
};

/// The last accepted value of every engine parameter (main thread).
struct EngineSettings {
  dsp::GeneratorParams generator{dsp::Waveform::Sine, limits::kGeneratorFrequency.initial,
                                 limits::kGeneratorLevel.initial, false};
  double masterGainDb = limits::kMasterGain.initial;
  double volumeDb = limits::kVolume.initial;
  bool muted = false;
  dsp::ParametricEq::Bands eqBands = dsp::ParametricEq::flatBands();
  bool eqBypass = false;
  double limiterCeilingDb = limits::kLimiterCeiling.initial;
  bool limiterEnabled = true;
  double latencyMs = limits::kLatency.initial;
  /// The current track's playback gain; a newly loaded track starts at the initial value.
  double trackGainDb = limits::kTrackGain.initial;
  /// The current track's sources; a newly loaded track starts with initial values.
  std::array<SourceSettings, kMaxSources> sources{};
  /// Looping on or off; it stays on for the tracks loaded after.
  bool looping = false;
  /// The current track's A-B loop in song seconds ([start, end)); end 0: none, and looping
  /// wraps the whole track. A newly loaded track has none.
  double loopStartSeconds = 0.0;
  double loopEndSeconds = 0.0;
  /// The current track's beat grid; a newly loaded track has none until it is set.
  BeatGridSettings beatGrid;
  MetronomeSettings metronome;
  /// The current track's speed and pitch; a newly loaded track starts at 1 and 0.
  double tempo = limits::kTempo.initial;
  double pitchSemitones = limits::kPitch.initial;
  /// The speed trainer, while it runs (it stops when another song loads).
  std::optional<SpeedTrainerSettings> speedTrainer;
};

/// Limit: the shortest A-B loop, so its wrap's crossfade always fits.
inline constexpr double kMinLoopSeconds = 0.05;

/// The shortest text that reads back as the same double ("40", "0.707", "-1.5"); "null" when
/// not finite, as JSON has it. Messages and JSON use it alike.
std::string formatNumber(double value);

/// The settings as JSON for the JS API: {"generator": {...}, "masterGainDb": ..., "eq": {...}}.
std::string toJson(const EngineSettings& settings);
/// The limits table as JSON: {"volumeDb": {"min", "max", "initial", "unit", "label"}, ...}.
std::string limitsJson();

}  // namespace woodshed::engine
