#include "app/app.h"

#include <imgui.h>

#include "app/panels.h"

namespace woodshed::app {

const char* toString(AudioState state) noexcept {
  switch (state) {
    case AudioState::Off: return "off";
    case AudioState::Starting: return "starting";
    case AudioState::Running: return "playing";
    case AudioState::Suspended: return "stopped";
    case AudioState::Closed: return "closed";
    case AudioState::Failed: return "failed";
  }
  return "unknown";
}

App::App(PlatformServices& platform, unsigned poolThreads) : platform_(platform), pool_(poolThreads) {}

void App::setGenerator(const dsp::GeneratorParams& params) {
  engine_.setGenerator(params);
  generator_ = params;
}

void App::setTargetLatencyMs(double ms) { engine_.setTargetLatency(ms / 1000.0); }

double App::totalOutputLatencyMs() noexcept {
  const double rate = engine_.sampleRate();
  const double ringMs = rate > 0.0 ? 1000.0 * engine_.ring().approximateFill() / rate : 0.0;
  return ringMs + audio_.baseLatencyMs + audio_.outputLatencyMs;
}

void App::drawFrame(float width, float height) {
  const float statusHeight = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().WindowPadding.y * 2.0f;
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(width, height - statusHeight));
  ImGui::Begin("Woodshed", nullptr,
               ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings);
  drawAudioPanel(*this);
  ImGui::End();
  drawStatusBar(*this, ImVec2(0, height - statusHeight), ImVec2(width, statusHeight));
}

}  // namespace woodshed::app
