// Measurements on captured audio, mirroring tests/support/signal_analysis.h.

/** Root mean square of `samples`. */
export function rms(samples) {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return Math.sqrt(sum / samples.length);
}

/** AES17 level in dBFS: RMS relative to a full-scale sine's RMS. */
export function aes17Db(samples) {
  return 20 * Math.log10(rms(samples) * Math.SQRT2);
}

/** Frequency from rising zero crossings, interpolated linearly between samples. */
export function zeroCrossingFrequency(samples, sampleRate) {
  let first = -1;
  let last = -1;
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1] < 0 && samples[i] >= 0) {
      const t = i - 1 + samples[i - 1] / (samples[i - 1] - samples[i]);
      if (first < 0) first = t;
      last = t;
      crossings++;
    }
  }
  return crossings < 2 ? 0 : ((crossings - 1) * sampleRate) / (last - first);
}

/** Largest absolute sample-to-sample difference: a click or dropout shows as a jump. */
export function largestStep(samples) {
  let step = 0;
  for (let i = 1; i < samples.length; i++) step = Math.max(step, Math.abs(samples[i] - samples[i - 1]));
  return step;
}
