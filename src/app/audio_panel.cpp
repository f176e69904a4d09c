#include <exception>
#include <iterator>
#include <string>

#include "app/app.h"
#include "app/panels.h"

namespace woodshed::app {

namespace {

constexpr dsp::Waveform kWaveforms[] = {dsp::Waveform::Sine,       dsp::Waveform::Square,    dsp::Waveform::Triangle,
                                        dsp::Waveform::Saw,        dsp::Waveform::WhiteNoise, dsp::Waveform::PinkNoise,
                                        dsp::Waveform::LogSweep};
constexpr const char* kWaveformLabels[] = {"Sine", "Square", "Triangle", "Saw", "White noise", "Pink noise",
                                           "Log sweep 20 Hz - 20 kHz"};

// Applies a changed generator setting; a refusal shows under the controls instead of throwing.
void apply(App& app, const dsp::GeneratorParams& params, std::string& error) {
  try {
    app.engine().setGenerator(params);
    error.clear();
  } catch (const std::exception& e) {
    error = e.what();
  }
}

}  // namespace

void drawAudioPanel(App& app) {
  static std::string error;
  const AudioOutputInfo& output = app.audioOutput();

  ImGui::TextUnformatted("Audio output");
  ImGui::Separator();
  const bool running = output.state == AudioState::Running;
  const bool busy = output.state == AudioState::Starting;
  ImGui::BeginDisabled(busy);
  if (ImGui::Button(running ? "Stop audio" : "Start audio")) {
    if (running) {
      app.platform().requestAudioStop();
    } else {
      app.platform().requestAudioStart();
    }
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::Text("%s", toString(output.state));
  if (output.state == AudioState::Failed && !output.message.empty()) {
    ImGui::TextColored(ImVec4(1.0f, 0.5f, 0.4f, 1), "%s", output.message.c_str());
  }

  double latencyMs = app.settings().latencyMs;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18.0f);
  if (settingSlider(app, "Buffer (ms)", engine::limits::kLatency, latencyMs, "%.0f ms")) {
    try {
      app.engine().setTargetLatencyMs(latencyMs);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  ImGui::SameLine();
  ImGui::Text("heard after %.0f ms", app.totalOutputLatencyMs());

  ImGui::Spacing();
  ImGui::TextUnformatted("Signal generator");
  ImGui::Separator();
  dsp::GeneratorParams params = app.settings().generator;
  bool changed = ImGui::Checkbox("On", &params.enabled);
  int selected = 0;
  for (int i = 0; i < static_cast<int>(std::size(kWaveforms)); ++i) {
    if (kWaveforms[i] == params.waveform) selected = i;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18.0f);
  if (ImGui::Combo("Waveform", &selected, kWaveformLabels, static_cast<int>(std::size(kWaveformLabels)))) {
    params.waveform = kWaveforms[selected];
    changed = true;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18.0f);
  changed |= settingSlider(app, "Frequency", engine::limits::kGeneratorFrequency, params.frequencyHz, "%.1f Hz",
                           ImGuiSliderFlags_Logarithmic);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18.0f);
  changed |= settingSlider(app, "Level", engine::limits::kGeneratorLevel, params.levelDb, "%.1f dBFS");
  if (changed) apply(app, params, error);
  if (!error.empty()) ImGui::TextColored(ImVec4(1.0f, 0.5f, 0.4f, 1), "%s", error.c_str());
}

}  // namespace woodshed::app
