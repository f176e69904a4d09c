#pragma once
// Commands from the main thread (UI and JS API) to the render thread. Plain values copied
// through an SPSC ring: nothing in a command owns memory, so the render thread never frees.

#include <cstdint>

#include "woodshed/dsp/signal_generator.h"

namespace woodshed::engine {

struct Command {
  enum class Type : std::uint32_t { SetGenerator, SetMasterGain, SetSampleRate, ResetStatistics };

  Type type = Type::ResetStatistics;
  dsp::GeneratorParams generator{};  ///< SetGenerator
  double value = 0.0;                ///< SetMasterGain (linear), SetSampleRate (Hz)
};

}  // namespace woodshed::engine
