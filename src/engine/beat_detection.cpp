#include "woodshed/engine/beat_detection.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::engine {

namespace {
// Share of the progress the mixdown takes; the estimators have the rest.
constexpr double kMixdownShare = 0.15;
constexpr double kTuningShare = 0.1;

struct Mixdown {
  std::vector<float> mono;
  SampleRate rate;
};

// Every source mixed to mono and averaged down to about kBeatDetectionRate.
Mixdown mixDown(const Track& track, core::JobContext& context) {
  const SampleRate rate = track.sampleRate();
  const auto factor = static_cast<std::uint64_t>(std::max(1.0, std::floor(rate / kBeatDetectionRate)));
  const std::uint64_t frames =
      std::min<std::uint64_t>(track.frames(), static_cast<std::uint64_t>(kMaxBeatDetectionSeconds * rate));
  std::vector<float> mono(static_cast<std::size_t>(frames / factor));
  // Each reduced frame is the mean of `factor` frames of every channel of every source.
  const float mean = 1.0f / static_cast<float>(factor);
  constexpr std::size_t kChunk = 1 << 15;  // reduced frames between checks: a few ms of work
  for (std::size_t start = 0; start < mono.size(); start += kChunk) {
    context.throwIfCancellationRequested();
    context.setProgress(kMixdownShare * static_cast<double>(start) / static_cast<double>(mono.size()));
    const std::size_t end = std::min(mono.size(), start + kChunk);
    for (const TrackSource& source : track.sources()) {
      const dsp::PcmBuffer& pcm = *source.pcm;
      const float channelScale = pcm.scale() * mean / static_cast<float>(pcm.channels());
      for (ChannelCount c = 0; c < pcm.channels(); ++c) {
        const std::int16_t* in = pcm.channel(c);
        for (std::size_t i = start; i < end; ++i) {
          float sum = 0.0f;
          for (std::uint64_t k = 0; k < factor; ++k) sum += static_cast<float>(in[i * factor + k]);
          mono[i] += sum * channelScale;
        }
      }
    }
  }
  return Mixdown{std::move(mono), rate / static_cast<double>(factor)};
}
}  // namespace

dsp::BeatGrid detectBeatGrid(const Track& track, core::JobContext& context) {
  const Mixdown mix = mixDown(track, context);
  return dsp::estimateBeatGrid(mix.mono.data(), mix.mono.size(), mix.rate, [&](double fraction) {
    context.throwIfCancellationRequested();
    context.setProgress(kMixdownShare + (1.0 - kMixdownShare) * fraction);
  });
}

SongAnalysis analyseSong(const Track& track, core::JobContext& context) {
  const Mixdown mix = mixDown(track, context);
  SongAnalysis analysis;
  analysis.tuning = dsp::estimateTuning(mix.mono.data(), mix.mono.size(), mix.rate, [&](double fraction) {
    context.throwIfCancellationRequested();
    context.setProgress(kMixdownShare + kTuningShare * fraction);
  });
  analysis.grid = dsp::estimateBeatGrid(mix.mono.data(), mix.mono.size(), mix.rate, [&](double fraction) {
    context.throwIfCancellationRequested();
    context.setProgress(kMixdownShare + kTuningShare + (1.0 - kMixdownShare - kTuningShare) * fraction);
  });
  return analysis;
}

}  // namespace woodshed::engine
