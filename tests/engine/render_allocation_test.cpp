// Proves the render path never allocates after preparation: operator new is replaced for
// this test program (tests/support/allocation_counter.cpp) and counts every allocation made
// while a window is open.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "support/allocation_counter.h"
#include "woodshed/core/audio_ring.h"
#include "woodshed/engine/engine.h"
#include "woodshed/engine/renderer.h"
#include "support/test_tracks.h"

namespace woodshed::engine {
namespace {

using test::AllocationWindow;

TEST(RenderAllocation, CountingOperatorNewSeesAllocations) {
  EXPECT_GE(test::allocationsSeenBySelfCheck(), 3)
      << "the counter must see allocations, or the tests below prove nothing";
}

TEST(RenderAllocation, RendererAndRingNeverAllocateAfterPrepare) {
  Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{44100.0, 128, 2});
  core::AudioRing ring(2, 4096);
  std::vector<float> left(128), right(128);
  float* out[2] = {left.data(), right.data()};

  AllocationWindow window;
  for (int block = 0; block < 20000; ++block) {
    if (block % 1000 == 0) {  // every kind of command, including retuning the sample rate
      renderer.apply(command::SetGenerator{
          {static_cast<dsp::Waveform>((block / 1000) % 7), 440.0 + block / 100, -12.0, true}});
      renderer.apply(command::SetMasterGain{0.5});
      renderer.apply(command::SetEqBand{static_cast<std::uint32_t>((block / 1000) % 10),
                                        dsp::BandParams{500.0 + block / 10, (block / 1000) % 2 ? 6.0 : -6.0, 0.7, true}});
      renderer.apply(command::SetLimiter{-3.0, (block / 1000) % 3 != 0});
      // Boosting (the final stage bends) and not.
      renderer.apply(command::SetListeningVolume{(block / 1000) % 2 ? 2.0 : 0.25});
      renderer.apply(command::SetSampleRate{block % 2000 == 0 ? 48000.0 : 44100.0});
    }
    const RenderedBlock rendered = renderer.render(block % 3 == 0 ? 128 : 37);
    ASSERT_TRUE(ring.tryPushBlock(rendered.audio.channels, rendered.audio.numFrames, rendered.positions));
    ring.tryPopBlock(out, rendered.audio.numFrames, nullptr);
  }
  EXPECT_EQ(window.count(), 0);
}

TEST(RenderAllocation, PlayingSeekingAndLoopingATrackNeverAllocates) {
  core::MemoryBudget budget("test budget", 64 << 20);
  auto track = std::make_shared<Track>(
      1, "two sources",
      std::vector<TrackSource>{{"mix", test::rampPcm(budget, 30000)}, {"mono", test::rampPcm(budget, 30000, 1)}});
  Renderer renderer;
  renderer.prepare(dsp::ProcessSpec{44100.0, 128, 2});
  AllocationWindow window;
  renderer.apply(command::LoadTrack{track.get()});
  renderer.apply(command::SetLooping{true});
  renderer.apply(command::Play{});
  for (int block = 0; block < 5000; ++block) {
    switch (block % 500) {
      case 100: renderer.apply(command::Seek{29000}); break;
      case 200: renderer.apply(command::SetSourceMute{1, true}); break;
      case 250: renderer.apply(command::SetSourceSolo{1, true}); break;
      case 300: renderer.apply(command::SetSourceGain{1, 0.5}); break;
      case 400: renderer.apply(command::Pause{}); break;
      case 450: renderer.apply(command::Play{}); break;  // with a count-in after the first round
      case 499:
        renderer.apply(command::SetBeatGrid{BeatGridFrames{2205.0, 100.0, 3}});
        renderer.apply(command::SetMetronome{true, 0.5, block < 2500 ? CountIn::First : CountIn::Every, 1});
        renderer.apply(command::SetLoopRegion{1000, 20000});
        break;
      default: break;
    }
    const RenderedBlock rendered = renderer.render(128);
    ASSERT_NE(rendered.positions, nullptr);
  }
  EXPECT_EQ(window.count(), 0);
}

TEST(RenderAllocation, RunningEngineRenderThreadNeverAllocates) {
  Engine engine;
  engine.start(44100.0);
  engine.setGenerator({dsp::Waveform::PinkNoise, 440.0, -12.0, true});
  core::AudioRing& ring = engine.ring();
  std::vector<float> left(128), right(128);
  float* out[2] = {left.data(), right.data()};
  // Warm up: let the engine apply the command and fill the ring, and let the analysis thread
  // prepare (it may allocate, on its own thread, and starts late on a busy machine) until it
  // has published a spectrum. The count below is process-wide.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 500 && engine.analyzer().spectrum().sequence == 0; ++i) {
    ring.tryPopBlock(out, 128, nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(engine.analyzer().spectrum().sequence, 0u) << "the analysis thread published a spectrum";
  const auto framesBefore = engine.status().framesRendered;

  long allocations = 0;
  {
    AllocationWindow window;
    // Consume like the worklet: 128 frames every 2.9 ms, for 0.5 s.
    for (int i = 0; i < 170; ++i) {
      ring.tryPopBlock(out, 128, nullptr);
      std::this_thread::sleep_for(std::chrono::microseconds(2900));
    }
    allocations = window.count();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_GT(engine.status().framesRendered, framesBefore + 128 * 10) << "the render thread kept rendering";
}

}  // namespace
}  // namespace woodshed::engine
