#include "woodshed/dsp/beat_tracker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <numbers>
#include <string>

#include "kiss_fftr.h"
#include "woodshed/core/error.h"

namespace woodshed::dsp {

namespace {

constexpr double kPi = std::numbers::pi;

// 1024 samples at 44.1 kHz: short enough to place a drum hit within a few ms, long enough for
// ~43 Hz bins, which keep a kick's fundamental apart from a snare's.
constexpr double kWindowSeconds = 1024.0 / 44100.0;
// 75 % overlap: a ~5.8 ms onset frame, fine enough for a 20 ms beat error budget.
constexpr int kHopsPerWindow = 4;
// Third-octave bands from kLowestBandHz to kHighestBandHz weigh lows and highs alike (per-bin
// flux would let the hi-hat, which fills most bins, outvote the kick); the top is the same at
// every sample rate, so ultrasonic bands of a 192 kHz file do not dilute the flux.
constexpr double kLowestBandHz = 30.0;
constexpr double kHighestBandHz = 16000.0;
constexpr double kBandsPerOctave = 3.0;
// Onsets below this are kicks and bass notes, which mark bar starts more often than anything else.
constexpr double kLowBandHz = 150.0;
// Bass and chords: where a sustained spectrum changes at bar starts.
constexpr double kHarmonyLowHz = 60.0;
constexpr double kHarmonyHighHz = 1500.0;
// The harmony spectrogram keeps one averaged frame per this many hops (it is read per beat).
constexpr int kHarmonyHops = 4;
// Magnitudes are compressed as log(1 + |X| / (kLogFloor * rms)): independent of the level, and
// hiss 60 dB below the song's RMS adds little flux.
constexpr double kLogFloor = 1e-3;
// The onset curve's slow swell (crescendos, sections) is removed with a moving average this long.
constexpr double kTrendSeconds = 1.0;
// Tempo prior: log-Gaussian around 120 BPM, 1.4 octaves wide, as in Ellis (2007).
constexpr double kPriorBpm = 120.0;
constexpr double kPriorOctaves = 1.4;
// Multiples of a beat period that its tempo score adds up (1, 2, 3 and 4 beats).
constexpr int kCombTeeth = 4;
// A beat must divide its bar: a period whose strongest periodicity between 2 and
// kLongestBarBeats beats does not fall on a whole number of them (such as the dotted-quarter
// pulse of a 3+3+2 rhythm in 4/4, whose bar is 2.67 of them) is scored down by (the best of its 2,
// 3 and 4 multiples / that strongest) to this power. Each period is judged against bars of its
// own length, so the test favours neither a tempo nor its double.
constexpr double kLongestBarBeats = 4.5;
constexpr double kBarFitSharpness = 4.0;
// The score is read between lags this far apart (frames), then interpolated.
constexpr double kLagStep = 0.25;
// A stretch long enough for a clear folded peak, short enough that a period error of up to
// kMaxPeriodError smears it by at most 8 % of a beat.
constexpr double kStretchBeats = 8.0;
// The lag interpolation is better than this; the drift search covers it.
constexpr double kMaxPeriodError = 0.01;
// Candidate periods are this many times closer than the step that moves the last beat one frame.
constexpr double kSlopeStepsPerFrameOfDrift = 4.0;
// Onset peaks are matched to beats within this window (and within a tenth of a beat).
constexpr double kAccentWindowSeconds = 0.035;
// The flux of an attack peaks about a quarter window (one hop) before the attack reaches the
// window's centre: log compression lets even the window's tapered edge register it. Measured:
// clicks into silence 6.3 to 7.2 ms early at 8 to 192 kHz, drum loops 4 ms early; this puts
// both within 2 ms.
constexpr double kOnsetLeadWindows = 0.25;
// Work between checkpoints, well under 20 ms at any rate: FFT frames, and samples of the level pass.
constexpr std::size_t kCheckpointHops = 32;
constexpr std::size_t kCheckpointSamples = std::size_t{1} << 18;

// Progress split between the stages, by their share of the work.
constexpr double kLevelShare = 0.02;
constexpr double kOnsetShare = 0.8;
constexpr double kTempoShare = 0.1;
constexpr double kPhaseShare = 0.05;

class Progress {
 public:
  explicit Progress(const std::function<void(double)>& checkpoint) : checkpoint_(checkpoint) {}
  void operator()(double fraction) {
    last_ = std::clamp(fraction, last_, 1.0);
    if (checkpoint_) checkpoint_(last_);
  }

