// The C entry points JavaScript calls (web/woodshed-api.js wraps them). Every one runs its body
// through core::callAtBoundary: it returns 0 on success, or -1 with the message in
// ws_last_error(), and no exception ever reaches JS. kEntries lists them all, so the browser
// test can inject a fault into each.

#include <emscripten.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "platform/web/web_platform.h"
#include "woodshed/core/error.h"
#include "woodshed/core/exception_boundary.h"

using woodshed::core::callAtBoundary;

namespace {

constexpr const char* kEntries =
    "ws_audio_prepare,ws_notify_audio_state,ws_set_generator,ws_set_target_latency,ws_set_master_gain_db,ws_stats,"
    "ws_import_begin,ws_import_write,ws_import_commit,ws_import_cancel,ws_import_progress,ws_import_done,"
    "ws_report_error,ws_tracks,ws_load,ws_unload,ws_play,ws_pause,ws_seek,ws_set_loop,ws_state,"
    "ws_catalog_begin,ws_catalog_add,ws_catalog_end,"
    "ws_set_eq_bypass,ws_eq,ws_set_eq,ws_generator,ws_meters,ws_set_limiter,ws_loudness,ws_reset_loudness,ws_spectrum,"
    "ws_set_spectrum,ws_normalize,ws_normalize_status,ws_set_track_gain,ws_media_cache,ws_set_listening_volume";

// Laid out for JS: the EQ (10 bands x {frequency, gain, q, enabled}, then bypass), loudness
// ({momentary, shortTerm, integrated, range, truePeak, limiterGainReductionDb}), normalization
// ({running, progress, measuredLufs, gainDb, measuredTrackId}: the gain is the measured
// track's, whichever track is current now).
double gEq[woodshed::dsp::ParametricEq::kBandCount * 4 + 1];
double gLoudness[6];
// Meters: {peakDb, rmsDb, peakHoldDb, clipped} x {left, right}.
double gMeters[8];
double gNormalization[5];
woodshed::engine::SpectrumFrame gSpectrum;

// Frames JS copies per ws_import_write call (through gImportScratch).
constexpr std::size_t kImportChunkFrames = 1 << 16;
float gImportScratch[kImportChunkFrames];

// The numeric or text result of the last successful call that has one (ws_result_*).
double gResultNumber = 0.0;
std::string gResultText;

// Laid out for JS (web/woodshed-api.js reads it as a Float64Array): keep in step.
struct State {
  double trackId;
  double positionSeconds;
  double durationSeconds;
  double playing;
  double looping;
};
State gState;

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

// Laid out for JS (web/woodshed-api.js reads it as a Float64Array): keep in step.
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
};
Stats gStats;

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
    app().setGenerator(params);
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_set_target_latency(double milliseconds) {
  return status(callAtBoundary("ws_set_target_latency", [&] { app().setTargetLatencyMs(milliseconds); }));
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
    gStats.sampleRate = a.engine().sampleRate();
    gStats.framesRendered = static_cast<double>(engine.framesRendered);
    gStats.framesPlayed = counters.framesPlayedHigh.load(std::memory_order_relaxed) * 4294967296.0 +
                          counters.framesPlayedLow.load(std::memory_order_relaxed);
    gStats.underruns = counters.underruns.load(std::memory_order_relaxed);
    gStats.ringFillFrames = a.engine().ring().approximateFill();
    gStats.targetLatencyMs = a.engine().targetLatencySeconds() * 1000.0;
    gStats.renderLoadAvg = engine.renderLoadAverage;
    gStats.renderLoadMax = engine.renderLoadMax;
    gStats.heapBytesInUse = static_cast<double>(a.platform().heapBytesInUse());
    gStats.heapCapacity = static_cast<double>(a.platform().heapCapacity());
    gStats.threads = a.threadCount();
    gStats.nonFiniteBlocks = engine.nonFiniteBlocks;
    gStats.volumeLimitedBlocks = static_cast<double>(engine.volumeLimitedBlocks);
  }));
}

EMSCRIPTEN_KEEPALIVE const Stats* ws_stats_block() { return &gStats; }

EMSCRIPTEN_KEEPALIVE double ws_result_number() { return gResultNumber; }
EMSCRIPTEN_KEEPALIVE const char* ws_result_text() { return gResultText.c_str(); }
EMSCRIPTEN_KEEPALIVE float* ws_import_scratch() { return gImportScratch; }
EMSCRIPTEN_KEEPALIVE double ws_import_chunk_frames() { return kImportChunkFrames; }

