#pragma once
// A track: one or more synchronized sources played on one clock. Today a decoded song is one
// source; stem separation will add a track's stems as more sources of the same length.
//
// A Track is immutable once built (a long import's audio may still be arriving: readableFrames()). The main thread's library owns it through a shared_ptr,
// jobs (the waveform) hold shared_ptrs while they run, and the render thread plays it through
// a raw pointer the Engine lends it and takes back (see Engine::loadTrack).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "woodshed/dsp/pcm_buffer.h"

namespace woodshed::engine {

using TrackId = std::uint32_t;
inline constexpr TrackId kNoTrack = 0;

struct TrackSource {
  std::string name;
  std::shared_ptr<const dsp::PcmBuffer> pcm;
};

class Track {
 public:
  /// Limit: sources per track (a song plus its stems).
  static constexpr std::size_t kMaxSources = 8;

  /// Throws InvalidArgument unless there are 1..kMaxSources sources of equal length and rate.
  Track(TrackId id, std::string name, std::vector<TrackSource> sources);

  TrackId id() const noexcept { return id_; }
  const std::string& name() const noexcept { return name_; }
  std::uint64_t frames() const noexcept { return frames_; }
  SampleRate sampleRate() const noexcept { return sampleRate_; }
  double durationSeconds() const noexcept { return static_cast<double>(frames_) / sampleRate_; }
  /// Channels of the widest source.
  ChannelCount channels() const noexcept;
  const std::vector<TrackSource>& sources() const noexcept { return sources_; }
  /// Frames every source holds so far: frames(), unless the track plays while its import is
  /// still being written (TrackLibrary::openImport). Readers read only below it.
  std::uint64_t readableFrames() const noexcept;
  /// All of the audio is in memory: what a job that reads the whole track (the waveform, an
  /// export, beat detection, loudness) waits for.
  bool complete() const noexcept { return readableFrames() == frames_; }
  std::uint64_t bytes() const noexcept;

 private:
  TrackId id_;
  std::string name_;
  std::vector<TrackSource> sources_;
  std::uint64_t frames_ = 0;
  SampleRate sampleRate_ = 0.0;
};

/// Limit: how far a loop edge moves to land on a zero crossing.
inline constexpr double kZeroCrossingReachSeconds = 0.010;

/// The frame nearest `frame` (within kZeroCrossingReachSeconds) where the track's first channel,
/// all sources mixed, crosses zero: the first frame of the new sign. `frame` itself when there
/// is none that near (silence, a DC offset, a low note's flank).
std::uint64_t nearestZeroCrossing(const Track& track, std::uint64_t frame);

}  // namespace woodshed::engine
