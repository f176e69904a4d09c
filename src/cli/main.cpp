// woodshed: the command-line tool on Woodshed's native core.
//
//   woodshed render IN OUT [--start S] [--end E] [--tempo R] [--semitones S] [--gain DB] [--limiter CEILING_DB]
//                          [--format wav16|wav24|wav32f] [--stats]
//   woodshed stretch IN OUT [--tempo R] [--semitones S] [--gain DB] [--limiter CEILING_DB] [--format ...] [--stats]
//   woodshed beats IN [--json]
//
// Conventions, for every command to come:
// - options may come before or after the positional arguments, as `--name value` or
//   `--name=value`; a value may be a negative number;
// - defaults are neutral: EQ bypassed, limiter off, gain 0 dB, so `render` of a 16-bit WAV with
//   no options gives the same samples back;
// - output keeps the input's sample format unless --format says otherwise, and is written by
//   the engine's WAV encoder, so the same settings give the same bytes as the app's export
//   (at tempo 1 and pitch 0; the stretcher's float rounding differs between native and wasm);
// - progress goes to stderr; --stats and --json print one JSON line last on stdout;
// - errors give a message on stderr and a non-zero exit (2 for bad usage, 1 for the rest).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/audio_file.h"
#include "woodshed/core/error.h"
#include "woodshed/dsp/beat_tracker.h"
#include "woodshed/engine/offline_render.h"

namespace woodshed::cli {
namespace {

constexpr const char* kUsage =
    "usage: woodshed render IN OUT [--start SECONDS] [--end SECONDS] [--tempo R] [--semitones S]\n"
    "                      [--gain DB] [--limiter CEILING_DB] [--format wav16|wav24|wav32f] [--stats]\n"
    "  Renders IN (WAV, FLAC, Ogg, AIFF; mono or stereo) to the WAV file OUT, from --start to --end\n"
    "  (song seconds; the whole song by default), as the app exports it. Neutral by default: EQ\n"
    "  bypassed, limiter off, gain 0 dB, so a 16-bit WAV comes back sample for sample.\n"
    "usage: woodshed stretch IN OUT [--tempo R] [--semitones S] [--gain DB] [--limiter CEILING_DB]\n"
    "                       [--format wav16|wav24|wav32f] [--stats]\n"
    "  Renders all of IN at tempo R (0.25-2: 0.5 is half speed, the pitch kept) and S semitones\n"
    "  (-12..12, fractional for cents): output time t is input time t * R.\n"
    "  --gain DB: the track gain (-40..40 dB). --limiter CEILING_DB: the limiter on, at that\n"
    "  ceiling (-24..0 dBFS). --format: wav16 (TPDF dither off the 16-bit grid), wav24, wav32f;\n"
    "  the input's own by default.\n"
    "usage: woodshed beats IN [--json]\n"
    "  Estimates IN's beat grid (mono mix; the first 30 minutes): tempo, first bar start, beats per bar\n"
    "  and a 0..1 confidence; --json prints {\"bpm\", \"offsetSeconds\", \"beatsPerBar\", \"confidence\"}.\n";

/// Memory for the decoded song: a 30-minute stereo track at 192 kHz fits.
constexpr std::uint64_t kMemoryBudgetBytes = 2ull << 30;

/// Bad usage: exit 2 with the usage line.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // name -> value ("" for flags)
};

bool isFlag(const std::string& name) { return name == "stats" || name == "json" || name == "help"; }

// Options anywhere; "--name value" or "--name=value"; "-3" is a value, not an option.
Arguments parse(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.rfind("--", 0) != 0 || word.size() == 2) {
      args.positional.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::string value;
    if (const auto equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    } else if (!isFlag(name)) {
      if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
      value = argv[++i];
    }
    if (args.options.count(name) != 0) throw UsageError("--" + name + " is given twice");
    args.options[name] = value;
  }
  return args;
}

double seconds(const Arguments& args, const std::string& name, double fallback) {
  const auto found = args.options.find(name);
  if (found == args.options.end()) return fallback;
  char* end = nullptr;
  const double value = std::strtod(found->second.c_str(), &end);
  if (found->second.empty() || *end != '\0' || !std::isfinite(value)) {
    throw UsageError("--" + name + " must be a number of seconds, got \"" + found->second + "\"");
  }
  if (value < 0.0) throw UsageError("--" + name + " must be 0 or more seconds, got " + found->second);
  return value;
}

