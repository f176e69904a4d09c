#pragma once
// Detects a track's beat grid on the thread pool: every source mixed to mono, averaged down to
// about kBeatDetectionRate (onsets need no more), then dsp::estimateBeatGrid.

#include "woodshed/core/thread_pool.h"
#include "woodshed/dsp/beat_tracker.h"
#include "woodshed/engine/track.h"

namespace woodshed::engine {

/// Limit: how much of a song detection analyses (its start); bounds memory at about 26 MB of
/// mono audio at the reduced rate, plus the estimator's own 9 kB per second.
inline constexpr double kMaxBeatDetectionSeconds = 600.0;
/// Detection runs at this rate or a little above: the song is averaged down by a whole factor.
inline constexpr SampleRate kBeatDetectionRate = 11025.0;

/// The beat grid of `track`. Publishes progress and stops with core::Cancelled when asked, at
/// least every 20 ms of work. Throws core::InvalidArgument for a song too short for a tempo.
dsp::BeatGrid detectBeatGrid(const Track& track, core::JobContext& context);

}  // namespace woodshed::engine
