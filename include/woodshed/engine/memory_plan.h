#pragma once
// How much decoded audio Woodshed keeps, sized from the device it runs on. Decoded songs (and,
// later, their stems) take most of the memory: 16-bit stereo at 48 kHz is 11.5 MB a minute,
// so a 30-minute song is 346 MB and its four stems 1.38 GB. The rest of the app (the heap at
// start-up, the render graph, two stretch stages, an export's ring, jobs' scratch) stays
// within kAppReserveBytes.

#include <cstdint>

namespace woodshed::engine {

/// Limit: the heap the app keeps for itself besides decoded audio.
inline constexpr std::uint64_t kAppReserveBytes = std::uint64_t{384} << 20;
/// Limit: the smallest budget for decoded audio (one 20-minute stereo song at 48 kHz).
inline constexpr std::uint64_t kMinDecodedAudioBytes = std::uint64_t{256} << 20;
/// The device's memory assumed when the browser does not say (navigator.deviceMemory is
/// Chromium's, rounded down to a power of two and capped at 8 GB).
inline constexpr std::uint64_t kAssumedDeviceMemoryBytes = std::uint64_t{4} << 30;

/// The budget for decoded audio on a device with `deviceMemoryBytes` of memory (0: unknown)
/// whose heap may grow to `heapLimitBytes`: a quarter of the device's memory, at most the heap
/// less kAppReserveBytes, at least kMinDecodedAudioBytes. An 8 GB device gets 1.7 GB (a
/// 30-minute song's four stems at 48 kHz, 1.38 GB, fit); a 4 GB one 1 GiB; a 2 GB one 512 MiB.
std::uint64_t decodedAudioBudget(std::uint64_t deviceMemoryBytes, std::uint64_t heapLimitBytes) noexcept;

}  // namespace woodshed::engine
