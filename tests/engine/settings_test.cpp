// One owner per setting: the engine keeps the last accepted value of each parameter, checks
// every value against one table of named limits, and a refused change leaves everything as it
// was. Per-song recall applies a song's stored values through the same checks.

#include "woodshed/engine/settings.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/test_tracks.h"
#include "woodshed/core/error.h"
#include "woodshed/core/exception_boundary.h"
#include "woodshed/engine/engine.h"
#include "woodshed/engine/recall.h"

namespace woodshed::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string messageOf(const Limit& limit, double value) {
  try {
    limit.check(value);
  } catch (const core::InvalidArgument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Limits, EachAcceptsItsRangeAndRefusesBeyondItWithItsName) {
  std::set<std::string> keys;
  for (const Limit* limit : limits::kAll) {
    SCOPED_TRACE(limit->key);
    EXPECT_TRUE(keys.insert(limit->key).second) << "keys are unique";
    EXPECT_LT(limit->min, limit->max);
    EXPECT_TRUE(limit->contains(limit->initial)) << "the initial value is in range";
    EXPECT_EQ(messageOf(*limit, limit->min), "accepted");
    EXPECT_EQ(messageOf(*limit, limit->max), "accepted");
    const double below = std::nextafter(limit->min, -1e300);
    const double above = std::nextafter(limit->max, 1e300);
    for (const double bad : {below, above, kNaN, std::numeric_limits<double>::infinity()}) {
      const std::string message = messageOf(*limit, bad);
      EXPECT_EQ(message.rfind(limit->label, 0), 0u) << message;
      EXPECT_NE(message.find(", got "), std::string::npos) << message;
    }
  }
  EXPECT_EQ(messageOf(limits::kVolume, 7.0), "the volume must be between -60 and +6 dB, got 7");
  EXPECT_EQ(messageOf(limits::kLatency, 4.0), "the latency must be between 5 and 250 ms, got 4");
}

TEST(Limits, TheJsonTableListsEveryLimit) {
  const std::string json = limitsJson();
  for (const Limit* limit : limits::kAll) {
    EXPECT_NE(json.find("\"" + std::string(limit->key) + "\":{\"min\":"), std::string::npos) << limit->key;
  }
  EXPECT_NE(json.find("\"latencyMs\":{\"min\":5,\"max\":250,\"initial\":80,\"unit\":\"ms\""), std::string::npos) << json;
}

class EngineSettingsTest : public ::testing::Test {
 protected:
  // Not started: commands wait in the queue (256), which is plenty for these tests.
  Engine engine;
  core::MemoryBudget budget{"test budget", 16 << 20};

