#include "woodshed/engine/track_library.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "woodshed/core/error.h"
#include "woodshed/engine/settings.h"

namespace woodshed::engine {

namespace {
std::string minutes(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f minutes", seconds / 60.0);
  return text;
}
}  // namespace

TrackLibrary::TrackLibrary(core::ThreadPool& pool, std::uint64_t budgetBytes)
    : pool_(pool), budget_("audio memory budget", budgetBytes) {}

TrackLibrary::~TrackLibrary() {
  for (auto& [id, entry] : tracks_) {
    if (entry.job.valid()) entry.job.cancel();
  }
}

TrackLibrary::ImportId TrackLibrary::beginImport(std::string name, ChannelCount channels, std::uint64_t frames,
                                                 SampleRate sampleRate, dsp::PcmBuffer::Peaks peaks,
                                                 SampleRate storedRate) {
  if (!(sampleRate > 0.0) || !std::isfinite(sampleRate)) throw core::InvalidArgument("the audio has no valid sample rate");
  const double seconds = static_cast<double>(frames) / sampleRate;
  std::vector<dsp::RateConverter> converters;
  if (storedRate > 0.0 && storedRate != sampleRate && seconds <= kMaxTrackMinutes * 60.0 && channels <= dsp::PcmBuffer::kMaxChannels) {
    converters.emplace_back(sampleRate, storedRate, frames);
    converters.resize(channels, converters.front());  // copies share the kernel table
    const auto widen = static_cast<float>(converters.front().peakGain());
    peaks = {peaks.lowest * widen, peaks.highest * widen};
    frames = converters.front().outputFrames();
    sampleRate = storedRate;
  }
  if (seconds > kMaxTrackMinutes * 60.0) {
    throw core::LimitExceeded("track length", static_cast<std::uint64_t>(kMaxTrackMinutes),
                              "it is " + minutes(seconds) + " long; Woodshed takes tracks up to " +
                                  minutes(kMaxTrackMinutes * 60.0));
  }
  if (tracks_.size() + imports_.size() >= kMaxTracks) {
    throw core::LimitExceeded("tracks in memory", kMaxTracks,
                              "Woodshed holds at most " + std::to_string(kMaxTracks) + " tracks; unload one first");
  }
  if (imports_.size() >= kMaxOpenImports) {
    throw core::LimitExceeded("open imports", kMaxOpenImports, "too many imports at once; wait for one to finish");
  }
  // Room first: the tracks used longest ago that only the library holds (a current track and
  // one a job reads are held elsewhere, and dropping them would free nothing).
  const std::uint64_t needed = std::uint64_t{channels} * frames * sizeof(std::int16_t);
  std::uint64_t freeable = 0;
  for (const auto& [id, entry] : tracks_) {
    if (evictable(entry)) freeable += entry.track->bytes();
  }
  // Nothing is dropped for an import that would not fit even then.
  if (budget_.freeBytes() + freeable < needed) {
    const auto mb = [](std::uint64_t bytes) { return formatNumber(std::round(static_cast<double>(bytes) / 1e6)) + " MB"; };
    throw core::LimitExceeded(budget_.name(), budget_.limitBytes(),
                              "it needs " + mb(needed) + " of memory, and only " + mb(budget_.freeBytes() + freeable) +
                                  " of this device's " + mb(budget_.limitBytes()) +
                                  " for songs can be freed (the song playing and those in use hold the rest)");
  }
  while (budget_.freeBytes() < needed) {
    auto oldest = tracks_.end();
    for (auto it = tracks_.begin(); it != tracks_.end(); ++it) {
      if (!evictable(it->second)) continue;
      if (oldest == tracks_.end() || it->second.lastUsed < oldest->second.lastUsed) oldest = it;
    }
    if (oldest == tracks_.end()) break;  // the budget refuses below, naming the figures
    evicted_.push_back(oldest->first);
    tracks_.erase(oldest);
  }
  auto pcm = std::make_shared<dsp::PcmBuffer>(channels, frames, sampleRate, budget_, peaks);
  pcm->publishWrites();  // in case it plays before it is all written (openImport)
  const ImportId id = nextImportId_++;
  imports_.emplace(id, Import{std::move(name), std::move(pcm), kNoTrack, std::move(converters), {}});
  return id;
}

void TrackLibrary::storeConverted(Import& import, ChannelCount channel, const std::vector<float>& samples) {
  const std::uint64_t at = import.converters[channel].produced() - samples.size();
  import.pcm->write(channel, at, samples.data(), samples.size());
}

bool TrackLibrary::evictable(const Entry& entry) noexcept {
  // Held by nobody else (not the current track, not a job's), and not still being imported.
  return entry.track.use_count() == 1 && !entry.job.valid() && entry.track->complete();
}

void TrackLibrary::writeImport(ImportId import, ChannelCount channel, std::uint64_t offset, const float* samples,
                               std::uint64_t count) {
  const auto found = imports_.find(import);
  if (found == imports_.end()) throw core::InvalidArgument("no such import (it was cancelled or finished)");
  dsp::PcmBuffer& pcm = *found->second.pcm;
  if (!found->second.converters.empty()) {
    if (channel >= found->second.converters.size()) throw core::InvalidArgument("audio written outside the track's buffer");
    dsp::RateConverter& converter = found->second.converters[channel];
    if (offset != converter.consumed()) throw core::InvalidArgument("audio converted to another rate must be written in order");
    std::vector<float>& converted = found->second.converted;
    converted.clear();  // its capacity stays: no allocation per chunk once it has grown
    // A count beyond size_t (wasm32) is clamped to a count push() refuses: more than was set up.
    const auto countHere = static_cast<std::size_t>(std::min<std::uint64_t>(count, std::numeric_limits<std::size_t>::max()));
    converter.push(samples, countHere, converted);
    storeConverted(found->second, channel, converted);
  } else {
    pcm.write(channel, offset, samples, count);
  }
  // The scale came from the peaks the caller measured; a sample it did not see may not fit.
  if (pcm.clippedSamples() > 0) {
    throw core::InvalidArgument("the audio goes beyond the peaks measured before it was stored (" +
                                std::to_string(pcm.clippedSamples()) + " samples would be clipped)");
  }
}

TrackId TrackLibrary::openImport(ImportId import) {
  const auto found = imports_.find(import);
  if (found == imports_.end()) throw core::InvalidArgument("no such import (it was cancelled or finished)");
  Import& open = found->second;
  if (open.track != kNoTrack) return open.track;
  const TrackId id = nextTrackId_++;
  Entry entry;
  entry.track = std::make_shared<const Track>(id, open.name, std::vector<TrackSource>{{"mix", open.pcm}});
  entry.lastUsed = ++useClock_;
  tracks_.emplace(id, std::move(entry));
  open.track = id;
  return id;
}

TrackId TrackLibrary::commitImport(ImportId import) {
  const auto found = imports_.find(import);
  if (found == imports_.end()) throw core::InvalidArgument("no such import (it was cancelled or finished)");
  for (ChannelCount c = 0; c < found->second.converters.size(); ++c) {  // the rest of each channel
    std::vector<float> rest;
    found->second.converters[c].finish(rest);
    storeConverted(found->second, c, rest);
  }
  const TrackId id = openImport(import);
  found->second.pcm->publishAll();
  imports_.erase(found);

  Entry& entry = tracks_.at(id);
  const std::shared_ptr<const Track> track = entry.track;
  entry.result = std::make_shared<WaveformResult>();
  // The job holds the track (and so its audio) until it ends, even if the track is removed.
  entry.job = pool_.submit("waveform of " + track->name(),
                           [track, result = entry.result,
                            failure = std::exchange(injectedWaveformFailure_, {})](core::JobContext& context) {
                             if (!failure.empty()) throw core::Error(failure);
                             result->overview = std::make_shared<const dsp::WaveformOverview>(
                                 dsp::WaveformOverview::build(*track->sources().front().pcm, &context));
                           });
  return id;
}

void TrackLibrary::cancelImport(ImportId import) noexcept {
  const auto found = imports_.find(import);
  if (found == imports_.end()) return;
  if (found->second.track != kNoTrack) tracks_.erase(found->second.track);
  imports_.erase(found);
}

std::shared_ptr<const Track> TrackLibrary::find(TrackId id) const noexcept {
  const auto found = tracks_.find(id);
  return found == tracks_.end() ? nullptr : found->second.track;
}

std::vector<TrackInfo> TrackLibrary::list() const {
  std::vector<TrackInfo> infos;
  infos.reserve(tracks_.size());
  for (const auto& [id, entry] : tracks_) {
    const Track& track = *entry.track;
    infos.push_back(TrackInfo{id, track.name(), track.durationSeconds(), track.sampleRate(), track.channels(),
                              track.bytes(), entry.waveform != nullptr,
                              entry.waveform != nullptr ? 1.0 : (entry.job.valid() ? entry.job.progress() : 0.0),
                              entry.waveformError,
                              static_cast<double>(track.readableFrames()) / static_cast<double>(track.frames())});
  }
  return infos;
}

void TrackLibrary::touch(TrackId id) noexcept {
  const auto found = tracks_.find(id);
  if (found != tracks_.end()) found->second.lastUsed = ++useClock_;
}

std::vector<TrackId> TrackLibrary::takeEvicted() { return std::exchange(evicted_, {}); }

bool TrackLibrary::remove(TrackId id) {
  const auto found = tracks_.find(id);
  if (found == tracks_.end()) return false;
  if (found->second.job.valid()) found->second.job.cancel();
  tracks_.erase(found);
  // A track removed while its import is still being written: the import ends with it.
  for (auto it = imports_.begin(); it != imports_.end(); ++it) {
    if (it->second.track == id) {
      imports_.erase(it);
      break;
    }
  }
  return true;
}

std::shared_ptr<const dsp::WaveformOverview> TrackLibrary::waveform(TrackId id) const noexcept {
  const auto found = tracks_.find(id);
  return found == tracks_.end() ? nullptr : found->second.waveform;
}

std::vector<WaveformFinished> TrackLibrary::poll() {
  std::vector<WaveformFinished> finished;
  for (auto& [id, entry] : tracks_) {
    if (!entry.job.valid() || !entry.job.isFinished()) continue;
    // The job wrote its result before publishing its final status; isFinished() acquired it.
    if (entry.job.status() == core::JobStatus::Succeeded) {
      entry.waveform = entry.result->overview;
    } else {
      // Failed or cancelled: say so, so nobody waits for a waveform that will never come.
      entry.waveformError = entry.job.error();
      if (entry.waveformError.empty()) entry.waveformError = "the waveform job ended without a result";
    }
    entry.job = core::JobHandle();
    entry.result.reset();
    finished.push_back({id, entry.track->name(), entry.waveformError});
  }
  return finished;
}

}  // namespace woodshed::engine
