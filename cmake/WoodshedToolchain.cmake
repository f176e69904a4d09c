# Compiler and platform flags shared by every Woodshed target.
#
# Everything links against woodshed_options (an INTERFACE target) so that the thread and
# exception flags are the same for every object in a link: Emscripten requires -pthread on
# all of them, and -fexceptions (JS-based) is the exception model that works with threads
# in Emscripten 3.1.6 (-fwasm-exceptions does not; see shared/TOOLCHAIN.md).

add_library(woodshed_options INTERFACE)
target_compile_features(woodshed_options INTERFACE cxx_std_20)
target_compile_definitions(woodshed_options INTERFACE WOODSHED_VERSION="${PROJECT_VERSION}")

if(WOODSHED_ENABLE_ASSERTS)
  target_compile_definitions(woodshed_options INTERFACE WOODSHED_ENABLE_ASSERTS=1)
endif()

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(woodshed_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wconversion -Wno-sign-conversion>)
endif()

find_package(Threads REQUIRED)
target_link_libraries(woodshed_options INTERFACE Threads::Threads)

if(EMSCRIPTEN)
  target_compile_options(woodshed_options INTERFACE -pthread -fexceptions)
  target_link_options(woodshed_options INTERFACE -pthread -fexceptions)
  if(WOODSHED_WASM_SIMD)
    # For every target of the web build, third-party ones included: RealFft<f32x4> becomes wasm
    # f32x4 code. Off, the same sources build, the vector extensions lowered to scalar code.
    add_compile_options(-msimd128)
    add_link_options(-msimd128)
  endif()
else()
  if(WOODSHED_SANITIZE)
    target_compile_options(woodshed_options INTERFACE -fsanitize=${WOODSHED_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(woodshed_options INTERFACE -fsanitize=${WOODSHED_SANITIZE})
  endif()
  if(WOODSHED_FUZZ)
    # Coverage for libFuzzer in every object; the fuzz targets link its main (tests/fuzz).
    target_compile_options(woodshed_options INTERFACE -fsanitize=fuzzer-no-link)
  endif()
  # Optimized native builds (native-release, native-tsan) carry line tables (-g1), not full
  # debug info: backtraces and sanitizer reports keep their files and lines, and the sources
  # build about a quarter faster on 2 cores. The debugger's build is native-debug.
  foreach(lang C CXX)
    string(REGEX REPLACE "(^| )-g( |$)" "\\1-g1\\2" CMAKE_${lang}_FLAGS_RELWITHDEBINFO "${CMAKE_${lang}_FLAGS_RELWITHDEBINFO}")
  endforeach()
endif()
