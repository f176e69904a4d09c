#include "woodshed/engine/settings.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "woodshed/core/error.h"

namespace woodshed::engine {

std::string formatNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
    return text;
  }
  std::snprintf(text, sizeof text, "%.17g", value);
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value) return shorter;
  }
  return text;
}

namespace {

std::string number(double value) { return formatNumber(value); }

const char* boolean(bool value) { return value ? "true" : "false"; }

}  // namespace

std::string Limit::outOfRangeMessage(double value) const {
  // "-60 and +6 dB": a signed range shows the sign of both ends.
  const std::string high = (min < 0.0 && max > 0.0 ? "+" : "") + number(max);
  std::string message = std::string(label) + " must be between " + number(min) + " and " + high;
  if (*unit != '\0') message += std::string(" ") + unit;
  return message + ", got " + (std::isnan(value) ? std::string("NaN") : number(value));
}

void Limit::check(double value) const {
  if (!contains(value)) throw core::InvalidArgument(outOfRangeMessage(value));
}

std::string toJson(const EngineSettings& s) {
  const dsp::GeneratorParams& g = s.generator;
  std::string json = "{\"generator\":{\"type\":\"";
  json += dsp::toString(g.waveform);
  json += "\",\"frequency\":" + number(g.frequencyHz) + ",\"levelDb\":" + number(g.levelDb) +
          ",\"enabled\":" + boolean(g.enabled) + "}";
  json += ",\"masterGainDb\":" + number(s.masterGainDb);
  json += ",\"volumeDb\":" + number(s.volumeDb) + ",\"muted\":" + boolean(s.muted);
  json += ",\"eq\":{\"bypass\":" + std::string(boolean(s.eqBypass)) + ",\"bands\":[";
  for (std::size_t i = 0; i < s.eqBands.size(); ++i) {
    const dsp::BandParams& b = s.eqBands[i];
    if (i > 0) json += ',';
    json += "{\"frequency\":" + number(b.frequencyHz) + ",\"gainDb\":" + number(b.gainDb) + ",\"q\":" + number(b.q) +
            ",\"enabled\":" + boolean(b.enabled) + "}";
  }
  json += "]},\"limiter\":{\"ceilingDb\":" + number(s.limiterCeilingDb) +
          ",\"enabled\":" + boolean(s.limiterEnabled) + "}";
  json += ",\"latencyMs\":" + number(s.latencyMs);
  json += ",\"trackGainDb\":" + number(s.trackGainDb);
  json += ",\"sources\":[";
  for (std::size_t i = 0; i < s.sources.size(); ++i) {
    const SourceSettings& source = s.sources[i];
    if (i > 0) json += ',';
    json += "{\"gainDb\":" + number(source.gainDb) + ",\"pan\":" + number(source.pan) +
            ",\"mute\":" + boolean(source.mute) +
            ",\"solo\":" + boolean(source.solo) + "}";
  }
  json += "],\"looping\":" + std::string(boolean(s.looping));
  json += s.loopEndSeconds > s.loopStartSeconds
              ? ",\"loop\":{\"start\":" + number(s.loopStartSeconds) + ",\"end\":" + number(s.loopEndSeconds) + "}"
              : std::string(",\"loop\":null");
  const BeatGridSettings& grid = s.beatGrid;
  json += grid.bpm > 0.0 ? ",\"beatGrid\":{\"bpm\":" + number(grid.bpm) + ",\"offsetSeconds\":" +
                               number(grid.offsetSeconds) + ",\"beatsPerBar\":" + number(grid.beatsPerBar) + "}"
                         : std::string(",\"beatGrid\":null");
  const MetronomeSettings& m = s.metronome;
  json += ",\"metronome\":{\"enabled\":" + std::string(boolean(m.enabled)) + ",\"levelDb\":" + number(m.levelDb) +
          ",\"countIn\":\"" + toString(m.countIn) + "\",\"countInBars\":" + number(m.countInBars) + "}";
  json += ",\"tempo\":" + number(s.tempo) + ",\"pitchSemitones\":" + number(s.pitchSemitones);
  if (s.speedTrainer) {
    const SpeedTrainerSettings& t = *s.speedTrainer;
    json += ",\"speedTrainer\":{\"start\":" + number(t.start) + ",\"step\":" + number(t.step) + ",\"target\":" +
            number(t.target) + ",\"passesPerStep\":" + number(t.passesPerStep) + "}";
  } else {
    json += ",\"speedTrainer\":null";
  }
  return json + "}";
  return json;
}

std::string limitsJson() {
  std::string json = "{";
  for (const Limit* limit : limits::kAll) {
    if (json.size() > 1) json += ',';
    json += "\"" + std::string(limit->key) + "\":{\"min\":" + number(limit->min) + ",\"max\":" + number(limit->max) +
            ",\"initial\":" + number(limit->initial) + ",\"unit\":\"" + limit->unit + "\",\"label\":\"" +
            limit->label + "\"}";
  }
  return json + "}";
}

}  // namespace woodshed::engine
