#pragma once
// The app's panels, one file each. Each draws into the current ImGui context.

#include <imgui.h>

namespace woodshed::app {

class App;

/// Audio output and the signal generator: start/stop, waveform, frequency, level, latency.
void drawAudioPanel(App& app);
/// Tracks in memory and imports in progress: open files, choose, unload, cancel.
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