 private:
  const std::function<void(double)>& checkpoint_;
  double last_ = 0.0;
};

struct OnsetCurves {
  double frameRate = 0.0;      // onset frames per second
  double frameOffset = 0.0;    // seconds from a frame's index / frameRate to its onset time
  std::vector<float> flux;     // per hop, all bands
  std::vector<float> lowFlux;  // per hop, bands below kLowBandHz
  std::vector<float> harmony;  // every kHarmonyHops hops, harmonyBins log magnitudes
  std::size_t harmonyBins = 0;
};

struct KissReal {
  kiss_fftr_cfg config = nullptr;
  explicit KissReal(int size) : config(kiss_fftr_alloc(size, 0, nullptr, nullptr)) {
    if (config == nullptr) throw std::bad_alloc();
  }
  ~KissReal() { kiss_fftr_free(config); }
  KissReal(const KissReal&) = delete;
  KissReal& operator=(const KissReal&) = delete;
};

float finiteOrZero(float x) noexcept { return std::isfinite(x) ? x : 0.0f; }

// Spectral flux of log-compressed third-octave bands, the same below kLowBandHz, and the harmony
// spectrogram. Frame n's window is centred on sample n * hop. Empty curves for silence.
OnsetCurves onsetCurves(const float* mono, std::size_t frames, double sampleRate, Progress& progress) {
  const int size =
      kiss_fftr_next_fast_size_real(std::max(64, static_cast<int>(std::lround(sampleRate * kWindowSeconds))));
  const auto hop = static_cast<std::size_t>(std::lround(static_cast<double>(size) / kHopsPerWindow));
  OnsetCurves curves;
  curves.frameRate = sampleRate / static_cast<double>(hop);
  curves.frameOffset = kOnsetLeadWindows * size / sampleRate;

  double energy = 0.0;
  for (std::size_t start = 0; start < frames; start += kCheckpointSamples) {
    progress(kLevelShare * static_cast<double>(start) / static_cast<double>(frames));
    for (std::size_t i = start; i < std::min(frames, start + kCheckpointSamples); ++i) {
      energy += static_cast<double>(finiteOrZero(mono[i])) * finiteOrZero(mono[i]);
    }
  }
  const double rms = std::sqrt(energy / static_cast<double>(frames));
  if (!(rms > 0.0)) return curves;

  // Periodic Hann; magnitudes scaled so a sine reads its amplitude, then relative to the floor.
  std::vector<float> window(static_cast<std::size_t>(size));
  double windowSum = 0.0;
  for (int j = 0; j < size; ++j) {
    window[static_cast<std::size_t>(j)] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * j / size));
    windowSum += window[static_cast<std::size_t>(j)];
  }
  const double scale = 2.0 / windowSum / (kLogFloor * rms);

  // Bins to bands (empty bands dropped), which bands are low, which bins are harmony.
  const std::size_t binCount = static_cast<std::size_t>(size) / 2 + 1;
  std::vector<int> bandOf(binCount, -1);
  std::vector<double> bandWidth;
  std::vector<bool> bandIsLow;
  std::size_t harmonyFirst = 0, harmonyEnd = 0;
  int lastRawBand = -1;
  for (std::size_t k = 1; k < binCount; ++k) {
    const double hz = static_cast<double>(k) * sampleRate / size;
    if (hz < kLowestBandHz || hz > kHighestBandHz) continue;
    const int rawBand = static_cast<int>(std::floor(kBandsPerOctave * std::log2(hz / kLowestBandHz)));
    if (rawBand != lastRawBand) {
      bandWidth.push_back(0.0);
      bandIsLow.push_back(true);
      lastRawBand = rawBand;
    }
    bandOf[k] = static_cast<int>(bandWidth.size()) - 1;
    bandWidth.back() += 1.0;
    if (hz > kLowBandHz) bandIsLow.back() = false;
    if (hz >= kHarmonyLowHz && harmonyFirst == 0) harmonyFirst = k;
    if (hz <= kHarmonyHighHz) harmonyEnd = k + 1;
  }
  curves.harmonyBins = harmonyEnd > harmonyFirst ? harmonyEnd - harmonyFirst : 0;

