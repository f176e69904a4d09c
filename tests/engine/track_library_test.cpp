#include "woodshed/engine/track_library.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "woodshed/core/error.h"

namespace woodshed::engine {
namespace {

using namespace std::chrono_literals;

TrackId importSilence(TrackLibrary& library, std::uint64_t frames, ChannelCount channels = 2) {
  const auto import = library.beginImport("silence.wav", channels, frames, 48000.0, {});
  std::vector<float> samples(static_cast<std::size_t>(frames), 0.0f);
  for (ChannelCount c = 0; c < channels; ++c) library.writeImport(import, c, 0, samples.data(), frames);
  return library.commitImport(import);
}

// Polls until the library announces finished waveform jobs (10 s at most); returns them.
std::vector<WaveformFinished> nextAnnouncement(TrackLibrary& library) {
  std::vector<WaveformFinished> announced;
  for (int i = 0; i < 10000 && announced.empty(); ++i) {
    announced = library.poll();
    std::this_thread::sleep_for(1ms);
  }
  return announced;
}

void waitForWaveform(TrackLibrary& library, TrackId id) {
  for (int i = 0; i < 10000 && !library.waveform(id); ++i) {
    library.poll();
    std::this_thread::sleep_for(1ms);
  }
}

TEST(TrackLibrary, ImportsTracksWithTheirWaveform) {
  core::ThreadPool pool(2);
  TrackLibrary library(pool);
  const TrackId id = importSilence(library, 48000 * 3);
  waitForWaveform(library, id);
  ASSERT_NE(library.waveform(id), nullptr);
  const auto tracks = library.list();
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].name, "silence.wav");
  EXPECT_DOUBLE_EQ(tracks[0].durationSeconds, 3.0);
  EXPECT_EQ(tracks[0].channels, 2u);
  EXPECT_EQ(tracks[0].bytes, 48000u * 3 * 2 * 2);
  EXPECT_TRUE(tracks[0].waveformReady);
}

TEST(TrackLibrary, RefusesTracksLongerThanTheLimitBeforeAllocating) {
  core::ThreadPool pool(1);
  TrackLibrary library(pool);
  const auto frames = static_cast<std::uint64_t>((TrackLibrary::kMaxTrackMinutes * 60 + 1) * 48000);
  try {
    library.beginImport("long.flac", 2, frames, 48000.0, {});
    FAIL() << "accepted";
  } catch (const core::LimitExceeded& e) {
    EXPECT_EQ(e.limitName(), "track length");
    EXPECT_NE(std::string(e.what()).find("up to 30.0 minutes"), std::string::npos) << e.what();
  }
  EXPECT_EQ(library.budget().usedBytes(), 0u);
  // The longest accepted track fits the budget.
  const auto longest = static_cast<std::uint64_t>(TrackLibrary::kMaxTrackMinutes * 60 * 48000);
  const auto import = library.beginImport("longest.flac", 2, longest, 48000.0, {});
  EXPECT_EQ(library.budget().usedBytes(), longest * 4);
  library.cancelImport(import);
  EXPECT_EQ(library.budget().usedBytes(), 0u);
}

TEST(TrackLibrary, RefusesWhatTheBudgetCannotHoldWithoutLosingWhatIsLoaded) {
  core::ThreadPool pool(1);
  TrackLibrary library(pool, 10'000'000);
  const TrackId kept = importSilence(library, 1'000'000);  // 4 MB
  const auto playing = library.find(kept);  // held, as the engine holds the current track
  try {
    library.beginImport("big.wav", 2, 2'000'000, 48000.0, {});
    FAIL() << "8 MB do not fit beside the 4 MB playing";
  } catch (const core::LimitExceeded& error) {
    // The message names the figures.
    EXPECT_NE(std::string(error.what()).find("it needs 8 MB of memory, and only 6 MB of this device's 10 MB"), std::string::npos)
        << error.what();
  }
  ASSERT_NE(library.find(kept), nullptr);
  EXPECT_EQ(library.budget().usedBytes(), 4'000'000u);
  EXPECT_TRUE(library.takeEvicted().empty());
}

