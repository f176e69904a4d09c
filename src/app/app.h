#pragma once
// The Woodshed application: owns the engine and the thread pool, holds the UI's state, and
// draws one ImGui frame at a time. Main thread only; it never blocks (the engine and the pool
// are driven through their non-blocking methods).

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/platform_services.h"
#include "woodshed/core/thread_pool.h"
#include "woodshed/dsp/beat_tracker.h"
#include "woodshed/dsp/signal_generator.h"
#include "woodshed/engine/beat_detection.h"
#include "woodshed/engine/engine.h"
#include "woodshed/engine/export_stream.h"
#include "woodshed/engine/track_library.h"
#include "woodshed/dsp/look_ahead_limiter.h"
#include "woodshed/dsp/parametric_eq.h"

namespace woodshed::app {

/// Version shown in the status bar and returned to JS.
inline constexpr const char* kVersion = WOODSHED_VERSION;

struct AudioOutputInfo {
  AudioState state = AudioState::Off;
  double baseLatencyMs = 0.0;    ///< the AudioContext's own processing latency
  double outputLatencyMs = 0.0;  ///< from the AudioContext to the speakers, as reported
  std::string message;           ///< why, for Failed
};

/// An import the page is working on (reading, decoding...), as the UI shows it. It ends when the
/// song is playable: its save and its waveform go on, shown in the library and the waveform.
struct ImportProgress {
  enum class Stage : int { Waiting, Reading, Decoding, Storing };
  std::string name;
  Stage stage = Stage::Waiting;
  double fraction = 0.0;  ///< of the current stage, or -1 when unknown
};

const char* toString(ImportProgress::Stage stage) noexcept;

/// The persistent library as the page last described it (web/library.js owns it).
struct Catalog {
  struct Entry {
    std::string id;  ///< content hash
    std::string name;
    std::string format;
    double durationSeconds = 0.0;
    double sizeBytes = 0.0;
    double dateAdded = 0.0;  ///< ms since the epoch
    /// Whether the original is stored: songs are listed, and play, while it is being saved.
    enum class Stored { Yes, Saving, Failed };
    Stored stored = Stored::Yes;
  };
  std::vector<Entry> entries;
  std::string currentId;
  double usedBytes = 0.0;
  double quotaBytes = 0.0;
  bool persisted = false;
  /// The service worker's cache of published songs (media/) and its budgets.
  double mediaEntries = 0.0;
  double mediaBytes = 0.0;
  double mediaMaxEntries = 0.0;
  double mediaMaxBytes = 0.0;
};

/// The current song's markers as the page last described them (web/markers.js owns them),
/// sorted by time. A section runs from one marker to the next, the last to the song's end.
struct Marker {
  std::string id;
  std::string name;
  double seconds = 0.0;
  std::uint32_t rgb = 0;  ///< 0xRRGGBB
};

class App {
 public:
  App(PlatformServices& platform, unsigned poolThreads);

  engine::Engine& engine() noexcept { return engine_; }
  core::ThreadPool& pool() noexcept { return pool_; }
  engine::TrackLibrary& library() noexcept { return library_; }
  PlatformServices& platform() noexcept { return platform_; }

  /// Housekeeping once per frame and before answering the JS API: finished waveform jobs,
  /// tracks the render thread handed back.
  void poll();

  /// Makes a track current (paused at its start). Throws InvalidArgument for an unknown id.
  void load(engine::TrackId id);
  /// Removes a track from memory; if it is current, nothing is current afterwards.
  void unload(engine::TrackId id);
  /// The current track, or null.
  std::shared_ptr<const engine::Track> currentTrack() const noexcept { return engine_.loadedTrack(); }
  /// Every setting as the engine last accepted it: the UI reads them from here each frame and
  /// changes them through the engine, so it keeps no copies.
  const engine::EngineSettings& settings() const noexcept { return engine_.settings(); }

  /// Transport position of the current track in seconds, as last published by the render thread.
  double positionSeconds() noexcept;
  bool playing() noexcept;
  /// Starts playback (asking the platform for audio output first if it is not running).
  void play();