  const std::size_t hops = frames / hop + 1;
  curves.flux.resize(hops);
  curves.lowFlux.resize(hops);
  curves.harmony.reserve((hops / kHarmonyHops + 1) * curves.harmonyBins);

  KissReal fft(size);
  std::vector<float> frame(static_cast<std::size_t>(size));
  std::vector<kiss_fft_cpx> spectrum(binCount);
  std::vector<double> bands(bandWidth.size()), previous(bandWidth.size(), 0.0);
  std::vector<double> harmonySum(curves.harmonyBins, 0.0);
  const auto half = static_cast<std::ptrdiff_t>(size / 2);
  for (std::size_t n = 0; n < hops; ++n) {
    if (n % kCheckpointHops == 0) {
      progress(kLevelShare + (kOnsetShare - kLevelShare) * static_cast<double>(n) / static_cast<double>(hops));
    }
    const std::ptrdiff_t first = static_cast<std::ptrdiff_t>(n * hop) - half;
    for (int j = 0; j < size; ++j) {
      const std::ptrdiff_t i = first + j;
      const float x = i >= 0 && static_cast<std::size_t>(i) < frames ? finiteOrZero(mono[i]) : 0.0f;
      frame[static_cast<std::size_t>(j)] = x * window[static_cast<std::size_t>(j)];
    }
    kiss_fftr(fft.config, frame.data(), spectrum.data());

    std::fill(bands.begin(), bands.end(), 0.0);
    for (std::size_t k = 1; k < binCount; ++k) {
      const double magnitude = std::hypot(spectrum[k].r, spectrum[k].i);
      if (bandOf[k] >= 0) bands[static_cast<std::size_t>(bandOf[k])] += magnitude;
      if (k >= harmonyFirst && k < harmonyEnd) harmonySum[k - harmonyFirst] += magnitude;
    }
    double flux = 0.0, lowFlux = 0.0;
    for (std::size_t b = 0; b < bands.size(); ++b) {
      const double level = std::log1p(scale * bands[b] / bandWidth[b]);
      const double rise = std::max(0.0, level - previous[b]);
      flux += rise;
      if (bandIsLow[b]) lowFlux += rise;
      previous[b] = level;
    }
    curves.flux[n] = static_cast<float>(flux);
    curves.lowFlux[n] = static_cast<float>(lowFlux);
    if ((n + 1) % kHarmonyHops == 0) {
      for (double& sum : harmonySum) {
        curves.harmony.push_back(static_cast<float>(std::log1p(scale * sum / kHarmonyHops)));
        sum = 0.0;
      }
    }
  }
  return curves;
}

// The onset curve less its moving average, lightly smoothed: zero mean, so its autocorrelation
// is a correlation.
std::vector<float> detrended(const std::vector<float>& flux, double frameRate) {
  const std::size_t n = flux.size();
  const auto radius = static_cast<std::size_t>(std::max(1.0, 0.5 * kTrendSeconds * frameRate));
  std::vector<double> prefix(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + flux[i];
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t lo = i > radius ? i - radius : 0, hi = std::min(n, i + radius + 1);
    const double before = i > 0 ? flux[i - 1] : flux[i], after = i + 1 < n ? flux[i + 1] : flux[i];
    const double smooth = 0.25 * before + 0.5 * flux[i] + 0.25 * after;
    out[i] = static_cast<float>(smooth - (prefix[hi] - prefix[lo]) / static_cast<double>(hi - lo));
  }
  return out;
}

double parabolicOffset(double left, double centre, double right) noexcept {
  const double curvature = left - 2.0 * centre + right;
  return curvature < 0.0 ? std::clamp(0.5 * (left - right) / curvature, -0.5, 0.5) : 0.0;
}

struct Tempo {
  double period = 0.0;       // frames
  double correlation = 0.0;  // the onset curve's autocorrelation at that lag, -1..1
};

