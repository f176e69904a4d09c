#pragma once
// Unit-bearing aliases used across Woodshed's modules.

#include <cstdint>

namespace woodshed {

/// Frames per second of an audio stream.
using SampleRate = double;
/// A count of frames (one sample per channel). Block sizes and ring capacities.
using FrameCount = std::uint32_t;
/// A number of audio channels.
using ChannelCount = std::uint32_t;
/// A frame position in a source (a track), or kNoSourcePosition for sources without one.
using SourcePosition = std::int32_t;

/// Marks audio that does not come from a position in a track (the signal generator, silence).
inline constexpr SourcePosition kNoSourcePosition = -1;

}  // namespace woodshed
