#include "woodshed/engine/track.h"

#include <algorithm>

#include "woodshed/core/error.h"

namespace woodshed::engine {

Track::Track(TrackId id, std::string name, std::vector<TrackSource> sources)
    : id_(id), name_(std::move(name)), sources_(std::move(sources)) {
  if (sources_.empty() || sources_.size() > kMaxSources) {
    throw core::InvalidArgument("a track has 1 to " + std::to_string(kMaxSources) + " sources");
  }
  frames_ = sources_.front().pcm->frames();
  sampleRate_ = sources_.front().pcm->sampleRate();
  for (const TrackSource& source : sources_) {
    if (!source.pcm || source.pcm->frames() != frames_ || source.pcm->sampleRate() != sampleRate_) {
      throw core::InvalidArgument("the sources of a track must have the same length and sample rate");
    }
  }
}

ChannelCount Track::channels() const noexcept {
  ChannelCount channels = 1;
  for (const TrackSource& source : sources_) channels = std::max(channels, source.pcm->channels());
  return channels;
}

std::uint64_t Track::bytes() const noexcept {
  std::uint64_t bytes = 0;
  for (const TrackSource& source : sources_) bytes += source.pcm->bytes();
  return bytes;
}

std::uint64_t Track::readableFrames() const noexcept {
  std::uint64_t readable = frames_;
  for (const TrackSource& source : sources_) readable = std::min(readable, source.pcm->readableFrames());
  return readable;
}

std::uint64_t nearestZeroCrossing(const Track& track, std::uint64_t frame) {
  const auto reach = static_cast<std::uint64_t>(kZeroCrossingReachSeconds * track.sampleRate());
  const std::uint64_t readable = track.readableFrames();
  const auto mixAt = [&](std::uint64_t at) {
    float sum = 0.0f;
    for (const TrackSource& source : track.sources()) sum += source.pcm->channel(0)[at] * source.pcm->scale();
    return sum;
  };
  const auto crossesAt = [&](std::uint64_t at) {
    if (at == 0 || at >= readable) return false;
    const float before = mixAt(at - 1), now = mixAt(at);
    return (before < 0 && now >= 0) || (before > 0 && now <= 0);
  };
  for (std::uint64_t distance = 0; distance <= reach; ++distance) {
    if (crossesAt(frame + distance)) return frame + distance;
    if (distance <= frame && crossesAt(frame - distance)) return frame - distance;
  }
  return frame;
}

}  // namespace woodshed::engine
