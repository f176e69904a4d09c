#pragma once
// Offline rendering: the same graph as playback, up to the export point (readers -> stage ->
// voices -> mixer -> track gain -> master gain -> EQ -> limiter), run faster than real time on
// the calling thread (a pool job, the command-line tool). It renders a region of a track into
// a sink in chunks, with progress and cancellation. Export, the command-line tool and stem
// rendering use it.
//
// What it leaves out, by design: the listening volume and mute, the generator, the safety
// clipper (a file keeps what the limiter let through; its format decides what happens above
// full scale) and the transport's fades (the first frame is the song's own, so a render with
// neutral settings is bit-exact).

#include <cstdint>
#include <optional>

#include "woodshed/core/thread_pool.h"
#include "woodshed/dsp/process_spec.h"
#include "woodshed/engine/settings.h"
#include "woodshed/engine/track.h"
#include "woodshed/engine/track_stage.h"

namespace woodshed::engine {

/// Where an offline render writes: consecutive chunks of planar audio.
class RenderSink {
 public:
  virtual ~RenderSink() = default;
  /// Takes the next `block` (valid during the call only). May throw, e.g. when the disk is full;
  /// the render then stops with that error.
  virtual void write(const dsp::AudioBlock& block) = 0;
};

/// A region of a track in source frames: [start, end); end past the track means its end.
struct RenderRegion {
  std::uint64_t start = 0;
  std::uint64_t end = UINT64_MAX;
};

struct OfflineRenderOptions {
  /// Frames per chunk (one pass through the graph, one sink write): 1..kMaxChunkFrames.
  FrameCount chunkFrames = 4096;
  ChannelCount channels = 2;
  /// The stage between the readers and the voices, prepared for chunkFrames and
  /// kMaxStageSources sources. Reset before the render. Null: the settings' tempo and pitch
  /// (a time-stretch stage, or the pass-through at 1 and 0).
  TrackStage* stage = nullptr;
};

/// Limit: the largest chunk an offline render takes at once.
inline constexpr FrameCount kMaxChunkFrames = 65536;

/// The frames renderOffline writes for `region` of `track` at the settings' tempo (without a
/// stage of the caller's): region / tempo, rounded. Throws InvalidArgument for an empty region.
std::uint64_t offlineRenderFrames(const Track& track, const EngineSettings& settings, RenderRegion region);

/// What an export of `track` renders, from the settings the user hears: everything that shapes
/// the song, without the listening volume and mute, the metronome and the count-in (which
/// renderOffline never plays). `source` null: the mix as it plays (muted and soloed stems as
/// set); an index: that source alone at its own gain and pan, even if muted. Throws
/// InvalidArgument for a source the track does not have.
EngineSettings exportSettings(const Track& track, const EngineSettings& heard, std::optional<std::size_t> source);

/// Renders `region` of `track` with `settings` (tempo and pitch, track gain, sources, master
/// gain, EQ, limiter; every glide already at its target) into `sink`: region / tempo frames. Publishes progress and checks cancellation
/// on `context` after each chunk (null: neither). Returns the frames written. Throws
/// InvalidArgument for a bad region or options, core::Cancelled when cancelled, core::Error when
/// the graph produced non-finite samples, and whatever the sink throws.
std::uint64_t renderOffline(const Track& track, const EngineSettings& settings, RenderRegion region, RenderSink& sink,
                            const OfflineRenderOptions& options = {}, core::JobContext* context = nullptr);

}  // namespace woodshed::engine