// The beat period between kBeatTrackerMinBpm and kBeatTrackerMaxBpm whose comb of kCombTeeth
// multiples collects the most autocorrelation of the onset curve, weighted by the tempo prior
// and by how well the period divides a bar (kBarFitSharpness).
Tempo roughTempo(const std::vector<float>& onsets, double frameRate, Progress& progress) {
  const std::size_t n = onsets.size();
  const double shortest = 60.0 * frameRate / kBeatTrackerMaxBpm;
  const double longest = 60.0 * frameRate / kBeatTrackerMinBpm;
  const auto firstLag = static_cast<std::size_t>(std::floor(shortest));
  const auto lastLag = std::min(n - 1, static_cast<std::size_t>(std::ceil(kLongestBarBeats * longest)) + 1);
  std::vector<double> correlation(lastLag + 1, 0.0);
  for (std::size_t lag = 0; lag <= lastLag; ++lag) {
    if (lag != 0 && lag < firstLag) continue;
    progress(kOnsetShare + kTempoShare * static_cast<double>(lag) / static_cast<double>(lastLag));
    double sum = 0.0;
    for (std::size_t i = 0; i + lag < n; ++i) sum += static_cast<double>(onsets[i]) * onsets[i + lag];
    correlation[lag] = sum / static_cast<double>(n - lag);
  }
  Tempo tempo;
  const double energy = correlation[0];
  if (!(energy > 0.0)) return tempo;
  for (double& c : correlation) c /= energy;

  auto at = [&](double lag) {  // linear interpolation; 0 past the end (a short song)
    const auto i = static_cast<std::size_t>(lag);
    if (i + 1 > lastLag) return 0.0;
    const double t = lag - static_cast<double>(i);
    return (1.0 - t) * correlation[i] + t * correlation[i + 1];
  };
  auto score = [&](double period) {
    double comb = 0.0, bar = 0.0;
    for (int k = 1; k <= kCombTeeth; ++k) {
      comb += at(k * period);
      // The peak near the multiple: the period is only known to a grid step, the peak to a lag.
      const auto centre = static_cast<std::size_t>(std::lround(k * period));
      for (std::size_t lag = centre - 1; k >= 2 && lag <= std::min(centre + 1, lastLag); ++lag) {
        bar = std::max(bar, correlation[lag]);
      }
    }
    double strongest = bar;
    const auto lastBar = std::min(lastLag, static_cast<std::size_t>(kLongestBarBeats * period));
    for (auto lag = static_cast<std::size_t>(std::ceil(2.0 * period)); lag <= lastBar; ++lag) {
      strongest = std::max(strongest, correlation[lag]);
    }
    const double fit = strongest > 0.0 ? std::clamp(bar / strongest, 0.0, 1.0) : 1.0;
    const double octaves = std::log2(60.0 * frameRate / period / kPriorBpm) / kPriorOctaves;
    return comb / kCombTeeth * std::exp(-0.5 * octaves * octaves) * std::pow(fit, kBarFitSharpness);
  };
  const auto steps = static_cast<int>(std::ceil((longest - shortest) / kLagStep));
  int best = 0;
  double bestScore = score(shortest);
  for (int i = 1; i <= steps; ++i) {
    const double value = score(shortest + i * kLagStep);
    if (value > bestScore) {
      bestScore = value;
      best = i;
    }
  }
  double period = shortest + best * kLagStep;
  if (best > 0 && best < steps) {
    period += kLagStep * parabolicOffset(score(period - kLagStep), bestScore, score(period + kLagStep));
  }
  tempo.period = period;
  tempo.correlation = at(period);
  return tempo;
}

struct Grid {
  double period = 0.0;  // frames
  double phase = 0.0;   // frames: beats at phase + k * period
};

