#include "woodshed/dsp/rate_converter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numbers>
#include <numeric>
#include <string>

#include "woodshed/core/error.h"
#include "woodshed/dsp/kaiser.h"

namespace woodshed::dsp {

namespace {

using f32x4 = float __attribute__((vector_size(16)));

constexpr double kHighestRate = 768000.0;

bool wholeRate(SampleRate rate) noexcept { return rate >= 1.0 && rate <= kHighestRate && rate == std::floor(rate); }

// Four lanes of partial sums, added in one order whatever path gathered the samples.
float dot(const float* samples, const float* taps, std::int64_t count) noexcept {
  f32x4 sum = {0.0f, 0.0f, 0.0f, 0.0f};
  for (std::int64_t i = 0; i < count; i += 4) {
    f32x4 x;
    f32x4 k;
    std::memcpy(&x, samples + i, sizeof x);
    std::memcpy(&k, taps + i, sizeof k);
    sum += x * k;
  }
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

}  // namespace

bool RateConverter::supports(SampleRate from, SampleRate to) noexcept {
  if (!wholeRate(from) || !wholeRate(to)) return false;
  const auto a = static_cast<std::int64_t>(from), b = static_cast<std::int64_t>(to);
  return b / std::gcd(a, b) <= kMaxPhases;
}

std::uint64_t RateConverter::outputFrames(std::uint64_t inputFrames, SampleRate from, SampleRate to) noexcept {
  const auto a = static_cast<std::uint64_t>(from), b = static_cast<std::uint64_t>(to);
  const std::uint64_t g = std::gcd(a, b);
  return inputFrames * (b / g) / (a / g);
}

RateConverter::RateConverter(SampleRate from, SampleRate to, std::uint64_t inputFrames) : inputFrames_(inputFrames) {
  if (!supports(from, to)) {
    throw core::InvalidArgument("audio at " + std::to_string(from) + " Hz cannot be converted to " + std::to_string(to) +
                                " Hz here");
  }
  const auto a = static_cast<std::int64_t>(from), b = static_cast<std::int64_t>(to);
  const std::int64_t g = std::gcd(a, b);
  phases_ = b / g;
  step_ = a / g;
  total_ = outputFrames(inputFrames, from, to);
  // In input samples: the cutoff (cycles a sample) and the window's half length.
  const double lower = std::min(from, to);
  const double cutoff = kCutoff * lower / from;
  half_ = static_cast<std::int64_t>(std::ceil(kZeroCrossings * from / lower));
  taps_ = (2 * half_ + 3) / 4 * 4;
  auto kernels = std::make_shared<std::vector<float>>(static_cast<std::size_t>(phases_ * taps_), 0.0f);
  std::vector<double> kernel(static_cast<std::size_t>(taps_));
  for (std::int64_t p = 0; p < phases_; ++p) {
    double sum = 0.0;
    for (std::int64_t t = 0; t < 2 * half_; ++t) {
      // Tap t reads x[n - half_ + 1 + t]; the position is n + p / L.
      const double d = static_cast<double>(p) / static_cast<double>(phases_) - static_cast<double>(t - half_ + 1);
      const double x = 2.0 * cutoff * d;
      const double sinc = x == 0.0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
      kernel[static_cast<std::size_t>(t)] = sinc * kaiserWindow(d / static_cast<double>(half_), kKaiserBeta);
      sum += kernel[static_cast<std::size_t>(t)];
    }
    for (std::int64_t t = 0; t < 2 * half_; ++t) {
      (*kernels)[static_cast<std::size_t>(p * taps_ + t)] = static_cast<float>(kernel[static_cast<std::size_t>(t)] / sum);
    }
  }
  kernels_ = std::move(kernels);
}

float RateConverter::at(std::int64_t input) const noexcept {
  if (input < base_ || input >= received_) return 0.0f;  // before the start, or past the end
  return input_[static_cast<std::size_t>(input - base_)];
}

double RateConverter::peakGain() const noexcept {
  double most = 0.0;
  for (std::int64_t p = 0; p < phases_; ++p) {
    double sum = 0.0;
    for (std::int64_t t = 0; t < taps_; ++t) sum += std::fabs((*kernels_)[static_cast<std::size_t>(p * taps_ + t)]);
    most = std::max(most, sum);
  }
  return most;
}

void RateConverter::push(const float* samples, std::size_t count, std::vector<float>& out) {
  if (count > inputFrames_ - static_cast<std::uint64_t>(received_)) {
    throw core::InvalidArgument("more audio than the conversion was set up for");
  }
  input_.insert(input_.end(), samples, samples + count);
  received_ += static_cast<std::int64_t>(count);
  emit(out, false);
}

void RateConverter::finish(std::vector<float>& out) { emit(out, true); }

void RateConverter::emit(std::vector<float>& out, bool final) {
  const auto lastInput = static_cast<std::int64_t>(inputFrames_) - 1;
  while (static_cast<std::uint64_t>(next_) < total_) {
    const std::int64_t position = next_ * step_;
    const std::int64_t n = position / phases_;
    const float* kernel = kernels_->data() + (position % phases_) * taps_;
    const std::int64_t first = n - half_ + 1;
    // Every input sample a tap weighs must be here (those past the end are silence).
    if (!final && std::min(n + half_, lastInput) >= received_) break;
    if (first >= base_ && first + taps_ <= received_) {
      out.push_back(dot(input_.data() + (first - base_), kernel, taps_));
    } else {  // at an edge: the same sum over samples gathered one by one
      gathered_.resize(static_cast<std::size_t>(taps_));
      for (std::int64_t t = 0; t < taps_; ++t) gathered_[static_cast<std::size_t>(t)] = at(first + t);
      out.push_back(dot(gathered_.data(), kernel, taps_));
    }
    ++next_;
  }
  // Input no later output reads goes, a block at a time.
  const std::int64_t keepFrom = (next_ * step_) / phases_ - half_ + 1;
  if (keepFrom - base_ >= 65536) {
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(keepFrom - base_));
    base_ = keepFrom;
  }
}

}  // namespace woodshed::dsp
