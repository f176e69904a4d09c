// The C entry points JavaScript calls (web/woodshed-api.js wraps them). Every one runs its body
// through core::callAtBoundary: it returns 0 on success, or -1 with the message in
// ws_last_error(), and no exception ever reaches JS. kEntries lists them all, so the browser
// test can inject a fault into each.

#include <emscripten.h>
#include <emscripten/heap.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>

#include "platform/web/web_platform.h"
#include "woodshed/core/error.h"
#include "woodshed/core/exception_boundary.h"
#include "woodshed/core/invariant.h"
#include "woodshed/engine/recall.h"
#include "woodshed/engine/settings.h"

using woodshed::core::callAtBoundary;

namespace {

constexpr const char* kEntries =
    "ws_audio_prepare,ws_notify_audio_state,ws_set_generator,ws_set_target_latency,ws_set_master_gain_db,ws_stats,"
    "ws_import_begin,ws_import_write,ws_import_open,ws_import_commit,ws_import_cancel,ws_import_progress,ws_import_done,"
    "ws_report_error,ws_tracks,ws_load,ws_unload,ws_play,ws_pause,ws_seek,ws_set_loop,ws_state,"
    "ws_catalog_begin,ws_catalog_add,ws_catalog_end,ws_markers_begin,ws_markers_add,ws_markers_end,"
    "ws_set_eq_bypass,ws_set_eq,ws_meters,ws_set_limiter,ws_loudness,ws_reset_loudness,ws_spectrum,"
    "ws_set_spectrum,ws_normalize,ws_normalize_status,ws_set_track_gain,ws_media_cache,ws_set_listening_volume,"
    "ws_settings,ws_limits,ws_recall,ws_set_loop_region,ws_clear_loop_region,ws_set_beat_grid,ws_clear_beat_grid,"
    "ws_set_metronome,ws_set_tempo,ws_set_pitch,ws_detect_beats,ws_beat_detection_status,ws_nearest_zero_crossing,ws_note_loop_snap,ws_note_tuning,ws_set_speed_trainer,"
    "ws_export_start,ws_export_status,ws_export_consume,ws_export_cancel,ws_export_end,ws_set_device_memory";

// Blocks JS reads (and, for the EQ and recall, writes) in the wasm heap. Each starts with a
// header: the layout's version and the block's size in bytes. web/engine-bridge.js holds the
// same layouts and checks both words before it touches a field, so a page and a wasm from
// different builds fail with a clear message instead of reading wrong numbers. Change a
// layout: change the fields here and there, and bump the version on both sides.
struct BlockHeader {
  std::uint32_t version;
  std::uint32_t bytes;
};

template <typename Fields, std::uint32_t kVersion>
struct Block {
  BlockHeader header{kVersion, sizeof(Block)};
  Fields fields{};
};

// 10 bands x {frequency, gain, q, enabled}, then bypass.
using EqFields = double[woodshed::dsp::ParametricEq::kBandCount * 4 + 1];
Block<EqFields, 1> gEq;
// {momentary, shortTerm, integrated, range, truePeak, limiterGainReductionDb}
Block<double[6], 1> gLoudness;
// {peakDb, rmsDb, peakHoldDb, clipped} x {left, right}
Block<double[8], 1> gMeters;
// {running, progress, measuredLufs, gainDb, measuredTrackId}: the gain is the measured
// track's, whichever track is current now.
Block<double[5], 1> gNormalization;
Block<woodshed::engine::SpectrumFrame, 1> gSpectrum;
// The recalled settings, in kRecalled's order (ws_recall_keys()).
Block<woodshed::engine::RecallValues, 1> gRecall;

// Frames JS copies per ws_import_write call (through gImportScratch).
constexpr std::size_t kImportChunkFrames = 1 << 16;
float gImportScratch[kImportChunkFrames];

// An export's progress (ws_export_status): {running, state (0 rendering, 1 finished, 2 failed
// or cancelled, -1 none), readableBytes, readAddress, consumedBytes, totalBytes, etaSeconds,
// clippedSamples}; a failure's reason is in ws_result_text().
Block<double[8], 1> gExport;

// The numeric or text result of the last successful call that has one (ws_result_*).
double gResultNumber = 0.0;
std::string gResultText;

struct State {
  double trackId;
  double positionSeconds;
  double durationSeconds;
  double playing;
  double looping;
  double countingIn;
  double tempo;           // as heard: the speed trainer's while it runs
  double trainerRunning;
  double trainerPasses;   // passes of the loop the trainer has heard
  double heardSeconds;    // App::heardSeconds(): where the song is as heard
  double commandsSent;    // Engine::commandsSent(), and how many the render thread has applied:
  double commandsApplied; // a change has taken effect once applied reaches sent (modulo 2^32)
};
Block<State, 4> gState;
// {running, progress, trackId, succeeded, bpm, offsetSeconds, beatsPerBar, confidence}; a failure's
// reason is in ws_result_text().
Block<double[10], 2> gBeatDetection;

void appendJsonString(std::string& out, const std::string& text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

struct Stats {
  double sampleRate;
  double framesRendered;
  double framesPlayed;
  double underruns;
  double ringFillFrames;
  double targetLatencyMs;
  double renderLoadAvg;
  double renderLoadMax;
  double heapBytesInUse;
  double heapCapacity;
  double threads;
  double nonFiniteBlocks;
  double volumeLimitedBlocks;
  double invariantFailures;  // broken realtime invariants, counted and played as silence
  double longLaneYields;     // pauses of long jobs while the render thread was behind
  double longLaneYieldMs;    // and their total length
  double memoryBudgetBytes;  // the budget for decoded audio and jobs' working memory
  double memoryUsedBytes;    // and what is held of it
  double limiterPeakDb;      // the loudest sample out of the limiter since it was last set (dBFS)
};
Block<Stats, 3> gStats;

// JS reads the ring's layout from here after ws_audio_prepare (seven uint32 values).
woodshed::core::AudioRing::Layout gLayout;

int status(bool ok) { return ok ? 0 : -1; }

woodshed::app::App& app() {
  if (!woodshed::web::hasApp()) throw woodshed::core::Error("Woodshed has not finished starting");
  return woodshed::web::theApp();
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* ws_last_error() { return woodshed::core::lastBoundaryError(); }
EMSCRIPTEN_KEEPALIVE const char* ws_version() { return woodshed::app::kVersion; }
EMSCRIPTEN_KEEPALIVE const char* ws_entry_names() { return kEntries; }

/// Prepares the engine for the AudioContext's sample rate; starts the render thread the first
/// time. Returns 0, and the ring's layout in ws_ring_layout().
EMSCRIPTEN_KEEPALIVE int ws_audio_prepare(double sampleRate) {
  return status(callAtBoundary("ws_audio_prepare", [&] {
    app().engine().start(sampleRate);
    gLayout = app().engine().ring().layout();
  }));
}

EMSCRIPTEN_KEEPALIVE const woodshed::core::AudioRing::Layout* ws_ring_layout() { return &gLayout; }

/// state: 0 off, 1 starting, 2 running, 3 suspended, 4 closed, 5 failed (app::AudioState).
EMSCRIPTEN_KEEPALIVE int ws_notify_audio_state(int state, double baseLatencyMs, double outputLatencyMs,
                                               const char* message) {
  return status(callAtBoundary("ws_notify_audio_state", [&] {
    if (state < 0 || state > static_cast<int>(woodshed::app::AudioState::Failed)) {
      throw woodshed::core::InvalidArgument("unknown audio state " + std::to_string(state));
    }
    app().onAudioState({static_cast<woodshed::app::AudioState>(state), baseLatencyMs, outputLatencyMs,
                        message != nullptr ? std::string(message) : std::string()});
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_set_generator(const char* waveform, double frequencyHz, double levelDb, int enabled) {
  return status(callAtBoundary("ws_set_generator", [&] {
    woodshed::dsp::GeneratorParams params;
    if (!woodshed::dsp::parseWaveform(waveform, params.waveform)) {
      throw woodshed::core::InvalidArgument(
          std::string("unknown generator type \"") + (waveform ? waveform : "") +
          "\"; use sine, square, triangle, saw, white, pink or sweep");
    }
    params.frequencyHz = frequencyHz;
    params.levelDb = levelDb;
    params.enabled = enabled != 0;
    app().engine().setGenerator(params);
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_set_target_latency(double milliseconds) {
  return status(callAtBoundary("ws_set_target_latency", [&] { app().engine().setTargetLatencyMs(milliseconds); }));
}

EMSCRIPTEN_KEEPALIVE int ws_set_master_gain_db(double gainDb) {
  return status(callAtBoundary("ws_set_master_gain_db", [&] { app().engine().setMasterGainDb(gainDb); }));
}

/// The listening volume (-60..+6 dB) and mute: the last stage, after the meters.
EMSCRIPTEN_KEEPALIVE int ws_set_listening_volume(double volumeDb, int muted) {
  return status(callAtBoundary("ws_set_listening_volume",
                               [&] { app().engine().setListeningVolume(volumeDb, muted != 0); }));
}

/// Fills the statistics block; its address comes from ws_stats_block().
EMSCRIPTEN_KEEPALIVE int ws_stats() {
  return status(callAtBoundary("ws_stats", [&] {
    woodshed::app::App& a = app();
    const woodshed::engine::EngineStatus engine = a.engine().status();
    const auto& counters = a.engine().ring().consumerCounters();
    gStats.fields.sampleRate = a.engine().sampleRate();
    gStats.fields.framesRendered = static_cast<double>(engine.framesRendered);
    gStats.fields.framesPlayed = counters.framesPlayedHigh.load(std::memory_order_relaxed) * 4294967296.0 +
                          counters.framesPlayedLow.load(std::memory_order_relaxed);
    gStats.fields.underruns = counters.underruns.load(std::memory_order_relaxed);
    gStats.fields.ringFillFrames = a.engine().ring().approximateFill();
    gStats.fields.targetLatencyMs = a.engine().targetLatencySeconds() * 1000.0;
    gStats.fields.renderLoadAvg = engine.renderLoadAverage;
    gStats.fields.renderLoadMax = engine.renderLoadMax;
    gStats.fields.heapBytesInUse = static_cast<double>(a.platform().heapBytesInUse());
    gStats.fields.heapCapacity = static_cast<double>(a.platform().heapCapacity());
    gStats.fields.threads = a.threadCount();
    gStats.fields.nonFiniteBlocks = engine.nonFiniteBlocks;
    gStats.fields.volumeLimitedBlocks = static_cast<double>(engine.volumeLimitedBlocks);
    gStats.fields.invariantFailures = static_cast<double>(woodshed::core::invariantFailures());
    const auto pool = a.pool().stats();
    gStats.fields.longLaneYields = static_cast<double>(pool.longLaneYields);
    gStats.fields.longLaneYieldMs = pool.longLaneYieldSeconds * 1000.0;
    gStats.fields.memoryBudgetBytes = static_cast<double>(a.library().budget().limitBytes());
    gStats.fields.memoryUsedBytes = static_cast<double>(a.library().budget().usedBytes());
    gStats.fields.limiterPeakDb = 20.0 * std::log10(static_cast<double>(engine.limiterPeak));  // -Infinity when silent
    gResultText = woodshed::core::lastInvariantFailure();
  }));
}

EMSCRIPTEN_KEEPALIVE const void* ws_stats_block() { return &gStats; }

EMSCRIPTEN_KEEPALIVE double ws_result_number() { return gResultNumber; }
EMSCRIPTEN_KEEPALIVE const char* ws_result_text() { return gResultText.c_str(); }
EMSCRIPTEN_KEEPALIVE float* ws_import_scratch() { return gImportScratch; }
EMSCRIPTEN_KEEPALIVE double ws_import_chunk_frames() { return kImportChunkFrames; }

/// Reserves memory for a decoded file whose samples span [lowest, highest] (measured by the
/// page over all of it first: they set the storage's scale); the import's id is in ws_result_number().
/// `storedRate`: 0, or the rate to store it at, converted as it is written (a chunked decode at
/// the file's own rate).
EMSCRIPTEN_KEEPALIVE int ws_import_begin(const char* name, int channels, double frames, double sampleRate,
                                         double lowest, double highest, double storedRate) {
  return status(callAtBoundary("ws_import_begin", [&] {
    if (channels < 1 || !(frames >= 1.0) || frames > 9.0e15) {
      throw woodshed::core::InvalidArgument(channels < 1 ? "the file has no audio channels" : "the file has no audio");
    }
    gResultNumber = app().library().beginImport(name ? name : "", static_cast<woodshed::ChannelCount>(channels),
                                                static_cast<std::uint64_t>(frames), sampleRate,
                                                woodshed::dsp::PcmBuffer::Peaks{static_cast<float>(lowest),
                                                                                static_cast<float>(highest)},
                                                storedRate);
  }));
}

/// Stores `count` frames of channel `channel` from ws_import_scratch() at frame `offset`.
EMSCRIPTEN_KEEPALIVE int ws_import_write(std::uint32_t import, int channel, double offset, int count) {
  return status(callAtBoundary("ws_import_write", [&] {
    if (count < 0 || static_cast<std::size_t>(count) > kImportChunkFrames || channel < 0) {
      throw woodshed::core::InvalidArgument("bad import chunk");
    }
    app().library().writeImport(import, static_cast<woodshed::ChannelCount>(channel), static_cast<std::uint64_t>(offset),
                                gImportScratch, static_cast<std::uint64_t>(count));
  }));
}

/// Makes the import a track that plays what has been written so far while the rest is written
/// (a long file decoded in chunks); its id is in ws_result_number(). Commit it when it is all written.
EMSCRIPTEN_KEEPALIVE int ws_import_open(std::uint32_t import) {
  return status(callAtBoundary("ws_import_open", [&] { gResultNumber = app().library().openImport(import); }));
}

/// Makes the import a track (all of its audio); its id is in ws_result_number().
EMSCRIPTEN_KEEPALIVE int ws_import_commit(std::uint32_t import) {
  return status(callAtBoundary("ws_import_commit", [&] { gResultNumber = app().library().commitImport(import); }));
}

EMSCRIPTEN_KEEPALIVE int ws_import_cancel(std::uint32_t import) {
  return status(callAtBoundary("ws_import_cancel", [&] { app().library().cancelImport(import); }));
}

/// The page reports an import's stage (app::ImportProgress::Stage) and progress (-1: unknown).
EMSCRIPTEN_KEEPALIVE int ws_import_progress(std::uint32_t key, int stage, double fraction, const char* name) {
  return status(callAtBoundary("ws_import_progress", [&] {
    if (stage < 0 || stage > static_cast<int>(woodshed::app::ImportProgress::Stage::Storing)) {
      throw woodshed::core::InvalidArgument("unknown import stage " + std::to_string(stage));
    }
    auto& progress = app().imports()[key];
    progress.name = name ? name : "";
    progress.stage = static_cast<woodshed::app::ImportProgress::Stage>(stage);
    progress.fraction = fraction;
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_import_done(std::uint32_t key) {
  return status(callAtBoundary("ws_import_done", [&] { app().imports().erase(key); }));
}

/// Shows an error from the page (a file that failed to import...) in the app.
EMSCRIPTEN_KEEPALIVE int ws_report_error(const char* message) {
  return status(callAtBoundary("ws_report_error", [&] { app().setLastError(message ? message : ""); }));
}

/// The tracks in memory as JSON, in ws_result_text().
EMSCRIPTEN_KEEPALIVE int ws_tracks() {
  return status(callAtBoundary("ws_tracks", [&] {
    woodshed::app::App& a = app();
    a.poll();
    std::string json = "[";
    for (const woodshed::engine::TrackInfo& track : a.library().list()) {
      if (json.size() > 1) json += ',';
      char numbers[256];
      std::snprintf(numbers, sizeof numbers,
                    "\"id\":%u,\"duration\":%.6f,\"sampleRate\":%.0f,\"channels\":%u,\"bytes\":%llu,"
                    "\"waveformReady\":%s,\"waveformProgress\":%.3f,\"loaded\":%.4f,\"name\":",
                    track.id, track.durationSeconds, track.sampleRate, track.channels,
                    static_cast<unsigned long long>(track.bytes), track.waveformReady ? "true" : "false",
                    track.waveformProgress, track.loaded);
      json += '{';
      json += numbers;
      appendJsonString(json, track.name);
      json += ",\"waveformError\":";
      appendJsonString(json, track.waveformError);
      // The sources in order ("mix", or the stems), as exports and the mixer name them.
      json += ",\"sources\":[";
      if (const auto found = a.library().find(track.id)) {
        for (std::size_t s = 0; s < found->sources().size(); ++s) {
          if (s > 0) json += ',';
          appendJsonString(json, found->sources()[s].name);
        }
      }
      json += "]}";
    }
    json += ']';
    gResultText = std::move(json);
  }));
}

/// Makes a track current: loads it, applies its recalled settings from ws_recall_block() (which
/// the page filled from the song's record, NaN for what it has none of) and moves to where it
/// resumes (engine::resumePosition of `savedSeconds`; 0 plays from the start). Only a track that
/// cannot be loaded fails the call. A recalled value that was out of range is ignored, and why is
/// in ws_result_text(), as is a failure to restore the settings once the track is loaded.
EMSCRIPTEN_KEEPALIVE int ws_load(std::uint32_t track, double savedSeconds) {
  return status(callAtBoundary("ws_load", [&] {
    woodshed::app::App& a = app();
    a.load(track);  // all or nothing
    // From here the song is loaded, and the page makes it current: what is restored with it is
    // restored as far as it goes, and a failure is a note (ws_result_text), not a failed load,
    // so the page and the engine never disagree about which song is loaded.
    try {
      woodshed::core::faultPoint("ws_load.loaded");
      gResultText = woodshed::engine::applyRecall(a.engine(), gRecall.fields);
      const double resume = woodshed::engine::resumePosition(savedSeconds, a.currentTrack()->durationSeconds());
      if (resume > 0.0) a.engine().seek(resume);
    } catch (const std::exception& e) {
      gResultText = std::string("its settings could not all be restored (") + e.what() + ")";
    }
  }));
}

/// Fills ws_recall_block() with the current song's recalled settings, as the engine has them.
EMSCRIPTEN_KEEPALIVE int ws_recall() {
  return status(callAtBoundary("ws_recall", [&] { gRecall.fields = woodshed::engine::readRecall(app().settings()); }));
}
EMSCRIPTEN_KEEPALIVE void* ws_recall_block() { return &gRecall; }

/// What is recalled per song, in the block's order, comma-separated.
EMSCRIPTEN_KEEPALIVE const char* ws_recall_keys() {
  // Outside the boundary, as a getter: its one allocation failing gives no keys (the page then
  // refuses the recall block as from another build), never an exception into JS.
  try {
    static const std::string keys = woodshed::engine::recallKeys();
    return keys.c_str();
  } catch (...) {
    return "";
  }
}

/// Every setting as the engine last accepted it, as JSON in ws_result_text() (settings.h).
EMSCRIPTEN_KEEPALIVE int ws_settings() {
  return status(callAtBoundary("ws_settings", [&] { gResultText = woodshed::engine::toJson(app().settings()); }));
}

/// The table of named limits as JSON in ws_result_text(): {key: {min, max, initial, unit, label}}.
EMSCRIPTEN_KEEPALIVE int ws_limits() {
  return status(callAtBoundary("ws_limits", [&] { gResultText = woodshed::engine::limitsJson(); }));
}

/// Test hook: frames the app has drawn.
EMSCRIPTEN_KEEPALIVE double ws_frames_drawn() {
  return woodshed::web::hasApp() ? static_cast<double>(woodshed::web::theApp().framesDrawn) : 0.0;
}

/// Test hook: where the control of setting `key` was last drawn ({x, y, width, height} in canvas
/// pixels, then the frame it was drawn in), or null when it was not drawn.
EMSCRIPTEN_KEEPALIVE const double* ws_control_rect(const char* key) {
  if (!woodshed::web::hasApp() || key == nullptr) return nullptr;
  try {  // a getter outside the boundary: the key's string may allocate
    auto& rects = woodshed::web::theApp().controlRects;
    const auto found = rects.find(key);
    return found != rects.end() ? found->second.data() : nullptr;
  } catch (...) {
    return nullptr;
  }
}

EMSCRIPTEN_KEEPALIVE int ws_unload(std::uint32_t track) {
  return status(callAtBoundary("ws_unload", [&] {
    app().unload(track);
    app().poll();
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_play() { return status(callAtBoundary("ws_play", [&] { app().play(); })); }
EMSCRIPTEN_KEEPALIVE int ws_pause() { return status(callAtBoundary("ws_pause", [&] { app().engine().pause(); })); }

EMSCRIPTEN_KEEPALIVE int ws_seek(double seconds) {
  return status(callAtBoundary("ws_seek", [&] {
    const auto track = app().currentTrack();
    if (!track) throw woodshed::core::Error("no track is loaded");
    if (!(seconds >= 0.0 && seconds <= track->durationSeconds())) {
      throw woodshed::core::InvalidArgument("seek position must be between 0 and " +
                                            std::to_string(track->durationSeconds()) + " s");
    }
    app().engine().seek(seconds);
  }));
}

/// The A-B loop of the current song in song seconds (engine::Engine::setLoopRegion).
EMSCRIPTEN_KEEPALIVE int ws_set_loop_region(double startSeconds, double endSeconds) {
  return status(callAtBoundary("ws_set_loop_region", [&] { app().engine().setLoopRegion(startSeconds, endSeconds); }));
}

EMSCRIPTEN_KEEPALIVE int ws_clear_loop_region() {
  return status(callAtBoundary("ws_clear_loop_region", [&] { app().engine().clearLoopRegion(); }));
}

EMSCRIPTEN_KEEPALIVE int ws_set_loop(int looping) {
  return status(callAtBoundary("ws_set_loop", [&] { app().engine().setLooping(looping != 0); }));
}

/// Fills the transport state block; its address comes from ws_state_block().
EMSCRIPTEN_KEEPALIVE int ws_state() {
  return status(callAtBoundary("ws_state", [&] {
    woodshed::app::App& a = app();
    a.poll();
    const auto track = a.currentTrack();
    gState.fields.trackId = track ? track->id() : 0;
    gState.fields.positionSeconds = a.positionSeconds();
    gState.fields.durationSeconds = track ? track->durationSeconds() : 0.0;
    gState.fields.playing = a.playing() ? 1.0 : 0.0;
    gState.fields.looping = a.settings().looping ? 1.0 : 0.0;
    const woodshed::engine::EngineStatus engineStatus = a.engine().status();
    gState.fields.countingIn = engineStatus.countingIn ? 1.0 : 0.0;
    gState.fields.tempo = engineStatus.tempo;
    gState.fields.trainerRunning = engineStatus.trainerRunning ? 1.0 : 0.0;
    gState.fields.trainerPasses = static_cast<double>(engineStatus.trainerPasses);
    gState.fields.heardSeconds = a.heardSeconds();
    gState.fields.commandsSent = static_cast<double>(a.engine().commandsSent());
    gState.fields.commandsApplied = static_cast<double>(engineStatus.commandsApplied);
  }));
}

EMSCRIPTEN_KEEPALIVE const void* ws_state_block() { return &gState; }

/// Test hook: where the waveform was last drawn, {x, y, width, height} in canvas pixels.
EMSCRIPTEN_KEEPALIVE const double* ws_waveform_rect() {
  return woodshed::web::hasApp() ? woodshed::web::theApp().waveformRect.data() : nullptr;
}

/// The page describes the library: begin, one add per song, end (which swaps the list in).
EMSCRIPTEN_KEEPALIVE int ws_catalog_begin() {
  return status(callAtBoundary("ws_catalog_begin", [&] { app().catalogUpdate.clear(); }));
}

/// `stored`: 0 stored, 1 being saved, 2 its save failed (it plays for this visit only).
EMSCRIPTEN_KEEPALIVE int ws_catalog_add(const char* id, const char* name, const char* format, double duration,
                                        double size, double dateAdded, int stored) {
  return status(callAtBoundary("ws_catalog_add", [&] {
    using Stored = woodshed::app::Catalog::Entry::Stored;
    const Stored state = stored == 1 ? Stored::Saving : stored == 2 ? Stored::Failed : Stored::Yes;
    app().catalogUpdate.push_back({id ? id : "", name ? name : "", format ? format : "", duration, size, dateAdded, state});
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_catalog_end(const char* currentId, double usedBytes, double quotaBytes, int persisted) {
  return status(callAtBoundary("ws_catalog_end", [&] {
    woodshed::app::Catalog& catalog = app().catalog;
    catalog.entries.swap(app().catalogUpdate);
    app().catalogUpdate.clear();
    catalog.currentId = currentId ? currentId : "";
    catalog.usedBytes = usedBytes;
    catalog.quotaBytes = quotaBytes;
    catalog.persisted = persisted != 0;
  }));
}

/// The page describes the current song's markers: begin, one add per marker (by time), end.
EMSCRIPTEN_KEEPALIVE int ws_markers_begin() {
  return status(callAtBoundary("ws_markers_begin", [&] { app().markersUpdate.clear(); }));
}

EMSCRIPTEN_KEEPALIVE int ws_markers_add(const char* id, const char* name, double seconds, double rgb) {
  return status(callAtBoundary("ws_markers_add", [&] {
    if (!std::isfinite(seconds) || !(rgb >= 0.0 && rgb <= 0xffffff) || rgb != std::floor(rgb)) {
      throw woodshed::core::InvalidArgument("a marker needs a time and a colour 0xRRGGBB");
    }
    app().markersUpdate.push_back({id ? id : "", name ? name : "", seconds, static_cast<std::uint32_t>(rgb)});
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_markers_end() {
  return status(callAtBoundary("ws_markers_end", [&] {
    app().markers.swap(app().markersUpdate);
    app().markersUpdate.clear();
  }));
}

/// The page reports the media cache's use and budgets, for the storage panel.
EMSCRIPTEN_KEEPALIVE int ws_media_cache(double entries, double bytes, double maxEntries, double maxBytes) {
  return status(callAtBoundary("ws_media_cache", [&] {
    woodshed::app::Catalog& catalog = app().catalog;
    catalog.mediaEntries = entries;
    catalog.mediaBytes = bytes;
    catalog.mediaMaxEntries = maxEntries;
    catalog.mediaMaxBytes = maxBytes;
  }));
}

/// Sets EQ band `index` (0 low shelf, 1-8 peaking, 9 high shelf); changes glide over 20 ms.
EMSCRIPTEN_KEEPALIVE int ws_set_eq_bypass(int bypassed) {
  return status(callAtBoundary("ws_set_eq_bypass", [&] { app().engine().setEqBypass(bypassed != 0); }));
}

/// Sets the whole EQ from the EQ block (ws_eq_block()), which JS filled: all bands
/// and the bypass, validated together, applied together or not at all.
EMSCRIPTEN_KEEPALIVE int ws_set_eq() {
  return status(callAtBoundary("ws_set_eq", [&] {
    woodshed::dsp::ParametricEq::Bands bands;
    for (std::size_t i = 0; i < bands.size(); ++i) {
      bands[i] = woodshed::dsp::BandParams{gEq.fields[i * 4], gEq.fields[i * 4 + 1], gEq.fields[i * 4 + 2], gEq.fields[i * 4 + 3] != 0.0};
    }
    app().engine().setEq(bands, gEq.fields[bands.size() * 4] != 0.0);
  }));
}

/// Fills the meters block (ws_meters_block()) with the newest readings of what plays, before
/// the listening volume.
EMSCRIPTEN_KEEPALIVE int ws_meters() {
  return status(callAtBoundary("ws_meters", [&] {
    const woodshed::engine::MeterFrame& m = app().engine().analyzer().meters();
    for (std::size_t c = 0; c < 2; ++c) {
      gMeters.fields[c] = m.peakDb[c];
      gMeters.fields[2 + c] = m.rmsDb[c];
      gMeters.fields[4 + c] = m.peakHoldDb[c];
      gMeters.fields[6 + c] = m.clipped[c] ? 1.0 : 0.0;
    }
  }));
}
EMSCRIPTEN_KEEPALIVE const void* ws_meters_block() { return &gMeters; }

EMSCRIPTEN_KEEPALIVE const void* ws_eq_block() { return &gEq; }

EMSCRIPTEN_KEEPALIVE int ws_set_limiter(double ceilingDb, int enabled) {
  return status(callAtBoundary("ws_set_limiter", [&] { app().engine().setLimiter(ceilingDb, enabled != 0); }));
}

/// Fills the loudness block (ws_loudness_block()) with what the analysis measured so far.
EMSCRIPTEN_KEEPALIVE int ws_loudness() {
  return status(callAtBoundary("ws_loudness", [&] {
    const woodshed::engine::MeterFrame& meters = app().engine().analyzer().meters();
    gLoudness.fields[0] = meters.momentaryLufs;
    gLoudness.fields[1] = meters.shortTermLufs;
    gLoudness.fields[2] = meters.integratedLufs;
    gLoudness.fields[3] = meters.loudnessRangeLu;
    gLoudness.fields[4] = meters.truePeakDbtp;
    gLoudness.fields[5] = app().engine().status().limiterGainReductionDb;
  }));
}
EMSCRIPTEN_KEEPALIVE const void* ws_loudness_block() { return &gLoudness; }

EMSCRIPTEN_KEEPALIVE int ws_reset_loudness() {
  return status(callAtBoundary("ws_reset_loudness", [&] { app().engine().analyzer().resetLoudness(); }));
}

/// Copies the newest spectrum into ws_spectrum_block(): {bins, fftSize, sampleRate, sequence}
/// then averageDb[kMaxBins] and peakHoldDb[kMaxBins] as floats.
EMSCRIPTEN_KEEPALIVE int ws_spectrum() {
  return status(callAtBoundary("ws_spectrum", [&] { gSpectrum.fields = app().engine().analyzer().spectrum(); }));
}
EMSCRIPTEN_KEEPALIVE const void* ws_spectrum_block() { return &gSpectrum; }

/// window: 0 Hann, 1 Blackman-Harris.
EMSCRIPTEN_KEEPALIVE int ws_set_spectrum(int fftSize, int window) {
  return status(callAtBoundary("ws_set_spectrum", [&] {
    if (fftSize < 0 || window < 0 || window > 1) throw woodshed::core::InvalidArgument("window must be hann or blackman-harris");
    app().engine().analyzer().setSpectrumSettings(static_cast<std::uint32_t>(fftSize),
                                                   static_cast<woodshed::dsp::SpectrumWindow>(window));
  }));
}

/// Starts measuring the current track's loudness on the thread pool; then its gain is set.
EMSCRIPTEN_KEEPALIVE int ws_normalize(double targetLufs) {
  return status(callAtBoundary("ws_normalize", [&] { app().startNormalization(targetLufs); }));
}

/// Fills ws_normalize_block(); the outcome message is in ws_result_text().
EMSCRIPTEN_KEEPALIVE int ws_normalize_status() {
  return status(callAtBoundary("ws_normalize_status", [&] {
    woodshed::app::App& a = app();
    a.poll();
    const auto& n = a.normalization;
    gNormalization.fields[0] = n.job.valid() ? 1.0 : 0.0;
    gNormalization.fields[1] = n.job.valid() ? n.job.progress() : 1.0;
    gNormalization.fields[2] = n.measuredLufs;
    gNormalization.fields[3] = n.resultGainDb;
    gNormalization.fields[4] = n.trackId;
    gResultText = n.message;
  }));
}
EMSCRIPTEN_KEEPALIVE const void* ws_normalize_block() { return &gNormalization; }

/// The current song's beat grid (the page keeps it with the song).
EMSCRIPTEN_KEEPALIVE int ws_set_beat_grid(double bpm, double offsetSeconds, double beatsPerBar) {
  return status(callAtBoundary("ws_set_beat_grid", [&] {
    if (beatsPerBar != std::floor(beatsPerBar)) throw woodshed::core::InvalidArgument("the beats per bar are a whole number");
    woodshed::engine::limits::kBeatsPerBar.check(beatsPerBar);
    app().engine().setBeatGrid(bpm, offsetSeconds, static_cast<int>(beatsPerBar));
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_clear_beat_grid() {
  return status(callAtBoundary("ws_clear_beat_grid", [&] { app().engine().clearBeatGrid(); }));
}

/// countIn: 0 off, 1 first, 2 every.
EMSCRIPTEN_KEEPALIVE int ws_set_metronome(int enabled, double levelDb, int countIn, double countInBars) {
  return status(callAtBoundary("ws_set_metronome", [&] {
    if (countIn < 0 || countIn > 2) throw woodshed::core::InvalidArgument("the count-in is off, first or every");
    if (countInBars != std::floor(countInBars)) throw woodshed::core::InvalidArgument("the count-in is a whole number of bars");
    woodshed::engine::limits::kCountInBars.check(countInBars);
    app().engine().setMetronome({enabled != 0, levelDb, static_cast<woodshed::engine::CountIn>(countIn),
                                 static_cast<int>(countInBars)});
  }));
}

/// The current song's speed (source seconds per second heard) and pitch (semitones).
EMSCRIPTEN_KEEPALIVE int ws_set_tempo(double tempo) {
  return status(callAtBoundary("ws_set_tempo", [&] { app().engine().setTempo(tempo); }));
}
EMSCRIPTEN_KEEPALIVE int ws_set_pitch(double semitones) {
  return status(callAtBoundary("ws_set_pitch", [&] { app().engine().setPitch(semitones); }));
}

/// The speed trainer on the loop (enabled 0: stop it and restore the tempo).
EMSCRIPTEN_KEEPALIVE int ws_set_speed_trainer(int enabled, double start, double step, double target, double passes) {
  return status(callAtBoundary("ws_set_speed_trainer", [&] {
    if (enabled == 0) {
      app().engine().stopSpeedTrainer();
      return;
    }
    if (passes != std::floor(passes)) throw woodshed::core::InvalidArgument("the trainer plays a whole number of passes a step");
    if (!(passes >= 1.0 && passes <= 100.0)) {
      throw woodshed::core::InvalidArgument("the trainer plays 1 to 100 passes a step, got " +
                                            woodshed::engine::formatNumber(passes));
    }
    app().engine().setSpeedTrainer({start, step, target, static_cast<int>(passes)});
  }));
}

/// The current song's zero crossing nearest `seconds` (see engine::nearestZeroCrossing), in
/// ws_result_number().
EMSCRIPTEN_KEEPALIVE int ws_nearest_zero_crossing(double seconds) {
  return status(callAtBoundary("ws_nearest_zero_crossing", [&] {
    const auto track = app().currentTrack();
    if (!track) throw woodshed::core::Error("no track is loaded");
    if (!(seconds >= 0.0 && seconds <= track->durationSeconds())) {
      throw woodshed::core::InvalidArgument("a time within the song, got " + std::to_string(seconds) + " s");
    }
    const auto frame = static_cast<std::uint64_t>(std::llround(seconds * track->sampleRate()));
    gResultNumber = static_cast<double>(woodshed::engine::nearestZeroCrossing(*track, frame)) / track->sampleRate();
  }));
}

/// The page says where loop edges snap (0 off, 1 beat, 2 zero crossing), for the app's control.
EMSCRIPTEN_KEEPALIVE int ws_note_loop_snap(int mode) {
  return status(callAtBoundary("ws_note_loop_snap", [&] {
    if (mode < 0 || mode > 2) throw woodshed::core::InvalidArgument("loop edges snap off, to a beat or to a zero crossing");
    app().loopSnap = mode;
  }));
}

/// Starts detecting the current song's beat grid on the pool (see App::startBeatDetection).
EMSCRIPTEN_KEEPALIVE int ws_detect_beats() {
  return status(callAtBoundary("ws_detect_beats", [&] { app().startBeatDetection(); }));
}

/// Fills ws_beat_detection_block().
EMSCRIPTEN_KEEPALIVE int ws_beat_detection_status() {
  return status(callAtBoundary("ws_beat_detection_status", [&] {
    woodshed::app::App& a = app();
    a.poll();
    const auto& b = a.beatDetection;
    const woodshed::dsp::BeatGrid& grid = b.grid;
    const double values[10] = {b.running() ? 1.0 : 0.0, b.job.valid() ? b.job.progress() : b.running() ? 0.0 : 1.0,
                               static_cast<double>(b.trackId), b.succeeded ? 1.0 : 0.0, grid.bpm, grid.offsetSeconds,
                               static_cast<double>(grid.beatsPerBar), grid.confidence,
                               b.tuning ? 1.0 : 0.0, b.tuning ? b.tuning->offsetCents : 0.0};
    std::copy(std::begin(values), std::end(values), gBeatDetection.fields);
    gResultText = b.message;
  }));
}
EMSCRIPTEN_KEEPALIVE const void* ws_beat_detection_block() { return &gBeatDetection; }

/// The current song's tuning from A440 as the page keeps it (NaN: unknown), for the app to show.
EMSCRIPTEN_KEEPALIVE int ws_note_tuning(double cents) {
  return status(callAtBoundary("ws_note_tuning", [&] {
    if (std::isnan(cents)) {
      app().tuningCents.reset();
      return;
    }
    if (!(cents >= -50.0 && cents <= 50.0)) throw woodshed::core::InvalidArgument("a tuning is -50..+50 cents");
    app().tuningCents = cents;
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_set_track_gain(double gainDb) {
  return status(callAtBoundary("ws_set_track_gain", [&] { app().engine().setTrackGainDb(gainDb); }));
}

/// The device's memory in GB as the browser gives it (navigator.deviceMemory; 0 unknown): the
/// budget for decoded audio is sized from it and the heap the wasm may grow to.
EMSCRIPTEN_KEEPALIVE int ws_set_device_memory(double gigabytes) {
  return status(callAtBoundary("ws_set_device_memory", [&] {
    if (!(gigabytes >= 0.0 && gigabytes <= 1024.0)) {
      throw woodshed::core::InvalidArgument("a device's memory is 0 to 1024 GB, got " + woodshed::engine::formatNumber(gigabytes));
    }
    app().setDeviceMemory(static_cast<std::uint64_t>(gigabytes * 1073741824.0), emscripten_get_heap_max());
  }));
}

/// Starts exporting a region of a track (song seconds; an end past the song is its end) in
/// `format` (0 wav16, 1 wav24, 2 wav32f); `source` -1 for the mix, else that source alone.
/// Gain, tempo and pitch apply to a track that is not the current one (the current one plays
/// as heard). The file's size in bytes is in ws_result_number().
EMSCRIPTEN_KEEPALIVE int ws_export_start(int trackId, double startSeconds, double endSeconds, int format, int source,
                                         double trackGainDb, double tempo, double pitchSemitones) {
  return status(callAtBoundary("ws_export_start", [&] {
    using woodshed::engine::ExportFormat;
    if (format < 0 || format > 2) throw woodshed::core::InvalidArgument("an export's format is wav16, wav24 or wav32f");
    if (source < -1 || source >= static_cast<int>(woodshed::engine::kMaxSources)) {
      throw woodshed::core::InvalidArgument("no such source: " + std::to_string(source));
    }
    woodshed::app::App::ExportRequest request;
    request.trackId = static_cast<woodshed::engine::TrackId>(trackId);
    request.startSeconds = startSeconds;
    request.endSeconds = endSeconds;
    request.format = format == 0 ? ExportFormat::Wav16 : format == 1 ? ExportFormat::Wav24 : ExportFormat::Wav32f;
    if (source >= 0) request.source = static_cast<std::size_t>(source);
    request.trackGainDb = trackGainDb;
    request.tempo = tempo;
    request.pitchSemitones = pitchSemitones;
    gResultNumber = static_cast<double>(app().startExport(request));
  }));
}

/// Fills ws_export_block(): how far the export is and where its next bytes are.
EMSCRIPTEN_KEEPALIVE int ws_export_status() {
  return status(callAtBoundary("ws_export_status", [&] {
    woodshed::app::App& a = app();
    const auto& e = a.exporting;
    const auto* stream = e.stream.get();
    double state = -1.0;
    if (stream != nullptr) {
      const auto s = stream->state();
      const bool stopped = e.job.isFinished() && e.job.status() != woodshed::core::JobStatus::Succeeded;
      state = stopped || s == woodshed::engine::ExportStream::State::Failed ? 2.0
              : s == woodshed::engine::ExportStream::State::Finished ? 1.0 : 0.0;
    }
    const double values[8] = {e.job.valid() && !e.job.isFinished() ? 1.0 : 0.0,
                              state,
                              stream != nullptr ? static_cast<double>(stream->readableBytes()) : 0.0,
                              stream != nullptr ? static_cast<double>(reinterpret_cast<std::uintptr_t>(stream->readPointer())) : 0.0,
                              stream != nullptr ? static_cast<double>(stream->consumedBytes()) : 0.0,
                              stream != nullptr ? static_cast<double>(stream->totalBytes()) : 0.0,
                              a.exportEtaSeconds(),
                              stream != nullptr && state == 1.0 ? static_cast<double>(stream->clippedSamples()) : 0.0};
    std::copy(std::begin(values), std::end(values), gExport.fields);
    gResultText = e.job.valid() && e.job.isFinished() ? e.job.error() : "";
  }));
}
EMSCRIPTEN_KEEPALIVE const void* ws_export_block() { return &gExport; }

/// The page has written `bytes` more of the export's bytes (from the address ws_export_status gave).
EMSCRIPTEN_KEEPALIVE int ws_export_consume(double bytes) {
  return status(callAtBoundary("ws_export_consume", [&] {
    auto& stream = app().exporting.stream;
    if (!stream) throw woodshed::core::Error("no export is running");
    if (!(bytes >= 0.0) || bytes > stream->readableBytes()) throw woodshed::core::InvalidArgument("more bytes consumed than were readable");
    stream->consume(static_cast<std::uint32_t>(bytes));
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_export_cancel() {
  return status(callAtBoundary("ws_export_cancel", [&] { app().cancelExport(); }));
}

/// The page is done with the export (written, failed or cancelled): its memory is freed.
EMSCRIPTEN_KEEPALIVE int ws_export_end() {
  return status(callAtBoundary("ws_export_end", [&] { app().endExport(); }));
}

/// Test hook: where the library's search field was last drawn, {x, y, width, height}.
EMSCRIPTEN_KEEPALIVE const double* ws_search_rect() {
  return woodshed::web::hasApp() ? woodshed::web::theApp().searchRect.data() : nullptr;
}

/// Test hook: songs in the library panel.
EMSCRIPTEN_KEEPALIVE int ws_catalog_size() {
  return woodshed::web::hasApp() ? static_cast<int>(woodshed::web::theApp().catalog.entries.size()) : -1;
}

/// Test hook: enabled only when the page was opened with the test flag.
EMSCRIPTEN_KEEPALIVE void ws_enable_fault_injection(int enabled) {
  woodshed::core::setFaultInjectionEnabled(enabled != 0);
}

/// Test hook: the next call of `entry` throws. Returns 0, or -1 when fault injection is off.
EMSCRIPTEN_KEEPALIVE int ws_arm_fault(const char* entry) {
  bool armed = false;
  const bool ok = callAtBoundary("ws_arm_fault", [&] { armed = woodshed::core::armFault(entry ? entry : ""); });
  return ok && armed ? 0 : -1;
}

/// Test hook: sets the budget for songs to `bytes` (a small one fills with small songs). Returns
/// -1 unless the page was opened with the test flag.
EMSCRIPTEN_KEEPALIVE int ws_set_song_budget_for_test(double bytes) {
  if (!woodshed::core::faultInjectionEnabled()) return -1;
  return status(callAtBoundary("ws_set_song_budget_for_test", [&] {
    app().library().setBudgetLimit(static_cast<std::uint64_t>(std::max(0.0, bytes)));
  }));
}

/// Test hook: the next import's waveform job fails with `message`. Returns -1 unless the page
/// was opened with the test flag.
EMSCRIPTEN_KEEPALIVE int ws_inject_waveform_failure(const char* message) {
  if (!woodshed::core::faultInjectionEnabled()) return -1;
  return status(callAtBoundary("ws_inject_waveform_failure",
                               [&] { app().library().injectWaveformFailure(message ? message : "injected failure"); }));
}

/// Test hook: a digest (FNV-1a, 48 bits) of a track's waveform overview, every level's peaks,
/// in ws_result_number(); throws while it has none. Returns -1 unless the page was opened with
/// the test flag.
EMSCRIPTEN_KEEPALIVE int ws_waveform_digest(std::uint32_t trackId) {
  if (!woodshed::core::faultInjectionEnabled()) return -1;
  return status(callAtBoundary("ws_waveform_digest", [&] {
    const auto overview = app().library().waveform(trackId);
    if (!overview) throw woodshed::core::InvalidArgument("that track has no waveform yet");
    std::uint64_t hash = 14695981039346656037ull;
    const auto mix = [&](std::uint16_t value) {
      for (int shift = 0; shift < 16; shift += 8) {
        hash = (hash ^ ((value >> shift) & 0xffu)) * 1099511628211ull;
      }
    };
    for (std::size_t level = 0; level < overview->levelCount(); ++level) {
      for (const auto& peak : overview->level(level)) {
        mix(static_cast<std::uint16_t>(peak.min));
        mix(static_cast<std::uint16_t>(peak.max));
      }
    }
    gResultNumber = static_cast<double>(hash & ((std::uint64_t{1} << 48) - 1));  // exact in a double
  }));
}

}  // extern "C"
