#pragma once
// The audio engine: a render thread that keeps an AudioRing filled to a target latency.
//
// Threads
// - Main thread (browser main thread, UI, JS API): constructs, start(), set*(), status().
//   None of these block: commands go through a wait-free SPSC queue, status comes from a
//   wait-free triple buffer, latency is an atomic.
// - Render thread: started by the first start(), owned by the Engine. It applies commands,
//   renders blocks while the ring holds less than the target, and otherwise sleeps on the
//   ring's read counter (the consumer wakes it) with a bounded timeout. It never allocates,
//   locks or throws after start() prepared it.
// - Consumer (the AudioWorklet, or a test thread): reads the ring.
//
// The destructor stops and joins the render thread; the web app never destroys its engine.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "woodshed/core/audio_ring.h"
#include "woodshed/core/spsc_ring_buffer.h"
#include "woodshed/core/triple_buffer.h"
#include "woodshed/engine/analyzer.h"
#include "woodshed/engine/commands.h"
#include "woodshed/engine/renderer.h"
#include "woodshed/engine/settings.h"

namespace woodshed::engine {

struct EngineConfig {
  ChannelCount channels = 2;
  FrameCount blockFrames = 128;
  double targetLatencySeconds = limits::kLatency.initial / 1000.0;
};

/// What the render thread publishes after every block.
struct EngineStatus {
  std::uint64_t framesRendered = 0;
  std::uint64_t blocksRendered = 0;
  double renderLoadAverage = 0.0;  ///< fraction of a block's real-time budget, smoothed over ~0.3 s
  double renderLoadMax = 0.0;      ///< largest since start or the last ResetStatistics
  std::uint32_t nonFiniteBlocks = 0;  ///< blocks the NaN/Inf guard silenced
  std::uint32_t commandsApplied = 0;
  SampleRate sampleRate = 0.0;
  TrackId trackId = kNoTrack;        ///< the track the render thread plays
  /// The ring's write counter when that track was taken: frames the output reads from here on
  /// are the track's, those before it the previous one's (modulo 2^32).
  std::uint32_t trackStartRingFrame = 0;
  std::uint64_t positionFrames = 0;  ///< its transport position
  std::uint64_t trackFrames = 0;
  bool playing = false;
  bool looping = false;
  bool countingIn = false;  ///< a count-in plays (the song holds until it ends)
  double tempo = 1.0;              ///< the tempo heard (the speed trainer's while it runs)
  bool trainerRunning = false;     ///< the speed trainer runs
  std::uint32_t trainerPasses = 0; ///< passes of the loop it has heard
  std::uint64_t tapBlocksDropped = 0;  ///< blocks the analysis tap had no room for
  double limiterGainReductionDb = 0.0;
  float limiterPeak = 0.0f;  ///< OutputChain::limiterPeak(): the loudest sample out of the limiter
  FrameCount chainLatencyFrames = 0;   ///< the output chain's fixed delay (limiter look-ahead)
  std::uint64_t volumeLimitedBlocks = 0;  ///< blocks the final stage kept within full scale
  /// The voice meters: each source's largest sample in the last block, after gain and pan.
  std::array<float, Track::kMaxSources> sourcePeaks{};
};

class Engine {
 public:
  // Limits, each with a clear error when exceeded.
  static constexpr SampleRate kMinSampleRate = 8000.0;
  static constexpr SampleRate kMaxSampleRate = 192000.0;
  static constexpr double kMinLatencySeconds = limits::kLatency.min / 1000.0;
  static constexpr double kMaxLatencySeconds = limits::kLatency.max / 1000.0;
  static constexpr FrameCount kMaxBlockFrames = 4096;
  static constexpr FrameCount kCommandQueueCapacity = 256;

