// The C entry points JavaScript calls (web/woodshed-api.js wraps them). Every one runs its body
// through core::callAtBoundary: it returns 0 on success, or -1 with the message in
// ws_last_error(), and no exception ever reaches JS. kEntries lists them all, so the browser
// test can inject a fault into each.

#include <emscripten.h>

#include <cstdint>
#include <string>

#include "platform/web/web_platform.h"
#include "woodshed/core/error.h"
#include "woodshed/core/exception_boundary.h"

using woodshed::core::callAtBoundary;

namespace {

constexpr const char* kEntries =
    "ws_audio_prepare,ws_notify_audio_state,ws_set_generator,ws_set_target_latency,ws_set_master_gain_db,ws_stats";

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
  }));
}

EMSCRIPTEN_KEEPALIVE const Stats* ws_stats_block() { return &gStats; }

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

}  // extern "C"
