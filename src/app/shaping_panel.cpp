#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>

#include "app/app.h"
#include "app/panels.h"
#include "woodshed/dsp/spectrum_analyzer.h"

namespace woodshed::app {

namespace {

constexpr double kMinHz = 20.0;
constexpr double kMaxHz = 20000.0;
constexpr double kRangeDb = 18.0;
const ImU32 kCurveColour = IM_COL32(224, 164, 88, 255);
const ImU32 kGridColour = IM_COL32(60, 60, 70, 255);
const ImU32 kHandleColour = IM_COL32(120, 180, 255, 255);
const ImU32 kOffColour = IM_COL32(110, 110, 120, 255);

int& selectedBand() {
  static int band = 1;
  return band;
}

// The EQ's response with a handle per band: drag moves frequency and gain, the wheel changes
// Q, a double click turns a band on or off.
void drawCurve(App& app) {
  const ImVec2 size(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 9.0f);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##eqcurve", size);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(origin, ImVec2(origin.x + size.x, origin.y + size.y), IM_COL32(28, 28, 34, 255));
  const auto xOf = [&](double hz) { return origin.x + static_cast<float>(dsp::logFrequencyPosition(hz, kMinHz, kMaxHz)) * size.x; };
  const auto yOf = [&](double db) {
    return origin.y + size.y * 0.5f - static_cast<float>(std::clamp(db, -kRangeDb, kRangeDb) / kRangeDb) * size.y * 0.45f;
  };
  for (double hz : {100.0, 1000.0, 10000.0}) draw->AddLine(ImVec2(xOf(hz), origin.y), ImVec2(xOf(hz), origin.y + size.y), kGridColour);
  for (double db : {-12.0, 0.0, 12.0}) draw->AddLine(ImVec2(origin.x, yOf(db)), ImVec2(origin.x + size.x, yOf(db)), kGridColour);

  const double rate = app.engine().sampleRate() > 0.0 ? app.engine().sampleRate() : 48000.0;
  const engine::EngineSettings& settings = app.settings();
  ImVec2 previous;
  for (int x = 0; x <= static_cast<int>(size.x); x += 2) {
    const double hz = dsp::frequencyAtLogPosition(x / static_cast<double>(size.x), kMinHz, kMaxHz);
    const double db = settings.eqBypass ? 0.0 : dsp::ParametricEq::responseDb(settings.eqBands, hz, rate);
    const ImVec2 point(origin.x + static_cast<float>(x), yOf(db));
    if (x > 0) draw->AddLine(previous, point, kCurveColour, 2.0f);
    previous = point;
  }

  int& selected = selectedBand();
  static int dragging = -1;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (int i = 0; i < static_cast<int>(settings.eqBands.size()); ++i) {
    const dsp::BandParams band = settings.eqBands[static_cast<std::size_t>(i)];
    const ImVec2 centre(xOf(band.frequencyHz), yOf(band.gainDb));
    const bool near = std::hypot(mouse.x - centre.x, mouse.y - centre.y) < ImGui::GetFontSize() * 0.7f;
    draw->AddCircleFilled(centre, ImGui::GetFontSize() * (i == selected ? 0.45f : 0.32f), band.enabled ? kHandleColour : kOffColour);
    if (hovered && near && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
      selected = i;
      dragging = i;
    }
    if (hovered && near && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
      dsp::BandParams toggled = band;
      toggled.enabled = !toggled.enabled;
      attempt(app, [&] { app.engine().setEqBand(static_cast<std::size_t>(i), toggled); });
    }
  }
  if (dragging >= 0 && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    dsp::BandParams band = settings.eqBands[static_cast<std::size_t>(dragging)];
    band.frequencyHz = std::clamp(dsp::frequencyAtLogPosition((mouse.x - origin.x) / size.x, kMinHz, kMaxHz), kMinHz, kMaxHz);
    band.gainDb = std::clamp((origin.y + size.y * 0.5 - mouse.y) / (size.y * 0.45) * kRangeDb, -kRangeDb, kRangeDb);
    attempt(app, [&] { app.engine().setEqBand(static_cast<std::size_t>(dragging), band); });
  } else {
    dragging = -1;
  }
  if (hovered && ImGui::GetIO().MouseWheel != 0.0f) {
    dsp::BandParams band = settings.eqBands[static_cast<std::size_t>(selected)];
    band.q = std::clamp(band.q * std::pow(1.15, ImGui::GetIO().MouseWheel), engine::limits::kEqQ.min, engine::limits::kEqQ.max);
    attempt(app, [&] { app.engine().setEqBand(static_cast<std::size_t>(selected), band); });
  }
}

void drawBandControls(App& app) {
  int& selected = selectedBand();
  const auto index = static_cast<std::size_t>(selected);
  dsp::BandParams band = app.settings().eqBands[index];
  const char* kinds[] = {"low shelf", "peaking", "high shelf"};
  const auto type = dsp::ParametricEq::bandType(index);
  ImGui::Text("Band %d (%s)", selected + 1,
              kinds[type == dsp::BiquadType::LowShelf ? 0 : (type == dsp::BiquadType::HighShelf ? 2 : 1)]);
  bool changed = ImGui::Checkbox("On##band", &band.enabled);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12.0f);
  changed |= settingSlider(app, "Frequency##band", engine::limits::kEqFrequency, band.frequencyHz, "%.0f Hz",
                           ImGuiSliderFlags_Logarithmic);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12.0f);
  changed |= settingSlider(app, "Gain##band", engine::limits::kEqGain, band.gainDb, "%+.1f dB");
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12.0f);
  changed |= settingSlider(app, "Q##band", engine::limits::kEqQ, band.q, "%.2f", ImGuiSliderFlags_Logarithmic);
  if (changed) attempt(app, [&] { app.engine().setEqBand(index, band); });
}

}  // namespace

void drawShapingPanel(App& app) {
  const engine::EngineSettings& settings = app.settings();
  bool bypass = settings.eqBypass;
  if (ImGui::Checkbox("Bypass EQ", &bypass)) attempt(app, [&] { app.engine().setEqBypass(bypass); });
  rememberItemRect(app, "eq.bypass");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  if (ImGui::BeginCombo("Preset", "choose...")) {
    for (const auto& preset : dsp::ParametricEq::presets()) {
      if (ImGui::Selectable(preset.name)) {
        // All ten bands at once, or none (a refused preset leaves the EQ as it was).
        attempt(app, [&] { app.engine().setEq(preset.bands, settings.eqBypass); });
      }
    }
    ImGui::EndCombo();
  }
  drawCurve(app);
  drawBandControls(app);

  ImGui::Spacing();
  ImGui::TextUnformatted("Limiter");
  ImGui::Separator();
  bool enabled = settings.limiterEnabled;
  double ceiling = settings.limiterCeilingDb;
  bool changed = ImGui::Checkbox("On##limiter", &enabled);
  rememberItemRect(app, "limiter.enabled");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12.0f);
  changed |= settingSlider(app, "Ceiling", engine::limits::kLimiterCeiling, ceiling, "%.1f dBFS");
  if (changed) attempt(app, [&] { app.engine().setLimiter(ceiling, enabled); });
  ImGui::SameLine();
  ImGui::Text("reduction %.1f dB", app.engine().status().limiterGainReductionDb);
}

}  // namespace woodshed::app
