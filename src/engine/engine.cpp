#include "woodshed/engine/engine.h"

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <cmath>
#include <string>

#include "woodshed/core/error.h"
#include "woodshed/core/exception_boundary.h"
#include "woodshed/core/render_pressure.h"
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

void checkLatency(double seconds) { limits::kLatency.check(seconds * 1000.0); }  // the config's

// Render thread: long jobs pause while this engine is behind (core::RenderPressure). Behind:
// the ring holds less than half its target while a consumer plays from it (it starts empty);
// caught up: the target is reached again. Wait-free.
void noteRenderPressure(const core::AudioRing& ring, FrameCount targetFrames, bool& behind) noexcept {
  const FrameCount fill = ring.capacity() - ring.writableFrames();
  if (!behind) {
    if (fill < targetFrames / 2 && ring.consumerCounters().started.load(std::memory_order_relaxed) != 0) {
      behind = true;
      core::RenderPressure::global().raise();
    }
  } else if (fill >= targetFrames) {
    behind = false;
    core::RenderPressure::global().lower();
  }
}

}  // namespace

Engine::Engine(EngineConfig config) : config_(config), targetLatencySeconds_(config.targetLatencySeconds) {
  settings_.latencyMs = config.targetLatencySeconds * 1000.0;
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
      send(command::SetSampleRate{sampleRate});
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
  ++commandsSent_;
}

void Engine::setGenerator(const dsp::GeneratorParams& params) {
  limits::kGeneratorFrequency.check(params.frequencyHz);
  limits::kGeneratorLevel.check(params.levelDb);
  dsp::SignalGenerator::validate(params);
  send(command::SetGenerator{params});
  settings_.generator = params;
}

void Engine::setMasterGainDb(double gainDb) {
  limits::kMasterGain.check(gainDb);
  send(command::SetMasterGain{dsp::dbToGain(gainDb)});
  settings_.masterGainDb = gainDb;
}

void Engine::setListeningVolume(double volumeDb, bool muted) {
  limits::kVolume.check(volumeDb);
  send(command::SetListeningVolume{muted ? 0.0 : dsp::dbToGain(volumeDb)});
  settings_.volumeDb = volumeDb;
  settings_.muted = muted;
}

void Engine::resetStatistics() {
  send(command::ResetStatistics{});
}

void Engine::loadTrack(std::shared_ptr<const Track> track) {
  if (track && sampleRate_ > 0.0 && track->sampleRate() != sampleRate_) {
    throw core::InvalidArgument("\"" + track->name() + "\" was decoded for " + std::to_string(track->sampleRate()) +
                                " Hz but the audio output runs at " + std::to_string(sampleRate_) +
                                " Hz; import it again");
  }
  send(command::LoadTrack{track.get()});
  if (track) lent_.push_back(track);
  loaded_ = std::move(track);
  // The render thread resets these likewise when it takes the track.
  settings_.trackGainDb = limits::kTrackGain.initial;
  settings_.sources.fill(SourceSettings{});
  settings_.loopStartSeconds = 0.0;
  settings_.loopEndSeconds = 0.0;
  settings_.beatGrid = {};
  settings_.tempo = limits::kTempo.initial;
  settings_.pitchSemitones = limits::kPitch.initial;
  settings_.speedTrainer.reset();
}

void Engine::replaceSources(std::shared_ptr<const Track> track) {
  if (!loaded_) throw core::Error("no track is loaded");
  if (!track || track->id() != loaded_->id() || track->frames() != loaded_->frames() ||
      track->sampleRate() != loaded_->sampleRate()) {
    throw core::InvalidArgument("new sources must be of the loaded song: the same id, length and sample rate");
  }
  send(command::ReplaceSources{track.get()});
  lent_.push_back(track);
  loaded_ = std::move(track);
}

