#pragma once
// Per-song recall: the settings a musician tunes to a song, kept with it and restored when it
// loads, and what to restore at start. One table (kRecalled) names them; the page stores the
// values it is given by key and hands them back in the same order, and never interprets them.
// Later settings (tempo, pitch, loop, stem mix, EQ when remembered per song) are added to the
// table and nowhere else.

#include <array>
#include <cstddef>
#include <string>

#include "woodshed/engine/engine.h"
#include "woodshed/engine/settings.h"

namespace woodshed::engine {

/// One recalled setting: its limit (key, range, initial value) and where it lives in the
/// engine's settings. A song's values are staged into a copy of the settings first and then
/// applied together (applyRecall), so settings that only make sense together (a loop's two
/// ends) are checked together.
struct Recalled {
  const Limit* limit;
  double (*read)(const EngineSettings& settings);
  void (*stage)(EngineSettings& settings, double value);
};

inline const std::array<Recalled, 5> kRecalled{{
    {&limits::kTrackGain, [](const EngineSettings& s) { return s.trackGainDb; },
     [](EngineSettings& s, double value) { s.trackGainDb = value; }},
    {&limits::kLoopStart, [](const EngineSettings& s) { return s.loopStartSeconds; },
     [](EngineSettings& s, double value) { s.loopStartSeconds = value; }},
    {&limits::kLoopEnd, [](const EngineSettings& s) { return s.loopEndSeconds; },
     [](EngineSettings& s, double value) { s.loopEndSeconds = value; }},
    {&limits::kTempo, [](const EngineSettings& s) { return s.tempo; },
     [](EngineSettings& s, double value) { s.tempo = value; }},
    {&limits::kPitch, [](const EngineSettings& s) { return s.pitchSemitones; },
     [](EngineSettings& s, double value) { s.pitchSemitones = value; }},
}};

/// Values in kRecalled's order (NaN where a song has none).
using RecallValues = std::array<double, kRecalled.size()>;

/// The recalled settings as the engine has them now.
RecallValues readRecall(const EngineSettings& settings) noexcept;

/// Applies a song's stored values after it was loaded. A missing (NaN) value applies the initial
/// one; a value out of range (a damaged or hostile record), or a loop that does not fit the
/// song, applies the initial one and is named in the returned note ("" when all were good).
/// Throws only what the engine throws for a full command queue.
std::string applyRecall(Engine& engine, const RecallValues& values);

/// Keys of kRecalled, comma-separated, for the page.
std::string recallKeys();

/// Songs left within this much of their end start over when they are restored.
inline constexpr double kRestartNearEndSeconds = 2.0;

/// Where a song resumes at start, from where it was left: at the saved position, or at 0 when
/// that is not a time within the song, or when the song was left at (or near) its end.
double resumePosition(double savedSeconds, double durationSeconds) noexcept;

}  // namespace woodshed::engine
