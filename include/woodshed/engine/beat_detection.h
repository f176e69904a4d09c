#pragma once
// Detects a track's beat grid on the thread pool: every source mixed to mono, averaged down to
// about kBeatDetectionRate (onsets need no more), then dsp::estimateBeatGrid.

#include "woodshed/core/thread_pool.h"
#include <optional>

#include "woodshed/dsp/beat_tracker.h"
#include "woodshed/dsp/tuning_estimator.h"
#include "woodshed/engine/track.h"

namespace woodshed::engine {

/// Limit: how much of a song detection analyses (its start); bounds memory at about 26 MB of
/// mono audio at the reduced rate, plus the estimator's own 9 kB per second.
inline constexpr double kMaxBeatDetectionSeconds = 600.0;
/// Detection runs at this rate or a little above: the song is averaged down by a whole factor.
inline constexpr SampleRate kBeatDetectionRate = 11025.0;

/// What the analysis of a song finds: its beat grid, and how far it is tuned from A440 (nothing
/// when it has too few steady partials to tell).
struct SongAnalysis {
  dsp::BeatGrid grid;
  std::optional<dsp::TuningEstimate> tuning;
};

/// The beat grid of `track`. Publishes progress and stops with core::Cancelled when asked, at
/// least every 20 ms of work. Throws core::InvalidArgument for a song too short for a tempo.
dsp::BeatGrid detectBeatGrid(const Track& track, core::JobContext& context);

/// The beat grid and the tuning of `track`, from one mixdown (the tuning's partials, up to
/// dsp::kMaxTuningHz, sit well below the reduced rate's Nyquist). As detectBeatGrid.
SongAnalysis analyseSong(const Track& track, core::JobContext& context);

}  // namespace woodshed::engine