  std::shared_ptr<const Track> track(TrackId id) {
    return std::make_shared<const Track>(id, "t", std::vector<TrackSource>{{"mix", test::rampPcm(budget, 4410)}});
  }
};

TEST_F(EngineSettingsTest, EverySetterReadsBackWhatItWasGiven) {
  const EngineSettings initial = engine.settings();
  EXPECT_EQ(initial.volumeDb, limits::kVolume.initial);
  EXPECT_EQ(initial.latencyMs, limits::kLatency.initial);
  EXPECT_FALSE(initial.generator.enabled);

  engine.setGenerator({dsp::Waveform::Square, 1234.5, -20.25, true});
  engine.setMasterGainDb(-3.5);
  engine.setListeningVolume(-12.0, true);
  dsp::ParametricEq::Bands bands = dsp::ParametricEq::flatBands();
  bands[3] = {2500.0, 4.5, 2.0, true};
  engine.setEq(bands, false);
  engine.setEqBand(7, {8000.0, -6.0, 0.5, false});
  engine.setEqBypass(true);
  engine.setLimiter(-6.0, false);
  engine.setTargetLatencyMs(7.0);
  engine.setTrackGainDb(-4.25);
  engine.setSourceGainDb(1, -9.0);
  engine.setSourceMute(2, true);
  engine.setSourceSolo(3, true);
  engine.setLooping(true);

  const EngineSettings& s = engine.settings();
  EXPECT_EQ(s.generator.waveform, dsp::Waveform::Square);
  EXPECT_EQ(s.generator.frequencyHz, 1234.5);
  EXPECT_EQ(s.generator.levelDb, -20.25);
  EXPECT_TRUE(s.generator.enabled);
  EXPECT_EQ(s.masterGainDb, -3.5);
  EXPECT_EQ(s.volumeDb, -12.0);
  EXPECT_TRUE(s.muted);
  EXPECT_EQ(s.eqBands[3].frequencyHz, 2500.0);
  EXPECT_EQ(s.eqBands[3].gainDb, 4.5);
  EXPECT_EQ(s.eqBands[7].gainDb, -6.0);
  EXPECT_FALSE(s.eqBands[7].enabled);
  EXPECT_TRUE(s.eqBypass);
  EXPECT_EQ(s.limiterCeilingDb, -6.0);
  EXPECT_FALSE(s.limiterEnabled);
  EXPECT_EQ(s.latencyMs, 7.0) << "5-10 ms is accepted: the UI's slider reaches it too";
  EXPECT_DOUBLE_EQ(engine.targetLatencySeconds(), 0.007);
  EXPECT_EQ(s.trackGainDb, -4.25);
  EXPECT_EQ(s.sources[1].gainDb, -9.0);
  EXPECT_TRUE(s.sources[2].mute);
  EXPECT_TRUE(s.sources[3].solo);
  EXPECT_TRUE(s.looping);
  EXPECT_EQ(toJson(s).find("\"volumeDb\":-12,\"muted\":true"), toJson(s).find("\"volumeDb\"")) << toJson(s);
}

TEST_F(EngineSettingsTest, ARefusedChangeLeavesEverySettingAsItWas) {
  engine.setGenerator({dsp::Waveform::Saw, 300.0, -10.0, true});
  engine.setLimiter(-3.0, true);
  const std::string before = toJson(engine.settings());
  dsp::ParametricEq::Bands bands = dsp::ParametricEq::flatBands();
  for (auto& band : bands) band.gainDb = 3.0;
  bands[6].q = 100.0;  // band 6 is bad: bands 0-5 must not change either
  EXPECT_THROW(engine.setEq(bands, true), core::InvalidArgument);
  EXPECT_THROW(engine.setGenerator({dsp::Waveform::Sine, 30000.0, -10.0, true}), core::InvalidArgument);
  EXPECT_THROW(engine.setListeningVolume(6.5, false), core::InvalidArgument);
  EXPECT_THROW(engine.setLimiter(kNaN, true), core::InvalidArgument);
  EXPECT_THROW(engine.setTargetLatencyMs(4.9), core::InvalidArgument);
  EXPECT_THROW(engine.setMasterGainDb(13.0), core::InvalidArgument);
  EXPECT_THROW(engine.setTrackGainDb(-41.0), core::InvalidArgument);
  EXPECT_THROW(engine.setSourceGainDb(8, 0.0), core::InvalidArgument);
  EXPECT_THROW(engine.setEqBand(10, {}), core::InvalidArgument);
  EXPECT_EQ(toJson(engine.settings()), before);
}

TEST_F(EngineSettingsTest, AFaultAfterTheEqIsValidatedAndBeforeTheRenderIsToldChangesNothing) {
  core::setFaultInjectionEnabled(true);
  struct Off {
    ~Off() { core::setFaultInjectionEnabled(false); }  // also when an assertion returns early
  } off;
  dsp::ParametricEq::Bands bands = dsp::ParametricEq::flatBands();
  bands[2].gainDb = 4.0;
  engine.setEq(bands, false);
  const std::string before = toJson(engine.settings());
  const std::uint32_t sent = engine.commandsSent();
  for (auto& band : bands) band.gainDb = -5.0;
  ASSERT_TRUE(core::armFault("engine.setEq.validated"));
  try {
    engine.setEq(bands, true);
    ADD_FAILURE() << "the armed fault point did not fire";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "injected fault in engine.setEq.validated");
  }
  EXPECT_EQ(toJson(engine.settings()), before) << "nothing of the failed change is kept";
  EXPECT_EQ(engine.commandsSent(), sent) << "and nothing of it reached the render thread";
  engine.setEq(bands, true);  // and the next change goes through
  EXPECT_EQ(engine.settings().eqBands[9].gainDb, -5.0);
  EXPECT_TRUE(engine.settings().eqBypass);
  EXPECT_EQ(engine.commandsSent(), sent + dsp::ParametricEq::kBandCount + 1);
}

TEST_F(EngineSettingsTest, AChangeOfOneFieldKeepsTheOthers) {
  engine.setGenerator({dsp::Waveform::Triangle, 880.0, -30.0, true});
  dsp::GeneratorParams params = engine.settings().generator;
  params.levelDb = -20.0;  // what setGenerator({levelDb: -20}) sends: the rest from the engine
  engine.setGenerator(params);
  EXPECT_EQ(engine.settings().generator.frequencyHz, 880.0);
  EXPECT_EQ(engine.settings().generator.waveform, dsp::Waveform::Triangle);
  engine.setListeningVolume(-6.0, false);
  engine.setMasterGainDb(-2.0);
  EXPECT_EQ(engine.settings().volumeDb, -6.0) << "the master gain is not the volume";
  EXPECT_EQ(engine.settings().masterGainDb, -2.0);
}

TEST_F(EngineSettingsTest, ANewTrackStartsWithItsOwnGainAndMixButKeepsTheRest) {
  engine.loadTrack(track(1));
  engine.setTrackGainDb(5.0);
  engine.setSourceMute(0, true);
  engine.setLooping(true);
  engine.setLimiter(-2.0, true);
  engine.loadTrack(track(2));
  EXPECT_EQ(engine.settings().trackGainDb, 0.0);
  EXPECT_FALSE(engine.settings().sources[0].mute);
  EXPECT_TRUE(engine.settings().looping);
  EXPECT_EQ(engine.settings().limiterCeilingDb, -2.0);
}

