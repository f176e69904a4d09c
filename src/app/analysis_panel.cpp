#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "app/app.h"
#include "app/panels.h"
#include "woodshed/dsp/spectrum_analyzer.h"

namespace woodshed::app {

namespace {

constexpr double kMinHz = 20.0;
constexpr double kMaxHz = 20000.0;
constexpr float kFloorDb = -100.0f;
const ImU32 kAverageColour = IM_COL32(224, 164, 88, 255);
const ImU32 kPeakColour = IM_COL32(120, 180, 255, 160);
const ImU32 kGridColour = IM_COL32(60, 60, 70, 255);

void drawSpectrum(App& app) {
  static int sizeIndex = 2;  // 4096
  static int window = 0;
  const int sizes[] = {1024, 2048, 4096, 8192, 16384};
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
  bool changed = ImGui::Combo("Size", &sizeIndex, "1024\0002048\0004096\0008192\00016384\0");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9.0f);
  changed |= ImGui::Combo("Window", &window, "Hann\0Blackman-Harris\0");
  if (changed) {
    try {
      app.engine().analyzer().setSpectrumSettings(static_cast<std::uint32_t>(sizes[sizeIndex]),
                                                  static_cast<dsp::SpectrumWindow>(window));
    } catch (const std::exception& e) {
      app.setLastError(e.what());
    }
  }

  const engine::SpectrumFrame& frame = app.engine().analyzer().spectrum();
  const ImVec2 size(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 9.0f);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(origin, ImVec2(origin.x + size.x, origin.y + size.y), IM_COL32(28, 28, 34, 255));
  const auto xOf = [&](double hz) { return origin.x + static_cast<float>(dsp::logFrequencyPosition(hz, kMinHz, kMaxHz)) * size.x; };
  const auto yOf = [&](float db) { return origin.y + (std::min(0.0f, std::max(db, kFloorDb)) / kFloorDb) * size.y; };
  // Octaves of A, labelled with note names, and 20 dB lines.
  for (double hz = 27.5; hz < kMaxHz; hz *= 2.0) {
    draw->AddLine(ImVec2(xOf(hz), origin.y), ImVec2(xOf(hz), origin.y + size.y), kGridColour);
    draw->AddText(ImVec2(xOf(hz) + 2.0f, origin.y + size.y - ImGui::GetFontSize()), IM_COL32(150, 150, 160, 255),
                  dsp::noteName(hz).c_str());
  }
  for (float db = -20.0f; db > kFloorDb; db -= 20.0f) draw->AddLine(ImVec2(origin.x, yOf(db)), ImVec2(origin.x + size.x, yOf(db)), kGridColour);
  if (frame.bins == 0) return;
  const auto drawLine = [&](const std::array<float, engine::SpectrumFrame::kMaxBins>& values, ImU32 colour) {
    // One point per pixel column: the loudest bin under it.
    ImVec2 previous;
    bool havePrevious = false;
    for (int x = 0; x < static_cast<int>(size.x); ++x) {
      const double lo = dsp::frequencyAtLogPosition(x / static_cast<double>(size.x), kMinHz, kMaxHz);
      const double hi = dsp::frequencyAtLogPosition((x + 1) / static_cast<double>(size.x), kMinHz, kMaxHz);
      const auto first = static_cast<std::uint32_t>(lo * frame.fftSize / frame.sampleRate);
      const auto last = std::min(frame.bins - 1, std::max(first, static_cast<std::uint32_t>(hi * frame.fftSize / frame.sampleRate)));
      if (first >= frame.bins) break;
      float level = kFloorDb;
      for (std::uint32_t bin = first; bin <= last; ++bin) level = std::max(level, values[bin]);
      const ImVec2 point(origin.x + static_cast<float>(x), yOf(level));
      if (havePrevious) draw->AddLine(previous, point, colour, 1.5f);
      previous = point;
      havePrevious = true;
    }
  };
  drawLine(frame.peakHoldDb, kPeakColour);
  drawLine(frame.averageDb, kAverageColour);
}

void drawMeter(const char* label, float peakDb, float rmsDb, float holdDb, bool clipped) {
  const float width = ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 8.0f;
  const float height = ImGui::GetFontSize() * 0.8f;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::Text("%s", label);
  ImGui::SameLine(ImGui::GetFontSize() * 1.5f);
  const ImVec2 bar = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(width, height));
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const auto xOf = [&](float db) { return bar.x + std::clamp((db + 60.0f) / 60.0f, 0.0f, 1.0f) * width; };
  draw->AddRectFilled(bar, ImVec2(bar.x + width, bar.y + height), IM_COL32(28, 28, 34, 255));
  draw->AddRectFilled(bar, ImVec2(xOf(rmsDb), bar.y + height), IM_COL32(80, 160, 90, 255));
  draw->AddRectFilled(ImVec2(xOf(rmsDb), bar.y), ImVec2(xOf(peakDb), bar.y + height), IM_COL32(150, 200, 110, 255));
  draw->AddLine(ImVec2(xOf(holdDb), bar.y), ImVec2(xOf(holdDb), bar.y + height), IM_COL32(255, 255, 255, 255), 2.0f);
  ImGui::SameLine();
  if (clipped) {
    ImGui::TextColored(ImVec4(1.0f, 0.3f, 0.25f, 1.0f), "CLIP");
  } else {
    ImGui::TextDisabled("%5.1f dB", holdDb);
  }
  (void)origin;
}

std::string lufs(double value, const char* unit) {
  if (value <= -199.0) return "--";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, unit);
  return text;
}

void drawNormalize(App& app) {
  App::Normalization& n = app.normalization;
  static double target = engine::limits::kLoudnessTarget.initial;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
  settingSlider(app, "Target", engine::limits::kLoudnessTarget, target, "%.0f LUFS");
  ImGui::SameLine();
  if (n.job.valid()) {
    ImGui::ProgressBar(static_cast<float>(n.job.progress()), ImVec2(ImGui::GetFontSize() * 8.0f, 0), "measuring");
    ImGui::SameLine();
    if (ImGui::Button("Cancel##normalize")) n.job.cancel();
  } else {
    ImGui::BeginDisabled(!app.currentTrack());
    if (ImGui::Button("Normalize the song")) app.platform().requestNormalize(target);
    ImGui::EndDisabled();
  }
  if (!n.message.empty()) ImGui::TextDisabled("%s", n.message.c_str());
}

}  // namespace

void drawAnalysisPanel(App& app) {
  drawSpectrum(app);
  const engine::MeterFrame& meters = app.engine().analyzer().meters();
  ImGui::Spacing();
  drawMeter("L", meters.peakDb[0], meters.rmsDb[0], meters.peakHoldDb[0], meters.clipped[0]);
  drawMeter("R", meters.peakDb[1], meters.rmsDb[1], meters.peakHoldDb[1], meters.clipped[1]);
  ImGui::Text("Momentary %s   Short-term %s   Integrated %s   Range %s   True peak %s",
              lufs(meters.momentaryLufs, "LUFS").c_str(), lufs(meters.shortTermLufs, "LUFS").c_str(),
              lufs(meters.integratedLufs, "LUFS").c_str(), lufs(meters.loudnessRangeLu, "LU").c_str(),
              lufs(meters.truePeakDbtp, "dBTP").c_str());
  if (ImGui::Button("Reset loudness and clip")) app.engine().analyzer().resetLoudness();
  ImGui::Spacing();
  drawNormalize(app);
}

}  // namespace woodshed::app
