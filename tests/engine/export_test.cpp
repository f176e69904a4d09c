// Export: a render streamed as WAV through a bounded ring. A 16-bit song at neutral settings
// comes out as its own samples in every format; quiet detail survives 16 bits as dither; the
// header says what follows; a render longer than the ring never waits for more than the ring;
// a cancel reaches a producer stuck on a full ring; a stem exports alone.

#include "woodshed/engine/export_stream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "support/test_tracks.h"
#include "woodshed/core/error.h"
#include "woodshed/core/thread_pool.h"

namespace woodshed::engine {
namespace {

constexpr double kRate = 44100.0;

EngineSettings neutral() {
  EngineSettings settings;
  settings.eqBypass = true;
  settings.limiterEnabled = false;
  return settings;
}

std::uint32_t le32(const std::uint8_t* at) {
  return at[0] | (at[1] << 8) | (at[2] << 16) | (static_cast<std::uint32_t>(at[3]) << 24);
}

// Drains a stream on this thread while the render runs on another: the bytes of the file.
std::vector<std::uint8_t> drain(ExportStream& stream, std::thread& producer) {
  std::vector<std::uint8_t> file;
  for (;;) {
    const std::uint32_t n = stream.readableBytes();
    if (n > 0) {
      file.insert(file.end(), stream.readPointer(), stream.readPointer() + n);
      stream.consume(n);
      continue;
    }
    if (stream.state() != ExportStream::State::Rendering && stream.readableBytes() == 0) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  producer.join();
  return file;
}

std::vector<std::uint8_t> exportFile(const Track& track, const EngineSettings& settings, RenderRegion region,
                                     ExportFormat format, std::uint32_t ringBytes = ExportStream::kDefaultCapacityBytes) {
  OfflineRenderOptions options;
  options.channels = track.channels();
  ExportStream stream(format, track.channels(), track.sampleRate(), offlineRenderFrames(track, settings, region),
                      options.chunkFrames, nullptr, ringBytes);
  std::thread producer([&] {
    renderOffline(track, settings, region, stream, options);
    stream.finish();
  });
  return drain(stream, producer);
}

class ExportTest : public ::testing::Test {
 protected:
  std::shared_ptr<Track> rampTrack(std::uint64_t frames = 100000) {
    return std::make_shared<Track>(1, "ramp", std::vector<TrackSource>{{"mix", test::rampPcm(budget, frames)}});
  }
  core::MemoryBudget budget{"test budget", 64 << 20};
};

TEST_F(ExportTest, TheHeaderDescribesTheSamplesThatFollow) {
  const auto song = rampTrack();
  const RenderRegion region{1000, 51000};
  for (const ExportFormat format : {ExportFormat::Wav16, ExportFormat::Wav24, ExportFormat::Wav32f}) {
    const auto file = exportFile(*song, neutral(), region, format);
    const std::size_t sampleBytes = bytesPerSample(format);
    ASSERT_EQ(file.size(), kWavHeaderBytes + 50000 * 2 * sampleBytes) << toString(format);
    EXPECT_EQ(std::memcmp(file.data(), "RIFF", 4), 0);
    EXPECT_EQ(le32(file.data() + 4), file.size() - 8);
    EXPECT_EQ(std::memcmp(file.data() + 8, "WAVEfmt ", 8), 0);
    EXPECT_EQ(file[20], format == ExportFormat::Wav32f ? 3 : 1) << "PCM, or IEEE float";
    EXPECT_EQ(file[22], 2) << "channels";
    EXPECT_EQ(le32(file.data() + 24), 44100u);
    EXPECT_EQ(file[34], 8 * sampleBytes) << "bits per sample";
    EXPECT_EQ(std::memcmp(file.data() + 36, "data", 4), 0);
    EXPECT_EQ(le32(file.data() + 40), file.size() - kWavHeaderBytes);
  }
}

TEST_F(ExportTest, ASixteenBitSongAtNeutralSettingsExportsAsItsOwnSamplesInEveryFormat) {
  const auto song = rampTrack();
  const RenderRegion region{12345, 90000};
  const dsp::PcmBuffer& pcm = *song->sources()[0].pcm;
  const auto frames = static_cast<std::size_t>(region.end - region.start);
  const auto file16 = exportFile(*song, neutral(), region, ExportFormat::Wav16);
  const auto file24 = exportFile(*song, neutral(), region, ExportFormat::Wav24);
  const auto file32 = exportFile(*song, neutral(), region, ExportFormat::Wav32f);
  std::size_t different = 0;
  for (std::size_t i = 0; i < frames; ++i) {
    for (ChannelCount c = 0; c < 2; ++c) {
      const std::int16_t stored = pcm.channel(c)[region.start + i];
      const std::uint8_t* at16 = file16.data() + kWavHeaderBytes + (i * 2 + c) * 2;
      const std::uint8_t* at24 = file24.data() + kWavHeaderBytes + (i * 2 + c) * 3;
      const std::uint8_t* at32 = file32.data() + kWavHeaderBytes + (i * 2 + c) * 4;
      const auto s16 = static_cast<std::int16_t>(at16[0] | (at16[1] << 8));
      const std::int32_t s24 = static_cast<std::int32_t>(static_cast<std::uint32_t>(at24[0] << 8 | at24[1] << 16 | at24[2] << 24)) >> 8;
      float f32;
      std::memcpy(&f32, at32, 4);
      different += s16 != stored;
      different += s24 != stored * 256;
      different += f32 != static_cast<float>(stored) / dsp::PcmBuffer::kScale;
    }
  }
  EXPECT_EQ(different, 0u) << "no dither on samples already on the grid";
}

// A sine of a third of a 16-bit step survives wav16 as a tone in the dither's noise; plain
// rounding leaves silence (with the dither taken out, this measured -inf dB).
TEST_F(ExportTest, DitherKeepsASineBelowTheLastBitInSixteenBits) {
  const std::size_t frames = 65536;
  // A quiet passage as a render hands it to the encoder.
  WavSampleEncoder encoder(ExportFormat::Wav16, 1);
  const double amplitude = std::pow(10.0, -100.0 / 20.0);  // 1e-5: a third of a step (3.05e-5)
  std::vector<float> sine(frames);
  for (std::size_t i = 0; i < frames; ++i) sine[i] = static_cast<float>(amplitude * std::sin(2.0 * M_PI * 1000.0 * static_cast<double>(i) / kRate));
  std::vector<std::uint8_t> bytes(frames * 2);
  float* channels[1] = {sine.data()};
  encoder.encode(dsp::AudioBlock{channels, 1, static_cast<FrameCount>(frames)}, bytes.data());
  EXPECT_EQ(encoder.ditheredSamples(), frames);
  // The level of the 1 kHz component in what was written, by correlation with the sine.
  double re = 0.0, im = 0.0;
  for (std::size_t i = 0; i < frames; ++i) {
    const double s = static_cast<std::int16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8)) / 32768.0;
    const double phase = 2.0 * M_PI * 1000.0 * static_cast<double>(i) / kRate;
    re += s * std::sin(phase);
    im += s * std::cos(phase);
  }
  const double measured = 2.0 * std::hypot(re, im) / static_cast<double>(frames);
  const double db = 20.0 * std::log10(measured);
  EXPECT_NEAR(db, -100.0, 1.0);
}

TEST_F(ExportTest, TheSameSettingsGiveTheSameBytesAndDitherDiffersOnlyBelowTheLastBit) {
  const auto song = rampTrack();
  EngineSettings settings = neutral();
  settings.trackGainDb = -3.0;  // off the grid: dithered
  const RenderRegion region{0, 40000};
  const auto a = exportFile(*song, settings, region, ExportFormat::Wav16);
  const auto b = exportFile(*song, settings, region, ExportFormat::Wav16, 1u << 16);
  EXPECT_EQ(a, b) << "reproducible, whatever the ring's size";
  const double gain = std::pow(10.0, -3.0 / 20.0);
  double worst = 0.0;
  for (std::size_t i = 0; i < 40000; ++i) {
    const auto s = static_cast<std::int16_t>(a[kWavHeaderBytes + i * 4] | (a[kWavHeaderBytes + i * 4 + 1] << 8));
    worst = std::max(worst, std::fabs(s - test::storedRampSample(i, 0) * gain * 32768.0));
  }
  EXPECT_LE(worst, 1.5) << "rounding plus dither of at most one step each way";
  EXPECT_GT(worst, 0.5) << "dithered, not plainly rounded";
}

TEST_F(ExportTest, AHalfSpeedExportIsTwiceAsLong) {
  const auto song = rampTrack(88200);
  EngineSettings settings = neutral();
  settings.tempo = 0.5;
  const auto file = exportFile(*song, settings, RenderRegion{0, 88200}, ExportFormat::Wav32f);
  EXPECT_EQ(file.size(), kWavHeaderBytes + 176400u * 2 * 4);
}

TEST_F(ExportTest, ARenderMuchLongerThanTheRingStreamsThroughIt) {
  const auto song = rampTrack(400000);
  // 400000 frames of float stereo are 3.2 MB through a 64 KiB ring.
  const auto file = exportFile(*song, neutral(), RenderRegion{}, ExportFormat::Wav32f, 1u << 16);
  ASSERT_EQ(file.size(), kWavHeaderBytes + 400000u * 8);
  float last;
  std::memcpy(&last, file.data() + file.size() - 4, 4);
  EXPECT_EQ(last, test::storedRampSample(399999, 1));
}

TEST_F(ExportTest, ACancelReachesAProducerWaitingOnAFullRing) {
  const auto song = rampTrack(400000);
  core::ThreadPool pool(1);
  std::atomic<bool> waiting{false};
  std::unique_ptr<ExportStream> owned;
  core::JobHandle job = pool.submit("export", [&](core::JobContext& context) {
    OfflineRenderOptions options;
    owned = std::make_unique<ExportStream>(ExportFormat::Wav32f, 2, kRate, 400000, options.chunkFrames, &context, 1u << 16);
    waiting = true;
    renderOffline(*song, neutral(), RenderRegion{}, *owned, options, &context);  // nobody reads: it fills and waits
    owned->finish();
  });
  while (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(job.status(), core::JobStatus::Running) << "held by the full ring";
  const auto cancelled = std::chrono::steady_clock::now();
  job.cancel();
  ASSERT_TRUE(job.waitFor(std::chrono::seconds(5)));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - cancelled).count();
  EXPECT_EQ(job.status(), core::JobStatus::Cancelled);
  EXPECT_LT(ms, 1000.0) << "within a few of the producer's 20 ms waits";
}

TEST_F(ExportTest, AStemExportsAloneAtItsGainAndPanEvenIfMuted) {
  const std::uint64_t frames = 20000;
  const auto drums = test::constantPcm(budget, frames, 0.25f, 2, kRate);
  const auto bass = test::constantPcm(budget, frames, 0.125f, 2, kRate);
  const Track song(1, "song", {{"drums", drums}, {"bass", bass}});
  EngineSettings heard = neutral();
  heard.sources[0].mute = true;  // the drumless mix
  heard.volumeDb = -20.0;
  heard.muted = true;
  const EngineSettings mix = exportSettings(song, heard, std::nullopt);
  EXPECT_EQ(mix.volumeDb, 0.0);
  EXPECT_FALSE(mix.muted);
  const auto mixFile = exportFile(song, mix, RenderRegion{}, ExportFormat::Wav32f);
  const auto drumsFile = exportFile(song, exportSettings(song, heard, 0), RenderRegion{}, ExportFormat::Wav32f);
  float m, d;
  std::memcpy(&m, mixFile.data() + kWavHeaderBytes + 8000 * 8, 4);
  std::memcpy(&d, drumsFile.data() + kWavHeaderBytes + 8000 * 8, 4);
  EXPECT_FLOAT_EQ(m, 0.125f) << "the mix as heard: drums muted";
  EXPECT_FLOAT_EQ(d, 0.25f) << "the drum stem alone, though muted in the mix";
  EXPECT_THROW(exportSettings(song, heard, 2), core::InvalidArgument);
}

TEST_F(ExportTest, TooLongForAWavIsRefusedNamingTheLimit) {
  try {
    wavHeader(ExportFormat::Wav32f, 2, 48000.0, std::uint64_t{200} * 60 * 48000);
    FAIL() << "200 minutes of float stereo do not fit a WAV";
  } catch (const core::LimitExceeded& error) {
    EXPECT_NE(std::string(error.what()).find("at most 186 minutes"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace woodshed::engine