// Period and phase: the grid that collects the most onset strength on its beats, searched within
// kMaxPeriodError of the rough period. Folding the whole song at each candidate period would cost
// a pass per candidate, so the song is folded once, in 8-beat stretches at the rough period p0;
// at a period p0 + d, stretch s's beats sit d * (its centre in beats) later in its fold, so each
// candidate sums the stretches' folds shifted by that much.
Grid fitGrid(const std::vector<float>& onsets, double roughPeriod, Progress& progress) {
  const std::size_t n = onsets.size();
  const double stretch = kStretchBeats * roughPeriod;
  const auto step = static_cast<std::size_t>(std::max(1.0, stretch / 2.0));
  const auto bins = static_cast<std::size_t>(std::max(8.0, std::floor(roughPeriod)));
  const double binsPerFrame = static_cast<double>(bins) / roughPeriod;
  std::vector<double> folds;  // bins per stretch: onset strength summed per phase
  std::vector<double> centres;
  for (std::size_t first = 0; first < n; first += step) {
    const std::size_t end = std::min(n, first + static_cast<std::size_t>(stretch));
    if (static_cast<double>(end - first) < 0.5 * stretch && !centres.empty()) break;
    folds.resize(folds.size() + bins, 0.0);
    double* fold = folds.data() + folds.size() - bins;
    double position = std::fmod(static_cast<double>(first), roughPeriod);
    for (std::size_t i = first; i < end; ++i) {
      fold[std::min(bins - 1, static_cast<std::size_t>(position * binsPerFrame))] += onsets[i];
      position += 1.0;
      if (position >= roughPeriod) position -= roughPeriod;
    }
    centres.push_back(0.5 * static_cast<double>(first + end) / roughPeriod);
  }

  // The summed fold for period p0 + slope, circularly smoothed [1 2 1].
  std::vector<double> total(bins), smooth(bins);
  auto foldAt = [&](double slope) {
    std::fill(total.begin(), total.end(), 0.0);
    for (std::size_t s = 0; s < centres.size(); ++s) {
      const double* fold = folds.data() + s * bins;
      const double cycle = static_cast<double>(bins);
      const double shift = std::fmod(slope * centres[s] * binsPerFrame, cycle) + cycle;
      const auto whole = static_cast<std::size_t>(shift);
      const double part = shift - static_cast<double>(whole);
      for (std::size_t b = 0; b < bins; ++b) {
        // The stretch shows phase b at b + shift, between two bins.
        const std::size_t at = (b + whole) % bins;
        total[b] += (1.0 - part) * fold[at] + part * fold[(at + 1) % bins];
      }
    }
    std::size_t peak = 0;
    for (std::size_t b = 0; b < bins; ++b) {
      smooth[b] = 0.25 * total[(b + bins - 1) % bins] + 0.5 * total[b] + 0.25 * total[(b + 1) % bins];
      if (smooth[b] > smooth[peak]) peak = b;
    }
    return peak;
  };

  const double span = std::max(1.0, centres.back() - centres.front());
  const double slopeStep = roughPeriod / (kSlopeStepsPerFrameOfDrift * span);
  const int slopeSteps = static_cast<int>(std::ceil(kMaxPeriodError * roughPeriod / slopeStep));
  std::vector<double> scores(static_cast<std::size_t>(2 * slopeSteps + 1));
  int best = 0;
  for (int i = -slopeSteps; i <= slopeSteps; ++i) {
    if ((i + slopeSteps) % 16 == 0) {
      progress(kOnsetShare + kTempoShare + kPhaseShare * (i + slopeSteps) / (2.0 * slopeSteps + 1.0));
    }
    const double score = smooth[foldAt(i * slopeStep)];
    scores[static_cast<std::size_t>(i + slopeSteps)] = score;
    if (score > scores[static_cast<std::size_t>(best + slopeSteps)]) best = i;
  }
  double slope = best * slopeStep;
  if (best > -slopeSteps && best < slopeSteps) {
    const auto i = static_cast<std::size_t>(best + slopeSteps);
    slope += slopeStep * parabolicOffset(scores[i - 1], scores[i], scores[i + 1]);
  }
  const std::size_t peak = foldAt(slope);
  const double offset = parabolicOffset(smooth[(peak + bins - 1) % bins], smooth[peak], smooth[(peak + 1) % bins]);
  Grid grid;
  grid.period = roughPeriod + slope;
  // Bin b holds phases [b, b + 1) / binsPerFrame of stretches at the time origin.
  const double phase = (static_cast<double>(peak) + 0.5 + offset) / binsPerFrame;
  grid.phase = std::fmod(std::fmod(phase, grid.period) + grid.period, grid.period);
  return grid;
}

