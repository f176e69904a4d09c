#include "woodshed/dsp/waveform_overview.h"

#include <algorithm>
#include <limits>

namespace woodshed::dsp {

namespace {
constexpr std::uint64_t kCheckEveryFrames = 1u << 16;
}

WaveformOverview WaveformOverview::build(const PcmBuffer& pcm, core::JobContext* context) {
  WaveformOverview overview;
  overview.frames_ = pcm.frames();
  overview.scale_ = pcm.scale();
  const std::uint64_t buckets = (pcm.frames() + kBaseBucketFrames - 1) / kBaseBucketFrames;
  std::vector<Peak> base(static_cast<std::size_t>(buckets), Peak{std::numeric_limits<std::int16_t>::max(), std::numeric_limits<std::int16_t>::min()});
  for (ChannelCount c = 0; c < pcm.channels(); ++c) {
    const std::int16_t* samples = pcm.channel(c);
    for (std::uint64_t start = 0; start < pcm.frames(); start += kCheckEveryFrames) {
      if (context != nullptr) {
        context->throwIfCancellationRequested();
        context->setProgress((static_cast<double>(c) * static_cast<double>(pcm.frames()) + static_cast<double>(start)) /
                             (static_cast<double>(pcm.channels()) * static_cast<double>(pcm.frames())));
      }
      const std::uint64_t end = std::min<std::uint64_t>(pcm.frames(), start + kCheckEveryFrames);
      for (std::uint64_t i = start; i < end; ++i) {
        Peak& peak = base[static_cast<std::size_t>(i / kBaseBucketFrames)];
        peak.min = std::min(peak.min, samples[i]);
        peak.max = std::max(peak.max, samples[i]);
      }
    }
  }
  overview.levels_.push_back(std::move(base));
  while (overview.levels_.back().size() > kMinBucketsPerLevel) {
    const std::vector<Peak>& below = overview.levels_.back();
    std::vector<Peak> level((below.size() + kLevelFactor - 1) / kLevelFactor, below.front());
    for (std::size_t i = 0; i < below.size(); ++i) {
      Peak& peak = level[i / kLevelFactor];
      if (i % kLevelFactor == 0) peak = below[i];
      peak.min = std::min(peak.min, below[i].min);
      peak.max = std::max(peak.max, below[i].max);
    }
    overview.levels_.push_back(std::move(level));
  }
  return overview;
}

std::uint64_t WaveformOverview::bucketFrames(std::size_t level) const noexcept {
  std::uint64_t frames = kBaseBucketFrames;
  for (std::size_t i = 0; i < level; ++i) frames *= kLevelFactor;
  return frames;
}

std::size_t WaveformOverview::levelFor(double framesPerPixel) const noexcept {
  std::size_t level = 0;
  while (level + 1 < levels_.size() && static_cast<double>(bucketFrames(level + 1)) <= framesPerPixel) ++level;
  return level;
}

WaveformOverview::Peak WaveformOverview::peakBetween(std::uint64_t begin, std::uint64_t end) const noexcept {
  if (levels_.empty() || begin >= end) return Peak{0, 0};
  const std::size_t index = levelFor(static_cast<double>(end - begin));
  const std::vector<Peak>& level = levels_[index];
  const std::uint64_t width = bucketFrames(index);
  const std::size_t first = static_cast<std::size_t>(begin / width);
  const std::size_t last = std::min(level.size(), static_cast<std::size_t>((end + width - 1) / width));
  Peak result{std::numeric_limits<std::int16_t>::max(), std::numeric_limits<std::int16_t>::min()};
  for (std::size_t i = first; i < last; ++i) {
    result.min = std::min(result.min, level[i].min);
    result.max = std::max(result.max, level[i].max);
  }
  return first < last ? result : Peak{0, 0};
}

}  // namespace woodshed::dsp