// The library, not the page, decides which decoded songs stay: the ones used longest ago that
// nothing plays or reads make room, and the page learns which.
TEST(TrackLibrary, MakesRoomByDroppingTheSongsUsedLongestAgo) {
  core::ThreadPool pool(1);
  TrackLibrary library(pool, 13'000'000);
  const TrackId a = importSilence(library, 1'000'000);  // 4 MB each
  const TrackId b = importSilence(library, 1'000'000);
  const TrackId c = importSilence(library, 1'000'000);
  for (const TrackId id : {a, b, c}) waitForWaveform(library, id);
  library.touch(a);  // a was played last, so b is the oldest
  const auto current = library.find(c);  // c plays now
  const TrackId d = importSilence(library, 1'000'000);
  EXPECT_EQ(library.takeEvicted(), std::vector<TrackId>{b});
  EXPECT_NE(library.find(a), nullptr);
  EXPECT_EQ(library.find(b), nullptr);
  EXPECT_NE(library.find(c), nullptr) << "the current song stays";
  EXPECT_NE(library.find(d), nullptr);
  EXPECT_EQ(library.budget().usedBytes(), 12'000'000u);
  // The budget follows the device: a smaller one keeps what is loaded and refuses more.
  library.setBudgetLimit(8'000'000);
  EXPECT_EQ(library.budget().limitBytes(), 8'000'000u);
  EXPECT_NE(library.find(a), nullptr);
}

TEST(TrackLibrary, FailedOrCancelledImportsLeaveNothingBehind) {
  core::ThreadPool pool(1);
  TrackLibrary library(pool);
  const auto import = library.beginImport("broken.wav", 1, 1000, 48000.0, {});
  std::vector<float> samples(1000, std::numeric_limits<float>::quiet_NaN());
  EXPECT_THROW(library.writeImport(import, 0, 0, samples.data(), 1000), core::InvalidArgument);
  library.cancelImport(import);
  EXPECT_TRUE(library.list().empty());
  EXPECT_EQ(library.openImports(), 0u);
  EXPECT_EQ(library.budget().usedBytes(), 0u);
}

// The import's path: peaks measured first, then chunks per channel. A 16-bit file comes out as
// its own samples at the unit scale.
TEST(TrackLibrary, ASixteenBitImportIsStoredAsItsOwnSamples) {
  core::ThreadPool pool(1);
  TrackLibrary library(pool);
  const std::uint64_t frames = 100000;
  std::vector<float> samples(frames);
  for (std::uint64_t i = 0; i < frames; ++i) samples[static_cast<std::size_t>(i)] = static_cast<float>(static_cast<std::int16_t>(i * 40503u)) / 32768.0f;
  dsp::PcmBuffer::Peaks peaks;
  peaks.include(samples.data(), frames);
  const auto import = library.beginImport("sixteen.wav", 1, frames, 48000.0, peaks);
  for (std::uint64_t offset = 0; offset < frames; offset += 65536) {
    library.writeImport(import, 0, offset, samples.data() + offset, std::min<std::uint64_t>(65536, frames - offset));
  }
  const auto track = library.find(library.commitImport(import));
  const dsp::PcmBuffer& pcm = *track->sources()[0].pcm;
  EXPECT_EQ(pcm.scale(), 1.0f / 32768.0f);
  EXPECT_EQ(pcm.ditheredSamples(), 0u);
  std::uint64_t different = 0;
  for (std::uint64_t i = 0; i < frames; ++i) different += pcm.channel(0)[i] != static_cast<std::int16_t>(i * 40503u);
  EXPECT_EQ(different, 0u);
}

// Samples beyond the peaks the caller measured (a bug in the caller) would be clipped: refused.
TEST(TrackLibrary, SamplesBeyondTheMeasuredPeaksAreRefused) {
  core::ThreadPool pool(1);
  TrackLibrary library(pool);
  const auto import = library.beginImport("wrong.wav", 1, 1000, 48000.0, {-1.5f, 1.5f});
  std::vector<float> samples(1000, 0.25f);
  samples[500] = 3.0f;
  try {
    library.writeImport(import, 0, 0, samples.data(), 1000);
    FAIL() << "accepted";
  } catch (const core::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("beyond the peaks"), std::string::npos) << e.what();
  }
  library.cancelImport(import);
  EXPECT_EQ(library.budget().usedBytes(), 0u);
}

