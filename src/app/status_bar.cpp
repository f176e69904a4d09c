#include <cstdio>

#include "app/app.h"
#include "app/panels.h"

namespace woodshed::app {

void drawStatusBar(App& app, ImVec2 position, ImVec2 size) {
  ImGui::SetNextWindowPos(position);
  ImGui::SetNextWindowSize(size);
  ImGui::Begin("##status", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus);
  PlatformServices& platform = app.platform();
  const double mib = 1024.0 * 1024.0;
  const engine::EngineStatus status = app.engine().status();
  const auto& ring = app.engine().ring().consumerCounters();
  ImGui::Text("Woodshed %s", kVersion);
  ImGui::SameLine(0, 24);
  if (platform.crossOriginIsolated()) {
    ImGui::TextColored(ImVec4(0.5f, 0.9f, 0.5f, 1), "cross-origin isolated");
  } else {
    ImGui::TextColored(ImVec4(1.0f, 0.5f, 0.4f, 1), "not isolated");
  }
  ImGui::SameLine(0, 24);
  ImGui::Text("threads: %u", app.threadCount());
  ImGui::SameLine(0, 24);
  ImGui::Text("memory: %.1f / %.0f MiB", static_cast<double>(platform.heapBytesInUse()) / mib,
              static_cast<double>(platform.heapCapacity()) / mib);
  ImGui::SameLine(0, 24);
  // The budget for songs (sized from the device's memory) and what the songs in memory take.
  const core::MemoryBudget& budget = app.library().budget();
  ImGui::Text("songs: %.0f of %.0f MiB", static_cast<double>(budget.usedBytes()) / mib,
              static_cast<double>(budget.limitBytes()) / mib);
  ImGui::SameLine(0, 24);
  ImGui::Text("audio: %s", toString(app.audioOutput().state));
  ImGui::SameLine(0, 24);
  ImGui::Text("underruns: %u", ring.underruns.load(std::memory_order_relaxed));
  ImGui::SameLine(0, 24);
  ImGui::Text("render load: %.1f%% (max %.1f%%)", 100.0 * status.renderLoadAverage, 100.0 * status.renderLoadMax);
  // The listening volume above 0 dB reached full scale and the final stage bent the peaks:
  // say so for a second after it last happened.
  if (status.volumeLimitedBlocks != app.volumeLimitedBlocksSeen) {
    app.volumeLimitedBlocksSeen = status.volumeLimitedBlocks;
    app.volumeLimitedAt = ImGui::GetTime();
  }
  if (ImGui::GetTime() - app.volumeLimitedAt < 1.0) {
    ImGui::SameLine(0, 24);
    ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.3f, 1), "volume limited: turn it down");
  }
  ImGui::End();
}

}  // namespace woodshed::app