  /// The library; `catalogUpdate` is filled by the page and then swapped in whole.
  Catalog catalog;
  std::vector<Catalog::Entry> catalogUpdate;
  /// Where loop edges snap when set from the keys or the waveform, as the page last said
  /// (0 off, 1 the beat grid, 2 the nearest zero crossing); the page owns the preference.
  int loopSnap = 0;
  /// The current song's markers; `markersUpdate` is filled by the page and then swapped in whole.
  std::vector<Marker> markers;
  std::vector<Marker> markersUpdate;

  /// Imports in progress, keyed by the page's import id.
  std::map<std::uint32_t, ImportProgress>& imports() noexcept { return imports_; }

  /// The last error to show the user ("" for none), e.g. why an import failed.
  const std::string& lastError() const noexcept { return lastError_; }
  void setLastError(std::string message) { lastError_ = std::move(message); }

  /// When the status bar last saw the final stage limit the listening volume.
  std::uint64_t volumeLimitedBlocksSeen = 0;
  double volumeLimitedAt = -1e9;

  /// Loudness normalization of the current track, on the thread pool.
  struct Normalization {
    core::Job<double> job;  ///< the integrated loudness, in LUFS
    engine::TrackId trackId = engine::kNoTrack;
    double targetLufs = -14.0;
    double measuredLufs = -200.0;  ///< the finished measurement's (main thread)
    double resultGainDb = 0.0;   ///< for the measured track (trackId), current or not
    std::string message;         ///< outcome to show
  };
  Normalization normalization;
  /// Starts measuring the current track's integrated loudness; when done, its playback gain
  /// becomes targetLufs - measured. Throws if nothing is loaded or a measurement runs.
  void startNormalization(double targetLufs);

  /// Analysis of a track (beat grid and tuning), on the thread pool. The page starts it for a
  /// song without a grid or a tuning and keeps the results with the song (web/session.js); the
  /// app only runs it.
  struct BeatDetection {
    core::JobHandle job;
    engine::TrackId trackId = engine::kNoTrack;
    /// Written by the job; read only after it finished (poll() copies it into `grid`, `tuning`).
    std::shared_ptr<engine::SongAnalysis> result = std::make_shared<engine::SongAnalysis>();
    dsp::BeatGrid grid;   ///< the finished detection's grid (main thread)
    std::optional<dsp::TuningEstimate> tuning;  ///< and its tuning
    bool succeeded = false;
    std::string message;  ///< why it failed
    /// A track still being imported: its job starts (poll) once all of its audio is in memory.
    std::shared_ptr<const engine::Track> waitingFor;
    /// Queued or waiting for the track's audio.
    bool running() const noexcept { return job.valid() || waitingFor != nullptr; }
  };
  BeatDetection beatDetection;
  /// The current song's tuning from A440 in cents, as the page knows it (kept with the song);
  /// nothing while unknown.
  std::optional<double> tuningCents;
  /// The speed trainer's settings as the controls show them before it starts.
  engine::SpeedTrainerSettings trainerDraft;
  /// Starts detecting the current track's grid (a detection of another track is cancelled; one
  /// of this track already running goes on), or, while the track's import is still being
  /// written, once it is all in memory. Throws if nothing is loaded.
  void startBeatDetection();