void Engine::play() { send(command::Play{}); }
void Engine::pause() { send(command::Pause{}); }
void Engine::stop() { send(command::Stop{}); }
void Engine::setLoopRegion(double startSeconds, double endSeconds) {
  if (!loaded_) throw core::Error("no track is loaded");
  const double duration = loaded_->durationSeconds();
  if (!(startSeconds >= 0.0 && endSeconds <= duration && endSeconds - startSeconds >= kMinLoopSeconds)) {
    throw core::InvalidArgument("a loop runs forward within the song (0 to " + std::to_string(duration) +
                                " s) and lasts at least 50 ms, got " + std::to_string(startSeconds) + " to " +
                                std::to_string(endSeconds) + " s");
  }
  const double rate = loaded_->sampleRate();
  send(command::SetLoopRegion{static_cast<std::uint64_t>(std::llround(startSeconds * rate)),
                              static_cast<std::uint64_t>(std::llround(endSeconds * rate))});
  settings_.loopStartSeconds = startSeconds;
  settings_.loopEndSeconds = endSeconds;
}

void Engine::clearLoopRegion() {
  send(command::SetLoopRegion{0, 0});
  settings_.loopStartSeconds = 0.0;
  settings_.loopEndSeconds = 0.0;
}

void Engine::setBeatGrid(double bpm, double offsetSeconds, int beatsPerBar) {
  if (!loaded_) throw core::Error("no track is loaded");
  limits::kGridBpm.check(bpm);
  limits::kGridOffset.check(offsetSeconds);
  limits::kBeatsPerBar.check(beatsPerBar);
  const double duration = loaded_->durationSeconds();
  if (offsetSeconds >= duration) {
    throw core::InvalidArgument("the grid's offset must lie within the song (before " + std::to_string(duration) +
                                " s), got " + std::to_string(offsetSeconds) + " s");
  }
  const double rate = loaded_->sampleRate();
  send(command::SetBeatGrid{BeatGridFrames{60.0 / bpm * rate, offsetSeconds * rate, beatsPerBar}});
  settings_.beatGrid = {bpm, offsetSeconds, beatsPerBar};
}

void Engine::clearBeatGrid() {
  send(command::SetBeatGrid{BeatGridFrames{}});
  settings_.beatGrid = {};
}

void Engine::setMetronome(const MetronomeSettings& metronome) {
  limits::kMetronomeLevel.check(metronome.levelDb);
  limits::kCountInBars.check(metronome.countInBars);
  if (metronome.countIn != CountIn::Off && metronome.countIn != CountIn::First && metronome.countIn != CountIn::Every) {
    throw core::InvalidArgument("the count-in is off, first or every");
  }
  send(command::SetMetronome{metronome.enabled, dsp::dbToGain(metronome.levelDb), metronome.countIn,
                             static_cast<std::uint8_t>(metronome.countInBars)});
  settings_.metronome = metronome;
}

void Engine::setTempo(double tempo) {
  limits::kTempo.check(tempo);
  if (settings_.speedTrainer) stopSpeedTrainer();  // a speed set by hand ends the training
  send(command::SetTempoPitch{tempo, settings_.pitchSemitones});
  settings_.tempo = tempo;
}

void Engine::setPitch(double semitones) {
  limits::kPitch.check(semitones);
  send(command::SetTempoPitch{settings_.tempo, semitones});
  settings_.pitchSemitones = semitones;
}

namespace {
std::string shortNumber(double value) { return std::isnan(value) ? "NaN" : formatNumber(value); }
}  // namespace

void Engine::setSpeedTrainer(const SpeedTrainerSettings& trainer) {
  limits::kTempo.check(trainer.start);
  limits::kTempo.check(trainer.target);
  if (!(trainer.start <= trainer.target)) {
    throw core::InvalidArgument("the trainer's start must not be faster than its target, got " +
                                shortNumber(trainer.start) + " and " + shortNumber(trainer.target));
  }
  if (!(trainer.step >= 0.01 && trainer.step <= 1.0)) {
    throw core::InvalidArgument("the trainer's step must be between 0.01 and 1, got " + shortNumber(trainer.step));
  }
  if (trainer.passesPerStep < 1 || trainer.passesPerStep > 100) {
    throw core::InvalidArgument("the trainer plays 1 to 100 passes a step, got " + std::to_string(trainer.passesPerStep));
  }
  send(command::SetSpeedTrainer{true, trainer.start, trainer.step, trainer.target,
                                static_cast<std::uint32_t>(trainer.passesPerStep)});
  settings_.speedTrainer = trainer;
}

