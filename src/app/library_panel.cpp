#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <string>
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

// Case-insensitive substring match, for the search field.
bool matches(const std::string& text, const char* query) {
  if (query[0] == '\0') return true;
  const auto lower = [](unsigned char c) { return static_cast<char>(std::tolower(c)); };
  std::string haystack(text), needle(query);
  std::transform(haystack.begin(), haystack.end(), haystack.begin(), lower);
  std::transform(needle.begin(), needle.end(), needle.begin(), lower);
  return haystack.find(needle) != std::string::npos;
}

enum class SortBy : int { DateAdded, Name, Duration };

struct LibraryView {
  char search[128] = "";
  int sort = static_cast<int>(SortBy::DateAdded);
  std::string renaming;     // id of the song being renamed
  char newName[256] = "";
  std::string deleting;     // id of the song waiting for confirmation
};

LibraryView& view() {
  static LibraryView state;
  return state;
}

void drawRenamePopup(App& app) {
  LibraryView& v = view();
  if (ImGui::BeginPopupModal("Rename song", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    const bool entered = ImGui::InputText("##name", v.newName, sizeof v.newName, ImGuiInputTextFlags_EnterReturnsTrue);
    if (entered || ImGui::Button("Rename")) {
      app.platform().requestRenameSong(v.renaming, v.newName);
      ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
}

void drawDeletePopup(App& app) {
  LibraryView& v = view();
  if (ImGui::BeginPopupModal("Delete song?", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    const auto& entries = app.catalog.entries;
    const auto found = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.id == v.deleting; });
    ImGui::Text("Delete \"%s\" from the library?", found != entries.end() ? found->name.c_str() : "?");
    ImGui::TextDisabled("Its stored file is removed from this browser.");
    if (ImGui::Button("Delete")) {
      app.platform().requestRemoveSong(v.deleting);
      ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Keep it")) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
}

void drawTracks(App& app) {
  LibraryView& v = view();
  const Catalog& catalog = app.catalog;
  if (catalog.entries.empty()) {
    ImGui::TextDisabled("No songs yet: open files or drop them on the page.");
    return;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  ImGui::InputTextWithHint("##search", "search", v.search, sizeof v.search);
  const ImVec2 searchMin = ImGui::GetItemRectMin(), searchSize = ImGui::GetItemRectSize();
  app.searchRect = {searchMin.x, searchMin.y, searchSize.x, searchSize.y};
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.0f);
  ImGui::Combo("##sort", &v.sort, "date added\0name\0duration\0");

  std::vector<const Catalog::Entry*> shown;
  for (const auto& entry : catalog.entries) {
    if (matches(entry.name, v.search)) shown.push_back(&entry);
  }
  std::stable_sort(shown.begin(), shown.end(), [&](const Catalog::Entry* a, const Catalog::Entry* b) {
    switch (static_cast<SortBy>(v.sort)) {
      case SortBy::Name: return a->name < b->name;
      case SortBy::Duration: return a->durationSeconds < b->durationSeconds;
      case SortBy::DateAdded: break;
    }
    return a->dateAdded < b->dateAdded;
  });

  bool openRename = false, openDelete = false;
  if (ImGui::BeginTable("##songs", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY,
                        ImVec2(0, ImGui::GetFontSize() * 16.0f))) {
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("format", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 4.0f);
    ImGui::TableSetupColumn("time", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 4.0f);
    for (const Catalog::Entry* entry : shown) {
      ImGui::PushID(entry->id.c_str());
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      if (ImGui::Selectable(entry->name.c_str(), entry->id == catalog.currentId)) app.platform().requestLoadSong(entry->id);
      if (ImGui::BeginPopupContextItem("##actions")) {
        if (ImGui::MenuItem("Rename...")) {
          v.renaming = entry->id;
          std::snprintf(v.newName, sizeof v.newName, "%s", entry->name.c_str());
          openRename = true;
        }
        if (ImGui::MenuItem("Delete...")) {
          v.deleting = entry->id;
          openDelete = true;
        }
        ImGui::EndPopup();
      }
      if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("%s\n%s, %s\nright-click to rename or delete", entry->name.c_str(), entry->format.c_str(),
                          formatMegabytes(entry->sizeBytes).c_str());
      }
      ImGui::TableSetColumnIndex(1);
      switch (entry->stored) {
        case Catalog::Entry::Stored::Yes: ImGui::TextDisabled("%s", entry->format.c_str()); break;
        case Catalog::Entry::Stored::Saving: ImGui::TextDisabled("saving..."); break;
        case Catalog::Entry::Stored::Failed: ImGui::TextColored(kErrorColour, "not saved"); break;
      }
      ImGui::TableSetColumnIndex(2);
      ImGui::TextUnformatted(formatTime(entry->durationSeconds).c_str());
      ImGui::PopID();
    }
    ImGui::EndTable();
  }
  if (openRename) ImGui::OpenPopup("Rename song");
  if (openDelete) ImGui::OpenPopup("Delete song?");
  drawRenamePopup(app);
  drawDeletePopup(app);
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
  const Catalog& catalog = app.catalog;
  ImGui::TextDisabled("%zu song%s, %s stored of %s%s", catalog.entries.size(), catalog.entries.size() == 1 ? "" : "s",
                      formatMegabytes(catalog.usedBytes).c_str(),
                      formatMegabytes(catalog.quotaBytes).c_str(), catalog.persisted ? " (kept)" : "");
  if (catalog.mediaMaxBytes > 0.0) {
    ImGui::TextDisabled("offline copies of published songs: %.0f of %.0f files, %s of %s", catalog.mediaEntries,
                        catalog.mediaMaxEntries, formatMegabytes(catalog.mediaBytes).c_str(),
                        formatMegabytes(catalog.mediaMaxBytes).c_str());
  }
  const core::MemoryBudget& budget = app.library().budget();
  ImGui::TextDisabled("decoded in memory: %s of %s", formatMegabytes(static_cast<double>(budget.usedBytes())).c_str(),
                      formatMegabytes(static_cast<double>(budget.limitBytes())).c_str());
}

}  // namespace woodshed::app
