// Measures for the time-stretch comparison (tests/bench/stretch-compare.mjs; definitions in
// docs/design/stretcher.md section 5 and the README's benchmark section). Every function takes
// planar audio (an array of Float32Array channels) at `rate` and returns plain numbers; the same
// code measures every method and the reference, so the reference's own value shows each
// measure's floor.

/** Radix-2 FFT tables, by size. */
const fftTables = new Map();

function fftTable(n) {
  let table = fftTables.get(n);
  if (!table) {
    const bits = Math.log2(n);
    const reverse = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      reverse[i] = r;
    }
    const cos = new Float64Array(n / 2);
    const sin = new Float64Array(n / 2);
    for (let i = 0; i < n / 2; i++) {
      cos[i] = Math.cos((2 * Math.PI * i) / n);
      sin[i] = -Math.sin((2 * Math.PI * i) / n);
    }
    table = { reverse, cos, sin };
    fftTables.set(n, table);
  }
  return table;
}

/** In-place complex FFT of (re, im), length a power of two. */
function fft(re, im) {
  const n = re.length;
  const { reverse, cos, sin } = fftTable(n);
  for (let i = 0; i < n; i++) {
    const j = reverse[i];
    if (j > i) {
      let t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  for (let size = 2; size <= n; size *= 2) {
    const half = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sin[k * step];
        const a = start + k;
        const b = a + half;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
      }
    }
  }
}

const windows = new Map();
function hann(n) {
  let w = windows.get(n);
  if (!w) {
    w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    windows.set(n, w);
  }
  return w;
}

/** Power spectrum (bins 0..n/2) of the Hann-windowed n samples of `x` from `start` (zeros outside). */
export function powerSpectrum(x, start, n) {
  const w = hann(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = start + i;
    re[i] = j >= 0 && j < x.length ? x[j] * w[i] : 0;
  }
  fft(re, im);
  const power = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) power[k] = re[k] * re[k] + im[k] * im[k];
  return power;
}

const db = (power) => 10 * Math.log10(power + 1e-30);

/** The strongest bin within `reach` bins of `bin`, refined by a parabola through the dB values:
 * {bin (fractional), level (dB)}. */
function interpolatedPeak(power, bin, reach) {
  let best = Math.max(1, Math.round(bin) - reach);
  for (let k = best; k <= Math.min(power.length - 2, Math.round(bin) + reach); k++) if (power[k] > power[best]) best = k;
  const a = db(power[best - 1]);
  const b = db(power[best]);
  const c = db(power[best + 1]);
  const denominator = a - 2 * b + c;
  const offset = denominator < 0 ? (0.5 * (a - c)) / denominator : 0;
  return { bin: best + offset, level: b - 0.25 * (a - c) * offset };
}

const median = (values) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
};

/** Partials (Hz) with no other partial within `spacing` Hz (coincident ones, closer than 0.01 Hz,
 * count as one): the ones whose frequency and level a window can read undisturbed. */
export function isolatedPartials(partials, spacing) {
  const unique = [];
  for (const f of [...partials].sort((a, b) => a - b)) if (!unique.length || f - unique.at(-1) > 0.01) unique.push(f);
  return unique.filter((f, i) => (i === 0 || f - unique[i - 1] > spacing) && (i === unique.length - 1 || unique[i + 1] - f > spacing));
}

/**
 * Pitch error: for each channel's isolated partials (no neighbour within 25 Hz) above -40 dB of
 * the strongest, the interpolated peak of a 16384-point Hann spectrum at 4 positions in the
 * steady middle (30-70 % of the signal); returns max |1200 log2(f / f_expected)| in cents.
 */
export function pitchErrorCents(audio, rate, partialsByChannel) {
  const n = 16384;
  let worst = 0;
  audio.forEach((x, c) => {
    const partials = isolatedPartials(partialsByChannel[c], 25);
    for (const position of [0.3, 0.43, 0.57, 0.7]) {
      const power = powerSpectrum(x, Math.round(position * x.length - n / 2), n);
      const peaks = partials.map((f) => ({ f, ...interpolatedPeak(power, (f * n) / rate, 3) }));
      const loudest = Math.max(...peaks.map((p) => p.level));
      for (const p of peaks) {
        if (p.level < loudest - 40) continue;
        worst = Math.max(worst, Math.abs(1200 * Math.log2((p.bin * rate) / n / p.f)));
      }
    }
  });
  return worst;
}

