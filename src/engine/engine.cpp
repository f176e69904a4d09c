#include "woodshed/engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "woodshed/core/error.h"
#include "woodshed/core/wait.h"
#include "woodshed/dsp/process_spec.h"

namespace woodshed::engine {

namespace {

using Clock = std::chrono::steady_clock;

// The render thread sleeps at most this long between looks at the ring, so a consumer that
// never wakes it (a native test, a browser without Atomics.notify in worklets) still works.
constexpr auto kMaxSleep = std::chrono::milliseconds(2);
// Smoothing of the average render load: about 100 blocks.
constexpr double kLoadSmoothing = 0.01;

FrameCount ringCapacityFor(const EngineConfig& config) {
  const double frames = Engine::kMaxLatencySeconds * Engine::kMaxSampleRate + 2.0 * config.blockFrames;
  return static_cast<FrameCount>(core::ringCapacityFor(static_cast<std::uint64_t>(std::ceil(frames))));
}

void checkLatency(double seconds) {
  if (!(seconds >= Engine::kMinLatencySeconds && seconds <= Engine::kMaxLatencySeconds)) {
    throw core::InvalidArgument("latency must be between 5 and 250 ms, got " +
                                std::to_string(seconds * 1000.0) + " ms");
  }
}

}  // namespace

Engine::Engine(EngineConfig config) : config_(config), targetLatencySeconds_(config.targetLatencySeconds) {
  if (config.blockFrames < 1 || config.blockFrames > kMaxBlockFrames) {
    throw core::InvalidArgument("block size must be 1 to " + std::to_string(kMaxBlockFrames) + " frames, got " +
                                std::to_string(config.blockFrames));
  }
  checkLatency(config.targetLatencySeconds);
  ring_ = std::make_unique<core::AudioRing>(config.channels, ringCapacityFor(config));
}

Engine::~Engine() {
  quit_.store(true, std::memory_order_release);
  if (renderThread_.joinable()) renderThread_.join();
}

void Engine::start(SampleRate sampleRate) {
  if (!(sampleRate >= kMinSampleRate && sampleRate <= kMaxSampleRate)) {
    throw core::InvalidArgument("sample rate must be between 8000 and 192000 Hz, got " +
                                std::to_string(sampleRate) + " Hz");
  }
  if (isStarted()) {
    if (sampleRate != sampleRate_) {
      Command command;
      command.type = Command::Type::SetSampleRate;
      command.value = sampleRate;
      send(command);
      sampleRate_ = sampleRate;
    }
    return;
  }
  renderer_.prepare(dsp::ProcessSpec{sampleRate, config_.blockFrames, config_.channels});
  sampleRate_ = sampleRate;
  renderThread_ = std::thread([this] { renderLoop(); });
}

void Engine::send(const Command& command) {
  if (!commands_.tryPush(command)) {
    throw core::LimitExceeded("engine command queue", kCommandQueueCapacity,
                              "the audio engine is not keeping up with commands (more than " +
                                  std::to_string(kCommandQueueCapacity) + " waiting); try again");
  }
}

void Engine::setGenerator(const dsp::GeneratorParams& params) {
  dsp::SignalGenerator::validate(params);
  Command command;
  command.type = Command::Type::SetGenerator;
  command.generator = params;
  send(command);
}

void Engine::setMasterGainDb(double gainDb) {
  if (!(gainDb >= -120.0 && gainDb <= 12.0)) {
    throw core::InvalidArgument("master gain must be between -120 and +12 dB, got " + std::to_string(gainDb));
  }
  Command command;
  command.type = Command::Type::SetMasterGain;
  command.value = dsp::dbToGain(gainDb);
  send(command);
}

void Engine::resetStatistics() {
  Command command;
  command.type = Command::Type::ResetStatistics;
  send(command);
}

void Engine::setTargetLatency(double seconds) {
  checkLatency(seconds);
  targetLatencySeconds_.store(seconds, std::memory_order_relaxed);
}

double Engine::targetLatencySeconds() const noexcept {
  return targetLatencySeconds_.load(std::memory_order_relaxed);
}

void Engine::renderLoop() noexcept {
  EngineStatus status;
  status.sampleRate = renderer_.spec().sampleRate;
  while (!quit_.load(std::memory_order_acquire)) {
    applyCommands(status);
    const auto targetFrames = static_cast<FrameCount>(
        std::max(1.0, targetLatencySeconds_.load(std::memory_order_relaxed) * renderer_.spec().sampleRate));
    if (!renderBlockIfBelow(targetFrames, status)) sleepWhileAtLeast(targetFrames);
  }
}

void Engine::applyCommands(EngineStatus& status) noexcept {
  Command command;
  while (commands_.tryPop(command)) {
    renderer_.apply(command);
    ++status.commandsApplied;
    if (command.type == Command::Type::ResetStatistics) {
      status.renderLoadMax = 0.0;
      status.nonFiniteBlocks = 0;
    }
    if (command.type == Command::Type::SetSampleRate) status.sampleRate = command.value;
  }
}

bool Engine::renderBlockIfBelow(FrameCount targetFrames, EngineStatus& status) noexcept {
  core::AudioRing& ring = *ring_;
  const FrameCount block = config_.blockFrames;
  const FrameCount writable = ring.writableFrames();
  if (ring.capacity() - writable >= targetFrames || writable < block) return false;

  const auto begin = Clock::now();
  const RenderedBlock rendered = renderer_.render(block);
  ring.tryPushBlock(rendered.audio.channels, rendered.audio.numFrames, rendered.firstPosition);
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  const double load = seconds * renderer_.spec().sampleRate / block;

  ++status.blocksRendered;
  status.framesRendered = status.blocksRendered * block;
  if (!rendered.wasFinite) ++status.nonFiniteBlocks;
  status.renderLoadAverage += kLoadSmoothing * (load - status.renderLoadAverage);
  status.renderLoadMax = std::max(status.renderLoadMax, load);
  status_.write(status);
  return true;
}

void Engine::sleepWhileAtLeast(FrameCount targetFrames) noexcept {
  // Sleep until the consumer takes frames (it wakes the read counter) or until the ring would
  // drop below target, whichever is first, and never longer than kMaxSleep.
  const core::AudioRing& ring = *ring_;
  const std::atomic<std::uint32_t>& consumed = ring.readCounter();
  const std::uint32_t consumedSeen = consumed.load(std::memory_order_acquire);
  const FrameCount fill = ring.capacity() - ring.writableFrames();
  if (fill < targetFrames) return;
  const auto untilBelow = std::chrono::duration<double>((fill - targetFrames) / renderer_.spec().sampleRate);
  const auto sleep = std::clamp<std::chrono::nanoseconds>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(untilBelow), std::chrono::microseconds(100), kMaxSleep);
  core::waitWhileEqual(consumed, consumedSeen, sleep);
}

}  // namespace woodshed::engine
