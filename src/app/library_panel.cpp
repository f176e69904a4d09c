#include <exception>
#include <vector>

#include "app/app.h"
#include "app/format.h"
#include "app/panels.h"

namespace woodshed::app {

namespace {

const ImVec4 kErrorColour(1.0f, 0.5f, 0.4f, 1.0f);

void drawImports(App& app) {
  for (const auto& [id, progress] : app.imports()) {
    ImGui::PushID(static_cast<int>(id));
    ImGui::TextUnformatted(progress.name.c_str());
    char overlay[64];
    std::snprintf(overlay, sizeof overlay, "%s", toString(progress.stage));
    const float fraction = progress.fraction < 0.0
                               ? static_cast<float>(ImGui::GetTime() * 0.5 - static_cast<long>(ImGui::GetTime() * 0.5))
                               : static_cast<float>(progress.fraction);
    ImGui::ProgressBar(fraction, ImVec2(-ImGui::GetFontSize() * 5.0f, 0), overlay);
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) app.platform().requestCancelImport(id);
    ImGui::PopID();
  }
}

void drawTracks(App& app) {
  const auto current = app.currentTrack();
  const std::vector<engine::TrackInfo> tracks = app.library().list();
  if (tracks.empty()) {
    ImGui::TextDisabled("No songs yet: open files or drop them on the page.");
    return;
  }
  engine::TrackId toUnload = engine::kNoTrack;
  if (ImGui::BeginTable("##tracks", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY,
                        ImVec2(0, ImGui::GetFontSize() * 16.0f))) {
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("time", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 4.5f);
    ImGui::TableSetupColumn("unload", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 1.5f);
    for (const engine::TrackInfo& track : tracks) {
      ImGui::PushID(static_cast<int>(track.id));
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      const bool isCurrent = current && current->id() == track.id;
      if (ImGui::Selectable(track.name.c_str(), isCurrent, ImGuiSelectableFlags_None)) {
        try {
          app.load(track.id);
          app.setLastError("");
        } catch (const std::exception& e) {
          app.setLastError(e.what());
        }
      }
      if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("%s\n%.0f Hz, %s, %s", track.name.c_str(), track.sampleRate,
                          track.channels == 1 ? "mono" : "stereo", formatMegabytes(static_cast<double>(track.bytes)).c_str());
      }
      ImGui::TableSetColumnIndex(1);
      ImGui::TextUnformatted(formatTime(track.durationSeconds).c_str());
      ImGui::TableSetColumnIndex(2);
      if (ImGui::SmallButton("x")) toUnload = track.id;
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Unload (frees its memory)");
      ImGui::PopID();
    }
    ImGui::EndTable();
  }
  if (toUnload != engine::kNoTrack) app.unload(toUnload);
}

}  // namespace

void drawLibraryPanel(App& app) {
  ImGui::TextUnformatted("Songs");
  ImGui::Separator();
  if (ImGui::Button("Open files...")) app.platform().requestOpenFiles();
  ImGui::SameLine();
  ImGui::TextDisabled("or drop them here");
  drawImports(app);
  if (!app.lastError().empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(kErrorColour, "%s", app.lastError().c_str());
    ImGui::PopTextWrapPos();
    if (ImGui::SmallButton("Dismiss")) app.setLastError("");
  }
  ImGui::Spacing();
  drawTracks(app);
  const core::MemoryBudget& budget = app.library().budget();
  ImGui::TextDisabled("audio memory: %s of %s", formatMegabytes(static_cast<double>(budget.usedBytes())).c_str(),
                      formatMegabytes(static_cast<double>(budget.limitBytes())).c_str());
}

}  // namespace woodshed::app
