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
  renderer_.setAnalysisTap(&analyzer_.tap());
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
  analyzer_.start(sampleRate);
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

void Engine::setListeningVolume(double volumeDb, bool muted) {
  if (!(volumeDb >= kMinVolumeDb && volumeDb <= kMaxVolumeDb)) {
    throw core::InvalidArgument("the volume must be between -60 and +6 dB, got " + std::to_string(volumeDb));
  }
  Command command;
  command.type = Command::Type::SetListeningVolume;
  command.value = muted ? 0.0 : dsp::dbToGain(volumeDb);
  send(command);
}

void Engine::resetStatistics() {
  Command command;
  command.type = Command::Type::ResetStatistics;
  send(command);
}

void Engine::sendFlag(Command::Type type, bool flag, std::uint32_t index) {
  Command command;
  command.type = type;
  command.flag = flag;
  command.index = index;
  send(command);
}

void Engine::loadTrack(std::shared_ptr<const Track> track) {
  if (track && sampleRate_ > 0.0 && track->sampleRate() != sampleRate_) {
    throw core::InvalidArgument("\"" + track->name() + "\" was decoded for " + std::to_string(track->sampleRate()) +
                                " Hz but the audio output runs at " + std::to_string(sampleRate_) +
                                " Hz; import it again");
  }
  Command command;
  command.type = Command::Type::LoadTrack;
  command.track = track.get();
  send(command);
  if (track) lent_.push_back(track);
  loaded_ = std::move(track);
}

void Engine::play() { sendFlag(Command::Type::Play, true); }
void Engine::pause() { sendFlag(Command::Type::Pause, false); }
void Engine::stop() { sendFlag(Command::Type::Stop, false); }
void Engine::setLooping(bool looping) { sendFlag(Command::Type::SetLooping, looping); }
void Engine::setSourceMute(std::size_t source, bool mute) {
  sendFlag(Command::Type::SetSourceMute, mute, static_cast<std::uint32_t>(source));
}
void Engine::setSourceSolo(std::size_t source, bool solo) {
  sendFlag(Command::Type::SetSourceSolo, solo, static_cast<std::uint32_t>(source));
}

void Engine::setSourceGainDb(std::size_t source, double gainDb) {
  if (!(gainDb >= -120.0 && gainDb <= 12.0)) {
    throw core::InvalidArgument("source gain must be between -120 and +12 dB, got " + std::to_string(gainDb));
  }
  Command command;
  command.type = Command::Type::SetSourceGain;
  command.index = static_cast<std::uint32_t>(source);
  command.value = dsp::dbToGain(gainDb);
  send(command);
}

void Engine::validateEqBand(std::size_t index, const dsp::BandParams& band) {
  if (index >= dsp::ParametricEq::kBandCount) {
    throw core::InvalidArgument("the EQ has bands 0 to " + std::to_string(dsp::ParametricEq::kBandCount - 1));
  }
  if (!(band.frequencyHz >= dsp::ParametricEq::kMinFrequencyHz && band.frequencyHz <= dsp::ParametricEq::kMaxFrequencyHz)) {
    throw core::InvalidArgument("EQ frequency must be between 20 Hz and 20000 Hz, got " + std::to_string(band.frequencyHz));
  }
  if (!(band.gainDb >= dsp::ParametricEq::kMinGainDb && band.gainDb <= dsp::ParametricEq::kMaxGainDb)) {
    throw core::InvalidArgument("EQ gain must be between -18 and +18 dB, got " + std::to_string(band.gainDb));
  }
  if (!(band.q >= dsp::ParametricEq::kMinQ && band.q <= dsp::ParametricEq::kMaxQ)) {
    throw core::InvalidArgument("EQ Q must be between 0.1 and 18, got " + std::to_string(band.q));
  }
}

void Engine::setEqBand(std::size_t index, const dsp::BandParams& band) {
  validateEqBand(index, band);
  Command command;
  command.type = Command::Type::SetEqBand;
  command.index = static_cast<std::uint32_t>(index);
  command.band = band;
  send(command);
}

void Engine::setEq(const dsp::ParametricEq::Bands& bands, bool bypassed) {
  std::array<Command, dsp::ParametricEq::kBandCount + 1> commands;
  for (std::size_t i = 0; i < bands.size(); ++i) {
    try {
      validateEqBand(i, bands[i]);
    } catch (const core::InvalidArgument& e) {
      throw core::InvalidArgument("band " + std::to_string(i) + ": " + e.what() + "; nothing was changed");
    }
    commands[i].type = Command::Type::SetEqBand;
    commands[i].index = static_cast<std::uint32_t>(i);
    commands[i].band = bands[i];
  }
  commands.back().type = Command::Type::SetEqBypass;
  commands.back().flag = bypassed;
  // Published together: the render thread applies all of them before its next block, or none.
  if (!commands_.tryPushAll(commands.data(), static_cast<FrameCount>(commands.size()))) {
    throw core::LimitExceeded("engine command queue", kCommandQueueCapacity,
                              "the audio engine is not keeping up with commands; try again");
  }
}