// Per beat: the strongest low-band onset near it, and how much the sustained spectrum of the
// beat differs from the beat before's (the spectrum's per-bin minimum over the beat, so drum
// hits drop out and bass notes and chords remain). z-scored and summed; NaN where unknown.
std::vector<double> barAccents(const OnsetCurves& curves, const Grid& grid) {
  const std::size_t n = curves.flux.size();
  std::vector<double> low, change;
  const double reach = std::min(0.1 * grid.period, kAccentWindowSeconds * curves.frameRate);
  const std::size_t harmonyFrames = curves.harmonyBins > 0 ? curves.harmony.size() / curves.harmonyBins : 0;
  std::vector<float> sustained, before;
  for (double at = grid.phase; at < static_cast<double>(n); at += grid.period) {
    const auto lo = static_cast<std::size_t>(std::max(0.0, std::ceil(at - reach)));
    const auto hi = std::min(n, static_cast<std::size_t>(std::floor(at + reach)) + 1);
    float peak = 0.0f;
    for (std::size_t i = lo; i < hi; ++i) peak = std::max(peak, curves.lowFlux[i]);
    low.push_back(peak);

    // Harmony frame m holds hops [m * kHarmonyHops, (m + 1) * kHarmonyHops).
    const auto mFirst = static_cast<std::size_t>(std::ceil(at / kHarmonyHops));
    const auto mEnd =
        std::min(harmonyFrames, static_cast<std::size_t>(std::ceil((at + grid.period) / kHarmonyHops)) - 1);
    sustained.assign(curves.harmonyBins, 0.0f);
    bool known = mEnd > mFirst + 1;
    for (std::size_t m = mFirst; known && m < mEnd; ++m) {
      const float* frame = curves.harmony.data() + m * curves.harmonyBins;
      for (std::size_t b = 0; b < curves.harmonyBins; ++b) {
        sustained[b] = m == mFirst ? frame[b] : std::min(sustained[b], frame[b]);
      }
    }
    double difference = std::numeric_limits<double>::quiet_NaN();
    if (known && !before.empty()) {
      difference = 0.0;
      for (std::size_t b = 0; b < curves.harmonyBins; ++b) difference += std::fabs(sustained[b] - before[b]);
      difference /= static_cast<double>(curves.harmonyBins);
    }
    change.push_back(difference);
    if (known) {
      before = sustained;
    } else {
      before.clear();
    }
  }
  auto standardise = [](std::vector<double>& values) {
    double sum = 0.0, squares = 0.0, count = 0.0;
    for (double v : values) {
      if (std::isnan(v)) continue;
      sum += v;
      squares += v * v;
      count += 1.0;
    }
    if (count < 2.0) return;
    const double mean = sum / count;
    const double deviation = std::sqrt(std::max(0.0, squares / count - mean * mean));
    for (double& v : values) v = deviation > 0.0 ? (v - mean) / deviation : 0.0;
  };
  standardise(low);
  standardise(change);
  std::vector<double> accents(low.size());
  for (std::size_t k = 0; k < low.size(); ++k) accents[k] = low[k] + (std::isnan(change[k]) ? 0.0 : change[k]);
  return accents;
}

struct Meter {
  int beatsPerBar = 4;
  int firstDownbeat = 0;  // index of the first downbeat among the grid's beats from frame 0
};

// For 3 and 4 beats a bar, how much the best beat of the bar stands above the others; the
// meter whose best beat stands out more wins (4 on a tie, as it is the more common).
Meter chooseMeter(const std::vector<double>& accents) {
  Meter meter;
  double bestContrast = -1e300;
  for (const int beats : {4, 3}) {
    for (int position = 0; position < beats; ++position) {
      double in = 0.0, inCount = 0.0, out = 0.0, outCount = 0.0;
      for (std::size_t k = 0; k < accents.size(); ++k) {
        if (static_cast<int>(k % static_cast<std::size_t>(beats)) == position) {
          in += accents[k];
          inCount += 1.0;
        } else {
          out += accents[k];
          outCount += 1.0;
        }
      }
      if (inCount == 0.0 || outCount == 0.0) continue;
      const double contrast = in / inCount - out / outCount;
      if (contrast > bestContrast) {
        bestContrast = contrast;
        meter.beatsPerBar = beats;
        meter.firstDownbeat = position;
      }
    }
  }
  return meter;
}

}  // namespace

