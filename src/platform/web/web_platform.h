#pragma once
// The browser side of PlatformServices, and the one place that owns the App instance the
// exported entry points (bindings.cpp) and the main loop (main.cpp) share.

#include "app/app.h"

namespace woodshed::web {

class WebPlatform final : public app::PlatformServices {
 public:
  void requestAudioStart() override;
  void requestAudioStop() override;
  void requestOpenFiles() override;
  void requestCancelImport(std::uint32_t importId) override;
  void requestLoadSong(const std::string& id) override;
  void requestRemoveSong(const std::string& id) override;
  void requestRenameSong(const std::string& id, const std::string& name) override;
  void requestNormalize(double targetLufs) override;
  void requestLoopRegion(double startSeconds, double endSeconds) override;
  void requestAddMarker(double seconds) override;
  void requestRenameMarker(const std::string& id, const std::string& name) override;
  void requestRemoveMarker(const std::string& id) override;
  void requestTap() override;
  void requestNudgeLoop(bool start, int direction) override;
  void requestLoopSnap(int mode) override;
  void requestBeatGrid(double bpm, double offsetSeconds, int beatsPerBar) override;
  void requestTempo(double ratio) override;
  void requestPitch(double semitones) override;
  void requestTuneTo(double referenceHz) override;
  void announceWaveform(std::uint32_t trackId, const std::string& name, const std::string& error) override;
  void requestExport(int region, double startSeconds, double endSeconds, int format, bool eachStem) override;
  void requestCancelExport() override;
  bool crossOriginIsolated() const override;
  std::size_t heapBytesInUse() const override;
  std::size_t heapCapacity() const override;
};

/// Creates the app (once, from main()). Threads: one render thread plus the pool.
app::App& createApp(unsigned poolThreads);
/// The app; only valid after createApp(). Main thread.
app::App& theApp();
bool hasApp() noexcept;

/// Pthread workers Emscripten pre-started for this page (the pool size chosen at load).
unsigned preallocatedWorkers();

}  // namespace woodshed::web
