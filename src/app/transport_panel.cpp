#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <exception>

#include "app/app.h"
#include "app/format.h"
#include "app/panels.h"

namespace woodshed::app {

namespace {

const ImU32 kWaveColour = IM_COL32(224, 164, 88, 255);
const ImU32 kPlayheadColour = IM_COL32(255, 255, 255, 230);
const ImU32 kLoopColour = IM_COL32(90, 160, 255, 60);
const ImU32 kLoopOffColour = IM_COL32(150, 150, 170, 30);
const ImU32 kBackground = IM_COL32(28, 28, 34, 255);
constexpr double kMaxZoom = 4096.0;

ImU32 markerColour(const Marker& marker, int alpha = 255) {
  return IM_COL32((marker.rgb >> 16) & 0xff, (marker.rgb >> 8) & 0xff, marker.rgb & 0xff, alpha);
}

void seekTo(App& app, double seconds) {
  const auto track = app.currentTrack();
  if (!track) return;
  attempt(app, [&] { app.engine().seek(std::clamp(seconds, 0.0, track->durationSeconds())); });
}

void drawWaveform(App& app, const engine::Track& track) {
  const float height = ImGui::GetFontSize() * 8.0f;
  const ImVec2 size(ImGui::GetContentRegionAvail().x, height);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##waveform", size);
  app.waveformRect = {origin.x, origin.y, size.x, size.y};
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(origin, ImVec2(origin.x + size.x, origin.y + size.y), kBackground);

  const double frames = static_cast<double>(track.frames());
  const double visible = frames / app.waveformZoom;
  app.waveformStartFrame = std::clamp(app.waveformStartFrame, 0.0, std::max(0.0, frames - visible));
  const double framesPerPixel = visible / std::max(1.0f, size.x);
  auto frameAt = [&](float x) { return app.waveformStartFrame + (x - origin.x) * framesPerPixel; };

  const auto overview = app.library().waveform(track.id());
  const float middle = origin.y + size.y * 0.5f;
  if (overview) {
    for (float x = 0; x < size.x; x += 1.0f) {
      const auto begin = static_cast<std::uint64_t>(std::max(0.0, frameAt(origin.x + x)));
      const auto end = static_cast<std::uint64_t>(std::max(0.0, frameAt(origin.x + x + 1.0f)));
      const dsp::WaveformOverview::Peak peak = overview->peakBetween(begin, std::max(end, begin + 1));
      const float top = middle - static_cast<float>(peak.max) / 32767.0f * size.y * 0.48f;
      const float bottom = middle - static_cast<float>(peak.min) / 32767.0f * size.y * 0.48f;
      draw->AddLine(ImVec2(origin.x + x, top), ImVec2(origin.x + x, std::max(bottom, top + 1.0f)), kWaveColour);
    }
  } else {
    const auto tracks = app.library().list();
    const auto info = std::find_if(tracks.begin(), tracks.end(), [&](const auto& t) { return t.id == track.id(); });
    const double progress = info != tracks.end() ? info->waveformProgress : 0.0;
    char text[64];
    std::snprintf(text, sizeof text, "preparing the waveform: %.0f%%", 100.0 * progress);
    draw->AddText(ImVec2(origin.x + 8.0f, middle - ImGui::GetFontSize() * 0.5f), IM_COL32(200, 200, 200, 255), text);
  }

  // The A-B loop, shaded (brighter while it loops); Shift+drag draws a new one.
  const engine::EngineSettings& settings = app.settings();
  const auto xOfSeconds = [&](double seconds) {
    return origin.x + static_cast<float>((seconds * track.sampleRate() - app.waveformStartFrame) / framesPerPixel);
  };
  if (settings.loopEndSeconds > settings.loopStartSeconds) {
    const float left = std::max(origin.x, xOfSeconds(settings.loopStartSeconds));
    const float right = std::min(origin.x + size.x, xOfSeconds(settings.loopEndSeconds));
    if (right > left) {
      draw->AddRectFilled(ImVec2(left, origin.y), ImVec2(right, origin.y + size.y),
                          settings.looping ? kLoopColour : kLoopOffColour);
    }
  }
  // Markers: a line in the marker's colour with its name at the top.
  for (const Marker& marker : app.markers) {
    const float x = xOfSeconds(marker.seconds);
    if (x < origin.x || x > origin.x + size.x) continue;
    const ImU32 colour = markerColour(marker);
    draw->AddLine(ImVec2(x, origin.y), ImVec2(x, origin.y + size.y), colour, 1.5f);
    draw->AddText(ImVec2(x + 3.0f, origin.y + 2.0f), colour, marker.name.c_str());
  }
  static double dragFrom = -1.0;  // seconds where a Shift+drag began
  const bool shift = ImGui::GetIO().KeyShift;
  if (ImGui::IsItemActivated() && shift) dragFrom = frameAt(ImGui::GetIO().MousePos.x) / track.sampleRate();
  if (dragFrom >= 0.0) {
    const double to = std::clamp(frameAt(ImGui::GetIO().MousePos.x) / track.sampleRate(), 0.0, track.durationSeconds());
    draw->AddRectFilled(ImVec2(xOfSeconds(std::min(dragFrom, to)), origin.y),
                        ImVec2(xOfSeconds(std::max(dragFrom, to)), origin.y + size.y), kLoopColour);
    if (!ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
      const double start = std::clamp(std::min(dragFrom, to), 0.0, track.durationSeconds());
      const double end = std::max(dragFrom, to);
      dragFrom = -1.0;
      if (end - start >= engine::kMinLoopSeconds) app.platform().requestLoopRegion(start, end);
    }
  }

  const double position = app.positionSeconds() * track.sampleRate();
  const float playheadX = origin.x + static_cast<float>((position - app.waveformStartFrame) / framesPerPixel);
  if (playheadX >= origin.x && playheadX <= origin.x + size.x) {
    draw->AddLine(ImVec2(playheadX, origin.y), ImVec2(playheadX, origin.y + size.y), kPlayheadColour, 2.0f);
  }

  // Click or drag to seek (Shift+drag sets the loop instead); the wheel zooms around the pointer.
  if (dragFrom < 0.0 && ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    seekTo(app, frameAt(ImGui::GetIO().MousePos.x) / track.sampleRate());
  }
  if (ImGui::IsItemHovered() && ImGui::GetIO().MouseWheel != 0.0f) {
    const double anchor = frameAt(ImGui::GetIO().MousePos.x);
    const double zoom = std::clamp(app.waveformZoom * std::pow(1.25, ImGui::GetIO().MouseWheel), 1.0, kMaxZoom);
    app.waveformStartFrame = anchor - (anchor - app.waveformStartFrame) * app.waveformZoom / zoom;
    app.waveformZoom = zoom;
  }
}

// The current song's markers: add one at the playhead; per marker, go there, loop its section
// (to the next marker or the song's end), rename or delete it. The page keeps them with the song.
void drawMarkers(App& app, const engine::Track& track) {
  if (ImGui::Button("Add marker")) app.platform().requestAddMarker(app.positionSeconds());
  rememberItemRect(app, "marker.add");
  ImGui::SameLine();
  ImGui::TextDisabled("K adds one at the playhead; , and . go to the previous and next");
  if (app.markers.empty() || !ImGui::CollapsingHeader("Markers and sections", ImGuiTreeNodeFlags_DefaultOpen)) return;
  static std::string renaming;  // id of the marker whose name is being edited
  static char name[128] = {};
  static bool focusName = false;
  for (std::size_t i = 0; i < app.markers.size(); ++i) {
    const Marker& marker = app.markers[i];
    const double end = i + 1 < app.markers.size() ? app.markers[i + 1].seconds : track.durationSeconds();
    ImGui::PushID(marker.id.c_str());
    ImGui::ColorButton("##colour", ImGui::ColorConvertU32ToFloat4(markerColour(marker)), ImGuiColorEditFlags_NoTooltip,
                       ImVec2(ImGui::GetFontSize(), ImGui::GetFontSize()));
    ImGui::SameLine();
    if (renaming == marker.id) {
      ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12.0f);
      if (focusName) ImGui::SetKeyboardFocusHere();
      focusName = false;
      if (ImGui::InputText("##name", name, sizeof name, ImGuiInputTextFlags_EnterReturnsTrue)) {
        app.platform().requestRenameMarker(marker.id, name);
        renaming.clear();
      } else if (ImGui::IsItemDeactivated()) {
        renaming.clear();  // clicked elsewhere or pressed Escape: the name stays
      }
    } else if (ImGui::Selectable(marker.name.c_str(), false, 0, ImVec2(ImGui::GetFontSize() * 12.0f, 0))) {
      seekTo(app, marker.seconds);
    }
    ImGui::SameLine();
    ImGui::Text("%s - %s", formatTime(marker.seconds).c_str(), formatTime(end).c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Loop")) app.platform().requestLoopRegion(marker.seconds, end);
    if (i == 0) rememberItemRect(app, "marker.loop");
    ImGui::SameLine();
    if (ImGui::SmallButton("Rename")) {
      renaming = marker.id;
      focusName = true;
      std::snprintf(name, sizeof name, "%s", marker.name.c_str());
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("Delete")) app.platform().requestRemoveMarker(marker.id);
    if (i == 0) rememberItemRect(app, "marker.delete");
    ImGui::PopID();
  }
}

void drawMixer(App& app, const engine::Track& track) {
  const auto& sources = track.sources();
  const engine::EngineStatus status = app.engine().status();  // once a frame, for every meter
  for (std::size_t i = 0; i < sources.size(); ++i) {
    ImGui::PushID(static_cast<int>(i));
    engine::SourceSettings controls = app.settings().sources[i];
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12.0f);
    if (settingSlider(app, sources[i].name.c_str(), engine::limits::kSourceGain, controls.gainDb, "%.1f dB", 0,
                      i == 0 ? engine::limits::kSourceGain.key : "")) {
      attempt(app, [&] { app.engine().setSourceGainDb(i, controls.gainDb); });
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5.0f);
    if (settingSlider(app, "Pan", engine::limits::kSourcePan, controls.pan, "%+.2f", 0,
                      i == 0 ? engine::limits::kSourcePan.key : "")) {
      attempt(app, [&] { app.engine().setSourcePan(i, controls.pan); });
    }
    ImGui::SameLine();
    if (ImGui::Checkbox("Mute", &controls.mute)) attempt(app, [&] { app.engine().setSourceMute(i, controls.mute); });
    ImGui::SameLine();
    if (ImGui::Checkbox("Solo", &controls.solo)) attempt(app, [&] { app.engine().setSourceSolo(i, controls.solo); });
    // The voice's meter: its peak in the last block, on a -60..0 dBFS scale.
    ImGui::SameLine();
    const float peak = status.sourcePeaks[i];
    const float db = peak > 0.0f ? 20.0f * std::log10(peak) : -120.0f;
    ImGui::ProgressBar(std::clamp((db + 60.0f) / 60.0f, 0.0f, 1.0f), ImVec2(ImGui::GetFontSize() * 4.0f, 0), "");
    ImGui::PopID();
  }
}

}  // namespace

