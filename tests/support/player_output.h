#pragma once
// Runs a Player by itself, block by block, as the renderer would, and keeps what it output.

#include <algorithm>
#include <cstddef>
#include <vector>

#include "woodshed/engine/player.h"

namespace woodshed::test {

/// What a player output: left, right and the source position of every frame.
struct PlayerOutput {
  std::vector<float> left, right;
  std::vector<SourcePosition> positions;
};

/// Renders `frames` through `player` in blocks of `block` (the last one may be shorter).
inline PlayerOutput renderPlayer(engine::Player& player, std::size_t frames, FrameCount block = 128) {
  PlayerOutput out;
  std::vector<float> l(block), r(block);
  std::vector<SourcePosition> p(block);
  for (std::size_t done = 0; done < frames; done += block) {
    const auto n = static_cast<FrameCount>(std::min<std::size_t>(block, frames - done));
    std::fill(l.begin(), l.end(), 0.0f);
    std::fill(r.begin(), r.end(), 0.0f);
    float* channels[2] = {l.data(), r.data()};
    player.process(dsp::AudioBlock{channels, 2, n}, p.data());
    out.left.insert(out.left.end(), l.begin(), l.begin() + n);
    out.right.insert(out.right.end(), r.begin(), r.begin() + n);
    out.positions.insert(out.positions.end(), p.begin(), p.begin() + n);
  }
  return out;
}

}  // namespace woodshed::test
