#include "woodshed/engine/offline_render.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "woodshed/core/error.h"
#include "woodshed/engine/output_chain.h"
#include "woodshed/engine/player.h"
#include "woodshed/engine/time_stretch_stage.h"

namespace woodshed::engine {

namespace {

std::uint64_t regionEnd(const Track& track, RenderRegion region) {
  const std::uint64_t end = std::min(region.end, track.frames());
  if (region.start >= end) {
    throw core::InvalidArgument("the region to render is empty: frames " + std::to_string(region.start) + " to " +
                                std::to_string(end) + " of " + std::to_string(track.frames()));
  }
  return end;
}

std::uint64_t framesAt(double sourceFrames, double ratio) {
  return static_cast<std::uint64_t>(std::llround(sourceFrames / ratio));
}

}  // namespace

std::uint64_t offlineRenderFrames(const Track& track, const EngineSettings& settings, RenderRegion region) {
  const std::uint64_t end = regionEnd(track, region);
  const bool stretched = settings.tempo != 1.0 || settings.pitchSemitones != 0.0;
  return framesAt(static_cast<double>(end - region.start), stretched ? settings.tempo : 1.0);
}

EngineSettings exportSettings(const Track& track, const EngineSettings& heard, std::optional<std::size_t> source) {
  EngineSettings settings = heard;
  settings.volumeDb = 0.0;
  settings.muted = false;
  settings.metronome.enabled = false;
  settings.metronome.countIn = CountIn::Off;
  settings.speedTrainer.reset();
  settings.generator.enabled = false;
  if (source) {
    if (*source >= track.sources().size()) {
      throw core::InvalidArgument("the song has " + std::to_string(track.sources().size()) + " sources; there is no source " +
                                  std::to_string(*source));
    }
    for (std::size_t s = 0; s < settings.sources.size(); ++s) {
      settings.sources[s].mute = s != *source;
      settings.sources[s].solo = false;
    }
  }
  return settings;
}

std::uint64_t renderOffline(const Track& track, const EngineSettings& settings, RenderRegion region, RenderSink& sink,
                            const OfflineRenderOptions& options, core::JobContext* context) {
  if (options.chunkFrames < 1 || options.chunkFrames > kMaxChunkFrames) {
    throw core::InvalidArgument("an offline render takes chunks of 1 to " + std::to_string(kMaxChunkFrames) +
                                " frames, got " + std::to_string(options.chunkFrames));
  }
  if (options.channels < 1 || options.channels > 2) {
    throw core::InvalidArgument("an offline render writes 1 or 2 channels, got " + std::to_string(options.channels));
  }
  const std::uint64_t end = std::min(region.end, track.frames());
  if (region.start >= end) {
    throw core::InvalidArgument("the region to render is empty: frames " + std::to_string(region.start) + " to " +
                                std::to_string(end) + " of " + std::to_string(track.frames()));
  }

  const dsp::ProcessSpec spec{track.sampleRate(), options.chunkFrames, options.channels};
  // The graph: the same classes as playback, set straight to their targets (no glides).
  auto player = std::make_unique<Player>();
  player->prepare(spec);
  std::unique_ptr<TimeStretchStage> stretch;
  TrackStage* stage = options.stage;
  if (stage == nullptr && (settings.tempo != 1.0 || settings.pitchSemitones != 0.0)) {
    limits::kTempo.check(settings.tempo);
    limits::kPitch.check(settings.pitchSemitones);
    stretch = std::make_unique<TimeStretchStage>();
    stretch->prepare(StageSpec{spec.sampleRate, spec.maxBlockFrames, kMaxStageSources, kMaxSourceChannels});
    stretch->setParams(dsp::StretchParams{settings.tempo, settings.pitchSemitones});
    stage = stretch.get();
  }
  player->setStage(stage);
  player->setTrack(&track);
  for (std::size_t s = 0; s < track.sources().size(); ++s) {
    const SourceSettings& source = settings.sources[s];
    player->setSourceGain(s, dsp::dbToGain(source.gainDb));
    player->setSourcePan(s, source.pan);
    player->setSourceMute(s, source.mute);
    player->setSourceSolo(s, source.solo);
  }
  player->setTrackGain(dsp::dbToGain(settings.trackGainDb));
  player->jumpGainsToTargets();
  auto chain = std::make_unique<OutputChain>();
  chain->prepare(spec);
  chain->setMasterGain(dsp::dbToGain(settings.masterGainDb));
  for (std::size_t band = 0; band < settings.eqBands.size(); ++band) chain->setEqBand(band, settings.eqBands[band]);
  chain->setEqBypass(settings.eqBypass);
  chain->setLimiter(settings.limiterCeilingDb, settings.limiterEnabled);
  chain->reset();
  player->startAt(region.start);

  // The chain delays by its latency: render that much more and drop it from the front.
  const double ratio = stage != nullptr ? stage->sourceFramesPerOutputFrame() : 1.0;
  const std::uint64_t frames = framesAt(static_cast<double>(end - region.start), ratio);
  std::uint64_t skip = chain->latencyFrames();
  const std::uint64_t total = frames + skip;
  auto storage = std::make_unique<float[]>(std::size_t{options.channels} * options.chunkFrames);
  auto positions = std::make_unique<SourcePosition[]>(options.chunkFrames);
  float* channels[2] = {storage.get(), storage.get() + (options.channels > 1 ? options.chunkFrames : 0)};
  std::uint64_t rendered = 0;
  std::uint64_t written = 0;
  while (rendered < total) {
    if (context != nullptr) context->throwIfCancellationRequested();
    const auto n = static_cast<FrameCount>(std::min<std::uint64_t>(options.chunkFrames, total - rendered));
    const dsp::AudioBlock block{channels, options.channels, n};
    clear(block);
    // Past the region's end the readers go on to the song's next frames, which the limiter's
    // look-ahead needs; they are cut below.
    player->process(block, positions.get());
    if (!chain->processToExportPoint(block)) {
      throw core::Error("the render produced samples that are not numbers (NaN or infinity) near " +
                        std::to_string(static_cast<double>(region.start + rendered) / track.sampleRate()) + " s");
    }
    rendered += n;
    const auto dropped = static_cast<FrameCount>(std::min<std::uint64_t>(skip, n));
    skip -= dropped;
    if (dropped < n) {
      float* shifted[2] = {channels[0] + dropped, channels[1] + dropped};
      sink.write(dsp::AudioBlock{shifted, options.channels, n - dropped});
      written += n - dropped;
    }
    if (context != nullptr) context->setProgress(static_cast<double>(rendered) / static_cast<double>(total));
  }
  return written;
}

}  // namespace woodshed::engine
