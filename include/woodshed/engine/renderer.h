#pragma once
// Renders blocks of the engine's output: the part of the engine that runs on the render thread.
//
//   sources -> [time-stretch / pitch-shift stage, per track; later] -> mixer -> OutputChain
//
// A source writes planar audio for a block; the mixer sums sources into the mix bus; the
// output chain makes it safe to play. Today the only source is the signal generator; tracks
// (a set of synchronized sources on one clock) arrive with playback and plug in here.
//
// prepare() allocates the scratch buffers; everything after it (apply, render, changing the
// sample rate) is noexcept and allocation-free. A Renderer is used by one thread at a time.

#include <cstdint>
#include <memory>

#include "woodshed/dsp/process_spec.h"
#include "woodshed/dsp/signal_generator.h"
#include "woodshed/engine/commands.h"
#include "woodshed/engine/output_chain.h"

namespace woodshed::engine {

/// A block the renderer produced: planar channels and the source position of its first frame.
struct RenderedBlock {
  dsp::AudioBlock audio;
  SourcePosition firstPosition = kNoSourcePosition;
  bool wasFinite = true;  ///< false when the NaN guard silenced this block
};

class Renderer {
 public:
  /// Allocates buffers for blocks of up to spec.maxBlockFrames frames. May throw.
  void prepare(const dsp::ProcessSpec& spec);

  /// Applies one command. Render thread: no allocation.
  void apply(const Command& command) noexcept;

  /// Renders `frames` (<= maxBlockFrames) frames. The returned view stays valid until the
  /// next call. Render thread: no allocation, no locks, no waiting.
  RenderedBlock render(FrameCount frames) noexcept;

  const dsp::ProcessSpec& spec() const noexcept { return spec_; }
  const dsp::GeneratorParams& generatorParams() const noexcept { return generator_.params(); }

 private:
  void prepareProcessors() noexcept;

  dsp::ProcessSpec spec_{};
  std::unique_ptr<float[]> mixStorage_;
  float* mixChannels_[8] = {};
  dsp::SignalGenerator generator_;
  OutputChain chain_;
};

}  // namespace woodshed::engine