TEST(TrackLibrary, RemovingTracksReturnsAllTheirMemory) {
  core::ThreadPool pool(2);
  TrackLibrary library(pool);
  for (int cycle = 0; cycle < 50; ++cycle) {
    const TrackId id = importSilence(library, 480000);
    if (cycle % 2 == 0) waitForWaveform(library, id);  // and half the time while its job runs
    ASSERT_TRUE(library.remove(id));
  }
  for (int i = 0; i < 1000 && library.budget().usedBytes() != 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(library.budget().usedBytes(), 0u);
  EXPECT_TRUE(library.list().empty());
}

TEST(TrackLibrary, AFailedWaveformJobIsReportedAndTheNextImportStillGetsItsWaveform) {
  core::ThreadPool pool(2);
  TrackLibrary library(pool);
  library.injectWaveformFailure("out of memory");
  const TrackId failed = importSilence(library, 48000);
  // poll() announces each finished job once, so nobody watches list() for one.
  const std::vector<WaveformFinished> announced = nextAnnouncement(library);
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(announced[0].id, failed);
  EXPECT_EQ(announced[0].name, "silence.wav");
  EXPECT_NE(announced[0].error.find("out of memory"), std::string::npos) << announced[0].error;
  EXPECT_EQ(library.list().front().waveformError, announced[0].error);
  EXPECT_FALSE(library.list().front().waveformReady);
  EXPECT_EQ(library.waveform(failed), nullptr);
  EXPECT_TRUE(library.poll().empty()) << "announced once";
  // The failure was for that job only: the next import is unaffected, and the failed track can go.
  const TrackId next = importSilence(library, 48000);
  const std::vector<WaveformFinished> ready = nextAnnouncement(library);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, next);
  EXPECT_EQ(ready[0].error, "");
  EXPECT_NE(library.waveform(next), nullptr);
  EXPECT_TRUE(library.remove(failed));
}

