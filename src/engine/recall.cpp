#include "woodshed/engine/recall.h"

#include <cmath>

#include "woodshed/core/error.h"

namespace woodshed::engine {

RecallValues readRecall(const EngineSettings& settings) noexcept {
  RecallValues values{};
  for (std::size_t i = 0; i < kRecalled.size(); ++i) values[i] = kRecalled[i].read(settings);
  return values;
}

std::string applyRecall(Engine& engine, const RecallValues& values) {
  std::string note;
  const auto ignored = [&](const std::string& why) {
    if (!note.empty()) note += "; ";
    note += "the song's saved setting was ignored: " + why;
  };
  EngineSettings staged = engine.settings();
  for (std::size_t i = 0; i < kRecalled.size(); ++i) {
    const Limit& limit = *kRecalled[i].limit;
    double value = values[i];
    if (std::isnan(value)) {
      value = limit.initial;
    } else if (!limit.contains(value)) {
      ignored(limit.outOfRangeMessage(value));
      value = limit.initial;
    }
    kRecalled[i].stage(staged, value);
  }
  // Applied together: each with the engine's own checks.
  engine.setTrackGainDb(staged.trackGainDb);
  engine.setTempo(staged.tempo);
  engine.setPitch(staged.pitchSemitones);
  if (staged.loopEndSeconds > staged.loopStartSeconds) {
    try {
      engine.setLoopRegion(staged.loopStartSeconds, staged.loopEndSeconds);
    } catch (const core::InvalidArgument& e) {
      ignored(e.what());
      engine.clearLoopRegion();
    }
  } else {
    engine.clearLoopRegion();
  }
  return note;
}

std::string recallKeys() {
  std::string keys;
  for (const Recalled& recalled : kRecalled) {
    if (!keys.empty()) keys += ',';
    keys += recalled.limit->key;
  }
  return keys;
}

double resumePosition(double savedSeconds, double durationSeconds) noexcept {
  if (!std::isfinite(savedSeconds) || !std::isfinite(durationSeconds) || savedSeconds <= 0.0) return 0.0;
  if (savedSeconds >= durationSeconds - kRestartNearEndSeconds) return 0.0;
  return savedSeconds;
}

}  // namespace woodshed::engine
