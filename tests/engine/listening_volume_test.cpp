// The listening volume is the last stage: after the output chain and the analysis tap, so what
// the meters and loudness measure does not follow the knob, and never above full scale.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "woodshed/core/audio_ring.h"
#include "woodshed/dsp/process_spec.h"
#include "woodshed/engine/renderer.h"

namespace woodshed::engine {
namespace {

constexpr FrameCount kBlock = 128;

struct Levels {
  double outputRmsDb;
  double tapRmsDb;
  float outputPeak;
};

// Renders `blocks` blocks of the generator at `levelDb` with the listening volume at `gain`
// (linear), after half a second to let every glide settle; measures output and tap.
Levels render(dsp::Waveform waveform, double levelDb, double gain, int blocks = 200) {
  Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{48000.0, kBlock, 2});
  core::AudioRing tap(2, 1 << 16);
  renderer.setAnalysisTap(&tap);
  renderer.apply(command::SetGenerator{{waveform, 1000.0, levelDb, true}});
  // The limiter off, so a full-scale signal reaches the volume as it is.
  renderer.apply(command::SetLimiter{0.0, false});
  renderer.apply(command::SetListeningVolume{gain});
  std::vector<float> tapLeft(kBlock), tapRight(kBlock);
  float* tapOut[2] = {tapLeft.data(), tapRight.data()};
  double outputSum = 0.0, tapSum = 0.0;
  float peak = 0.0f;
  std::size_t count = 0;
  for (int block = 0; block < 190 + blocks; ++block) {
    const RenderedBlock rendered = renderer.render(kBlock);
    const bool popped = tap.tryPopBlock(tapOut, kBlock, nullptr);
    if (block < 190) continue;
    EXPECT_TRUE(popped);
    for (FrameCount i = 0; i < kBlock; ++i) {
      const float out = rendered.audio.channels[0][i];
      outputSum += double{out} * out;
      tapSum += double{tapLeft[i]} * tapLeft[i];
      peak = std::max({peak, std::fabs(out), std::fabs(rendered.audio.channels[1][i])});
      ++count;
    }
  }
  const auto n = static_cast<double>(count);
  return {10.0 * std::log10(outputSum / n), 10.0 * std::log10(tapSum / n), peak};
}

TEST(ListeningVolume, ComesAfterTheAnalysisTapSoTheMetersMeasureTheSong) {
  const Levels unity = render(dsp::Waveform::Sine, -20.0, 1.0);
  const Levels down = render(dsp::Waveform::Sine, -20.0, dsp::dbToGain(-12.0));
  EXPECT_NEAR(down.outputRmsDb - unity.outputRmsDb, -12.0, 0.01) << "the output follows the volume";
  EXPECT_NEAR(down.tapRmsDb, unity.tapRmsDb, 0.001) << "the analysis tap does not";
  const Levels muted = render(dsp::Waveform::Sine, -20.0, 0.0);
  EXPECT_EQ(muted.outputPeak, 0.0f);
  EXPECT_NEAR(muted.tapRmsDb, unity.tapRmsDb, 0.001) << "muting silences the output, not the meters";
}

TEST(ListeningVolume, AboveUnityNeverExceedsFullScale) {
  const Levels loud = render(dsp::Waveform::Square, 0.0, dsp::dbToGain(6.0));
  EXPECT_LE(loud.outputPeak, 1.0f) << "a full-scale square at +6 dB stays within full scale";
  EXPECT_GT(loud.outputRmsDb, -1.0) << "and is still loud";
  const Levels quiet = render(dsp::Waveform::Sine, -20.0, dsp::dbToGain(6.0));
  EXPECT_NEAR(quiet.outputRmsDb - render(dsp::Waveform::Sine, -20.0, 1.0).outputRmsDb, 6.0, 0.01)
      << "a quiet signal is raised exactly, untouched by the final stage";
}

TEST(ListeningVolume, CountsTheBlocksTheFinalStageBent) {
  Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{48000.0, kBlock, 2});
  renderer.apply(command::SetGenerator{{dsp::Waveform::Sine, 1000.0, -3.0, true}});
  for (int block = 0; block < 100; ++block) renderer.render(kBlock);
  EXPECT_EQ(renderer.volumeLimitedBlocks(), 0u) << "at unity nothing is bent";
  renderer.apply(command::SetListeningVolume{dsp::dbToGain(6.0)});
  for (int block = 0; block < 100; ++block) renderer.render(kBlock);
  EXPECT_GT(renderer.volumeLimitedBlocks(), 50u);
}

}  // namespace
}  // namespace woodshed::engine