TEST_F(EngineSettingsTest, AnABLoopIsCheckedKeptAndClearedWithItsSong) {
  EXPECT_THROW(engine.setLoopRegion(0.0, 0.5), core::Error) << "no track";
  engine.loadTrack(track(1));  // 0.1 s
  for (const auto& [start, end] : std::vector<std::pair<double, double>>{
           {0.05, 0.02}, {-0.01, 0.05}, {0.0, 0.2}, {0.0, 0.04}, {kNaN, 0.05}, {0.0, kNaN}}) {
    EXPECT_THROW(engine.setLoopRegion(start, end), core::InvalidArgument) << start << " to " << end;
  }
  EXPECT_NE(toJson(engine.settings()).find("\"loop\":null"), std::string::npos);
  engine.setLoopRegion(0.025, 0.1);
  EXPECT_EQ(engine.settings().loopStartSeconds, 0.025);
  EXPECT_EQ(engine.settings().loopEndSeconds, 0.1);
  EXPECT_NE(toJson(engine.settings()).find("\"loop\":{\"start\":0.025,\"end\":0.1}"), std::string::npos)
      << toJson(engine.settings());
  engine.loadTrack(track(2));
  EXPECT_EQ(engine.settings().loopEndSeconds, 0.0) << "a song's loop is its own";
  engine.setLoopRegion(0.0, 0.05);
  engine.clearLoopRegion();
  EXPECT_EQ(engine.settings().loopEndSeconds, 0.0);
}

TEST_F(EngineSettingsTest, RecallAppliesStoredValuesAndIgnoresDamagedOnes) {
  ASSERT_EQ(recallKeys(), "trackGainDb,loopStartSeconds,loopEndSeconds,tempo,pitchSemitones");
  engine.loadTrack(track(1));  // 0.1 s
  EXPECT_EQ(applyRecall(engine, {-7.5, 0.025, 0.1, 0.7, -2.18}), "");
  EXPECT_EQ(engine.settings().trackGainDb, -7.5);
  EXPECT_EQ(engine.settings().loopStartSeconds, 0.025);
  EXPECT_EQ(engine.settings().loopEndSeconds, 0.1);
  EXPECT_EQ(engine.settings().tempo, 0.7);
  EXPECT_EQ(engine.settings().pitchSemitones, -2.18);
  EXPECT_EQ(readRecall(engine.settings()), (RecallValues{-7.5, 0.025, 0.1, 0.7, -2.18}));

  EXPECT_EQ(applyRecall(engine, {kNaN, kNaN, kNaN, kNaN, kNaN}), "") << "a song without values gets the initial ones";
  EXPECT_EQ(engine.settings().trackGainDb, 0.0);
  EXPECT_EQ(engine.settings().loopEndSeconds, 0.0) << "and no loop";
  EXPECT_EQ(engine.settings().tempo, 1.0);
  EXPECT_EQ(engine.settings().pitchSemitones, 0.0);

  engine.setTrackGainDb(3.0);
  EXPECT_EQ(applyRecall(engine, {1e9, kNaN, kNaN, kNaN, kNaN}),
            "the song's saved setting was ignored: the track gain must be between -40 and +40 dB, got 1000000000");
  EXPECT_EQ(engine.settings().trackGainDb, 0.0);
  EXPECT_EQ(applyRecall(engine, {kNaN, kNaN, kNaN, 9.0, 0.5}),
            "the song's saved setting was ignored: the speed must be between 0.25 and 2, got 9");
  EXPECT_EQ(engine.settings().tempo, 1.0);
  EXPECT_EQ(engine.settings().pitchSemitones, 0.5) << "the rest is applied";

  // A loop within the limits that does not fit this song (a record from another version).
  const std::string note = applyRecall(engine, {-2.0, 0.05, 5.0, kNaN, kNaN});
  EXPECT_EQ(note.rfind("the song's saved setting was ignored: a loop runs forward within the song", 0), 0u) << note;
  EXPECT_EQ(engine.settings().trackGainDb, -2.0) << "the rest is applied";
  EXPECT_EQ(engine.settings().loopEndSeconds, 0.0);
}

TEST(ResumePosition, ASongResumesWhereItWasLeftUnlessThatWasItsEnd) {
  EXPECT_EQ(resumePosition(61.5, 240.0), 61.5);
  EXPECT_EQ(resumePosition(0.0, 240.0), 0.0);
  EXPECT_EQ(resumePosition(239.0, 240.0), 0.0) << "left within 2 s of the end: starts over";
  EXPECT_EQ(resumePosition(237.9, 240.0), 237.9);
  EXPECT_EQ(resumePosition(500.0, 240.0), 0.0) << "beyond the end (a damaged record)";
  EXPECT_EQ(resumePosition(-3.0, 240.0), 0.0);
  EXPECT_EQ(resumePosition(kNaN, 240.0), 0.0);
  EXPECT_EQ(resumePosition(std::numeric_limits<double>::infinity(), 240.0), 0.0);
  EXPECT_EQ(resumePosition(1.0, 1.5), 0.0) << "a song shorter than the margin starts at 0";
}

}  // namespace
}  // namespace woodshed::engine
