#include "woodshed/dsp/pcm_buffer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {

constexpr double kLowestStep = -32768.0;
constexpr double kHighestStep = 32767.0;
constexpr double kFullScaleSteps = 32768.0;
// Chromium's decoder gives a positive 16-bit sample s as s / 32767 (32767 is exactly 1.0) and
// a negative one as s / 32768 (measured in the browser tests' Chromium). In float, s / 32767 is
// within a thousandth of a step of s; a hundredth tells it from anything that is not on the grid.
constexpr double kPositiveSteps = 32767.0;
constexpr double kGridTolerance = 0.01;
// Where a scaled buffer puts its peaks: one step inside the range, so that the dither (under
// one step each way) never takes a sample outside it.
constexpr double kScaledTop = kHighestStep - 1.0;
constexpr double kScaledBottom = kLowestStep + 1.0;

// SplitMix64's finaliser: a bijective mix of 64 bits, so consecutive frames give independent noise.
std::uint64_t mix(std::uint64_t z) noexcept {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// How a chunk sits on the 16-bit grid, if it does.
enum class Grid {
  None,
  Steps,     // every sample is s * scale exactly (a 16-bit decode at 1 / 32768, silence)
  Chromium,  // at the unit scale: positive samples are s / 32767, negative ones s / 32768
};

bool onSteps(double y) noexcept { return y == std::nearbyint(y) && y >= kLowestStep && y <= kHighestStep; }

Grid gridOf(const float* samples, std::uint64_t count, double steps) noexcept {
  bool exact = true;
  bool chromium = steps == kFullScaleSteps;
  for (std::uint64_t i = 0; i < count && (exact || chromium); ++i) {
    const double x = samples[i];
    const bool here = onSteps(x * steps);
    exact = exact && here;
    if (chromium && x > 0.0) {
      const double z = x * kPositiveSteps;
      chromium = std::fabs(z - std::nearbyint(z)) <= kGridTolerance && z < kHighestStep + 0.5;
    } else {
      chromium = chromium && here;
    }
  }
  return exact ? Grid::Steps : (chromium ? Grid::Chromium : Grid::None);
}

// TPDF dither for one sample: the difference of two uniform values in [0, 1), in (-1, 1) steps,
// from the channel and the frame alone (the same in any chunking).
double ditherAt(ChannelCount channel, std::uint64_t frame) noexcept {
  const std::uint64_t bits = mix(PcmBuffer::kDitherSeed ^ (std::uint64_t{channel} << 56) ^ frame);
  constexpr double kUnit = 1.0 / 4294967296.0;
  return (static_cast<double>(bits >> 32) - static_cast<double>(bits & 0xFFFFFFFFull)) * kUnit;
}

}  // namespace

void PcmBuffer::Peaks::include(const float* samples, std::uint64_t count) noexcept {
  for (std::uint64_t i = 0; i < count; ++i) {
    lowest = std::min(lowest, samples[i]);
    highest = std::max(highest, samples[i]);
  }
}

PcmBuffer::PcmBuffer(ChannelCount channels, std::uint64_t frames, SampleRate sampleRate, core::MemoryBudget& budget)
    : channels_(channels), frames_(frames), sampleRate_(sampleRate) {
  allocate(budget);
}

PcmBuffer::PcmBuffer(ChannelCount channels, std::uint64_t frames, SampleRate sampleRate, core::MemoryBudget& budget,
                     Peaks peaks)
    : channels_(channels), frames_(frames), sampleRate_(sampleRate), dither_(true) {
  if (!std::isfinite(peaks.lowest) || !std::isfinite(peaks.highest)) {
    throw core::InvalidArgument("the audio contains invalid samples (NaN or infinity)");
  }
  const double lowest = std::min(0.0f, peaks.lowest);
  const double highest = std::max(0.0f, peaks.highest);
  if (lowest < -1.0 || highest > 1.0) {
    // Beyond full scale: the scale that puts the farther peak one step inside the 16-bit range.
    scale_ = static_cast<float>(std::max(highest / kScaledTop, lowest / kScaledBottom));
  }
  allocate(budget);
}

void PcmBuffer::allocate(core::MemoryBudget& budget) {
  if (channels_ < 1 || channels_ > kMaxChannels) {
    throw core::InvalidArgument("audio with " + std::to_string(channels_) + " channels is not supported (1 or 2)");
  }
  if (frames_ == 0) throw core::InvalidArgument("the audio is empty (no samples)");
  if (!(sampleRate_ > 0.0)) throw core::InvalidArgument("the audio has no valid sample rate");
  const std::uint64_t bytes = std::uint64_t{channels_} * frames_ * sizeof(std::int16_t);
  reservation_ = budget.reserve(bytes, "this track");
  data_ = std::make_unique<std::int16_t[]>(static_cast<std::size_t>(std::uint64_t{channels_} * frames_));
  readable_.store(frames_, std::memory_order_release);
}

void PcmBuffer::publishWrites() noexcept {
  publishing_ = true;
  written_.fill(0);
  readable_.store(0, std::memory_order_release);
}

void PcmBuffer::publishAll() noexcept {
  publishing_ = false;
  readable_.store(frames_, std::memory_order_release);
}

void PcmBuffer::published(ChannelCount channel, std::uint64_t offset, std::uint64_t count) noexcept {
  if (!publishing_ || offset > written_[channel]) return;
  written_[channel] = std::max(written_[channel], offset + count);
  std::uint64_t everywhere = written_[0];
  for (ChannelCount c = 1; c < channels_; ++c) everywhere = std::min(everywhere, written_[c]);
  // Release: the samples stored above are visible to whoever reads this frontier.
  readable_.store(everywhere, std::memory_order_release);
}

void PcmBuffer::write(ChannelCount channel, std::uint64_t offset, const float* samples, std::uint64_t count) {
  if (channel >= channels_ || offset > frames_ || count > frames_ - offset) {
    throw core::InvalidArgument("audio written outside the track's buffer");
  }
  // First the whole chunk: refuse it before storing any of it.
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!std::isfinite(samples[i])) {
      char where[64];
      std::snprintf(where, sizeof where, "%.3f s", static_cast<double>(offset + i) / sampleRate_);
      throw core::InvalidArgument(std::string("the audio contains invalid samples (NaN or infinity), the first at ") +
                                  where);
    }
  }
  const double steps = 1.0 / static_cast<double>(scale_);  // exactly 32768 at the unit scale
  std::int16_t* out = data_.get() + channel * frames_ + offset;
  const Grid grid = dither_ ? gridOf(samples, count, steps) : Grid::None;
  if (grid == Grid::Chromium) {  // the file's own samples, whichever half they are in
    for (std::uint64_t i = 0; i < count; ++i) {
      const double x = samples[i];
      out[i] = static_cast<std::int16_t>(std::nearbyint(x * (x > 0.0 ? kPositiveSteps : kFullScaleSteps)));
    }
    published(channel, offset, count);
    return;
  }
  const bool dither = dither_ && grid == Grid::None;
  for (std::uint64_t i = 0; i < count; ++i) {
    double y = static_cast<double>(samples[i]) * steps;
    // Beyond full scale at this scale; what lies within a step of the top is held there.
    if (y > kFullScaleSteps || y < kLowestStep) ++clipped_;
    if (dither) y += ditherAt(channel, offset + i);
    out[i] = static_cast<std::int16_t>(std::clamp(std::nearbyint(y), kLowestStep, kHighestStep));
  }
  if (dither) dithered_ += count;
  published(channel, offset, count);
}

}  // namespace woodshed::dsp