  /// Validates the config and allocates the ring (sized for kMaxLatencySeconds at
  /// kMaxSampleRate). Throws InvalidArgument for out-of-range values.
  explicit Engine(EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Main thread. First call: prepares the renderer at `sampleRate` and starts the render
  /// thread. Later calls with another rate retune the renderer (no allocation). Throws
  /// InvalidArgument outside kMinSampleRate..kMaxSampleRate.
  void start(SampleRate sampleRate);
  bool isStarted() const noexcept { return renderThread_.joinable(); }

  /// Main thread: the last accepted value of every parameter (settings.h). Each set*() below
  /// validates against the limits table, hands the change to the render thread, and only then
  /// records it here; a refused change leaves every setting as it was.
  const EngineSettings& settings() const noexcept { return settings_; }

  /// Main thread. Validates and hands the parameters to the render thread. Throws
  /// InvalidArgument for bad values and LimitExceeded when the command queue is full.
  void setGenerator(const dsp::GeneratorParams& params);
  void setMasterGainDb(double gainDb);
  /// The listening volume and mute, applied after the output chain and the analysis tap (so
  /// meters and loudness do not follow the knob). Throws InvalidArgument out of range.
  void setListeningVolume(double volumeDb, bool muted);
  void resetStatistics();

  /// Main thread. Lends `track` to the render thread, which makes it current (paused at 0);
  /// null unloads. The Engine keeps the track alive until the render thread hands it back
  /// (collectReleasedTracks). Throws InvalidArgument if the track was decoded for another
  /// sample rate than the engine runs at, LimitExceeded when the command queue is full.
  void loadTrack(std::shared_ptr<const Track> track);
  void play();
  void pause();
  /// Pauses and returns to the start.
  void stop();
  /// Moves the current track's transport to `seconds` (clamped to the track).
  void seek(double seconds);
  void setLooping(bool looping);
  /// The A-B loop of the current track, in song seconds; looping wraps it when on. Throws
  /// InvalidArgument unless 0 <= start < end <= the song's length and it lasts at least
  /// kMinLoopSeconds; Error when no track is loaded.
  void setLoopRegion(double startSeconds, double endSeconds);
  /// Back to looping the whole track.
  void clearLoopRegion();
  /// The current track's beat grid: tempo in BPM, a downbeat's time in song seconds (within
  /// the song) and the beats per bar, each within its limit (settings.h). Throws
  /// InvalidArgument naming the value, Error when no track is loaded.
  void setBeatGrid(double bpm, double offsetSeconds, int beatsPerBar);
  /// No grid: the metronome and the count-in are silent.
  void clearBeatGrid();
  /// The metronome's clicks on the grid (level of a downbeat, dBFS) and the count-in (bars).
  /// Throws InvalidArgument out of range.
  void setMetronome(const MetronomeSettings& metronome);
  /// The current song's speed (0.25-2: source seconds per second heard) and pitch (-12..+12
  /// semitones, fractional for cents), each on its own; the stage glides to them. A song
  /// starts at 1 and 0 when loaded. Out of range or not finite: InvalidArgument, nothing changes.
  void setTempo(double tempo);
  void setPitch(double semitones);
  /// The speed trainer on the loop (A-B, or the whole song): from `start`, `step` faster every
  /// `passesPerStep` passes, holding at `target`. Checked: start and target within the speed's
  /// limits, start <= target, step 0.01-1, 1-100 passes. stopSpeedTrainer() goes back to the
  /// tempo set before. A song loaded stops it.
  void setSpeedTrainer(const SpeedTrainerSettings& trainer);
  void stopSpeedTrainer();
  /// Mixer of the current track's sources: gain in dB, mute, solo.
  void setSourceGainDb(std::size_t source, double gainDb);
  void setSourceMute(std::size_t source, bool mute);
  void setSourceSolo(std::size_t source, bool solo);
  /// A balance, -1 (left) .. +1 (right); 0 leaves both sides as they are.
  void setSourcePan(std::size_t source, double pan);
  /// The loaded song goes on with `track`'s sources (its stems, say: the same id, length and
  /// rate), at the same position and play state, crossing over without a gap. The mixer keeps
  /// its settings per source index. Throws InvalidArgument for another song, Error when none
  /// is loaded, LimitExceeded when the command queue is full.
  void replaceSources(std::shared_ptr<const Track> track);

  /// Main thread. Sound shaping, all smooth on the render thread. Throw InvalidArgument for
  /// an index or value out of range.
  void setEqBand(std::size_t index, const dsp::BandParams& band);
  void setEqBypass(bool bypassed);
  /// Sets every band and the bypass at once: all are validated first, and the render thread
  /// applies all of them before one block, or none. Throws InvalidArgument naming the band.
  void setEq(const dsp::ParametricEq::Bands& bands, bool bypassed);
  /// Throws InvalidArgument when `band` is not a valid setting for band `index`.
  static void validateEqBand(std::size_t index, const dsp::BandParams& band);
  /// Limiter ceiling in dBFS (-24..0) and on/off; a disabled limiter only delays (the safety
  /// clipper still keeps playback within full scale).
  void setLimiter(double ceilingDb, bool enabled);
  /// The current track's playback gain in dB (-40..+40), e.g. from loudness normalization. A
  /// newly loaded track starts at 0 dB.
  void setTrackGainDb(double gainDb);

  /// The analysis of what plays (spectrum, meters, loudness); main thread.
  Analyzer& analyzer() noexcept { return analyzer_; }

  /// Main thread: drops the tracks the render thread has handed back. Returns how many.
  std::size_t collectReleasedTracks();
  /// Main thread: true while the render thread may still use the track.
  bool isLent(TrackId id) const noexcept;
  /// Main thread: the track most recently given to loadTrack (it may not be playing yet).
  const std::shared_ptr<const Track>& loadedTrack() const noexcept { return loaded_; }

  /// Main thread. Target fill of the ring; throws InvalidArgument outside the limits.
  void setTargetLatency(double seconds);
  void setTargetLatencyMs(double milliseconds);
  double targetLatencySeconds() const noexcept;

  /// Main thread (the single reader): the newest status the render thread published.
  EngineStatus status() noexcept { return status_.read(); }
  /// Main thread: commands handed to the render thread so far. Once status().commandsApplied
  /// has reached the count read after a change (modulo 2^32), the render thread has applied it.
  std::uint32_t commandsSent() const noexcept { return commandsSent_; }

  const core::AudioRing& ring() const noexcept { return *ring_; }
  core::AudioRing& ring() noexcept { return *ring_; }
  const EngineConfig& config() const noexcept { return config_; }
  /// Main thread: the sample rate given to the last start() (0 before).
  SampleRate sampleRate() const noexcept { return sampleRate_; }

 private:
  void send(const Command& command);
  // Render thread only.
  void renderLoop() noexcept;
  void applyCommands(EngineStatus& status) noexcept;
  void notePlayer(EngineStatus& status) noexcept;
  void handBack(const Track* track) noexcept;
  bool renderBlockIfBelow(FrameCount targetFrames, EngineStatus& status) noexcept;
  void sleepWhileAtLeast(FrameCount targetFrames) noexcept;

  EngineConfig config_;
  std::unique_ptr<core::AudioRing> ring_;
  core::SpscRingBuffer<Command> commands_{kCommandQueueCapacity};
  std::uint32_t commandsSent_ = 0;  // main thread
  core::SpscRingBuffer<Notice> notices_{kCommandQueueCapacity};
  // Render thread: releases waiting for room in notices_.
  std::array<const Track*, kCommandQueueCapacity> unsentReleases_{};
  std::size_t unsentReleaseCount_ = 0;
  // Main thread: tracks lent to the render thread, and the newest one loaded.
  std::vector<std::shared_ptr<const Track>> lent_;
  std::shared_ptr<const Track> loaded_;
  core::TripleBuffer<EngineStatus> status_;
  Renderer renderer_;
  Analyzer analyzer_;
  std::atomic<double> targetLatencySeconds_;
  std::atomic<bool> quit_{false};
  SampleRate sampleRate_ = 0.0;
  EngineSettings settings_;
  std::thread renderThread_;
};

}  // namespace woodshed::engine
