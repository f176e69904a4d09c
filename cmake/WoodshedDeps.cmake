# Third-party sources that come from Debian source packages (tools/setup fetches them into
# .cache/deps/). Users with their own checkouts pass -DWOODSHED_IMGUI_DIR / -DWOODSHED_KISSFFT_DIR /
# -DWOODSHED_EBUR128_DIR.

set(WOODSHED_DEPS_CACHE "${PROJECT_SOURCE_DIR}/.cache/deps")
set(WOODSHED_IMGUI_DIR "${WOODSHED_DEPS_CACHE}/imgui" CACHE PATH "Dear ImGui 1.86 sources")
set(WOODSHED_KISSFFT_DIR "${WOODSHED_DEPS_CACHE}/kissfft" CACHE PATH "KissFFT 131 sources")
set(WOODSHED_EBUR128_DIR "${WOODSHED_DEPS_CACHE}/libebur128" CACHE PATH "libebur128 1.2.6 sources")

function(woodshed_require_dir dir header what)
  if(NOT EXISTS "${dir}/${header}")
    message(FATAL_ERROR "${what} not found at ${dir} (no ${header}). Run tools/setup, which fetches it "
                        "from Debian's source packages, or pass the directory of your own checkout.")
  endif()
endfunction()

# KissFFT: C, float scalars. Spectra (the analysis work) build on it.
woodshed_require_dir("${WOODSHED_KISSFFT_DIR}" kiss_fftr.c "KissFFT")
add_library(woodshed_kissfft STATIC
  ${WOODSHED_KISSFFT_DIR}/kiss_fft.c
  ${WOODSHED_KISSFFT_DIR}/kiss_fftr.c)
target_include_directories(woodshed_kissfft SYSTEM PUBLIC ${WOODSHED_KISSFFT_DIR})
target_compile_definitions(woodshed_kissfft PUBLIC kiss_fft_scalar=float)
if(EMSCRIPTEN)
  target_compile_options(woodshed_kissfft PRIVATE -pthread)
endif()

# libebur128: C, EBU R128 / ITU-R BS.1770 loudness for the loudness meter. Its bundled BSD
# queue.h is used everywhere (Emscripten's libc has none), so the build does not depend on the host's.
woodshed_require_dir("${WOODSHED_EBUR128_DIR}" ebur128/ebur128.c "libebur128")
add_library(woodshed_ebur128 STATIC ${WOODSHED_EBUR128_DIR}/ebur128/ebur128.c)
target_include_directories(woodshed_ebur128 SYSTEM PUBLIC ${WOODSHED_EBUR128_DIR}/ebur128)
target_include_directories(woodshed_ebur128 PRIVATE ${WOODSHED_EBUR128_DIR}/ebur128/queue)
if(NOT EMSCRIPTEN AND NOT WIN32)
  target_link_libraries(woodshed_ebur128 PRIVATE m)
endif()
if(EMSCRIPTEN)
  target_compile_options(woodshed_ebur128 PRIVATE -pthread)
endif()

if(EMSCRIPTEN)
  # Dear ImGui with the GLFW and OpenGL ES 3 (WebGL2) backends. -pthread is PUBLIC so every
  # object in the app's link is compiled for threads.
  woodshed_require_dir("${WOODSHED_IMGUI_DIR}" imgui.h "Dear ImGui")
  add_library(woodshed_imgui STATIC
    ${WOODSHED_IMGUI_DIR}/imgui.cpp
    ${WOODSHED_IMGUI_DIR}/imgui_draw.cpp
    ${WOODSHED_IMGUI_DIR}/imgui_tables.cpp
    ${WOODSHED_IMGUI_DIR}/imgui_widgets.cpp
    ${WOODSHED_IMGUI_DIR}/backends/imgui_impl_glfw.cpp
    ${WOODSHED_IMGUI_DIR}/backends/imgui_impl_opengl3.cpp)
  target_include_directories(woodshed_imgui SYSTEM PUBLIC ${WOODSHED_IMGUI_DIR} ${WOODSHED_IMGUI_DIR}/backends)
  target_compile_definitions(woodshed_imgui PUBLIC IMGUI_IMPL_OPENGL_ES3 IMGUI_DISABLE_OBSOLETE_FUNCTIONS)
  target_compile_options(woodshed_imgui PUBLIC -pthread -fexceptions)
  target_link_options(woodshed_imgui PUBLIC -sUSE_GLFW=3 -sMIN_WEBGL_VERSION=2 -sMAX_WEBGL_VERSION=2)
endif()
