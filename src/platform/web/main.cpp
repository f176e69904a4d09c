// The browser entry: creates the app, a GLFW window on the page's canvas, Dear ImGui with the
// WebGL2 backend, and the main loop on the browser's main thread (requestAnimationFrame).
// Emscripten 3.1.6's GLFW ignores devicePixelRatio, so the canvas backing store is sized
// here (CSS size x ratio) and ImGui's fonts and style are scaled by the ratio.

#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <emscripten/html5.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "woodshed/core/error.h"
#include "woodshed/core/invariant.h"
#include "woodshed/core/thread_pool.h"
#include "platform/web/web_platform.h"

namespace {

constexpr const char* kCanvas = "#canvas";
constexpr float kBaseFontPixels = 15.0f;

struct Frame {
  GLFWwindow* window = nullptr;
  int backingWidth = 0;
  int backingHeight = 0;
  double pixelRatio = 0.0;
};

Frame gFrame;

// Sizes the canvas backing store. Not glfwSetWindowSize: Emscripten's GLFW treats a size equal
// to the screen's as a request for fullscreen (and pointer lock). Browser.setCanvasSize leaves
// the CSS size alone and tells GLFW through its resize listener.
EM_JS(void, js_set_canvas_size, (int width, int height), { Browser.setCanvasSize(width, height); });

// Keeps the canvas backing store at CSS size x devicePixelRatio and ImGui scaled to match.
void fitCanvas(Frame& frame) {
  double cssWidth = 0.0, cssHeight = 0.0;
  emscripten_get_element_css_size(kCanvas, &cssWidth, &cssHeight);
  const double ratio = std::max(1.0, emscripten_get_device_pixel_ratio());
  const int width = std::max(1, static_cast<int>(std::lround(cssWidth * ratio)));
  const int height = std::max(1, static_cast<int>(std::lround(cssHeight * ratio)));
  if (width != frame.backingWidth || height != frame.backingHeight) {
    js_set_canvas_size(width, height);
    frame.backingWidth = width;
    frame.backingHeight = height;
  }
  if (ratio != frame.pixelRatio) {
    const bool rebuild = frame.pixelRatio != 0.0;
    frame.pixelRatio = ratio;
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    ImFontConfig font;
    font.SizePixels = std::round(kBaseFontPixels * static_cast<float>(ratio));
    io.Fonts->AddFontDefault(&font);
    ImGuiStyle style;
    ImGui::StyleColorsDark(&style);
    style.WindowRounding = 0.0f;
    style.ScaleAllSizes(static_cast<float>(ratio));
    ImGui::GetStyle() = style;
    if (rebuild) {
      ImGui_ImplOpenGL3_DestroyFontsTexture();
      ImGui_ImplOpenGL3_CreateFontsTexture();
    }
  }
}

// ImGui asks for cursor shapes; Emscripten's GLFW cannot set them (and its cursor-mode calls
// touch pointer lock), so the backend is told not to, and the canvas's CSS cursor follows here.
EM_JS(void, js_set_cursor, (const char* cursor), { Module.canvas.style.cursor = UTF8ToString(cursor); });

void updateCursor() {
  static ImGuiMouseCursor shown = ImGuiMouseCursor_Arrow;
  const ImGuiMouseCursor wanted = ImGui::GetMouseCursor();
  if (wanted == shown) return;
  shown = wanted;
  switch (wanted) {
    case ImGuiMouseCursor_TextInput: js_set_cursor("text"); break;
    case ImGuiMouseCursor_ResizeAll: js_set_cursor("move"); break;
    case ImGuiMouseCursor_ResizeNS: js_set_cursor("ns-resize"); break;
    case ImGuiMouseCursor_ResizeEW: js_set_cursor("ew-resize"); break;
    case ImGuiMouseCursor_ResizeNESW: js_set_cursor("nesw-resize"); break;
    case ImGuiMouseCursor_ResizeNWSE: js_set_cursor("nwse-resize"); break;
    case ImGuiMouseCursor_Hand: js_set_cursor("pointer"); break;
    case ImGuiMouseCursor_NotAllowed: js_set_cursor("not-allowed"); break;
    case ImGuiMouseCursor_None: js_set_cursor("none"); break;
    default: js_set_cursor("default"); break;
  }
}

// Lets the page time its first drawn frame (web/app.js).
EM_JS(void, js_first_frame, (), { if (Module.onFirstFrame) Module.onFirstFrame(); });

// Frame pacing: full rate while the user interacts, fewer frames otherwise. Drawing is the
// page's biggest CPU cost (WebGL may be software-rendered), and the audio threads share the
// cores with it.
constexpr double kInteractiveSeconds = 1.0;   // full rate this long after any input
constexpr double kPlayingFrameSeconds = 1.0 / 30.0;  // the playhead still moves smoothly
constexpr double kImportFrameSeconds = 0.1;   // import progress; at 30 frames a second the
                                              // drawing slowed a 5-minute MP3's decode by 40 %
constexpr double kIdleFrameSeconds = 0.25;
// Playing while the rest of a song is decoded (web/import.js): the decode shares the main
// thread with the drawing.
constexpr double kPlayingWhileDecodingFrameSeconds = 1.0 / 15.0;

EM_JS(double, js_seconds_since_input, (), {
  return (performance.now() - (Module.lastInputTime || 0)) / 1000;
});

bool shouldDraw(const Frame& frame) {
  static double lastDrawn = 0.0;
  const double now = emscripten_get_now() / 1000.0;
  double interval = kIdleFrameSeconds;
  if (js_seconds_since_input() < kInteractiveSeconds || frame.backingWidth == 0) {
    interval = 0.0;
  } else if (woodshed::web::theApp().playing()) {
    interval = woodshed::web::theApp().imports().empty() ? kPlayingFrameSeconds : kPlayingWhileDecodingFrameSeconds;
  } else if (!woodshed::web::theApp().imports().empty()) {
    interval = kImportFrameSeconds;
  }
  if (now - lastDrawn < interval) return false;
  lastDrawn = now;
  return true;
}

void drawFrame(void*) {
  Frame& frame = gFrame;
  if (!shouldDraw(frame)) return;
  fitCanvas(frame);
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  const ImGuiIO& io = ImGui::GetIO();
  woodshed::web::theApp().drawFrame(io.DisplaySize.x, io.DisplaySize.y);
  updateCursor();
  ImGui::Render();
  int width = 0, height = 0;
  glfwGetFramebufferSize(frame.window, &width, &height);
  glViewport(0, 0, width, height);
  glClearColor(0.09f, 0.09f, 0.11f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  static bool first = true;
  if (first) {
    first = false;
    js_first_frame();
  }
}

}  // namespace

/// True while an ImGui text field has the keyboard: the page's shortcuts stand back.
extern "C" EMSCRIPTEN_KEEPALIVE int ws_wants_text_input() {
  return ImGui::GetCurrentContext() != nullptr && ImGui::GetIO().WantTextInput ? 1 : 0;
}

namespace {

// Tells the page that the app is ready for calls (web/app.js waits for it).
EM_JS(void, js_app_ready, (), { if (Module.onAppReady) Module.onAppReady(); });
EM_JS(void, js_app_failed, (const char* message), { if (Module.onAppFailed) Module.onAppFailed(UTF8ToString(message)); });

}  // namespace

int main() {
#ifdef NDEBUG
  // The shipped app: a broken realtime invariant plays a silent block and is counted in
  // stats(), instead of aborting the UI, the API and the audio at once (core/invariant.h).
  woodshed::core::setInvariantPolicy(woodshed::core::InvariantPolicy::Count);
#endif
  try {
    // The preallocated workers are the render thread, the analysis thread and the pool, which
    // splits its share into an interactive and a long lane (ThreadPoolConfig::forThreads: at
    // least one thread each, so a long job never delays a waveform or a normalize). The link's
    // PTHREAD_POOL_SIZE gives at least 4: 2 + 1 + 1 on a 2-core device, 2 + 4 + 4 at most.
    constexpr unsigned kRenderAndAnalysisThreads = 2;
    const unsigned workers = woodshed::web::preallocatedWorkers();
    constexpr unsigned kNeeded = kRenderAndAnalysisThreads + woodshed::core::ThreadPool::kMinThreads;
    if (workers < kNeeded) {
      throw woodshed::core::Error("the browser prepared " + std::to_string(workers) + " worker threads; Woodshed needs " +
                                  std::to_string(kNeeded) + " (render, analysis, interactive jobs, long jobs)");
    }
    woodshed::web::createApp(workers - kRenderAndAnalysisThreads);
  } catch (const std::exception& e) {
    js_app_failed(e.what());
    return 1;
  }

  if (!glfwInit()) {
    js_app_failed("could not initialise GLFW");
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  gFrame.window = glfwCreateWindow(1280, 720, "Woodshed", nullptr, nullptr);
  if (gFrame.window == nullptr) {
    js_app_failed("WebGL 2 is not available in this browser, so the interface cannot be drawn");
    return 1;
  }
  glfwMakeContextCurrent(gFrame.window);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // layout is fixed; nothing to persist yet
  io.ConfigFlags |= ImGuiConfigFlags_NoMouseCursorChange;
  ImGui_ImplGlfw_InitForOpenGL(gFrame.window, true);
  ImGui_ImplOpenGL3_Init("#version 300 es");

  js_app_ready();
  emscripten_set_main_loop_arg(drawFrame, nullptr, 0, false);
  return 0;
}