void Engine::stopSpeedTrainer() {
  send(command::SetSpeedTrainer{false, 1.0, 0.0, 1.0, 1});
  settings_.speedTrainer.reset();
}

void Engine::setLooping(bool looping) {
  send(command::SetLooping{looping});
  settings_.looping = looping;
}
static_assert(kMaxSources == Track::kMaxSources, "settings keep one entry per possible source");

namespace {
void checkSource(std::size_t source) {
  if (source >= kMaxSources) {
    throw core::InvalidArgument("a track has sources 0 to " + std::to_string(kMaxSources - 1) + ", got " +
                                std::to_string(source));
  }
}
}  // namespace

void Engine::setSourceMute(std::size_t source, bool mute) {
  checkSource(source);
  send(command::SetSourceMute{static_cast<std::uint32_t>(source), mute});
  settings_.sources[source].mute = mute;
}
void Engine::setSourcePan(std::size_t source, double pan) {
  checkSource(source);
  limits::kSourcePan.check(pan);
  send(command::SetSourcePan{static_cast<std::uint32_t>(source), pan});
  settings_.sources[source].pan = pan;
}

void Engine::setSourceSolo(std::size_t source, bool solo) {
  checkSource(source);
  send(command::SetSourceSolo{static_cast<std::uint32_t>(source), solo});
  settings_.sources[source].solo = solo;
}

void Engine::setSourceGainDb(std::size_t source, double gainDb) {
  checkSource(source);
  limits::kSourceGain.check(gainDb);
  send(command::SetSourceGain{static_cast<std::uint32_t>(source), dsp::dbToGain(gainDb)});
  settings_.sources[source].gainDb = gainDb;
}

void Engine::validateEqBand(std::size_t index, const dsp::BandParams& band) {
  if (index >= dsp::ParametricEq::kBandCount) {
    throw core::InvalidArgument("the EQ has bands 0 to " + std::to_string(dsp::ParametricEq::kBandCount - 1));
  }
  limits::kEqFrequency.check(band.frequencyHz);
  limits::kEqGain.check(band.gainDb);
  limits::kEqQ.check(band.q);
}

void Engine::setEqBand(std::size_t index, const dsp::BandParams& band) {
  validateEqBand(index, band);
  send(command::SetEqBand{static_cast<std::uint32_t>(index), band});
  settings_.eqBands[index] = band;
}

void Engine::setEq(const dsp::ParametricEq::Bands& bands, bool bypassed) {
  std::array<Command, dsp::ParametricEq::kBandCount + 1> commands;
  for (std::size_t i = 0; i < bands.size(); ++i) {
    try {
      validateEqBand(i, bands[i]);
    } catch (const core::InvalidArgument& e) {
      throw core::InvalidArgument("band " + std::to_string(i) + ": " + e.what() + "; nothing was changed");
    }
    commands[i] = command::SetEqBand{static_cast<std::uint32_t>(i), bands[i]};
  }
  commands.back() = command::SetEqBypass{bypassed};
  core::faultPoint("engine.setEq.validated");
  // Published together: the render thread applies all of them before its next block, or none.
  if (!commands_.tryPushAll(commands.data(), static_cast<FrameCount>(commands.size()))) {
    throw core::LimitExceeded("engine command queue", kCommandQueueCapacity,
                              "the audio engine is not keeping up with commands; try again");
  }
  commandsSent_ += static_cast<std::uint32_t>(commands.size());
  settings_.eqBands = bands;
  settings_.eqBypass = bypassed;
}

void Engine::setEqBypass(bool bypassed) {
  send(command::SetEqBypass{bypassed});
  settings_.eqBypass = bypassed;
}

void Engine::setLimiter(double ceilingDb, bool enabled) {
  limits::kLimiterCeiling.check(ceilingDb);
  send(command::SetLimiter{ceilingDb, enabled});
  settings_.limiterCeilingDb = ceilingDb;
  settings_.limiterEnabled = enabled;
}

void Engine::setTrackGainDb(double gainDb) {
  limits::kTrackGain.check(gainDb);
  send(command::SetTrackGain{dsp::dbToGain(gainDb)});
  settings_.trackGainDb = gainDb;
}

