#include "platform/web/web_platform.h"

#include <emscripten.h>
#include <emscripten/heap.h>
#include <malloc.h>

#include <memory>

namespace woodshed::web {

namespace {
WebPlatform gPlatform;
std::unique_ptr<app::App> gApp;
}  // namespace

// The JS side (web/audio-output.js) is reachable as Module.host; it reports back through
// ws_notify_audio_state.
EM_JS(void, js_request_audio_start, (), { Module.host.requestAudioStart(); });
EM_JS(void, js_request_audio_stop, (), { Module.host.requestAudioStop(); });
EM_JS(void, js_request_open_files, (), { Module.host.requestOpenFiles(); });
EM_JS(void, js_request_cancel_import, (std::uint32_t id), { Module.host.requestCancelImport(id); });
EM_JS(void, js_request_load_song, (const char* id), { Module.host.libraryLoad(UTF8ToString(id)); });
EM_JS(void, js_request_remove_song, (const char* id), { Module.host.libraryRemove(UTF8ToString(id)); });
EM_JS(void, js_request_rename_song, (const char* id, const char* name), {
  Module.host.libraryRename(UTF8ToString(id), UTF8ToString(name));
});
EM_JS(void, js_request_normalize, (double target), { Module.host.normalize(target); });
EM_JS(void, js_request_loop_region, (double start, double end), { Module.host.setLoopRegion(start, end); });
EM_JS(void, js_request_add_marker, (double seconds), { Module.host.addMarker(seconds); });
EM_JS(void, js_request_rename_marker, (const char* id, const char* name), {
  Module.host.renameMarker(UTF8ToString(id), UTF8ToString(name));
});
EM_JS(void, js_request_remove_marker, (const char* id), { Module.host.removeMarker(UTF8ToString(id)); });
EM_JS(void, js_request_tap, (), { Module.host.tap(); });
EM_JS(void, js_request_nudge_loop, (int start, int direction), { Module.host.nudgeLoop(start ? 'start' : 'end', direction); });
EM_JS(void, js_request_loop_snap, (int mode), { Module.host.setLoopSnap(['off', 'beat', 'zero'][mode]); });
EM_JS(void, js_request_beat_grid, (double bpm, double offset, int beatsPerBar), {
  Module.host.setBeatGrid(bpm, offset, beatsPerBar);
});
EM_JS(void, js_request_tempo, (double ratio), { Module.host.setTempo(ratio); });
EM_JS(void, js_request_pitch, (double semitones), { Module.host.setPitch(semitones); });
EM_JS(void, js_request_tune_to, (double hz), { Module.host.tuneTo(hz); });
EM_JS(void, js_announce_waveform, (std::uint32_t trackId, const char* name, const char* error), {
  Module.host.waveformFinished(trackId, UTF8ToString(name), UTF8ToString(error));
});
EM_JS(void, js_request_export, (int region, double start, double end, int format, int eachStem), {
  Module.host.exportAudio(region, start, end, format, eachStem !== 0);
});
EM_JS(void, js_request_cancel_export, (), { Module.host.cancelExport(); });
EM_JS(int, js_cross_origin_isolated, (), { return (typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated) ? 1 : 0; });
EM_JS(int, js_preallocated_workers, (), { return PThread.unusedWorkers.length; });

void WebPlatform::requestAudioStart() { js_request_audio_start(); }
void WebPlatform::requestAudioStop() { js_request_audio_stop(); }
void WebPlatform::requestOpenFiles() { js_request_open_files(); }
void WebPlatform::requestCancelImport(std::uint32_t importId) { js_request_cancel_import(importId); }
void WebPlatform::requestLoadSong(const std::string& id) { js_request_load_song(id.c_str()); }
void WebPlatform::requestRemoveSong(const std::string& id) { js_request_remove_song(id.c_str()); }
void WebPlatform::requestNormalize(double targetLufs) { js_request_normalize(targetLufs); }
void WebPlatform::requestLoopRegion(double startSeconds, double endSeconds) {
  js_request_loop_region(startSeconds, endSeconds);
}
void WebPlatform::requestAddMarker(double seconds) { js_request_add_marker(seconds); }
void WebPlatform::requestRenameMarker(const std::string& id, const std::string& name) {
  js_request_rename_marker(id.c_str(), name.c_str());
}
void WebPlatform::requestRemoveMarker(const std::string& id) { js_request_remove_marker(id.c_str()); }
void WebPlatform::requestTap() { js_request_tap(); }
void WebPlatform::requestNudgeLoop(bool start, int direction) { js_request_nudge_loop(start ? 1 : 0, direction); }
void WebPlatform::requestLoopSnap(int mode) { js_request_loop_snap(mode); }
void WebPlatform::requestBeatGrid(double bpm, double offsetSeconds, int beatsPerBar) {
  js_request_beat_grid(bpm, offsetSeconds, beatsPerBar);
}
void WebPlatform::requestTempo(double ratio) { js_request_tempo(ratio); }
void WebPlatform::requestPitch(double semitones) { js_request_pitch(semitones); }
void WebPlatform::requestTuneTo(double referenceHz) { js_request_tune_to(referenceHz); }
void WebPlatform::announceWaveform(std::uint32_t trackId, const std::string& name, const std::string& error) {
  js_announce_waveform(trackId, name.c_str(), error.c_str());
}
void WebPlatform::requestRenameSong(const std::string& id, const std::string& name) {
  js_request_rename_song(id.c_str(), name.c_str());
}
void WebPlatform::requestExport(int region, double startSeconds, double endSeconds, int format, bool eachStem) {
  js_request_export(region, startSeconds, endSeconds, format, eachStem ? 1 : 0);
}
void WebPlatform::requestCancelExport() { js_request_cancel_export(); }
bool WebPlatform::crossOriginIsolated() const { return js_cross_origin_isolated() != 0; }
std::size_t WebPlatform::heapBytesInUse() const { return static_cast<std::size_t>(mallinfo().uordblks); }
std::size_t WebPlatform::heapCapacity() const { return emscripten_get_heap_size(); }

app::App& createApp(unsigned poolThreads) {
  if (!gApp) gApp = std::make_unique<app::App>(gPlatform, poolThreads);
  return *gApp;
}

app::App& theApp() { return *gApp; }
bool hasApp() noexcept { return gApp != nullptr; }

unsigned preallocatedWorkers() { return static_cast<unsigned>(js_preallocated_workers()); }

}  // namespace woodshed::web
