// Prints what a real FFT costs per channel, as a Markdown table: KissFFT's kiss_fftr (one
// channel a call), RealFft<float> (one channel a call) and RealFft<f32x4> (four channels a
// call), forward and inverse, in ns per channel-transform and as a speed-up over KissFFT. The
// last column is RealFft<f32x4> with only 2 of its 4 lanes in use (one stereo source). Each
// figure is the median of 5 repeats of at least 0.2 s, after 100 warm-up transforms. Run
// natively and under node (wasm); docs/design/stretcher.md section 4 has the targets.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "kiss_fftr.h"
#include "bench_platform.h"
#include "woodshed/dsp/real_fft.h"

namespace {

using namespace woodshed;
using Clock = std::chrono::steady_clock;

using bench::kPlatform;

// ns per call of `transform`: the median of 5 repeats of at least 0.2 s each.
template <class Transform>
double nsPerCall(Transform&& transform) {
  for (int i = 0; i < 100; ++i) transform();
  std::vector<double> repeats;
  for (int repeat = 0; repeat < 5; ++repeat) {
    long calls = 0;
    const auto begin = Clock::now();
    double seconds = 0.0;
    do {
      for (int i = 0; i < 16; ++i) transform();
      calls += 16;
      seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    } while (seconds < 0.2);
    repeats.push_back(seconds * 1e9 / static_cast<double>(calls));
  }
  std::sort(repeats.begin(), repeats.end());
  return repeats[repeats.size() / 2];
}

void benchSize(std::uint32_t size, bool inverse) {
  const std::uint32_t bins = size / 2 + 1;
  std::mt19937 rng(size);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> time(size), re(bins), im(bins);
  for (auto& x : time) x = uniform(rng);
  std::vector<dsp::f32x4> laneTime(size), laneRe(bins), laneIm(bins);
  for (std::uint32_t n = 0; n < size; ++n) laneTime[n] = dsp::f32x4{time[n], -time[n], 0.5f * time[n], time[size - 1 - n]};

  kiss_fftr_cfg kiss = kiss_fftr_alloc(static_cast<int>(size), inverse ? 1 : 0, nullptr, nullptr);
  std::vector<kiss_fft_cpx> kissBins(bins);
  dsp::RealFft<float> scalar;
  scalar.prepare(size);
  dsp::RealFft<dsp::f32x4> lanes;
  lanes.prepare(size);
  // The inverses start from the spectra of the noise.
  kiss_fftr_cfg kissForward = kiss_fftr_alloc(static_cast<int>(size), 0, nullptr, nullptr);
  kiss_fftr(kissForward, time.data(), kissBins.data());
  kiss_fftr_free(kissForward);
  scalar.forward(time.data(), re.data(), im.data());
  lanes.forward(laneTime.data(), laneRe.data(), laneIm.data());
  std::vector<float> scalarOut(size);
  std::vector<dsp::f32x4> laneOut(size);

  double kissNs = 0.0, scalarNs = 0.0, lanesNs = 0.0;
  if (inverse) {
    kissNs = nsPerCall([&] { kiss_fftri(kiss, kissBins.data(), scalarOut.data()); });
    scalarNs = nsPerCall([&] { scalar.inverse(re.data(), im.data(), scalarOut.data()); });
    lanesNs = nsPerCall([&] { lanes.inverse(laneRe.data(), laneIm.data(), laneOut.data()); }) / 4.0;
  } else {
    kissNs = nsPerCall([&] { kiss_fftr(kiss, time.data(), kissBins.data()); });
    scalarNs = nsPerCall([&] { scalar.forward(time.data(), re.data(), im.data()); });
    lanesNs = nsPerCall([&] { lanes.forward(laneTime.data(), laneRe.data(), laneIm.data()); }) / 4.0;
  }
  kiss_fftr_free(kiss);
  std::printf("| %s | %u | %s | %.0f | %.0f (%.2fx) | %.0f (%.2fx) | %.0f (%.2fx) |\n", kPlatform, size,
              inverse ? "inverse" : "forward", kissNs, scalarNs, kissNs / scalarNs, lanesNs, kissNs / lanesNs,
              2.0 * lanesNs, kissNs / (2.0 * lanesNs));
}

}  // namespace

int main() {
  std::printf("| platform | N | direction | `kiss_fftr` ns/ch | `RealFft<float>` ns/ch | `RealFft<f32x4>` ns/ch | "
              "f32x4, 2 lanes used, ns/ch |\n|---|---|---|---|---|---|---|\n");
  for (const std::uint32_t size : {1024u, 2048u, 4096u, 8192u}) {
    benchSize(size, false);
    benchSize(size, true);
  }
  return 0;
}