void Engine::seek(double seconds) {
  if (!loaded_) throw core::Error("no track is loaded");
  if (!std::isfinite(seconds) || seconds < 0.0) {
    throw core::InvalidArgument("seek position must be 0 s or later, got " + std::to_string(seconds));
  }
  send(command::Seek{static_cast<std::uint64_t>(std::llround(seconds * loaded_->sampleRate()))});
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

void Engine::setTargetLatency(double seconds) { setTargetLatencyMs(seconds * 1000.0); }

void Engine::setTargetLatencyMs(double milliseconds) {
  limits::kLatency.check(milliseconds);
  targetLatencySeconds_.store(milliseconds / 1000.0, std::memory_order_relaxed);
  settings_.latencyMs = milliseconds;
}

double Engine::targetLatencySeconds() const noexcept {
  return targetLatencySeconds_.load(std::memory_order_relaxed);
}

void Engine::renderLoop() noexcept {
  EngineStatus status;
  status.sampleRate = renderer_.spec().sampleRate;
  bool behind = false;  // this engine's share of core::RenderPressure::global()
  while (!quit_.load(std::memory_order_acquire)) {
    applyCommands(status);
    const auto targetFrames = static_cast<FrameCount>(
        std::max(1.0, targetLatencySeconds_.load(std::memory_order_relaxed) * renderer_.spec().sampleRate));
    noteRenderPressure(*ring_, targetFrames, behind);
    if (!renderBlockIfBelow(targetFrames, status)) sleepWhileAtLeast(targetFrames);
  }
  if (behind) core::RenderPressure::global().lower();
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
  bool applied = false;
  while (commands_.tryPop(command)) {
    applied = true;
    if (const Track* previous = renderer_.apply(command)) handBack(previous);
    while (const Track* released = renderer_.takeReleasedTrack()) handBack(released);
    ++status.commandsApplied;
    if (std::holds_alternative<command::ResetStatistics>(command)) {
      status.renderLoadMax = 0.0;
      status.nonFiniteBlocks = 0;
    }
    if (const auto* rate = std::get_if<command::SetSampleRate>(&command)) status.sampleRate = rate->rate;
    if (std::holds_alternative<command::LoadTrack>(command)) status.trackStartRingFrame = ring_->framesWritten();
  }
  // A change shows at once, even when no block follows (a paused seek with the output stopped
  // and the ring full).
  if (applied) {
    notePlayer(status);
    status_.write(status);
  }
}

void Engine::notePlayer(EngineStatus& status) noexcept {
  const Player& player = renderer_.player();
  status.trackId = player.track() != nullptr ? player.track()->id() : kNoTrack;
  status.trackFrames = player.track() != nullptr ? player.track()->frames() : 0;
  status.positionFrames = player.position();
  status.playing = player.playing();
  status.looping = player.looping();
  status.countingIn = renderer_.countingIn();
  status.tempo = renderer_.tempoPitch().tempo;
  status.trainerRunning = renderer_.trainerRunning();
  status.trainerPasses = renderer_.trainerPasses();
}

bool Engine::renderBlockIfBelow(FrameCount targetFrames, EngineStatus& status) noexcept {
  core::AudioRing& ring = *ring_;
  const FrameCount block = config_.blockFrames;
  const FrameCount writable = ring.writableFrames();
  if (ring.capacity() - writable >= targetFrames || writable < block) return false;

  const auto begin = Clock::now();
  const RenderedBlock rendered = renderer_.render(block);
  while (const Track* released = renderer_.takeReleasedTrack()) handBack(released);
  ring.tryPushBlock(rendered.audio.channels, rendered.audio.numFrames, rendered.positions);
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  const double load = seconds * renderer_.spec().sampleRate / block;

  ++status.blocksRendered;
  status.framesRendered = status.blocksRendered * block;
  notePlayer(status);
  const Player& player = renderer_.player();
  for (std::size_t s = 0; s < status.sourcePeaks.size(); ++s) status.sourcePeaks[s] = player.sourcePeak(s);
  status.tapBlocksDropped = renderer_.droppedTapBlocks();
  status.limiterGainReductionDb = renderer_.chain().limiterGainReductionDb();
  status.limiterPeak = renderer_.chain().limiterPeak();
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
