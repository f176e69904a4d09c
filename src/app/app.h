#pragma once
// The Woodshed application: owns the engine and the thread pool, holds the UI's state, and
// draws one ImGui frame at a time. Main thread only; it never blocks (the engine and the pool
// are driven through their non-blocking methods).

#include <memory>
#include <string>

#include "app/platform_services.h"
#include "woodshed/core/thread_pool.h"
#include "woodshed/dsp/signal_generator.h"
#include "woodshed/engine/engine.h"

namespace woodshed::app {

/// Version shown in the status bar and returned to JS.
inline constexpr const char* kVersion = WOODSHED_VERSION;

struct AudioOutputInfo {
  AudioState state = AudioState::Off;
  double baseLatencyMs = 0.0;    ///< the AudioContext's own processing latency
  double outputLatencyMs = 0.0;  ///< from the AudioContext to the speakers, as reported
  std::string message;           ///< why, for Failed
};

class App {
 public:
  App(PlatformServices& platform, unsigned poolThreads);

  engine::Engine& engine() noexcept { return engine_; }
  core::ThreadPool& pool() noexcept { return pool_; }
  PlatformServices& platform() noexcept { return platform_; }

  /// Threads Woodshed runs besides the main thread: the render thread and the pool.
  unsigned threadCount() const noexcept { return pool_.threadCount() + 1; }

  /// The platform reports the audio output's state (main thread).
  void onAudioState(const AudioOutputInfo& info) { audio_ = info; }
  const AudioOutputInfo& audioOutput() const noexcept { return audio_; }

  /// Sets the generator (validated; throws InvalidArgument or LimitExceeded) and keeps the
  /// UI's controls in step.
  void setGenerator(const dsp::GeneratorParams& params);
  const dsp::GeneratorParams& generator() const noexcept { return generator_; }

  /// Sets the ring's target latency in milliseconds (throws InvalidArgument).
  void setTargetLatencyMs(double ms);

  /// Ring fill plus the AudioContext's own latencies: what the user hears as delay.
  double totalOutputLatencyMs() noexcept;

  /// Draws one frame of the UI into the current ImGui context.
  void drawFrame(float width, float height);

 private:
  PlatformServices& platform_;
  core::ThreadPool pool_;
  engine::Engine engine_;
  AudioOutputInfo audio_;
  dsp::GeneratorParams generator_{};
};

}  // namespace woodshed::app