/**
 * Amplitude modulation: each isolated partial's interpolated level over a 4096-point, 256-hop
 * Hann STFT across the steady middle (20-80 %); its peak-to-peak range in dB; the median over
 * partials and channels. Phasiness and beating between a partial and its own smear show here.
 */
export function amplitudeModulationDb(audio, rate, partialsByChannel) {
  const n = 4096;
  const ranges = [];
  audio.forEach((x, c) => {
    const partials = isolatedPartials(partialsByChannel[c], 25);
    const low = partials.map(() => Infinity);
    const high = partials.map(() => -Infinity);
    for (let start = Math.round(0.2 * x.length); start + n <= 0.8 * x.length; start += 256) {
      const power = powerSpectrum(x, start, n);
      partials.forEach((f, i) => {
        const { level } = interpolatedPeak(power, (f * n) / rate, 2);
        low[i] = Math.min(low[i], level);
        high[i] = Math.max(high[i], level);
      });
    }
    partials.forEach((_, i) => ranges.push(high[i] - low[i]));
  });
  return median(ranges);
}

/**
 * Energy between partials: over 8192-point Hann frames (hop 2048) in the steady middle (20-80 %),
 * the energy in bins (50 Hz - 16 kHz) more than 4 bins from every expected partial, over the
 * energy in all of them, in dB. Phasiness, smear and sidebands all land between partials.
 */
export function energyBetweenPartialsDb(audio, rate, partialsByChannel) {
  const n = 8192;
  const lowBin = Math.ceil((50 * n) / rate);
  const highBin = Math.floor((16000 * n) / rate);
  let between = 0;
  let total = 0;
  audio.forEach((x, c) => {
    const near = new Uint8Array(n / 2 + 1);
    for (const f of partialsByChannel[c]) {
      const bin = (f * n) / rate;
      for (let k = Math.max(0, Math.ceil(bin - 4)); k <= Math.min(n / 2, Math.floor(bin + 4)); k++) near[k] = 1;
    }
    for (let start = Math.round(0.2 * x.length); start + n <= 0.8 * x.length; start += 2048) {
      const power = powerSpectrum(x, start, n);
      for (let k = lowBin; k <= highBin; k++) {
        total += power[k];
        if (!near[k]) between += power[k];
      }
    }
  });
  return db(between / total);
}

/**
 * Energy off a sweep: 2048-point Hann frames (hop 512) from 5 to 95 % of the signal; in each, the
 * energy in bins (50 Hz - 16 kHz) more than 4 bins outside the range the sweep's instantaneous
 * frequency `frequencyAt(seconds)` covers within the frame, over the energy in all of them, dB.
 */
export function energyOffSweepDb(audio, rate, frequencyAt) {
  const n = 2048;
  const lowBin = Math.ceil((50 * n) / rate);
  const highBin = Math.floor((16000 * n) / rate);
  let off = 0;
  let total = 0;
  for (const x of audio) {
    for (let start = Math.round(0.05 * x.length); start + n <= 0.95 * x.length; start += 512) {
      const f0 = frequencyAt(start / rate);
      const f1 = frequencyAt((start + n) / rate);
      const from = (Math.min(f0, f1) * n) / rate - 4;
      const to = (Math.max(f0, f1) * n) / rate + 4;
      const power = powerSpectrum(x, start, n);
      for (let k = lowBin; k <= highBin; k++) {
        total += power[k];
        if (k < from || k > to) off += power[k];
      }
    }
  }
  return db(off / total);
}

/** The mono mix of planar audio. */
export function mono(audio) {
  const out = new Float32Array(audio[0].length);
  for (const x of audio) for (let i = 0; i < out.length; i++) out[i] += x[i] / audio.length;
  return out;
}

/** The high-frequency envelope: the first difference squared, averaged over 0.5 ms. */
export function highFrequencyEnvelope(x, rate) {
  const width = Math.max(1, Math.round(0.0005 * rate));
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 1; i < x.length; i++) {
    const d = x[i] - x[i - 1];
    sum += d * d;
    if (i >= width) {
      const e = x[i - width + 1] - x[i - width];
      sum -= e * e;
    }
    out[i - (width >> 1)] = Math.max(0, sum) / width;
  }
  return out;
}