BeatGrid estimateBeatGrid(const float* mono, std::size_t frames, double sampleRate,
                          const std::function<void(double)>& checkpoint) {
  if (!(sampleRate >= kBeatTrackerMinSampleRate && sampleRate <= kBeatTrackerMaxSampleRate)) {
    throw core::InvalidArgument("beat tracking needs a sample rate from 8000 to 384000 Hz, not " +
                                std::to_string(sampleRate));
  }
  const double seconds = static_cast<double>(frames) / sampleRate;
  if (seconds < kBeatTrackerMinSeconds) {
    throw core::InvalidArgument("beat tracking needs at least " +
                                std::to_string(static_cast<int>(kBeatTrackerMinSeconds)) + " s of audio, got " +
                                std::to_string(seconds) + " s");
  }
  if (mono == nullptr) throw core::InvalidArgument("beat tracking was given no samples");
  frames = std::min(frames, static_cast<std::size_t>(kBeatTrackerMaxAnalysisSeconds * sampleRate));
  Progress progress(checkpoint);

  const OnsetCurves curves = onsetCurves(mono, frames, sampleRate, progress);
  BeatGrid result;
  result.bpm = kPriorBpm;
  if (curves.flux.empty()) {
    progress(1.0);
    return result;
  }
  const std::vector<float> onsets = detrended(curves.flux, curves.frameRate);
  const Tempo tempo = roughTempo(onsets, curves.frameRate, progress);
  if (!(tempo.period > 0.0)) {
    progress(1.0);
    return result;
  }
  const Grid grid = fitGrid(onsets, tempo.period, progress);
  progress(kOnsetShare + kTempoShare + kPhaseShare);
  const Meter meter = chooseMeter(barAccents(curves, grid));

  const double beatSeconds = grid.period / curves.frameRate;
  const double barSeconds = beatSeconds * meter.beatsPerBar;
  const double downbeat = (grid.phase + meter.firstDownbeat * grid.period) / curves.frameRate + curves.frameOffset;
  result.bpm = 60.0 / beatSeconds;
  result.beatsPerBar = meter.beatsPerBar;
  result.offsetSeconds = std::fmod(std::fmod(downbeat, barSeconds) + barSeconds, barSeconds);
  result.confidence = std::clamp(tempo.correlation, 0.0, 1.0);
  progress(1.0);
  return result;
}

std::vector<double> beatTimes(const BeatGrid& grid, double durationSeconds) {
  std::vector<double> times;
  if (!(grid.bpm > 0.0) || !std::isfinite(grid.bpm) || !(durationSeconds > 0.0)) return times;
  const double beat = 60.0 / grid.bpm;
  const auto first = static_cast<long long>(std::ceil(-grid.offsetSeconds / beat));
  for (long long k = first;; ++k) {
    const double t = grid.offsetSeconds + static_cast<double>(k) * beat;
    if (t >= durationSeconds) break;
    if (t >= 0.0) times.push_back(t);
  }
  return times;
}

std::vector<double> downbeatTimes(const BeatGrid& grid, double durationSeconds) {
  std::vector<double> times;
  if (!(grid.bpm > 0.0) || !std::isfinite(grid.bpm) || !(durationSeconds > 0.0) || grid.beatsPerBar < 1) return times;
  // The same arithmetic as beatTimes(), so downbeats are exactly among the beats.
  const double beat = 60.0 / grid.bpm;
  const long long bar = grid.beatsPerBar;
  const auto firstBar = static_cast<long long>(std::ceil(-grid.offsetSeconds / (beat * static_cast<double>(bar))));
  for (long long k = firstBar * bar;; k += bar) {
    const double t = grid.offsetSeconds + static_cast<double>(k) * beat;
    if (t >= durationSeconds) break;
    if (t >= 0.0) times.push_back(t);
  }
  return times;
}

}  // namespace woodshed::dsp
