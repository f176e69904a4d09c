#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
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
const ImU32 kBarColour = IM_COL32(220, 220, 235, 170);
const ImU32 kBeatColour = IM_COL32(220, 220, 235, 70);
const ImU32 kFlashColour = IM_COL32(255, 210, 90, 255);
const ImU32 kDownbeatFlashColour = IM_COL32(255, 120, 80, 255);
constexpr double kFlashSeconds = 0.09;
constexpr double kMaxZoom = 4096.0;
/// The quick speeds beside the speed slider (the S key cycles the same, web/keymap.js).
constexpr double kQuickSpeeds[] = {0.5, 0.7, 0.85, 1.0};

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
      const float top = middle - static_cast<float>(peak.max) * overview->scale() * size.y * 0.48f;
      const float bottom = middle - static_cast<float>(peak.min) * overview->scale() * size.y * 0.48f;
      draw->AddLine(ImVec2(origin.x + x, top), ImVec2(origin.x + x, std::max(bottom, top + 1.0f)), kWaveColour);
    }
  } else {
    const auto tracks = app.library().list();
    const auto info = std::find_if(tracks.begin(), tracks.end(), [&](const auto& t) { return t.id == track.id(); });
    const double progress = info != tracks.end() ? info->waveformProgress : 0.0;
    char text[160];
    if (info != tracks.end() && !info->waveformError.empty()) {
      std::snprintf(text, sizeof text, "no waveform: %s", info->waveformError.c_str());
    } else if (!track.complete()) {  // it plays what has arrived; the waveform comes after
      std::snprintf(text, sizeof text, "decoding: %.0f%% in memory",
                    100.0 * static_cast<double>(track.readableFrames()) / static_cast<double>(track.frames()));
    } else {
      std::snprintf(text, sizeof text, "preparing the waveform: %.0f%%", 100.0 * progress);
    }
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

  // Bars and beats of the song's grid, where they are far enough apart to read.
  const engine::BeatGridSettings& grid = settings.beatGrid;
  if (grid.bpm > 0.0) {
    const double period = 60.0 / grid.bpm;
    const double pixelsPerBeat = period * track.sampleRate() / framesPerPixel;
    const double firstVisible = app.waveformStartFrame / track.sampleRate();
    const auto firstBeat = static_cast<long long>(std::floor((firstVisible - grid.offsetSeconds) / period));
    for (long long k = firstBeat;; ++k) {
      const double seconds = grid.offsetSeconds + static_cast<double>(k) * period;
      const float x = xOfSeconds(seconds);
      if (x > origin.x + size.x || seconds > track.durationSeconds()) break;
      if (seconds < 0.0 || x < origin.x) continue;
      const bool downbeat = ((k % grid.beatsPerBar) + grid.beatsPerBar) % grid.beatsPerBar == 0;
      if (downbeat && pixelsPerBeat * grid.beatsPerBar >= 6.0) {
        draw->AddLine(ImVec2(x, origin.y + size.y * 0.8f), ImVec2(x, origin.y + size.y), kBarColour, 1.5f);
        if (pixelsPerBeat * grid.beatsPerBar >= 28.0) {
          char bar[16];
          std::snprintf(bar, sizeof bar, "%lld", k / grid.beatsPerBar + 1);
          draw->AddText(ImVec2(x + 2.0f, origin.y + size.y - ImGui::GetFontSize()), kBarColour, bar);
        }
      } else if (pixelsPerBeat >= 6.0) {
        draw->AddLine(ImVec2(x, origin.y + size.y * 0.9f), ImVec2(x, origin.y + size.y), kBeatColour);
      }
    }
  }

  // The playhead where the song is heard (the output latency behind the engine).
  const double position = app.heardSeconds() * track.sampleRate();
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
  if (ImGui::Button("Add marker")) app.platform().requestAddMarker(app.heardSeconds());
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

void drawSpeedTrainer(App& app);

// Speed in percent (with the tempo heard, once the song has a grid), its quick speeds, the
// trainer, and the pitch in semitones and cents: the page keeps speed and pitch with the song.
void drawSpeedAndPitch(App& app) {
  const engine::EngineSettings& settings = app.settings();
  double percent = settings.tempo * 100.0;
  const double minPercent = engine::limits::kTempo.min * 100.0;
  const double maxPercent = engine::limits::kTempo.max * 100.0;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
  if (ImGui::SliderScalar("Speed", ImGuiDataType_Double, &percent, &minPercent, &maxPercent, "%.0f %%",
                          ImGuiSliderFlags_AlwaysClamp)) {
    app.platform().requestTempo(std::round(percent) / 100.0);
  }
  rememberItemRect(app, "tempo");
  if (settings.beatGrid.bpm > 0.0) {
    ImGui::SameLine();
    ImGui::TextDisabled("%.1f BPM", settings.beatGrid.bpm * settings.tempo);
  }
  for (const double quick : kQuickSpeeds) {
    ImGui::SameLine();
    char label[16];
    std::snprintf(label, sizeof label, "%.0f%%", quick * 100.0);
    const bool current = std::abs(settings.tempo - quick) < 1e-9;
    if (current) ImGui::BeginDisabled();
    if (ImGui::SmallButton(label)) app.platform().requestTempo(quick);
    if (current) ImGui::EndDisabled();
    std::snprintf(label, sizeof label, "tempo.%.0f", quick * 100.0);
    rememberItemRect(app, label);
  }
  drawSpeedTrainer(app);
  ImGui::SameLine();
  // Semitones and cents, each its own slider; the engine takes their sum.
  const double total = settings.pitchSemitones;
  double semitones = std::round(total);
  double cents = std::round((total - semitones) * 100.0);
  const double minSemitones = engine::limits::kPitch.min;
  const double maxSemitones = engine::limits::kPitch.max;
  const double minCents = -50.0;
  const double maxCents = 50.0;
  bool changed = false;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
  changed |= ImGui::SliderScalar("st", ImGuiDataType_Double, &semitones, &minSemitones, &maxSemitones, "%+.0f",
                                 ImGuiSliderFlags_AlwaysClamp);
  rememberItemRect(app, "pitch.semitones");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
  changed |= ImGui::SliderScalar("cents", ImGuiDataType_Double, &cents, &minCents, &maxCents, "%+.0f",
                                 ImGuiSliderFlags_AlwaysClamp);
  rememberItemRect(app, "pitch.cents");
  if (changed) {
    const double next = std::round(semitones) + std::round(cents) / 100.0;
    app.platform().requestPitch(std::clamp(next, minSemitones, maxSemitones));
  }
  // The recording's own tuning, once the analysis has found it, and the offer to correct it.
  if (app.tuningCents) {
    const double offset = *app.tuningCents;
    ImGui::SameLine();
    if (std::fabs(offset) < 1.0) {
      ImGui::TextDisabled("tuned to A440");
    } else {
      ImGui::TextDisabled("tuned %.0f cents %s", std::fabs(offset), offset > 0.0 ? "sharp" : "flat");
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("A440")) app.platform().requestTuneTo(440.0);
    rememberItemRect(app, "tune.440");
    ImGui::SameLine();
    if (ImGui::SmallButton("A442")) app.platform().requestTuneTo(442.0);
    rememberItemRect(app, "tune.442");
  }
}

// The speed trainer, on the speed row: its progress while it runs, else a button that opens
// its settings (start, step and target in percent, passes a step) in a popup.
void drawSpeedTrainer(App& app) {
  const engine::EngineSettings& settings = app.settings();
  const engine::EngineStatus status = app.engine().status();
  ImGui::SameLine();
  if (settings.speedTrainer && status.trainerRunning) {
    const engine::SpeedTrainerSettings& t = *settings.speedTrainer;
    const int pass = static_cast<int>(status.trainerPasses % static_cast<std::uint32_t>(t.passesPerStep)) + 1;
    const bool atTarget = status.tempo >= t.target - 1e-9;
    if (settings.beatGrid.bpm > 0.0) {
      ImGui::Text("Trainer: pass %d of %d at %.0f BPM%s", pass, t.passesPerStep, settings.beatGrid.bpm * status.tempo,
                  atTarget ? " (the target)" : "");
    } else {
      ImGui::Text("Trainer: pass %d of %d at %.0f %%%s", pass, t.passesPerStep, status.tempo * 100.0, atTarget ? " (the target)" : "");
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("Stop")) attempt(app, [&] { app.engine().stopSpeedTrainer(); });
    rememberItemRect(app, "trainer.stop");
    return;
  }
  if (ImGui::SmallButton("Trainer...")) ImGui::OpenPopup("trainer");
  rememberItemRect(app, "trainer.open");
  if (!ImGui::BeginPopup("trainer")) return;
  engine::SpeedTrainerSettings& draft = app.trainerDraft;
  double start = draft.start * 100.0, step = draft.step * 100.0, target = draft.target * 100.0, passes = draft.passesPerStep;
  const double minPercent = engine::limits::kTempo.min * 100.0, maxPercent = engine::limits::kTempo.max * 100.0;
  const double minStep = 1.0, maxStep = 25.0, minPasses = 1.0, maxPasses = 16.0;
  ImGui::TextUnformatted("Faster every few passes of the loop");
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
  if (ImGui::SliderScalar("from", ImGuiDataType_Double, &start, &minPercent, &maxPercent, "%.0f %%", ImGuiSliderFlags_AlwaysClamp)) {
    draft.start = std::round(start) / 100.0;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
  if (ImGui::SliderScalar("faster by", ImGuiDataType_Double, &step, &minStep, &maxStep, "%.0f %%", ImGuiSliderFlags_AlwaysClamp)) {
    draft.step = std::round(step) / 100.0;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
  if (ImGui::SliderScalar("up to", ImGuiDataType_Double, &target, &minPercent, &maxPercent, "%.0f %%", ImGuiSliderFlags_AlwaysClamp)) {
    draft.target = std::round(target) / 100.0;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
  if (ImGui::SliderScalar("passes a step", ImGuiDataType_Double, &passes, &minPasses, &maxPasses, "%.0f", ImGuiSliderFlags_AlwaysClamp)) {
    draft.passesPerStep = static_cast<int>(std::lround(passes));
  }
  if (ImGui::Button("Start")) {
    attempt(app, [&] {
      app.engine().setSpeedTrainer(draft);
      app.engine().setLooping(true);
    });
    ImGui::CloseCurrentPopup();
  }
  rememberItemRect(app, "trainer.start");
  ImGui::EndPopup();
}

// The beat grid (with tap tempo and values by hand), the metronome and the count-in, and a
// light that flashes on each beat as it is heard.
void drawPractice(App& app, const engine::Track& track) {
  const engine::EngineSettings& settings = app.settings();
  const engine::BeatGridSettings& grid = settings.beatGrid;
  // The beat flash.
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float radius = ImGui::GetFontSize() * 0.45f;
  ImU32 flash = IM_COL32(80, 80, 90, 255);
  if (grid.bpm > 0.0 && app.playing()) {
    const double period = 60.0 / grid.bpm;
    const double sinceBeat = std::fmod(app.heardSeconds() - grid.offsetSeconds, period);
    const double since = sinceBeat < 0.0 ? sinceBeat + period : sinceBeat;
    if (since < kFlashSeconds) {
      const auto beat = static_cast<long long>(std::floor((app.heardSeconds() - grid.offsetSeconds) / period));
      flash = ((beat % grid.beatsPerBar) + grid.beatsPerBar) % grid.beatsPerBar == 0 ? kDownbeatFlashColour : kFlashColour;
    }
  }
  ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(at.x + radius, at.y + ImGui::GetFrameHeight() * 0.5f), radius, flash);
  ImGui::Dummy(ImVec2(radius * 2.0f, ImGui::GetFrameHeight()));
  ImGui::SameLine();
  if (grid.bpm <= 0.0 && app.beatDetection.running() && app.beatDetection.trackId == track.id()) {
    ImGui::Text("finding the beat: %.0f%%", app.beatDetection.job.valid() ? 100.0 * app.beatDetection.job.progress() : 0.0);
  } else if (grid.bpm <= 0.0) {
    ImGui::TextDisabled("no beat grid");
  } else {
    double bpm = grid.bpm;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.0f);
    if (settingSlider(app, "BPM", engine::limits::kGridBpm, bpm, "%.1f")) {
      app.platform().requestBeatGrid(bpm, grid.offsetSeconds, grid.beatsPerBar);
    }
    ImGui::SameLine();
    double beatsPerBar = grid.beatsPerBar;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4.0f);
    if (settingSlider(app, "beats/bar", engine::limits::kBeatsPerBar, beatsPerBar, "%.0f")) {
      app.platform().requestBeatGrid(grid.bpm, grid.offsetSeconds, static_cast<int>(std::lround(beatsPerBar)));
    }
  }
  ImGui::SameLine();
  // A tap counts when the button goes down, not when it is let go.
  ImGui::Button("Tap");
  if (ImGui::IsItemActivated()) app.platform().requestTap();
  rememberItemRect(app, "grid.tap");
  ImGui::SameLine();
  engine::MetronomeSettings metronome = settings.metronome;
  bool changed = ImGui::Checkbox("Metronome", &metronome.enabled);
  rememberItemRect(app, "metronome.enabled");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
  changed |= settingSlider(app, "##level", engine::limits::kMetronomeLevel, metronome.levelDb, "%.0f dBFS");
  ImGui::SameLine();
  const char* countIns[] = {"no count-in", "count in once", "count in every pass"};
  int countIn = static_cast<int>(metronome.countIn);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9.0f);
  if (ImGui::Combo("##countIn", &countIn, countIns, 3)) {
    metronome.countIn = static_cast<engine::CountIn>(countIn);
    changed = true;
  }
  if (metronome.countIn != engine::CountIn::Off) {
    ImGui::SameLine();
    double bars = metronome.countInBars;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4.0f);
    if (settingSlider(app, "bars", engine::limits::kCountInBars, bars, "%.0f")) {
      metronome.countInBars = static_cast<int>(std::lround(bars));
      changed = true;
    }
  }
  if (changed) attempt(app, [&] { app.engine().setMetronome(metronome); });

  // The A-B loop's edges: nudged a beat (10 ms without a grid), and where they snap when set.
  if (settings.loopEndSeconds > settings.loopStartSeconds) {
    ImGui::TextUnformatted("A");
    for (const auto& [start, label] : {std::pair{true, "A"}, std::pair{false, "B"}}) {
      ImGui::PushID(label);
      if (!start) {
        ImGui::SameLine();
        ImGui::TextUnformatted("B");
      }
      ImGui::SameLine();
      if (ImGui::ArrowButton("earlier", ImGuiDir_Left)) app.platform().requestNudgeLoop(start, -1);
      ImGui::SameLine();
      if (ImGui::ArrowButton("later", ImGuiDir_Right)) app.platform().requestNudgeLoop(start, 1);
      if (start) rememberItemRect(app, "loop.nudgeStartLater");
      ImGui::PopID();
    }
    ImGui::SameLine();
    ImGui::TextDisabled(grid.bpm > 0.0 ? "(a beat)" : "(10 ms)");
    ImGui::SameLine();
  }
  int snap = app.loopSnap;
  const char* snaps[] = {"edges exact", "edges snap to beats", "edges snap to zero crossings"};
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 13.0f);
  if (ImGui::Combo("##snap", &snap, snaps, 3)) app.platform().requestLoopSnap(snap);
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