/** Indices where `env` is above `threshold` and the largest within +-`distance` samples. */
function peaks(env, threshold, distance) {
  const found = [];
  // A sliding maximum with a monotone deque over [i - distance, i + distance].
  const deque = new Int32Array(env.length);
  let head = 0;
  let tail = 0;
  let next = 0;
  for (let i = 0; i < env.length; i++) {
    const until = Math.min(env.length - 1, i + distance);
    for (; next <= until; next++) {
      while (tail > head && env[deque[tail - 1]] <= env[next]) tail--;
      deque[tail++] = next;
    }
    while (deque[head] < i - distance) head++;
    if (env[i] > threshold && deque[head] === i && (found.length === 0 || i - found.at(-1) > distance)) found.push(i);
  }
  return found;
}

/**
 * Clicks, on the high-frequency envelope of the mono mix: peaks above -20 dB of the median click,
 * at least 20 ms apart, matched to the expected times (seconds). Returns lost (no peak within
 * +-10 ms), doubled (another peak above -12 dB within half a spacing of a click), the timing
 * error's spread (std and max after removing the median offset, ms), and the worst change of a
 * click's peak against `referencePeak` (dB; the reference's median click peak).
 */
export function clicks(audio, rate, expected, referencePeak) {
  const env = highFrequencyEnvelope(mono(audio), rate);
  const spacing = expected.length > 1 ? expected[1] - expected[0] : 0.25;
  const all = peaks(env, 0, Math.round(0.02 * rate));
  const strongest = all.map((i) => env[i]).sort((a, b) => b - a).slice(0, expected.length);
  const typical = median(strongest);
  const found = all.filter((i) => env[i] > 0.01 * typical);
  let lost = 0;
  let doubled = 0;
  const errors = [];
  let worstPeak = 0;
  for (const t of expected) {
    const centre = t * rate;
    const near = found.filter((i) => Math.abs(i - centre) <= 0.01 * rate);
    if (near.length === 0) {
      lost++;
      continue;
    }
    const hit = near.reduce((a, b) => (env[b] > env[a] ? b : a));
    errors.push(((hit - centre) / rate) * 1000);
    if (referencePeak) worstPeak = Math.max(worstPeak, Math.abs(db(env[hit] / referencePeak)));
    const others = found.filter((i) => i !== hit && Math.abs(i - centre) < 0.5 * spacing * rate && env[i] > 0.063 * typical);
    if (others.length) doubled++;
  }
  const offset = median(errors);
  const centred = errors.map((e) => e - offset);
  const std = Math.sqrt(centred.reduce((s, e) => s + e * e, 0) / Math.max(1, centred.length));
  const max = centred.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
  return { lost, doubled, stdMs: std, maxMs: max, peakChangeDb: worstPeak, medianPeak: typical };
}

/** The 0.5 ms RMS envelope. */
function rmsEnvelope(x, rate) {
  const width = Math.max(1, Math.round(0.0005 * rate));
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i] * x[i];
    if (i >= width) sum -= x[i - width] * x[i - width];
    out[Math.max(0, i - (width >> 1))] = Math.sqrt(Math.max(0, sum) / width);
  }
  return out;
}

/**
 * Attacks at the expected onsets (seconds), on the mono mix's 0.5 ms RMS envelope. Rise time: from
 * 10 to 90 % of the envelope's largest value within 30 ms after the onset, walking back from that
 * maximum (no further than 30 ms before the onset); the median in ms. Pre-echo: the energy in
 * [onset - 30, onset - 5] ms over the energy in [onset, onset + 25] ms (floored at -120), median
 * over onsets, dB.
 */
