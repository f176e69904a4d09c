#pragma once
// A constant-tempo beat grid (tempo, bar start, meter) estimated from a song's audio, for the
// metronome, the bar ruler and loop snapping.
//
// The method, after Scheirer (1998), Ellis (2007) and Davies & Plumbley (2006), in four steps:
// 1. onset strength: spectral flux of log-compressed magnitudes in third-octave bands (STFT of
//    about 23 ms, hop about 5.8 ms at any sample rate), plus the same flux below 150 Hz (kicks,
//    bass notes) and a coarse spectrogram of the harmony range (60 Hz to 1.5 kHz);
// 2. tempo: the autocorrelation of the onset strength over 1 to 4 beats (a comb) between
//    kBeatTrackerMinBpm and kBeatTrackerMaxBpm, weighted by a log-Gaussian prior around 120 BPM,
//    and checked to divide the strongest bar-length periodicity (so the dotted-quarter pulse of
//    a 3+3+2 rhythm is not taken for the beat);
// 3. period and phase: the grid within 1 % of that tempo that collects the most onset strength
//    on its beats over the whole song (found from 8-beat stretches folded once), interpolated to
//    a small fraction of a frame;
// 4. meter and bar start: for 3 and 4 beats a bar, the beat in the bar whose low-frequency
//    onsets are strongest and whose sustained (harmony) spectrum changes most from the beat
//    before; the meter whose best beat stands out more wins.
//
// Runs off the render thread (a job on the analysis lane); allocates. Memory is O(frames / hop):
// about 53 bytes per ~5.8 ms hop (the onset curves, a 4-hop-decimated harmony spectrogram and
// a running sum), 9 kB per second of audio, at most about 17 MB for kBeatTrackerMaxAnalysisSeconds.
// Longer songs are analysed over their first kBeatTrackerMaxAnalysisSeconds; the grid goes on.

#include <cstddef>
#include <functional>
#include <vector>

#include "woodshed/core/types.h"

namespace woodshed::dsp {

/// Sample rates the estimator accepts.
inline constexpr SampleRate kBeatTrackerMinSampleRate = 8000.0;
inline constexpr SampleRate kBeatTrackerMaxSampleRate = 384000.0;
/// Shorter audio holds too few beats for a tempo.
inline constexpr double kBeatTrackerMinSeconds = 4.0;
/// Audio past this is not analysed (bounds memory and time; a constant grid rarely fits longer).
inline constexpr double kBeatTrackerMaxAnalysisSeconds = 30.0 * 60.0;
/// The tempo range the grid is reported in; a song outside it gets half or double its tempo.
inline constexpr double kBeatTrackerMinBpm = 60.0;
inline constexpr double kBeatTrackerMaxBpm = 200.0;

struct BeatGrid {
  double bpm = 0.0;            ///< beats per minute of the constant-tempo grid
  double offsetSeconds = 0.0;  ///< the first downbeat (bar start) at or after 0 s
  int beatsPerBar = 4;         ///< 2..7 in the type; the estimator detects 3 or 4
  double confidence = 0.0;     ///< 0..1: how periodic the onsets are ("tempo uncertain" below ~0.3)
};

/// Estimates a constant-tempo beat grid from mono audio (the caller downmixes). NaN and infinite
/// samples count as silence; all-silent audio gives 120 BPM with confidence 0.
/// `checkpoint(fraction)` is called with non-decreasing progress in 0..1, at least every ~20 ms
/// of work (release build), last with 1.0; it may throw to cancel, and the exception propagates.
/// An empty `checkpoint` is allowed. Throws core::InvalidArgument for a sample rate outside
/// [kBeatTrackerMinSampleRate, kBeatTrackerMaxSampleRate], audio shorter than
/// kBeatTrackerMinSeconds or a null `mono`; std::bad_alloc without memory.
BeatGrid estimateBeatGrid(const float* mono, std::size_t frames, double sampleRate,
                          const std::function<void(double)>& checkpoint);

/// The grid's beat times (seconds) in [0, durationSeconds): offsetSeconds + k * 60 / bpm for
/// every integer k, the negative ones included down to 0 s. Empty for a grid without a tempo.
std::vector<double> beatTimes(const BeatGrid& grid, double durationSeconds);

/// The downbeats among beatTimes(): every beatsPerBar-th beat counted from offsetSeconds.
std::vector<double> downbeatTimes(const BeatGrid& grid, double durationSeconds);

}  // namespace woodshed::dsp
