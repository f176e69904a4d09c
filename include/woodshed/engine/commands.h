#pragma once
// Messages between the main thread and the render thread. Plain values copied through SPSC
// rings: a command never owns memory, so the render thread never frees anything. A Track is
// lent by pointer (LoadTrack) and handed back with a Notice (TrackReleased); the Engine keeps
// it alive in between.

#include <cstdint>
#include <type_traits>
#include <variant>

#include "woodshed/dsp/parametric_eq.h"
#include "woodshed/dsp/signal_generator.h"
#include "woodshed/engine/metronome.h"
#include "woodshed/engine/track.h"

namespace woodshed::engine {

/// The commands, one type each, with typed payloads. Gains travel linear (the main thread
/// converts from dB once); everything is validated before it is sent.
namespace command {
struct ResetStatistics {};
struct SetGenerator {
  dsp::GeneratorParams params;
};
struct SetMasterGain {
  double linear;
};
struct SetSampleRate {
  SampleRate rate;
};
struct LoadTrack {
  const Track* track;  ///< null: none
};
struct Play {};
struct Pause {};
struct Stop {};
struct Seek {
  std::uint64_t frame;
};
struct SetLooping {
  bool looping;
};
/// The A-B loop in source frames, [start, end); {0, 0} clears it.
struct SetLoopRegion {
  std::uint64_t start;
  std::uint64_t end;
};
struct SetSourceGain {
  std::uint32_t source;
  double linear;
};
struct SetSourceMute {
  std::uint32_t source;
  bool mute;
};
struct SetSourceSolo {
  std::uint32_t source;
  bool solo;
};
/// A balance, -1 (left) .. +1 (right).
struct SetSourcePan {
  std::uint32_t source;
  double pan;
};
/// The current track goes on with these sources (the same song: same id, length and rate),
/// crossing over at the same position; the old Track is handed back once nothing reads it.
struct ReplaceSources {
  const Track* track;
};
struct SetEqBand {
  std::uint32_t band;
  dsp::BandParams params;
};
struct SetEqBypass {
  bool bypassed;
};
struct SetLimiter {
  double ceilingDb;
  bool enabled;
};
/// The current track's playback gain (normalize, recall).
struct SetTrackGain {
  double linear;
};
/// After the chain and the analysis tap; 0 when muted.
struct SetListeningVolume {
  double linear;
};
/// The current track's beat grid (periodFrames 0: none).
struct SetBeatGrid {
  BeatGridFrames grid;
};
/// The metronome's clicks (level: a downbeat's, linear) and the count-in.
struct SetMetronome {
  bool enabled;
  double level;
  CountIn countIn;
  std::uint8_t countInBars;
};
/// Tempo (source frames per output frame) and pitch of the track stage; glided to.
struct SetTempoPitch {
  double tempo;
  double semitones;
};
/// The speed trainer on the loop: from `start`, `step` faster every `passesPerStep` passes, up
/// to `target` (tempo ratios); enabled false stops it and restores the tempo.
struct SetSpeedTrainer {
  bool enabled;
  double start;
  double step;
  double target;
  std::uint32_t passesPerStep;
};
}  // namespace command

using Command = std::variant<command::ResetStatistics, command::SetGenerator, command::SetMasterGain,
                             command::SetSampleRate, command::LoadTrack, command::Play, command::Pause, command::Stop,
                             command::Seek, command::SetLooping, command::SetLoopRegion, command::SetSourceGain, command::SetSourceMute,
                             command::SetSourceSolo, command::SetSourcePan, command::ReplaceSources, command::SetEqBand, command::SetEqBypass, command::SetLimiter,
                             command::SetTrackGain, command::SetListeningVolume, command::SetBeatGrid,
                             command::SetMetronome, command::SetTempoPitch, command::SetSpeedTrainer>;
static_assert(std::is_trivially_copyable_v<Command>, "commands are copied through a ring and own nothing");

/// From the render thread back to the main thread.
struct Notice {
  enum class Type : std::uint32_t { TrackReleased };
  Type type = Type::TrackReleased;
  const Track* track = nullptr;
};

}  // namespace woodshed::engine
