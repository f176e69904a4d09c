#pragma once
// Messages between the main thread and the render thread. Plain values copied through SPSC
// rings: a command never owns memory, so the render thread never frees anything. A Track is
// lent by pointer (LoadTrack) and handed back with a Notice (TrackReleased); the Engine keeps
// it alive in between.

#include <cstdint>

#include "woodshed/dsp/parametric_eq.h"
#include "woodshed/dsp/signal_generator.h"
#include "woodshed/engine/track.h"

namespace woodshed::engine {

struct Command {
  enum class Type : std::uint32_t {
    SetGenerator,
    SetMasterGain,
    SetSampleRate,
    ResetStatistics,
    LoadTrack,  ///< track (may be null: none)
    Play,
    Pause,
    Stop,
    Seek,  ///< frame
    SetLooping,  ///< flag
    SetSourceGain,  ///< index, value (linear)
    SetSourceMute,  ///< index, flag
    SetSourceSolo,  ///< index, flag
    SetEqBand,      ///< index, band
    SetEqBypass,    ///< flag
    SetLimiter,     ///< value (ceiling dB), flag (enabled)
    SetTrackGain,   ///< value (linear): the current track's playback gain (normalize)
    SetListeningVolume,  ///< value (linear; 0 when muted): after the chain and the analysis tap
  };

  Type type = Type::ResetStatistics;
  dsp::GeneratorParams generator{};  ///< SetGenerator
  double value = 0.0;                ///< SetMasterGain (linear), SetSampleRate (Hz), SetSourceGain
  const Track* track = nullptr;      ///< LoadTrack
  std::uint64_t frame = 0;           ///< Seek
  std::uint32_t index = 0;           ///< SetSource*
  bool flag = false;                 ///< SetLooping, SetSourceMute, SetSourceSolo
  dsp::BandParams band{};            ///< SetEqBand
};

/// From the render thread back to the main thread.
struct Notice {
  enum class Type : std::uint32_t { TrackReleased };
  Type type = Type::TrackReleased;
  const Track* track = nullptr;
};

}  // namespace woodshed::engine