  /// What to export: a region of a track in a format, the mix or one source, with the settings
  /// heard (for the current track) or the track's own (trackGainDb, tempo, pitch; the rest of
  /// the shaping is the app's).
  struct ExportRequest {
    engine::TrackId trackId = engine::kNoTrack;
    double startSeconds = 0.0;
    double endSeconds = 0.0;
    engine::ExportFormat format = engine::ExportFormat::Wav16;
    std::optional<std::size_t> source;  ///< null: the mix
    double trackGainDb = 0.0;
    double tempo = 1.0;
    double pitchSemitones = 0.0;
  };
  /// An export in progress, rendered on the thread pool into a stream the page writes to a file.
  struct Export {
    core::JobHandle job;
    std::shared_ptr<engine::ExportStream> stream;
    double startedAt = 0.0;  ///< seconds on the steady clock
    std::string message;     ///< why it failed or was cancelled
  };
  Export exporting;
  /// Limit: the working memory an export declares in the budget: its ring (2 MiB), the render
  /// graph and a stretch stage (about 3 MB), with room to spare.
  static constexpr std::uint64_t kExportWorkingBytes = std::uint64_t{8} << 20;
  /// The page says how much memory the device has (navigator.deviceMemory; 0 unknown): the
  /// budget for decoded audio follows (engine::decodedAudioBudget).
  void setDeviceMemory(std::uint64_t deviceBytes, std::uint64_t heapLimitBytes) noexcept;
  /// The export popup's choices: region (0 song, 1 A-B loop, 2 a section), the section's
  /// marker, the format (0 wav16, 1 wav24, 2 wav32f), each stem as its own file.
  struct ExportDraft {
    int region = 0;
    int section = 0;
    int format = 0;
    bool eachStem = false;
  };
  ExportDraft exportDraft;
  /// Starts rendering `request` (one export at a time). Throws InvalidArgument for an unknown
  /// track, an empty region or a source the track lacks, Error while another export runs, and
  /// LimitExceeded for a file too large for WAV. Returns the file's size in bytes.
  std::uint64_t startExport(const ExportRequest& request);
  /// Asks the running export to stop; the page then drops what it wrote.
  void cancelExport() noexcept;
  /// Drops the finished export's stream (its memory); the page calls it once the file is written.
  void endExport() noexcept;
  /// Seconds left, from the bytes written so far and the time taken; negative while unknown.
  double exportEtaSeconds() const noexcept;

  /// Waveform view of the current track: visible range in frames (0 = whole track).
  double waveformZoom = 1.0;      ///< 1 = whole track; 2 = half of it, ...
  double waveformStartFrame = 0;  ///< first visible frame
  /// Where the waveform was last drawn (x, y, width, height in canvas pixels), for tests.
  std::array<double, 4> waveformRect{};
  /// Where the library's search field was last drawn, likewise.
  std::array<double, 4> searchRect{};
  /// Where each setting's control was last drawn, by its limit's key ("limiter.ceilingDb"):
  /// {x, y, width, height, the frame it was drawn in}, so browser tests can drive the UI as a
  /// user does, frame by frame.
  std::map<std::string, std::array<double, 5>> controlRects;
  /// Frames drawn since the app started.
  std::uint64_t framesDrawn = 0;

  /// Threads Woodshed runs besides the main thread: render, analysis and the pool.
  unsigned threadCount() const noexcept { return pool_.threadCount() + 2; }

  /// The platform reports the audio output's state (main thread).
  void onAudioState(const AudioOutputInfo& info) { audio_ = info; }
  const AudioOutputInfo& audioOutput() const noexcept { return audio_; }

  /// Ring fill plus the AudioContext's own latencies: what the user hears as delay.
  double totalOutputLatencyMs() noexcept;
  /// Where the song is as the user hears it now, while it plays: the source frame the output
  /// handed out last, less the device's latency (the transport position runs ahead of it by the
  /// ring's fill). The playhead, the beat flash and the saved position use it.
  double heardSeconds() noexcept;

  /// Draws one frame of the UI into the current ImGui context.
  void drawFrame(float width, float height);

 private:
  void submitBeatDetection(const std::shared_ptr<const engine::Track>& track);
  /// `track`, or a clear error naming `what` cannot start while its import is still being written.
  std::shared_ptr<const engine::Track> wholeTrack(std::shared_ptr<const engine::Track> track, const char* what) const;

  PlatformServices& platform_;
  core::ThreadPool pool_;
  engine::Engine engine_;
  engine::TrackLibrary library_;
  std::map<std::uint32_t, ImportProgress> imports_;
  std::string lastError_;
  AudioOutputInfo audio_;
};

}  // namespace woodshed::app
