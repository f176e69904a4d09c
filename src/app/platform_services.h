#pragma once
// What the app needs from the platform it runs on. platform/web implements it with the
// browser; tests or a native shell could implement it otherwise. Main thread only.

#include <cstddef>
#include <cstdint>
#include <string>

namespace woodshed::app {

/// The audio output as the platform reports it. "Running" is reported only after the
/// platform's audio device really runs (in the browser: after AudioContext.resume() resolved).
enum class AudioState { Off, Starting, Running, Suspended, Closed, Failed };

const char* toString(AudioState state) noexcept;

class PlatformServices {
 public:
  virtual ~PlatformServices() = default;

  /// Asks for audio output; the outcome arrives later through App::onAudioState.
  virtual void requestAudioStart() = 0;
  /// Asks to stop audio output; the outcome arrives later through App::onAudioState.
  virtual void requestAudioStop() = 0;
  /// Opens the platform's file picker for audio files; chosen files are imported.
  virtual void requestOpenFiles() = 0;
  /// Cancels an import the platform is working on (its id from ImportProgress).
  virtual void requestCancelImport(std::uint32_t importId) = 0;
  /// Library actions on a stored song (by its library id); outcomes show in the catalog.
  virtual void requestLoadSong(const std::string& id) = 0;
  virtual void requestRemoveSong(const std::string& id) = 0;
  virtual void requestRenameSong(const std::string& id, const std::string& name) = 0;
  /// Normalizes the current song's loudness to `targetLufs` (and keeps the gain with it).
  virtual void requestNormalize(double targetLufs) = 0;
  /// Sets the current song's A-B loop in song seconds and turns looping on (the song keeps it).
  virtual void requestLoopRegion(double startSeconds, double endSeconds) = 0;
  /// Marker actions on the current song (kept with it in the library); outcomes arrive as a
  /// new marker list (App::markers), failures as a message.
  virtual void requestAddMarker(double seconds) = 0;
  virtual void requestRenameMarker(const std::string& id, const std::string& name) = 0;
  virtual void requestRemoveMarker(const std::string& id) = 0;
  /// The current song's beat grid: a tap on the beat heard now, or values set by hand (kept
  /// with the song by the page).
  virtual void requestTap() = 0;
  virtual void requestBeatGrid(double bpm, double offsetSeconds, int beatsPerBar) = 0;
  /// Moves an edge of the A-B loop (start or end) a beat (or 10 ms without a grid) earlier
  /// (direction -1) or later (+1); where edges snap when set (App::LoopSnap).
  virtual void requestNudgeLoop(bool start, int direction) = 0;
  virtual void requestLoopSnap(int mode) = 0;
  /// The current song's speed (a ratio: 0.5 is half speed) and pitch (semitones, fractional
  /// for cents), kept with the song by the page.
  virtual void requestTempo(double ratio) = 0;
  virtual void requestPitch(double semitones) = 0;
  /// Sets the pitch's cents so the song's tuning lands on A = `referenceHz` (440, 442).
  virtual void requestTuneTo(double referenceHz) = 0;

  /// Exports the current song as heard into a file the page asks for (or downloads): `region`
  /// 0 the whole song, 1 its A-B loop, 2 startSeconds to endSeconds; `format` 0 wav16, 1 wav24,
  /// 2 wav32f; each stem as its own file, or the mix. Progress shows through App::exporting.
  virtual void requestExport(int region, double startSeconds, double endSeconds, int format, bool eachStem) = 0;
  virtual void requestCancelExport() = 0;

  /// A track's waveform job finished: `error` says why it has none, or is empty when it is
  /// ready. The page learns of it here, without watching the track list.
  virtual void announceWaveform(std::uint32_t trackId, const std::string& name, const std::string& error) = 0;

  virtual bool crossOriginIsolated() const = 0;
  /// Bytes currently allocated with malloc/new.
  virtual std::size_t heapBytesInUse() const = 0;
  /// Size of the memory the heap lives in (the wasm memory).
  virtual std::size_t heapCapacity() const = 0;
};

}  // namespace woodshed::app