// Export, on the transport row: a button that opens its choices in a popup, and while an
// export runs its progress and a Cancel button. What is exported is what is heard, without the
// listening volume and the metronome.
void drawExport(App& app, const engine::Track& track) {
  ImGui::SameLine();
  if (const auto& stream = app.exporting.stream) {
    // The button first, so the progress text, whose width changes, never moves it.
    if (ImGui::SmallButton("Cancel export")) app.platform().requestCancelExport();
    rememberItemRect(app, "export.cancel");
    ImGui::SameLine();
    const double done = static_cast<double>(stream->consumedBytes()) / static_cast<double>(stream->totalBytes());
    const double eta = app.exportEtaSeconds();
    if (eta >= 0.0) {
      ImGui::Text("exporting: %.0f %%, %.0f s left", done * 100.0, std::ceil(eta));
    } else {
      ImGui::Text("exporting: %.0f %%", done * 100.0);
    }
    return;
  }
  if (ImGui::SmallButton("Export...")) ImGui::OpenPopup("export");
  rememberItemRect(app, "export.open");
  if (!ImGui::BeginPopup("export")) return;
  App::ExportDraft& draft = app.exportDraft;
  const engine::EngineSettings& settings = app.settings();
  const bool hasLoop = settings.loopEndSeconds > settings.loopStartSeconds;
  if (draft.region == 1 && !hasLoop) draft.region = 0;
  if (draft.region == 2 && app.markers.empty()) draft.region = 0;
  ImGui::TextUnformatted("Export what you hear as a WAV file");
  ImGui::RadioButton("the whole song", &draft.region, 0);
  rememberItemRect(app, "export.song");
  ImGui::BeginDisabled(!hasLoop);
  ImGui::SameLine();
  ImGui::RadioButton("the A-B loop", &draft.region, 1);
  rememberItemRect(app, "export.loop");
  ImGui::EndDisabled();
  // A section runs from one marker to the next, the last to the song's end.
  double sectionStart = 0.0, sectionEnd = track.durationSeconds();
  if (!app.markers.empty()) {
    ImGui::SameLine();
    ImGui::RadioButton("a section", &draft.region, 2);
    draft.section = std::clamp(draft.section, 0, static_cast<int>(app.markers.size()) - 1);
    const auto index = static_cast<std::size_t>(draft.section);
    sectionStart = app.markers[index].seconds;
    if (index + 1 < app.markers.size()) sectionEnd = app.markers[index + 1].seconds;
    if (draft.region == 2) {
      ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
      if (ImGui::BeginCombo("##section", app.markers[index].name.c_str())) {
        for (std::size_t m = 0; m < app.markers.size(); ++m) {
          ImGui::PushID(static_cast<int>(m));
          if (ImGui::Selectable(app.markers[m].name.c_str(), m == index)) draft.section = static_cast<int>(m);
          ImGui::PopID();
        }
        ImGui::EndCombo();
      }
    }
  }
  ImGui::RadioButton("16-bit", &draft.format, 0);
  rememberItemRect(app, "export.wav16");
  ImGui::SameLine();
  ImGui::RadioButton("24-bit", &draft.format, 1);
  rememberItemRect(app, "export.wav24");
  ImGui::SameLine();
  ImGui::RadioButton("32-bit float", &draft.format, 2);
  rememberItemRect(app, "export.wav32f");
  if (track.sources().size() > 1) {
    ImGui::Checkbox("each stem as its own file", &draft.eachStem);
  } else {
    draft.eachStem = false;
  }
  std::string shaping = "at " + std::to_string(static_cast<int>(std::lround(settings.tempo * 100.0))) + " % speed";
  if (settings.pitchSemitones != 0.0) {
    char pitch[32];
    std::snprintf(pitch, sizeof pitch, ", %+.2f semitones", settings.pitchSemitones);
    shaping += pitch;
  }
  ImGui::TextDisabled("%s, with the EQ, limiter and gain as set;", shaping.c_str());
  ImGui::TextDisabled("without the volume, the metronome and the count-in.");
  if (ImGui::Button("Export")) {
    app.platform().requestExport(draft.region, sectionStart, sectionEnd, draft.format, draft.eachStem);
    ImGui::CloseCurrentPopup();
  }
  rememberItemRect(app, "export.start");
  ImGui::EndPopup();
}

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
  drawExport(app, *track);
  drawWaveform(app, *track);
  drawSpeedAndPitch(app);
  drawPractice(app, *track);
  drawMarkers(app, *track);
  drawMixer(app, *track);
}

}  // namespace woodshed::app
