#pragma once
// The app's panels, one file each. Each draws into the current ImGui context.

#include <imgui.h>

#include <exception>

#include "app/app.h"

namespace woodshed::app {

/// Runs a control's action; a refusal shows as the app's last error instead of throwing.
template <typename Action>
void attempt(App& app, Action&& action) {
  try {
    action();
  } catch (const std::exception& e) {
    app.setLastError(e.what());
  }
}

/// A slider over a setting's whole range (its Limit in settings.h), so the UI accepts what
/// the engine does and no more. Records where it was drawn under `rectKey` (the limit's key
/// when null) for the browser tests. True when the user changed the value.
bool settingSlider(App& app, const char* label, const engine::Limit& limit, double& value, const char* format,
                   ImGuiSliderFlags flags = 0, const char* rectKey = nullptr);

/// Records where the last item was drawn under `key`, for the browser tests.
void rememberItemRect(App& app, const char* key);

/// Audio output and the signal generator: start/stop, waveform, frequency, level, latency.
void drawAudioPanel(App& app);
/// The library: open files, imports in progress, search, sort, load, rename, delete, storage.
void drawLibraryPanel(App& app);
/// The current track: transport, position, loop, waveform (zoom, click or drag to seek), mixer.
void drawTransportPanel(App& app);
/// The parametric EQ (curve with draggable bands, presets, bypass) and the limiter.
void drawShapingPanel(App& app);
/// Spectrum, peak/RMS meters with clip indicators, EBU R128 loudness and normalization.
void drawAnalysisPanel(App& app);
/// The bottom bar: version, isolation, threads, memory, audio state and health.
void drawStatusBar(App& app, ImVec2 position, ImVec2 size);

}  // namespace woodshed::app

