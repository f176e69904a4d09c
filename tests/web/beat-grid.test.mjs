// The beat grid as the page keeps it (web/beat-grid.js), under node: its beats and bars, and
// the grid that tapping gives, with a tap's timing error and a skipped beat.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { beatsOf, gridFromTaps, MAX_TAPS, TAP_RESET_SECONDS, withTap } from '../../web/beat-grid.js';

describe('a beat grid', () => {
  test('has beats from its first in the song, and downbeats counted from its offset', () => {
    const { beats, downbeats } = beatsOf({ bpm: 120, offsetSeconds: 1.25, beatsPerBar: 3 }, 4);
    assert.deepEqual(beats, [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75]);
    assert.deepEqual(downbeats, [1.25, 2.75]);
  });
});

describe('tap tempo', () => {
  test('fits tempo and phase through taps with timing errors, the first tap a downbeat', () => {
    // 97 BPM with a downbeat at 10.3 s, tapped up to 15 ms early or late.
    const period = 60 / 97;
    const errors = [0.012, -0.015, 0.004, 0.009, -0.011, 0.0, -0.006, 0.014];
    const taps = errors.map((e, k) => 10.3 + k * period + e);
    const grid = gridFromTaps(taps, 4);
    assert.ok(Math.abs(grid.bpm - 97) < 0.5, `bpm ${grid.bpm}`);
    const bar = 4 * period;
    const phase = (((grid.offsetSeconds - 10.3) % bar) + bar) % bar;
    assert.ok(Math.min(phase, bar - phase) < 0.01, `the downbeat is ${phase} s off`);
  });

  test('keeps the downbeat at the first tap of the sequence after the oldest taps are let go', () => {
    let taps = [];
    let grid = null;
    for (let k = 0; k < MAX_TAPS + 5; k++) {
      taps = withTap(taps, 4.0 + k * 0.5);
      grid = gridFromTaps(taps, 4, 4.0);
    }
    assert.equal(taps.length, MAX_TAPS);
    assert.ok(Math.abs(grid.offsetSeconds - 0) < 1e-9, `a downbeat at 4 s of a 2 s bar is at 0 s, got ${grid.offsetSeconds}`);
  });

  test('takes a gap of two beats as one skipped', () => {
    const taps = [0, 0.5, 1.0, 2.0, 2.5];
    assert.ok(Math.abs(gridFromTaps(taps, 4).bpm - 120) < 1e-9);
  });

  test('needs two taps, starts over after a pause, and keeps the latest taps only', () => {
    assert.equal(gridFromTaps([3], 4), null);
    assert.deepEqual(withTap([1, 1.5], 1.5 + TAP_RESET_SECONDS + 0.1), [1.5 + TAP_RESET_SECONDS + 0.1]);
    assert.deepEqual(withTap([5], 4), [4], 'a tap before the last (a seek back) starts over');
    let taps = [];
    for (let k = 0; k < MAX_TAPS + 5; k++) taps = withTap(taps, k * 0.5);
    assert.equal(taps.length, MAX_TAPS);
    assert.equal(taps[0], 5 * 0.5);
  });
});