// A number option checked against one of the engine's limits (its message names the range).
double limited(const Arguments& args, const std::string& name, const engine::Limit& limit) {
  const auto found = args.options.find(name);
  if (found == args.options.end()) return limit.initial;
  char* end = nullptr;
  const double value = std::strtod(found->second.c_str(), &end);
  if (found->second.empty() || *end != '\0' || !std::isfinite(value)) {
    throw UsageError("--" + name + " must be a number, got \"" + found->second + "\"");
  }
  if (!limit.contains(value)) throw UsageError("--" + name + ": " + limit.outOfRangeMessage(value));
  return value;
}

// Writes progress to stderr: a line that redraws on a terminal, a line per 10 % otherwise.
class ProgressLine {
 public:
  explicit ProgressLine(const char* label) : label_(label), terminal_(isatty(2)) {}
  void show(double fraction) {
    const int percent = static_cast<int>(100.0 * std::clamp(fraction, 0.0, 1.0));
    if (terminal_ ? percent != shown_ : percent / 10 != shown_ / 10) {
      std::fprintf(stderr, terminal_ ? "\r%s %3d%%" : "%s %3d%%\n", label_, percent);
      shown_ = percent;
    }
  }
  void finish() const {
    if (terminal_) std::fputc('\n', stderr);
  }

 private:
  const char* label_;
  bool terminal_;
  int shown_ = -1;
};

class ProgressSink final : public engine::RenderSink {
 public:
  ProgressSink(engine::RenderSink& inner, std::uint64_t total) : inner_(inner), total_(total) {}
  void write(const dsp::AudioBlock& block) override {
    inner_.write(block);
    done_ += block.numFrames;
    line_.show(static_cast<double>(done_) / static_cast<double>(total_));
  }
  void finish() const { line_.finish(); }

 private:
  engine::RenderSink& inner_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  ProgressLine line_{"rendering"};
};

int render(const Arguments& args) {
  const bool stretch = args.positional[0] == "stretch";
  if (args.positional.size() != 3) throw UsageError(args.positional[0] + " takes IN and OUT");
  for (const auto& [name, value] : args.options) {
    const bool known = name == "format" || name == "stats" || name == "tempo" || name == "semitones" ||
                       name == "gain" || name == "limiter" || (!stretch && (name == "start" || name == "end"));
    if (!known) throw UsageError("unknown option --" + name);
  }
  const double tempo = limited(args, "tempo", engine::limits::kTempo);
  const double semitones = limited(args, "semitones", engine::limits::kPitch);
  const double gainDb = limited(args, "gain", engine::limits::kTrackGain);
  const bool limiter = args.options.count("limiter") != 0;
  const double ceilingDb = limited(args, "limiter", engine::limits::kLimiterCeiling);
  const std::string& in = args.positional[1];
  const std::string& out = args.positional[2];
  if (out.size() < 4 || out.substr(out.size() - 4) != ".wav") throw UsageError("OUT must be a .wav file, got " + out);
  std::optional<engine::ExportFormat> format;
  if (const auto found = args.options.find("format"); found != args.options.end()) {
    engine::ExportFormat parsed;
    if (!engine::parseExportFormat(found->second, parsed)) {
      throw UsageError("--format must be wav16, wav24 or wav32f, got \"" + found->second + "\"");
    }
    format = parsed;
  }
  const double start = seconds(args, "start", 0.0);
  const auto clock = std::chrono::steady_clock::now();

  core::MemoryBudget budget("decoded audio", kMemoryBudgetBytes);
  const InputFile input = readAudioFile(in, budget);
  const engine::Track& track = *input.track;
  const double end = seconds(args, "end", track.durationSeconds());
  if (!(start < end) || start >= track.durationSeconds()) {
    throw UsageError("--start must come before --end and within the song (" + std::to_string(track.durationSeconds()) +
                     " s), got " + std::to_string(start) + " to " + std::to_string(end));
  }
  const engine::RenderRegion region{static_cast<std::uint64_t>(std::llround(start * track.sampleRate())),
                                    static_cast<std::uint64_t>(std::llround(end * track.sampleRate()))};
  // What a user hears with these settings and the rest neutral, as the app exports it.
  engine::EngineSettings heard;
  heard.eqBypass = true;
  heard.limiterEnabled = limiter;
  heard.limiterCeilingDb = ceilingDb;
  heard.trackGainDb = gainDb;
  heard.tempo = tempo;
  heard.pitchSemitones = semitones;
  const engine::EngineSettings settings = engine::exportSettings(track, heard, std::nullopt);

  const std::uint64_t frames = engine::offlineRenderFrames(track, settings, region);
  WavWriter writer(out, format.value_or(input.format), track.channels(), track.sampleRate(), frames);
  const auto sourceFrames = static_cast<double>(std::min(region.end, track.frames()) - region.start);
  ProgressSink progress(writer, std::max<std::uint64_t>(frames, 1));
  engine::OfflineRenderOptions options;
  options.channels = track.channels();
  const std::uint64_t written = engine::renderOffline(track, settings, region, progress, options);
  if (written != frames) {
    throw core::Error("the render gave " + std::to_string(written) + " frames, not the " + std::to_string(frames) +
                      " it announced");
  }
  writer.commit();
  progress.finish();
  if (writer.clippedSamples() > 0) {
    std::fprintf(stderr, "woodshed: %llu samples above full scale were clipped (use --format wav32f to keep them)\n",
                 static_cast<unsigned long long>(writer.clippedSamples()));
  }
  if (args.options.count("stats") != 0) {
    const double processing = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock).count();
    std::printf("{\"input_seconds\": %.6f, \"output_seconds\": %.6f, \"processing_seconds\": %.6f, \"threads\": 1}\n",
                sourceFrames / track.sampleRate(), static_cast<double>(frames) / track.sampleRate(), processing);
  }
  return 0;
}