void drawTransportPanel(App& app) {
  const auto track = app.currentTrack();
  if (!track) {
    ImGui::TextUnformatted("No song loaded");
    ImGui::TextDisabled("Open or drop a song (MP3, Ogg, Opus, FLAC, WAV, M4A) to play it.");
    ImGui::Separator();
    return;
  }
  const bool playing = app.playing();
  ImGui::TextUnformatted(track->name().c_str());
  ImGui::Separator();
  if (ImGui::Button(playing ? "Pause" : "Play", ImVec2(ImGui::GetFontSize() * 5.0f, 0))) {
    attempt(app, [&] { playing ? app.engine().pause() : app.play(); });
  }
  ImGui::SameLine();
  if (ImGui::Button("Stop")) attempt(app, [&] { app.engine().stop(); });
  ImGui::SameLine();
  bool looping = app.settings().looping;
  if (ImGui::Checkbox("Loop", &looping)) attempt(app, [&] { app.engine().setLooping(looping); });
  ImGui::SameLine();
  ImGui::Text("%s / %s", formatTime(app.positionSeconds()).c_str(), formatTime(track->durationSeconds()).c_str());
  ImGui::SameLine();
  float zoom = static_cast<float>(app.waveformZoom);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
  if (ImGui::SliderFloat("Zoom", &zoom, 1.0f, static_cast<float>(kMaxZoom), "%.0fx", ImGuiSliderFlags_Logarithmic)) {
    const double centre = app.waveformStartFrame + static_cast<double>(track->frames()) / app.waveformZoom * 0.5;
    app.waveformZoom = zoom;
    app.waveformStartFrame = centre - static_cast<double>(track->frames()) / zoom * 0.5;
  }
  drawWaveform(app, *track);
  drawMarkers(app, *track);
  drawMixer(app, *track);
}

}  // namespace woodshed::app
