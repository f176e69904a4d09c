#include "app/app.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "woodshed/core/error.h"
#include "woodshed/engine/beat_detection.h"
#include "woodshed/engine/loudness_scan.h"
#include "woodshed/engine/memory_plan.h"
#include "woodshed/engine/offline_render.h"

#include "app/panels.h"

namespace woodshed::app {

const char* toString(AudioState state) noexcept {
  switch (state) {
    case AudioState::Off: return "off";
    case AudioState::Starting: return "starting";
    case AudioState::Running: return "playing";
    case AudioState::Suspended: return "stopped";
    case AudioState::Closed: return "closed";
    case AudioState::Failed: return "failed";
  }
  return "unknown";
}

const char* toString(ImportProgress::Stage stage) noexcept {
  switch (stage) {
    case ImportProgress::Stage::Waiting: return "waiting";
    case ImportProgress::Stage::Reading: return "reading";
    case ImportProgress::Stage::Decoding: return "decoding";
    case ImportProgress::Stage::Storing: return "storing";
  }
  return "";
}

App::App(PlatformServices& platform, unsigned poolThreads)
    : platform_(platform), pool_(poolThreads), library_(pool_) {}

void App::poll() {
  // The song plays without a waveform that failed; the page tells the user why.
  for (const engine::WaveformFinished& done : library_.poll()) platform_.announceWaveform(done.id, done.name, done.error);
  engine_.collectReleasedTracks();
  Normalization& n = normalization;
  if (n.job.valid() && n.job.isFinished()) {
    const auto current = engine_.loadedTrack();
    if (n.job.hasValue()) n.measuredLufs = n.job.value();
    if (n.job.hasValue() && n.measuredLufs > -70.0) {
      const double gain = std::clamp(n.targetLufs - n.measuredLufs, -40.0, 40.0);
      n.resultGainDb = gain;
      if (current && current->id() == n.trackId) {
        engine_.setTrackGainDb(gain);
      }
      char text[128];
      std::snprintf(text, sizeof text, "measured %.1f LUFS; playback gain %+.1f dB for %.1f LUFS", n.measuredLufs,
                    gain, n.targetLufs);
      n.message = text;
    } else if (n.job.hasValue()) {
      n.message = "the track is silent: nothing to normalize";
    } else {
      n.message = n.job.error();
    }
    n.job = core::Job<double>();
  }
  BeatDetection& b = beatDetection;
  if (b.waitingFor) {
    if (library_.find(b.trackId) != b.waitingFor) {
      b = BeatDetection{};  // removed before its audio was all in: nothing to detect
    } else if (b.waitingFor->complete()) {
      try {
        submitBeatDetection(std::exchange(b.waitingFor, nullptr));
      } catch (const core::Error& error) {  // the pool's queue was full: say so as a failed job would
        b.waitingFor = nullptr;
        b.message = error.what();
      }
    }
  }
  if (b.job.valid() && b.job.isFinished()) {
    b.succeeded = b.job.status() == core::JobStatus::Succeeded;
    if (b.succeeded) {  // the job is done with it
      b.grid = b.result->grid;
      b.tuning = b.result->tuning;
    }
    b.message = b.succeeded ? "" : b.job.error();
    b.job = core::JobHandle();
  }
}

namespace {

double steadySeconds() noexcept {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::uint64_t App::startExport(const ExportRequest& request) {
  // One export the page is writing at a time. A cancelled one the page has ended may still be
  // finishing its last chunk (or pausing for the render thread); the next queues behind it on
  // the long lane, with a stream of its own.
  if (exporting.stream) throw core::Error("an export is running: wait for it or cancel it first");
  const auto track = wholeTrack(library_.find(request.trackId), "its export");
  if (!track) throw core::InvalidArgument("that song is not in memory");
  if (!(request.startSeconds >= 0.0) || !(request.endSeconds > request.startSeconds)) {
    throw core::InvalidArgument("the region to export must start at 0 s or later and end after it starts, got " +
                                engine::formatNumber(request.startSeconds) + " to " + engine::formatNumber(request.endSeconds) + " s");
  }
  engine::EngineSettings heard = engine_.settings();
  const auto current = engine_.loadedTrack();
  if (!current || current->id() != track->id()) {
    // Another song: its own gain, speed and pitch (as the page keeps them), its sources as imported.
    engine::limits::kTrackGain.check(request.trackGainDb);
    engine::limits::kTempo.check(request.tempo);
    engine::limits::kPitch.check(request.pitchSemitones);
    heard.trackGainDb = request.trackGainDb;
    heard.tempo = request.tempo;
    heard.pitchSemitones = request.pitchSemitones;
    heard.sources = {};
  }
  const engine::EngineSettings settings = engine::exportSettings(*track, heard, request.source);
  const engine::RenderRegion region{
      static_cast<std::uint64_t>(std::llround(request.startSeconds * track->sampleRate())),
      request.endSeconds >= track->durationSeconds()
          ? track->frames()
          : static_cast<std::uint64_t>(std::llround(request.endSeconds * track->sampleRate()))};
  const std::uint64_t frames = engine::offlineRenderFrames(*track, settings, region);
  engine::OfflineRenderOptions options;
  options.channels = track->channels();
  // Its working memory (the ring and the render graph with a stretch stage) counts in the
  // budget while it runs.
  auto working = std::make_shared<core::MemoryBudget::Reservation>(
      library_.budget().reserve(kExportWorkingBytes, "an export's working memory"));
  auto stream = std::make_shared<engine::ExportStream>(request.format, options.channels, track->sampleRate(), frames,
                                                       options.chunkFrames);
  core::JobHandle job = pool_.submit("export of " + track->name(), [track, settings, region, options, stream, working](core::JobContext& context) {
    stream->attach(&context);
    try {
      engine::renderOffline(*track, settings, region, *stream, options, &context);
      stream->finish();
    } catch (...) {
      stream->fail();
      throw;
    }
  }, core::Lane::Long);
  exporting = Export{std::move(job), std::move(stream), steadySeconds(), {}};
  return exporting.stream->totalBytes();
}

void App::setDeviceMemory(std::uint64_t deviceBytes, std::uint64_t heapLimitBytes) noexcept {
  library_.setBudgetLimit(engine::decodedAudioBudget(deviceBytes, heapLimitBytes));
}

void App::cancelExport() noexcept {
  if (!exporting.job.valid()) return;
  exporting.job.cancel();
  if (exporting.stream) exporting.stream->wakeProducer();
}

void App::endExport() noexcept {
  if (exporting.job.valid() && !exporting.job.isFinished()) cancelExport();
  // The job holds its own reference to the stream until it returns.
  exporting.stream.reset();
}

double App::exportEtaSeconds() const noexcept {
  if (!exporting.stream) return -1.0;
  const double done = static_cast<double>(exporting.stream->consumedBytes()) / static_cast<double>(exporting.stream->totalBytes());
  const double elapsed = steadySeconds() - exporting.startedAt;
  if (done < 0.02 || elapsed < 0.2) return -1.0;
  return elapsed * (1.0 - done) / done;
}

void App::startBeatDetection() {
  const auto track = engine_.loadedTrack();
  if (!track) throw core::Error("no track is loaded");
  BeatDetection& b = beatDetection;
  if (b.running() && b.trackId == track->id()) return;
  if (!track->complete()) {  // poll() submits it when the rest of the audio is in
    if (b.job.valid()) b.job.cancel();
    b = BeatDetection{{}, track->id(), std::make_shared<engine::SongAnalysis>(), {}, {}, false, {}, track};
    return;
  }
  submitBeatDetection(track);
}

void App::submitBeatDetection(const std::shared_ptr<const engine::Track>& track) {
  BeatDetection& b = beatDetection;
  auto result = std::make_shared<engine::SongAnalysis>();
  core::JobHandle job = pool_.submit("beat grid and tuning of " + track->name(), [track, result](core::JobContext& context) {
    *result = engine::analyseSong(*track, context);
  });
  // Only once the new job is queued: a refused submit leaves the running one as it was.
  if (b.job.valid()) b.job.cancel();
  b = BeatDetection{std::move(job), track->id(), std::move(result), {}, {}, false, {}, nullptr};
}

std::shared_ptr<const engine::Track> App::wholeTrack(std::shared_ptr<const engine::Track> track, const char* what) const {
  if (track && !track->complete()) {
    throw core::Error("\"" + track->name() + "\" is still being imported: " + what +
                      " can start once all of it is in memory");
  }
  return track;
}

void App::startNormalization(double targetLufs) {
  const auto track = wholeTrack(engine_.loadedTrack(), "measuring its loudness");
  if (!track) throw core::Error("no track is loaded");
  if (normalization.job.valid()) throw core::Error("a loudness measurement is already running");
  engine::limits::kLoudnessTarget.check(targetLufs);
  normalization.targetLufs = targetLufs;
  normalization.trackId = track->id();
  normalization.resultGainDb = 0.0;
  normalization.message.clear();
  normalization.measuredLufs = -200.0;
  normalization.job = pool_.submitForResult("loudness of " + track->name(), core::Lane::Interactive,
                                            [track](core::JobContext& context) { return measureIntegratedLoudness(*track, context); });
}

void App::load(engine::TrackId id) {
  std::shared_ptr<const engine::Track> track = library_.find(id);
  if (!track) throw core::InvalidArgument("no track with id " + std::to_string(id));
  engine_.loadTrack(std::move(track));
  library_.touch(id);
  normalization.message.clear();
  waveformZoom = 1.0;
  waveformStartFrame = 0;
}

void App::unload(engine::TrackId id) {
  const auto current = engine_.loadedTrack();
  if (!library_.remove(id)) throw core::InvalidArgument("no track with id " + std::to_string(id));
  // A detection of the song holds its audio: let it go now.
  if (beatDetection.job.valid() && beatDetection.trackId == id) beatDetection.job.cancel();
  if (beatDetection.waitingFor && beatDetection.trackId == id) beatDetection = BeatDetection{};
  if (current && current->id() == id) engine_.loadTrack(nullptr);
}

double App::positionSeconds() noexcept {
  const auto current = engine_.loadedTrack();
  if (!current) return 0.0;
  const engine::EngineStatus status = engine_.status();
  if (status.trackId != current->id()) return 0.0;
  return static_cast<double>(status.positionFrames) / current->sampleRate();
}

bool App::playing() noexcept {
  const auto current = engine_.loadedTrack();
  const engine::EngineStatus status = engine_.status();
  return current && status.trackId == current->id() && status.playing && audio_.state == AudioState::Running;
}

void App::play() {
  const auto track = engine_.loadedTrack();
  if (!track) throw core::Error("no track is loaded; import or choose one first");
  // Songs are decoded at the output's rate; after the output changed rate the page decodes the
  // song again, and until then it would play fast and sharp or slow and flat.
  if (engine_.sampleRate() > 0.0 && track->sampleRate() != engine_.sampleRate()) {
    throw core::Error("the song is being prepared for the audio output's new rate (" +
                      engine::formatNumber(engine_.sampleRate()) + " Hz); play it again in a moment");
  }
  if (audio_.state != AudioState::Running && audio_.state != AudioState::Starting) platform_.requestAudioStart();
  engine_.play();
}

double App::totalOutputLatencyMs() noexcept {
  const double rate = engine_.sampleRate();
  const double ringMs = rate > 0.0 ? 1000.0 * engine_.ring().approximateFill() / rate : 0.0;
  return ringMs + audio_.baseLatencyMs + audio_.outputLatencyMs;
}

double App::heardSeconds() noexcept {
  const double position = positionSeconds();
  if (!playing() || engine_.status().countingIn) return position;
  // The output reports the source frame it handed out last (exact across seeks and loop wraps,
  // where the ring still holds what was rendered before them); the device's own latency comes
  // on top, in song time at the speed the song plays. Without a frame of the song yet (silence
  // or clicks in the ring), estimated from the engine's position and the whole latency.
  // Just after a song was loaded, the output still plays the previous one's frames (rendered
  // before the load): those positions are not this song's.
  const engine::EngineStatus status = engine_.status();
  const auto& ring = engine_.ring();
  const SourcePosition heard = ring.consumerCounters().heardPosition.load(std::memory_order_relaxed);
  const std::uint32_t read = ring.readCounter().load(std::memory_order_relaxed);
  const bool thisSong = static_cast<std::int32_t>(read - status.trackStartRingFrame) > 0;
  const double deviceMs = audio_.baseLatencyMs + audio_.outputLatencyMs;
  if (thisSong && heard >= 0 && static_cast<std::uint64_t>(heard) <= status.trackFrames) {
    return std::max(0.0, heard / currentTrack()->sampleRate() - status.tempo * deviceMs / 1000.0);
  }
  return std::max(0.0, position - status.tempo * totalOutputLatencyMs() / 1000.0);
}

bool settingSlider(App& app, const char* label, const engine::Limit& limit, double& value, const char* format,
                   ImGuiSliderFlags flags, const char* rectKey) {
  // Doubles throughout: a value typed in (Ctrl+click) reaches the engine as typed.
  const bool changed = ImGui::SliderScalar(label, ImGuiDataType_Double, &value, &limit.min, &limit.max, format,
                                           flags | ImGuiSliderFlags_AlwaysClamp);
  if (rectKey == nullptr) rectKey = limit.key;
  if (*rectKey != '\0') rememberItemRect(app, rectKey);
  return changed;
}

void rememberItemRect(App& app, const char* key) {
  const ImVec2 min = ImGui::GetItemRectMin();
  const ImVec2 size = ImGui::GetItemRectSize();
  app.controlRects[key] = {min.x, min.y, size.x, size.y, static_cast<double>(app.framesDrawn)};
}

void App::drawFrame(float width, float height) {
  ++framesDrawn;
  poll();
  const float statusHeight = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().WindowPadding.y * 2.0f;
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(width, height - statusHeight));
  ImGui::Begin("Woodshed", nullptr,
               ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings |
                   // A scrollbar that comes and goes as rows appear (a grid found, a tuning) would
                   // move the waveform under the pointer between two frames.
                   ImGuiWindowFlags_AlwaysVerticalScrollbar);
  if (ImGui::BeginTable("##layout", 2, ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableSetupColumn("library", ImGuiTableColumnFlags_WidthStretch, 0.32f);
    ImGui::TableSetupColumn("main", ImGuiTableColumnFlags_WidthStretch, 0.68f);
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    drawLibraryPanel(*this);
    ImGui::TableSetColumnIndex(1);
    drawTransportPanel(*this);
    ImGui::Spacing();
    if (ImGui::BeginTabBar("##tools")) {
      const bool shape = ImGui::BeginTabItem("Shape");
      rememberItemRect(*this, "tab.shape");
      if (shape) {
        drawShapingPanel(*this);
        ImGui::EndTabItem();
      }
      const bool analyze = ImGui::BeginTabItem("Analyze");
      rememberItemRect(*this, "tab.analyze");
      if (analyze) {
        drawAnalysisPanel(*this);
        ImGui::EndTabItem();
      }
      const bool output = ImGui::BeginTabItem("Output & generator");
      rememberItemRect(*this, "tab.output");
      if (output) {
        drawAudioPanel(*this);
        ImGui::EndTabItem();
      }
      ImGui::EndTabBar();
    }
    ImGui::EndTable();
  }
  ImGui::End();
  drawStatusBar(*this, ImVec2(0, height - statusHeight), ImVec2(width, statusHeight));
}

}  // namespace woodshed::app