/// Reserves memory for a decoded file; the import's id is in ws_result_number().
EMSCRIPTEN_KEEPALIVE int ws_import_begin(const char* name, int channels, double frames, double sampleRate) {
  return status(callAtBoundary("ws_import_begin", [&] {
    if (channels < 1 || !(frames >= 1.0) || frames > 9.0e15) {
      throw woodshed::core::InvalidArgument(channels < 1 ? "the file has no audio channels" : "the file has no audio");
    }
    gResultNumber = app().library().beginImport(name ? name : "", static_cast<woodshed::ChannelCount>(channels),
                                                static_cast<std::uint64_t>(frames), sampleRate);
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

/// Makes the import a track; its id is in ws_result_number().
EMSCRIPTEN_KEEPALIVE int ws_import_commit(std::uint32_t import) {
  return status(callAtBoundary("ws_import_commit", [&] { gResultNumber = app().library().commitImport(import); }));
}

EMSCRIPTEN_KEEPALIVE int ws_import_cancel(std::uint32_t import) {
  return status(callAtBoundary("ws_import_cancel", [&] { app().library().cancelImport(import); }));
}

/// The page reports an import's stage (app::ImportProgress::Stage) and progress (-1: unknown).
EMSCRIPTEN_KEEPALIVE int ws_import_progress(std::uint32_t key, int stage, double fraction, const char* name) {
  return status(callAtBoundary("ws_import_progress", [&] {
    if (stage < 0 || stage > static_cast<int>(woodshed::app::ImportProgress::Stage::Saving)) {
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
                    "\"waveformReady\":%s,\"waveformProgress\":%.3f,\"name\":",
                    track.id, track.durationSeconds, track.sampleRate, track.channels,
                    static_cast<unsigned long long>(track.bytes), track.waveformReady ? "true" : "false",
                    track.waveformProgress);
      json += '{';
      json += numbers;
      appendJsonString(json, track.name);
      json += ",\"waveformError\":";
      appendJsonString(json, track.waveformError);
      json += '}';
    }
    json += ']';
    gResultText = std::move(json);
  }));
}

EMSCRIPTEN_KEEPALIVE int ws_load(std::uint32_t track) {
  return status(callAtBoundary("ws_load", [&] { app().load(track); }));
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

EMSCRIPTEN_KEEPALIVE int ws_set_loop(int looping) {
  return status(callAtBoundary("ws_set_loop", [&] { app().setLooping(looping != 0); }));
}

/// Fills the transport state block; its address comes from ws_state_block().
EMSCRIPTEN_KEEPALIVE int ws_state() {
  return status(callAtBoundary("ws_state", [&] {
    woodshed::app::App& a = app();
    a.poll();
    const auto track = a.currentTrack();
    gState.trackId = track ? track->id() : 0;
    gState.positionSeconds = a.positionSeconds();
    gState.durationSeconds = track ? track->durationSeconds() : 0.0;
    gState.playing = a.playing() ? 1.0 : 0.0;
    gState.looping = a.looping() ? 1.0 : 0.0;
  }));
}

EMSCRIPTEN_KEEPALIVE const State* ws_state_block() { return &gState; }

/// Test hook: where the waveform was last drawn, {x, y, width, height} in canvas pixels.
EMSCRIPTEN_KEEPALIVE const double* ws_waveform_rect() {
  return woodshed::web::hasApp() ? woodshed::web::theApp().waveformRect.data() : nullptr;
}

/// The page describes the library: begin, one add per song, end (which swaps the list in).
EMSCRIPTEN_KEEPALIVE int ws_catalog_begin() {
  return status(callAtBoundary("ws_catalog_begin", [&] { app().catalogUpdate.clear(); }));
}

EMSCRIPTEN_KEEPALIVE int ws_catalog_add(const char* id, const char* name, const char* format, double duration,
                                        double size, double dateAdded) {
  return status(callAtBoundary("ws_catalog_add", [&] {
    app().catalogUpdate.push_back({id ? id : "", name ? name : "", format ? format : "", duration, size, dateAdded});
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
  return status(callAtBoundary("ws_set_eq_bypass", [&] { app().setEqBypass(bypassed != 0); }));
}

/// Sets the whole EQ from the EQ block, which JS filled (the layout ws_eq() writes): all bands
/// and the bypass, validated together, applied together or not at all.
EMSCRIPTEN_KEEPALIVE int ws_set_eq() {
  return status(callAtBoundary("ws_set_eq", [&] {
    woodshed::dsp::ParametricEq::Bands bands = app().eqBands;
    for (std::size_t i = 0; i < bands.size(); ++i) {
      bands[i] = woodshed::dsp::BandParams{gEq[i * 4], gEq[i * 4 + 1], gEq[i * 4 + 2], gEq[i * 4 + 3] != 0.0};
    }
    app().setEq(bands, gEq[bands.size() * 4] != 0.0);
  }));
}

/// The generator as last accepted, in ws_result_text(): {"type", "frequency", "levelDb", "enabled"}.
EMSCRIPTEN_KEEPALIVE int ws_generator() {
  return status(callAtBoundary("ws_generator", [&] {
    const woodshed::dsp::GeneratorParams& g = app().generator();
    char json[160];
    std::snprintf(json, sizeof json, "{\"type\":\"%s\",\"frequency\":%.17g,\"levelDb\":%.17g,\"enabled\":%s}",
                  woodshed::dsp::toString(g.waveform), g.frequencyHz, g.levelDb, g.enabled ? "true" : "false");
    gResultText = json;
  }));
}

/// Fills the meters block (ws_meters_block()) with the newest readings of what plays, before
/// the listening volume.
EMSCRIPTEN_KEEPALIVE int ws_meters() {
  return status(callAtBoundary("ws_meters", [&] {
    const woodshed::engine::MeterFrame& m = app().engine().analyzer().meters();
    for (std::size_t c = 0; c < 2; ++c) {
      gMeters[c] = m.peakDb[c];
      gMeters[2 + c] = m.rmsDb[c];
      gMeters[4 + c] = m.peakHoldDb[c];
      gMeters[6 + c] = m.clipped[c] ? 1.0 : 0.0;
    }
  }));
}
EMSCRIPTEN_KEEPALIVE const double* ws_meters_block() { return gMeters; }

/// Fills the EQ block (ws_eq_block()).
EMSCRIPTEN_KEEPALIVE int ws_eq() {
  return status(callAtBoundary("ws_eq", [&] {
    const auto& bands = app().eqBands;
    for (std::size_t i = 0; i < bands.size(); ++i) {
      gEq[i * 4] = bands[i].frequencyHz;
      gEq[i * 4 + 1] = bands[i].gainDb;
      gEq[i * 4 + 2] = bands[i].q;
      gEq[i * 4 + 3] = bands[i].enabled ? 1.0 : 0.0;
    }
    gEq[bands.size() * 4] = app().eqBypass ? 1.0 : 0.0;
  }));
}
EMSCRIPTEN_KEEPALIVE const double* ws_eq_block() { return gEq; }

EMSCRIPTEN_KEEPALIVE int ws_set_limiter(double ceilingDb, int enabled) {
  return status(callAtBoundary("ws_set_limiter", [&] { app().setLimiter(ceilingDb, enabled != 0); }));
}

/// Fills the loudness block (ws_loudness_block()) with what the analysis measured so far.
EMSCRIPTEN_KEEPALIVE int ws_loudness() {
  return status(callAtBoundary("ws_loudness", [&] {
    const woodshed::engine::MeterFrame& meters = app().engine().analyzer().meters();
    gLoudness[0] = meters.momentaryLufs;
    gLoudness[1] = meters.shortTermLufs;
    gLoudness[2] = meters.integratedLufs;
    gLoudness[3] = meters.loudnessRangeLu;
    gLoudness[4] = meters.truePeakDbtp;
    gLoudness[5] = app().engine().status().limiterGainReductionDb;
  }));
}
EMSCRIPTEN_KEEPALIVE const double* ws_loudness_block() { return gLoudness; }

EMSCRIPTEN_KEEPALIVE int ws_reset_loudness() {
  return status(callAtBoundary("ws_reset_loudness", [&] { app().engine().analyzer().resetLoudness(); }));
}

/// Copies the newest spectrum into ws_spectrum_block(): {bins, fftSize, sampleRate, sequence}
/// then averageDb[kMaxBins] and peakHoldDb[kMaxBins] as floats.
EMSCRIPTEN_KEEPALIVE int ws_spectrum() {
  return status(callAtBoundary("ws_spectrum", [&] { gSpectrum = app().engine().analyzer().spectrum(); }));
}
EMSCRIPTEN_KEEPALIVE const woodshed::engine::SpectrumFrame* ws_spectrum_block() { return &gSpectrum; }
EMSCRIPTEN_KEEPALIVE int ws_spectrum_average_offset() { return static_cast<int>(offsetof(woodshed::engine::SpectrumFrame, averageDb)); }
EMSCRIPTEN_KEEPALIVE int ws_spectrum_peak_offset() { return static_cast<int>(offsetof(woodshed::engine::SpectrumFrame, peakHoldDb)); }

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
    gNormalization[0] = n.job.valid() ? 1.0 : 0.0;
    gNormalization[1] = n.job.valid() ? n.job.progress() : 1.0;
    gNormalization[2] = *n.measuredLufs;
    gNormalization[3] = n.resultGainDb;
    gNormalization[4] = n.trackId;
    gResultText = n.message;
  }));
}
EMSCRIPTEN_KEEPALIVE const double* ws_normalize_block() { return gNormalization; }

EMSCRIPTEN_KEEPALIVE int ws_set_track_gain(double gainDb) {
  return status(callAtBoundary("ws_set_track_gain", [&] { app().setTrackGainDb(gainDb); }));
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

/// Test hook: the next import's waveform job fails with `message`. Returns -1 unless the page
/// was opened with the test flag.
EMSCRIPTEN_KEEPALIVE int ws_inject_waveform_failure(const char* message) {
  if (!woodshed::core::faultInjectionEnabled()) return -1;
  return status(callAtBoundary("ws_inject_waveform_failure",
                               [&] { app().library().injectWaveformFailure(message ? message : "injected failure"); }));
}

}  // extern "C"
