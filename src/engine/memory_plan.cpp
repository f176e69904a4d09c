#include "woodshed/engine/memory_plan.h"

#include <algorithm>

namespace woodshed::engine {

std::uint64_t decodedAudioBudget(std::uint64_t deviceMemoryBytes, std::uint64_t heapLimitBytes) noexcept {
  const std::uint64_t device = deviceMemoryBytes > 0 ? deviceMemoryBytes : kAssumedDeviceMemoryBytes;
  const std::uint64_t heapRoom = heapLimitBytes > kAppReserveBytes ? heapLimitBytes - kAppReserveBytes : 0;
  return std::max(kMinDecodedAudioBytes, std::min(device / 4, heapRoom));
}

}  // namespace woodshed::engine
