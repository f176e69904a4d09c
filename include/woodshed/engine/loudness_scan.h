#pragma once
// Measures a whole track's integrated loudness (EBU R128), for normalization. Runs on the
// thread pool with progress and cancellation.

#include "woodshed/core/thread_pool.h"
#include "woodshed/engine/track.h"

namespace woodshed::engine {

/// Integrated loudness of `track` (all sources mixed at unity) in LUFS, or -200 for silence.
/// Publishes progress and stops with core::Cancelled when asked, checking every 64k frames.
double measureIntegratedLoudness(const Track& track, core::JobContext& context);

}  // namespace woodshed::engine