// A long import is opened part way: listed and playable, never evicted, no waveform until it is
// all in; its cancel or removal leaves nothing behind.
TEST(TrackLibrary, AnOpenedImportIsPlayableBeforeItIsAllWrittenAndLeavesNothingWhenItEnds) {
  core::ThreadPool pool(2);
  TrackLibrary library(pool, 10'000'000);
  const std::vector<float> chunk(100'000, 0.25f);
  const auto import = library.beginImport("long.flac", 2, 1'000'000, 48000.0, {-0.5f, 0.5f});  // 4 MB
  for (ChannelCount c = 0; c < 2; ++c) library.writeImport(import, c, 0, chunk.data(), chunk.size());
  const TrackId id = library.openImport(import);
  EXPECT_EQ(library.openImport(import), id) << "opening twice gives the same track";
  std::shared_ptr<const Track> track = library.find(id);
  ASSERT_NE(track, nullptr);
  EXPECT_EQ(track->frames(), 1'000'000u);
  EXPECT_EQ(track->readableFrames(), 100'000u);
  ASSERT_EQ(library.list().size(), 1u);
  EXPECT_DOUBLE_EQ(library.list().front().loaded, 0.1);

  // No waveform job reads a track that is still arriving.
  std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(library.poll().empty());
  EXPECT_EQ(library.list().front().waveformProgress, 0.0);

  // Not evicted for a newcomer, even when nothing else holds it: 4 + 8 MB do not fit in 10.
  const std::weak_ptr<const Track> weak = track;
  track.reset();
  EXPECT_THROW(library.beginImport("big.wav", 2, 2'000'000, 48000.0, {}), core::LimitExceeded);
  EXPECT_FALSE(weak.expired());

  for (ChannelCount c = 0; c < 2; ++c) {
    for (std::uint64_t at = 100'000; at < 1'000'000; at += chunk.size()) library.writeImport(import, c, at, chunk.data(), chunk.size());
  }
  EXPECT_EQ(library.commitImport(import), id);
  EXPECT_TRUE(library.find(id)->complete());
  EXPECT_EQ(library.openImports(), 0u);
  const std::vector<WaveformFinished> ready = nextAnnouncement(library);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, id);
  EXPECT_NE(library.waveform(id), nullptr);
  ASSERT_TRUE(library.remove(id));

  // Cancelled after it was opened (a decoder that failed): the track goes with it.
  const auto cancelled = library.beginImport("broken.flac", 2, 1'000'000, 48000.0, {});
  const TrackId gone = library.openImport(cancelled);
  library.cancelImport(cancelled);
  EXPECT_EQ(library.find(gone), nullptr);
  EXPECT_TRUE(library.list().empty());

  // Removed by the user while it arrives: the import ends, and its next write says so.
  const auto removed = library.beginImport("deleted.flac", 2, 1'000'000, 48000.0, {});
  ASSERT_TRUE(library.remove(library.openImport(removed)));
  EXPECT_THROW(library.writeImport(removed, 0, 0, chunk.data(), chunk.size()), core::InvalidArgument);
  EXPECT_THROW(library.commitImport(removed), core::InvalidArgument);
  EXPECT_EQ(library.openImports(), 0u);
  for (int i = 0; i < 1000 && library.budget().usedBytes() != 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(library.budget().usedBytes(), 0u);
}

// A chunked decode gives the file's own rate; the library stores it at the output's, converting
// as it is written, and the track plays at that rate: same length in seconds, same tone.
TEST(TrackLibrary, AFileAtAnotherRateIsStoredAtTheOutputsRateAsItIsWritten) {
  core::ThreadPool pool(1);
  TrackLibrary library(pool);
  constexpr std::uint64_t kFrames = 44100 * 2;
  std::vector<float> samples(kFrames);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<float>(0.5 * std::sin(2.0 * M_PI * 1000.0 * static_cast<double>(i) / 44100.0));
  const auto import = library.beginImport("at-44k.flac", 1, kFrames, 44100.0, {-1.0f, 1.0f}, 48000.0);
  for (std::uint64_t at = 0; at < kFrames; at += 10000) {
    library.writeImport(import, 0, at, samples.data() + at, std::min<std::uint64_t>(10000, kFrames - at));
  }
  EXPECT_THROW(library.writeImport(import, 0, 5, samples.data(), 10), core::InvalidArgument) << "out of order";
  const auto track = library.find(library.commitImport(import));
  ASSERT_NE(track, nullptr);
  EXPECT_EQ(track->sampleRate(), 48000.0);
  EXPECT_EQ(track->frames(), 96000u);
  const dsp::PcmBuffer& pcm = *track->sources().front().pcm;
  double squares = 0.0;
  for (std::uint64_t i = 1000; i < 95000; ++i) {
    const double ideal = 0.5 * std::sin(2.0 * M_PI * 1000.0 * static_cast<double>(i) / 48000.0);
    const double error = pcm.channel(0)[i] * pcm.scale() - ideal;
    squares += error * error;
  }
  // The error is the storage's dithered steps, at a scale widened by the conversion's largest
  // possible overshoot (RateConverter::peakGain, about 2.2): a floor near -89 dBFS.
  const double errorDbfs = 20.0 * std::log10(std::sqrt(squares / 94000.0));
  std::printf("[ measure  ] 44.1 kHz stored at 48 kHz: error %.1f dBFS, scale %.3g\n", errorDbfs, pcm.scale() * 32768.0);
  EXPECT_LT(errorDbfs, -86.0);
}

// The frontier is the only hand-over between the import's writer and the render thread: every
// frame a reader sees below it holds its final sample (and TSan finds no race).
TEST(TrackLibrary, AReaderBelowTheFrontierSeesOnlyFinishedSamplesWhileTheWriterGoesOn) {
  core::MemoryBudget budget("test", 64 << 20);
  constexpr std::uint64_t kFrames = 400'000;
  constexpr std::size_t kChunk = 4096;
  auto pcm = std::make_shared<dsp::PcmBuffer>(2, kFrames, 48000.0, budget);
  pcm->publishWrites();
  const auto expected = [](std::uint64_t frame, ChannelCount c) {
    return static_cast<std::int16_t>((frame * 7 + c * 13) % 30000);
  };
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::vector<float> samples(kChunk);
    for (std::uint64_t at = 0; at < kFrames; at += kChunk) {
      const std::size_t n = std::min<std::uint64_t>(kChunk, kFrames - at);
      for (ChannelCount c = 0; c < 2; ++c) {
        for (std::size_t i = 0; i < n; ++i) samples[i] = static_cast<float>(expected(at + i, c)) / dsp::PcmBuffer::kScale;
        pcm->write(c, at, samples.data(), n);
      }
    }
    done = true;
  });
  std::uint64_t checked = 0, wrong = 0, reads = 0;
  while (checked < kFrames) {
    const std::uint64_t readable = pcm->readableFrames();
    for (; checked < readable; ++checked) {
      for (ChannelCount c = 0; c < 2; ++c) wrong += pcm->channel(c)[checked] != expected(checked, c);
    }
    ++reads;
    if (done && checked == pcm->readableFrames()) break;
  }
  writer.join();
  EXPECT_EQ(checked, kFrames);
  EXPECT_EQ(wrong, 0u);
  EXPECT_GT(reads, 2u) << "the reader saw the frontier move";
}

}  // namespace
}  // namespace woodshed::engine
