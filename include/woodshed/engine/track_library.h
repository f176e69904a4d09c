#pragma once
// The tracks Woodshed holds in memory: imports in progress, decoded tracks, and their waveform
// overviews (computed on the thread pool). Main thread only; nothing here blocks.
//
// An import is begin -> write... -> commit (or cancel). Until commit nothing is visible and a
// cancel or failure releases everything. A long import may be opened part way (openImport): the
// track is listed and plays what has been written so far (Track::readableFrames) while the
// rest arrives; its waveform job starts at commit, and it is never evicted before then. Removing a track drops the library's reference; its memory returns when
// the engine and any running job have let go of it too.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "woodshed/core/memory_budget.h"
#include "woodshed/core/thread_pool.h"
#include "woodshed/dsp/rate_converter.h"
#include "woodshed/dsp/waveform_overview.h"
#include "woodshed/engine/track.h"

namespace woodshed::engine {

struct TrackInfo {
  TrackId id = kNoTrack;
  std::string name;
  double durationSeconds = 0.0;
  SampleRate sampleRate = 0.0;
  ChannelCount channels = 0;
  std::uint64_t bytes = 0;
  bool waveformReady = false;
  double waveformProgress = 0.0;
  /// Why the waveform job failed or was cancelled ("" while it runs or once it is ready).
  std::string waveformError;
  /// The share of its audio in memory: below 1 while an opened import is still being written.
  double loaded = 1.0;
};

/// A waveform job that finished (TrackLibrary::poll): `error` says why it has no waveform, or is
/// empty when the waveform is ready.
struct WaveformFinished {
  TrackId id = kNoTrack;
  std::string name;
  std::string error;
};

class TrackLibrary {
 public:
  using ImportId = std::uint32_t;

  /// Limit: the longest track, in minutes of audio at any sample rate.
  static constexpr double kMaxTrackMinutes = 30.0;
  /// Limit: memory for decoded audio until the device's figure is known (setBudgetLimit, from
  /// engine::decodedAudioBudget). 16-bit stereo at 48 kHz takes 11.5 MB a minute.
  static constexpr std::uint64_t kDefaultBudgetBytes = std::uint64_t{1536} << 20;
  /// Limit: tracks in memory at once, and imports open at once.
  static constexpr std::size_t kMaxTracks = 500;
  static constexpr std::size_t kMaxOpenImports = 8;

  explicit TrackLibrary(core::ThreadPool& pool, std::uint64_t budgetBytes = kDefaultBudgetBytes);
  ~TrackLibrary();

  /// Reserves memory for a decoded file whose samples span `peaks` (measured over all of it
  /// before the first write: they decide how it is stored, see dsp::PcmBuffer). When the budget
  /// has no room, the tracks used longest ago that nothing else holds (not the current one, not
  /// one a job reads) are dropped from memory first (evicted() lists them). Throws
  /// LimitExceeded (too long, over budget even then, too many) or InvalidArgument (no channels,
  /// no frames, bad rate, non-finite peaks) with a message naming why and the figures.
  /// `storedRate`, when given and not `sampleRate`: the track is stored at that rate, each
  /// channel converted as it is written (dsp::RateConverter; InvalidArgument when it cannot
  /// convert between the two), its peaks widened by the conversion's largest overshoot; writes
  /// then go in order on each channel.
  ImportId beginImport(std::string name, ChannelCount channels, std::uint64_t frames, SampleRate sampleRate,
                       dsp::PcmBuffer::Peaks peaks, SampleRate storedRate = 0.0);
  /// Converts and stores samples (`offset` in the file's frames); throws InvalidArgument for
  /// NaN/Inf samples, a bad range, or samples beyond the peaks given at begin that could not be
  /// stored.
  void writeImport(ImportId import, ChannelCount channel, std::uint64_t offset, const float* samples,
                   std::uint64_t count);
  /// Makes the import a track that can be loaded and played while the rest of it is written:
  /// it plays up to the frames written on every channel so far. Returns the track's id (the
  /// same one again if it was opened already; commit returns it too).
  TrackId openImport(ImportId import);
  /// Makes the import a track (or, if opened, the whole of its audio readable) and starts its
  /// waveform job.
  TrackId commitImport(ImportId import);
  /// Drops an import and its memory, and the track if it was opened. Unknown ids are ignored.
  void cancelImport(ImportId import) noexcept;

  std::shared_ptr<const Track> find(TrackId id) const noexcept;
  /// Notes that a track was used now (made current): eviction drops the least recent first.
  void touch(TrackId id) noexcept;
  /// Tracks dropped from memory to make room since the last call (the page forgets them).
  std::vector<TrackId> takeEvicted();
  std::vector<TrackInfo> list() const;
  /// Drops the track (and cancels its waveform job, or ends its import, whose next write then
  /// fails as an unknown import). Returns false for an unknown id.
  bool remove(TrackId id);
  /// The waveform overview once its job has finished, else null.
  std::shared_ptr<const dsp::WaveformOverview> waveform(TrackId id) const noexcept;
  /// Collects finished waveform jobs (call once per frame) and returns them, so the app can
  /// announce them instead of anyone polling list() for one job.
  std::vector<WaveformFinished> poll();
  /// Test hook: the next committed import's waveform job fails with `message` (as it would
  /// when out of memory), so callers can prove they do not wait for it forever.
  void injectWaveformFailure(std::string message) { injectedWaveformFailure_ = std::move(message); }

  const core::MemoryBudget& budget() const noexcept { return budget_; }
  /// The budget for decoded audio and jobs' declared working memory (an export's ring).
  core::MemoryBudget& budget() noexcept { return budget_; }
  /// A new budget (sized from the device): what is loaded stays.
  void setBudgetLimit(std::uint64_t bytes) noexcept { budget_.setLimit(bytes); }
  std::size_t openImports() const noexcept { return imports_.size(); }

 private:
  struct WaveformResult {
    std::shared_ptr<const dsp::WaveformOverview> overview;
  };
  struct Entry {
    std::shared_ptr<const Track> track;
    core::JobHandle job;
    std::shared_ptr<WaveformResult> result;
    std::shared_ptr<const dsp::WaveformOverview> waveform;
    std::string waveformError;
    std::uint64_t lastUsed = 0;
  };
  struct Import {
    std::string name;
    std::shared_ptr<dsp::PcmBuffer> pcm;
    TrackId track = kNoTrack;  // once opened
    std::vector<dsp::RateConverter> converters;  // one a channel, when stored at another rate
    std::vector<float> converted;                // what a write converted, before it is stored
  };
  // Stores converted samples of `channel`, after those stored before.
  static void storeConverted(Import& import, ChannelCount channel, const std::vector<float>& samples);
  static bool evictable(const Entry& entry) noexcept;

  core::ThreadPool& pool_;
  core::MemoryBudget budget_;
  std::map<TrackId, Entry> tracks_;
  std::map<ImportId, Import> imports_;
  TrackId nextTrackId_ = 1;
  ImportId nextImportId_ = 1;
  std::string injectedWaveformFailure_;
  std::uint64_t useClock_ = 0;
  std::vector<TrackId> evicted_;
};

}  // namespace woodshed::engine
