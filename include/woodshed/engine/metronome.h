#pragma once
// The metronome and the count-in's clicks, on the render thread.
//
// Where a click starts is decided before the output chain, from the source position of every
// frame (a beat of the song's grid is crossed) or from the count-in's schedule; the marks are
// then delayed with the audio through the chain's latency, and the clicks are synthesized after
// the analysis tap (renderer.h). So a click lands on the beat as it is heard, follows the tempo
// (positions advance at the tempo ratio), never pumps the limiter, never shows in the meters or
// the loudness, and is never exported (offline renders stop before it).
//
// No allocation, no locks: a click is a short decaying sine, computed as it plays.

#include <cstdint>

#include "woodshed/dsp/process_spec.h"
#include "woodshed/engine/track.h"

namespace woodshed::engine {

/// A song's beat grid at constant tempo, in source frames. periodFrames 0: none.
struct BeatGridFrames {
  double periodFrames = 0.0;  ///< source frames per beat
  double offsetFrames = 0.0;  ///< a downbeat; beats lie at offset + k * period for every k
  int beatsPerBar = 4;

  bool valid() const noexcept { return periodFrames > 0.0; }
};

/// When the count-in plays: never, before playing starts, or also before each pass of a loop.
enum class CountIn : std::uint8_t { Off, First, Every };

const char* toString(CountIn countIn) noexcept;

/// What starts at a frame of output: nothing, a beat's click, or a downbeat's (accented) click.
enum class Click : std::uint8_t { None, Beat, Downbeat };

/// Render thread after setSampleRate(): no allocation, no locks.
class Metronome {
 public:
  static constexpr double kClickSeconds = 0.030;
  static constexpr double kDecaySeconds = 0.006;
  static constexpr double kBeatHz = 1000.0;
  static constexpr double kDownbeatHz = 1600.0;
  /// A beat's click is this much quieter than a downbeat's (at the metronome's level).
  static constexpr double kBeatGain = 0.63;  // -4 dB

  void setSampleRate(SampleRate sampleRate) noexcept;
  /// The level of a downbeat's click, linear.
  void setLevel(double linear) noexcept { level_ = linear; }
  /// Forgets the last position and silences a click in progress.
  void reset() noexcept;

  /// Marks into `clicks` (where no mark is yet) the frames at which `positions` reach a beat
  /// of `grid`: the first frame at or after the beat. A jump (seek, loop wrap, start) clicks
  /// only when it lands on a beat.
  void markBeats(const BeatGridFrames& grid, const SourcePosition* positions, FrameCount frames, Click* clicks) noexcept;
  /// Adds the clicks starting at the marked frames (and one still sounding) into every channel.
  /// True when a click sounded in the block.
  bool render(const dsp::AudioBlock& block, const Click* clicks) noexcept;

 private:
  void start(Click click) noexcept;

  SampleRate sampleRate_ = 44100.0;
  double level_ = 0.5;
  SourcePosition previous_ = kNoSourcePosition;
  // The click sounding now.
  FrameCount clickFrames_ = 1323;
  FrameCount clickDone_ = 0;
  FrameCount clickLength_ = 0;  // 0: none sounding
  double phase_ = 0.0;
  double phaseStep_ = 0.0;
  double envelope_ = 0.0;
  double decay_ = 0.0;
  double gain_ = 0.0;
};

}  // namespace woodshed::engine
