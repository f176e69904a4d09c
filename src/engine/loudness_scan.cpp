#include "woodshed/engine/loudness_scan.h"

#include <algorithm>
#include <vector>

#include "woodshed/dsp/loudness_meter.h"

namespace woodshed::engine {

double measureIntegratedLoudness(const Track& track, core::JobContext& context) {
  constexpr std::uint64_t kChunk = 1 << 16;
  dsp::LoudnessMeter meter;
  meter.prepare(track.sampleRate(), 2);
  std::vector<float> left(kChunk), right(kChunk);
  float* channels[2] = {left.data(), right.data()};
  for (std::uint64_t start = 0; start < track.frames(); start += kChunk) {
    context.throwIfCancellationRequested();
    context.setProgress(static_cast<double>(start) / static_cast<double>(track.frames()));
    const auto n = static_cast<FrameCount>(std::min<std::uint64_t>(kChunk, track.frames() - start));
    std::fill_n(left.begin(), n, 0.0f);
    std::fill_n(right.begin(), n, 0.0f);
    for (const TrackSource& source : track.sources()) {
      const dsp::PcmBuffer& pcm = *source.pcm;
      const float scale = pcm.scale();
      for (ChannelCount c = 0; c < 2; ++c) {
        const std::int16_t* in = pcm.channel(std::min(c, pcm.channels() - 1)) + start;
        for (FrameCount i = 0; i < n; ++i) channels[c][i] += static_cast<float>(in[i]) * scale;
      }
    }
    meter.addPlanar(channels, n);
  }
  return meter.integratedLufs();
}

}  // namespace woodshed::engine