export function attacks(audio, rate, onsets) {
  const x = mono(audio);
  const env = rmsEnvelope(x, rate);
  const ms = rate / 1000;
  const rises = [];
  const echoes = [];
  for (const t of onsets) {
    const onset = Math.round(t * rate);
    if (onset - 30 * ms < 0 || onset + 30 * ms >= x.length) continue;
    let top = onset;
    for (let i = onset; i < onset + 30 * ms; i++) if (env[i] > env[top]) top = i;
    const peak = env[top];
    let i90 = top;
    while (i90 > onset - 30 * ms && env[i90] >= 0.9 * peak) i90--;
    let i10 = i90;
    while (i10 > onset - 30 * ms && env[i10] >= 0.1 * peak) i10--;
    rises.push((i90 - i10) / ms);
    let before = 0;
    let note = 0;
    for (let i = Math.round(onset - 30 * ms); i < onset - 5 * ms; i++) before += x[i] * x[i];
    for (let i = onset; i < onset + 25 * ms; i++) note += x[i] * x[i];
    echoes.push(Math.max(-120, db(before / note)));
  }
  return { riseMs: median(rises), preEchoDb: median(echoes) };
}

/**
 * Log-spectral distance to the reference: 2048-point, 512-hop Hann STFT of each channel over the
 * frames both signals cover, bins from 50 Hz to 16 kHz, eps 100 dB below the reference's
 * strongest bin; the mean over frames (and channels) of sqrt(mean over bins of
 * (10 log10((|Y|^2 + eps) / (|Ref|^2 + eps)))^2), in dB. `referenceSpectra` caches the
 * reference's frames between methods.
 */
export function logSpectralDistanceDb(audio, reference, rate, referenceSpectra) {
  const n = 2048;
  const hop = 512;
  const lowBin = Math.ceil((50 * n) / rate);
  const highBin = Math.floor((16000 * n) / rate);
  if (!referenceSpectra.frames) {
    referenceSpectra.frames = reference.map((x) => {
      const frames = [];
      for (let start = 0; start + n <= x.length; start += hop) frames.push(powerSpectrum(x, start, n));
      return frames;
    });
    let peak = 0;
    for (const channel of referenceSpectra.frames) for (const p of channel) for (let k = lowBin; k <= highBin; k++) peak = Math.max(peak, p[k]);
    referenceSpectra.eps = peak * 1e-10;
  }
  const { eps } = referenceSpectra;
  let sum = 0;
  let count = 0;
  audio.forEach((x, c) => {
    const refFrames = referenceSpectra.frames[c];
    for (let f = 0; f < refFrames.length && f * hop + n <= x.length; f++) {
      const power = powerSpectrum(x, f * hop, n);
      const ref = refFrames[f];
      let s = 0;
      for (let k = lowBin; k <= highBin; k++) {
        const d = 10 * Math.log10((power[k] + eps) / (ref[k] + eps));
        s += d * d;
      }
      sum += Math.sqrt(s / (highBin - lowBin + 1));
      count++;
    }
  });
  return sum / count;
}

/**
 * The lag (samples; positive = `audio` is late) that best lines up the onset envelopes of `audio`
 * and `reference` within +-`maxSeconds`: the square root of the high-frequency envelope summed
 * over 0.25 ms steps, cross-correlated.
 */
export function alignmentLag(audio, reference, rate, maxSeconds) {
  const step = Math.max(1, Math.round(0.00025 * rate));
  const coarse = (x) => {
    const env = highFrequencyEnvelope(mono(x), rate);
    const out = new Float64Array(Math.floor(env.length / step));
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (let j = 0; j < step; j++) s += env[i * step + j];
      out[i] = Math.sqrt(s);
    }
    // Onsets, not levels: the positive change.
    const onset = new Float64Array(out.length);
    for (let i = 1; i < out.length; i++) onset[i] = Math.max(0, out[i] - out[i - 1]);
    return onset;
  };
  const a = coarse(audio);
  const b = coarse(reference);
  const reach = Math.round((maxSeconds * rate) / step);
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = -reach; lag <= reach; lag++) {
    let s = 0;
    for (let i = Math.max(0, -lag); i < b.length && i + lag < a.length; i++) s += a[i + lag] * b[i];
    if (s > bestScore) {
      bestScore = s;
      best = lag;
    }
  }
  return best * step;
}

/** `audio` moved earlier by `lag` samples (later for a negative lag), keeping its length. */
export function shift(audio, lag) {
  return audio.map((x) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const j = i + lag;
      if (j >= 0 && j < x.length) out[i] = x[j];
    }
    return out;
  });
}
