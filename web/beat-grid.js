// A song's beat grid as the page keeps it, and tap tempo. Pure functions, tested under node
// (tests/web/beat-grid.test.mjs). The engine checks a grid's values (its limits table) and
// plays the metronome on it; the library keeps it with the song as
// {bpm, offsetSeconds, beatsPerBar, source: 'detected' | 'tapped' | 'manual', confidence?}.
//
// The grid is constant-tempo: beats at offsetSeconds + k * 60 / bpm, and offsetSeconds is a
// downbeat.

/** Taps further apart than this start a new tempo. */
export const TAP_RESET_SECONDS = 2.5;
/** Limit: the taps a tempo is fitted to (the latest ones). */
export const MAX_TAPS = 16;

/** {beats, downbeats}: the grid's times in [0, durationSeconds). */
export function beatsOf(grid, durationSeconds) {
  const period = 60 / grid.bpm;
  const first = grid.offsetSeconds - Math.floor(grid.offsetSeconds / period) * period;
  const beats = [];
  const downbeats = [];
  for (let k = 0, t = first; t < durationSeconds; k += 1, t = first + k * period) {
    beats.push(t);
    // The beat's place in the bar, counted from the offset (a downbeat).
    const index = Math.round((t - grid.offsetSeconds) / period);
    if (((index % grid.beatsPerBar) + grid.beatsPerBar) % grid.beatsPerBar === 0) downbeats.push(t);
  }
  return { beats, downbeats };
}

/**
 * The taps kept after a new one at `seconds` (song time as heard): the earlier ones unless it
 * came too long after them, at most MAX_TAPS.
 */
export function withTap(taps, seconds) {
  const last = taps.at(-1);
  const fresh = last === undefined || seconds <= last || seconds - last > TAP_RESET_SECONDS ? [] : taps;
  return [...fresh, seconds].slice(-MAX_TAPS);
}

/**
 * The grid the taps give ({bpm, offsetSeconds}), or null for fewer than two. Each tap is taken
 * as the next beat (a gap of about two beats counts as a skipped one); a least-squares line
 * through them gives the tempo and the phase. `anchor`, the first tap of the sequence (which
 * may be older than the taps kept), is a downbeat.
 */
export function gridFromTaps(taps, beatsPerBar, anchor = taps[0]) {
  if (taps.length < 2) return null;
  const intervals = taps.slice(1).map((t, i) => t - taps[i]).sort((a, b) => a - b);
  const typical = intervals[Math.floor(intervals.length / 2)];
  const indices = taps.map((t) => Math.round((t - taps[0]) / typical));
  const n = taps.length;
  const meanK = indices.reduce((s, k) => s + k, 0) / n;
  const meanT = taps.reduce((s, t) => s + t, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    covariance += (indices[i] - meanK) * (taps[i] - meanT);
    variance += (indices[i] - meanK) ** 2;
  }
  const period = covariance / variance;
  const first = meanT - period * meanK;  // the line at the first tap kept
  const downbeat = first + Math.round((anchor - first) / period) * period;  // the line at the anchor
  const bar = period * beatsPerBar;
  return { bpm: 60 / period, offsetSeconds: ((downbeat % bar) + bar) % bar };
}