int beats(const Arguments& args) {
  if (args.positional.size() != 2) throw UsageError("beats takes IN");
  for (const auto& [name, value] : args.options) {
    if (name != "json") throw UsageError("unknown option --" + name);
  }
  core::MemoryBudget budget("decoded audio", kMemoryBudgetBytes);
  const InputFile input = readAudioFile(args.positional[1], budget);
  const dsp::PcmBuffer& pcm = *input.track->sources().front().pcm;

  // The mono mix of what the tracker reads, in the same budget as the decoded song.
  const SampleRate rate = pcm.sampleRate();
  const auto frames = static_cast<std::size_t>(
      std::min<double>(static_cast<double>(pcm.frames()), std::ceil(dsp::kBeatTrackerMaxAnalysisSeconds * rate)));
  const core::MemoryBudget::Reservation reservation = budget.reserve(frames * sizeof(float), "the mono mix");
  std::vector<float> mono(frames, 0.0f);
  const float gain = pcm.scale() / static_cast<float>(pcm.channels());
  for (ChannelCount c = 0; c < pcm.channels(); ++c) {
    const std::int16_t* samples = pcm.channel(c);
    for (std::size_t i = 0; i < frames; ++i) mono[i] += gain * static_cast<float>(samples[i]);
  }

  ProgressLine progress("analysing");
  const dsp::BeatGrid grid = dsp::estimateBeatGrid(mono.data(), mono.size(), rate, [&](double f) { progress.show(f); });
  progress.finish();
  if (args.options.count("json") != 0) {
    std::printf("{\"bpm\": %.3f, \"offsetSeconds\": %.4f, \"beatsPerBar\": %d, \"confidence\": %.3f}\n", grid.bpm,
                grid.offsetSeconds, grid.beatsPerBar, grid.confidence);
  } else {
    std::printf("%.2f BPM, %d beats a bar, first bar at %.3f s (confidence %.2f%s)\n", grid.bpm, grid.beatsPerBar,
                grid.offsetSeconds, grid.confidence, grid.confidence < 0.3 ? ": tempo uncertain" : "");
  }
  return 0;
}

}  // namespace
}  // namespace woodshed::cli

int main(int argc, char** argv) {
  using namespace woodshed::cli;
  try {
    const Arguments args = parse(argc, argv);
    if (args.options.count("help") != 0 || (args.positional.size() == 1 && args.positional[0] == "help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args.positional.empty()) throw UsageError("no command given");
    if (args.positional[0] == "render" || args.positional[0] == "stretch") return render(args);
    if (args.positional[0] == "beats") return beats(args);
    throw UsageError("unknown command \"" + args.positional[0] + "\"");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "woodshed: %s\n%s", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "woodshed: %s\n", e.what());
    return 1;
  }
}
