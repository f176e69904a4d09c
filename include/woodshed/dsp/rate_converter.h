#pragma once
// Sample-rate conversion of a whole stream that arrives in chunks: a decoded song at its own
// rate, stored at the output's (the chunked import, web/chunked-decode.js). Not for the render
// thread: it allocates as it goes.
//
// Exact polyphase: with g = gcd(from, to), L = to / g and M = from / g, output sample j sits at
// input position j * M / L, whose integer part n and phase p = (j * M) mod L pick one of L
// kernels: out[j] = sum over k of x[n + k] * kernel[p][k]. Each kernel is a sinc cut off at
// kCutoff of the lower of the two rates (so going down removes what the new rate cannot hold),
// windowed by a Kaiser window kZeroCrossings crossings of that rate long each side, and
// normalised to unity gain at DC. The signal is silence before its first sample and after its
// last. The output is floor(frames * to / from) samples long, as long as Chromium's
// decodeAudioData makes it. Fed in chunks of any size, the output is the same, sample for
// sample, as fed whole. A copy shares the (immutable) kernel table and carries on from the
// same point: the converters of a song's channels are one converter, built once, copied.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "woodshed/core/types.h"

namespace woodshed::dsp {

class RateConverter {
 public:
  /// Crossings of the kernel each side, at the lower rate.
  static constexpr int kZeroCrossings = 24;
  /// The kernel's cutoff as a fraction of the lower rate.
  static constexpr double kCutoff = 0.47;
  /// The Kaiser window's beta (stopband about -100 dB).
  static constexpr double kKaiserBeta = 10.0;
  /// Limit: kernels (phases) in the table; rates whose ratio needs more are not converted
  /// (supports() is false, and the import decodes them whole).
  static constexpr std::int64_t kMaxPhases = 4096;

  /// Both rates whole numbers from 1 Hz to 768 kHz, and their ratio within kMaxPhases phases.
  static bool supports(SampleRate from, SampleRate to) noexcept;
  /// How many frames `inputFrames` become.
  static std::uint64_t outputFrames(std::uint64_t inputFrames, SampleRate from, SampleRate to) noexcept;

  /// Throws InvalidArgument unless supports(from, to). Allocates the kernels.
  RateConverter(SampleRate from, SampleRate to, std::uint64_t inputFrames);

  /// Takes the next `count` input samples and appends the output they complete to `out`.
  /// Throws InvalidArgument past inputFrames.
  void push(const float* samples, std::size_t count, std::vector<float>& out);
  /// Appends the rest of the output, once all input has been pushed (or, earlier, as if the rest
  /// were silence).
  void finish(std::vector<float>& out);

  std::uint64_t outputFrames() const noexcept { return total_; }
  /// Input samples pushed so far.
  std::uint64_t consumed() const noexcept { return static_cast<std::uint64_t>(received_); }
  /// The most any output sample can exceed the input's largest magnitude by, as a factor: the
  /// largest sum of a kernel's absolute taps (a little over 1: the sinc's ripple).
  double peakGain() const noexcept;
  /// Output samples given so far.
  std::uint64_t produced() const noexcept { return static_cast<std::uint64_t>(next_); }

 private:
  // Appends the outputs whose input is all here (or all of them once `final`).
  void emit(std::vector<float>& out, bool final);
  float at(std::int64_t input) const noexcept;

  std::int64_t phases_ = 1;    // L
  std::int64_t step_ = 1;      // M
  std::int64_t half_ = 1;      // taps before and after the position, in input samples
  std::int64_t taps_ = 2;      // 2 * half_, rounded up to a multiple of 4
  // phases_ rows of taps_ taps; tap t reads x[n - half_ + 1 + t]. Shared by copies.
  std::shared_ptr<const std::vector<float>> kernels_;
  std::uint64_t inputFrames_ = 0;
  std::uint64_t total_ = 0;
  std::vector<float> input_;   // input samples from base_ on
  std::int64_t base_ = 0;
  std::int64_t received_ = 0;
  std::int64_t next_ = 0;      // the next output sample
  std::vector<float> gathered_;  // the taps' input at an edge
};

}  // namespace woodshed::dsp
