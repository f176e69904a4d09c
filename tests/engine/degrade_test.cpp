// A broken invariant on the render path of the shipped app (policy Count, see
// core/invariant.h) is counted with its message, that block plays silence, and the next block
// plays exactly as if nothing had happened. Tests run with policy Abort otherwise, so a broken
// invariant anywhere else still stops them.

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "support/test_tracks.h"
#include "woodshed/core/invariant.h"
#include "woodshed/engine/renderer.h"

namespace woodshed::engine {
namespace {

constexpr double kRate = 44100.0;

class CountPolicy {
 public:
  CountPolicy() { core::setInvariantPolicy(core::InvariantPolicy::Count); }
  ~CountPolicy() { core::setInvariantPolicy(core::InvariantPolicy::Abort); }
};

std::unique_ptr<Renderer> playing(const Track& track) {
  auto renderer = std::make_unique<Renderer>();
  renderer->prepare(dsp::ProcessSpec{kRate, 128, 2});
  renderer->apply(command::LoadTrack{&track});
  renderer->apply(command::Seek{1000});
  renderer->apply(command::Play{});
  return renderer;
}

std::vector<float> samples(const RenderedBlock& block) {
  std::vector<float> out;
  for (ChannelCount c = 0; c < block.audio.numChannels; ++c) {
    out.insert(out.end(), block.audio.channels[c], block.audio.channels[c] + block.audio.numFrames);
  }
  return out;
}

TEST(RenderDegrade, ABlockLargerThanPreparedIsCountedPlaysSilenceAndTheNextBlockPlaysNormally) {
  core::MemoryBudget budget{"test budget", 16 << 20};
  const Track song(1, "ramp", {{"mix", test::rampPcm(budget, 100000)}});
  auto faulty = playing(song);
  auto reference = playing(song);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(samples(faulty->render(128)), samples(reference->render(128)));
  }
  const CountPolicy policy;
  const std::uint64_t before = core::invariantFailures();
  const RenderedBlock broken = faulty->render(129);  // injected: more than the 128 prepared
  EXPECT_EQ(core::invariantFailures(), before + 1);
  EXPECT_NE(std::string(core::lastInvariantFailure()).find("larger than prepared"), std::string::npos)
      << core::lastInvariantFailure();
  std::size_t loud = 0;
  for (const float x : samples(broken)) loud += x != 0.0f;
  EXPECT_EQ(loud, 0u) << "that block is silent";
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(samples(faulty->render(128)), samples(reference->render(128))) << "block " << i << " after";
  }
}

}  // namespace
}  // namespace woodshed::engine
