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
    app.setGenerator(params);
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

  float latencyMs = static_cast<float>(app.engine().targetLatencySeconds() * 1000.0);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18.0f);
  if (ImGui::SliderFloat("Buffer (ms)", &latencyMs, 10.0f, 250.0f, "%.0f ms")) {
    try {
      app.setTargetLatencyMs(latencyMs);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  ImGui::SameLine();
  ImGui::Text("heard after %.0f ms", app.totalOutputLatencyMs());

  ImGui::Spacing();
  ImGui::TextUnformatted("Signal generator");
  ImGui::Separator();
  dsp::GeneratorParams params = app.generator();
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
  float frequency = static_cast<float>(params.frequencyHz);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18.0f);
  if (ImGui::SliderFloat("Frequency", &frequency, 20.0f, 20000.0f, "%.1f Hz", ImGuiSliderFlags_Logarithmic)) {
    params.frequencyHz = frequency;
    changed = true;
  }
  float level = static_cast<float>(params.levelDb);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18.0f);
  if (ImGui::SliderFloat("Level", &level, -60.0f, 0.0f, "%.1f dBFS")) {
    params.levelDb = level;
    changed = true;
  }
  if (changed) apply(app, params, error);
  if (!error.empty()) ImGui::TextColored(ImVec4(1.0f, 0.5f, 0.4f, 1), "%s", error.c_str());
}

}  // namespace woodshed::app
