#pragma once
// What every benchmark table says it ran on.

namespace woodshed::bench {

#if defined(__EMSCRIPTEN__)
inline constexpr const char* kPlatform = "wasm (node)";
#else
inline constexpr const char* kPlatform = "native";
#endif

}  // namespace woodshed::bench