void Engine::setEqBypass(bool bypassed) { sendFlag(Command::Type::SetEqBypass, bypassed); }

void Engine::setLimiter(double ceilingDb, bool enabled) {
  if (!(ceilingDb >= dsp::LookAheadLimiter::kMinCeilingDb && ceilingDb <= dsp::LookAheadLimiter::kMaxCeilingDb)) {
    throw core::InvalidArgument("the limiter ceiling must be between -24 and 0 dBFS, got " + std::to_string(ceilingDb));
  }
  Command command;
  command.type = Command::Type::SetLimiter;
  command.value = ceilingDb;
  command.flag = enabled;
  send(command);
}

void Engine::setTrackGainDb(double gainDb) {
  if (!(gainDb >= -40.0 && gainDb <= 40.0)) {
    throw core::InvalidArgument("track gain must be between -40 and +40 dB, got " + std::to_string(gainDb));
  }
  Command command;
  command.type = Command::Type::SetTrackGain;
  command.value = dsp::dbToGain(gainDb);
  send(command);
}

void Engine::seek(double seconds) {
  if (!loaded_) throw core::Error("no track is loaded");
  if (!std::isfinite(seconds) || seconds < 0.0) {
    throw core::InvalidArgument("seek position must be 0 s or later, got " + std::to_string(seconds));
  }
  Command command;
  command.type = Command::Type::Seek;
  command.frame = static_cast<std::uint64_t>(std::llround(seconds * loaded_->sampleRate()));
  send(command);
}

std::size_t Engine::collectReleasedTracks() {
  std::size_t released = 0;
  Notice notice;
  while (notices_.tryPop(notice)) {
    if (notice.type != Notice::Type::TrackReleased) continue;
    const auto found = std::find_if(lent_.begin(), lent_.end(),
                                    [&](const std::shared_ptr<const Track>& t) { return t.get() == notice.track; });
    if (found != lent_.end()) {
      lent_.erase(found);  // one lending per LoadTrack: erase one
      ++released;
    }
  }
  return released;
}

bool Engine::isLent(TrackId id) const noexcept {
  return std::any_of(lent_.begin(), lent_.end(), [&](const std::shared_ptr<const Track>& t) { return t->id() == id; });
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

void Engine::handBack(const Track* track) noexcept {
  // Oldest first: retry releases that found the notice queue full.
  while (unsentReleaseCount_ > 0 && notices_.tryPush(Notice{Notice::Type::TrackReleased, unsentReleases_[0]})) {
    std::copy(unsentReleases_.begin() + 1, unsentReleases_.begin() + unsentReleaseCount_, unsentReleases_.begin());
    --unsentReleaseCount_;
  }
  if (track == nullptr) return;
  if (unsentReleaseCount_ == 0 && notices_.tryPush(Notice{Notice::Type::TrackReleased, track})) return;
  if (unsentReleaseCount_ < unsentReleases_.size()) unsentReleases_[unsentReleaseCount_++] = track;
}

void Engine::applyCommands(EngineStatus& status) noexcept {
  handBack(nullptr);
  Command command;
  while (commands_.tryPop(command)) {
    if (const Track* previous = renderer_.apply(command)) handBack(previous);
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
  ring.tryPushBlock(rendered.audio.channels, rendered.audio.numFrames, rendered.positions);
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  const double load = seconds * renderer_.spec().sampleRate / block;

  ++status.blocksRendered;
  status.framesRendered = status.blocksRendered * block;
  const Player& player = renderer_.player();
  status.trackId = player.track() != nullptr ? player.track()->id() : kNoTrack;
  status.trackFrames = player.track() != nullptr ? player.track()->frames() : 0;
  status.positionFrames = player.position();
  status.playing = player.playing();
  status.looping = player.looping();
  status.tapBlocksDropped = renderer_.droppedTapBlocks();
  status.limiterGainReductionDb = renderer_.chain().limiterGainReductionDb();
  status.chainLatencyFrames = renderer_.chain().latencyFrames();
  status.volumeLimitedBlocks = renderer_.volumeLimitedBlocks();
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
