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

