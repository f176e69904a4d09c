// The rules for markers and sections (web/markers.js), under node: what is refused and why,
// how sections follow from markers, and where the previous/next keys go.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MARKER_COLORS, MAX_MARKER_NAME_CHARACTERS, MAX_MARKERS_PER_SONG, markerFrom, sectionsOf, withMarkerAdded, withMarkerUpdated,
} from '../../web/markers.js';

const DURATION = 180;

function song(...seconds) {
  return seconds.reduce((markers, s, i) => withMarkerAdded(markers, { seconds: s }, DURATION, `m${i}`), []);
}

describe('markers', () => {
  test('are kept sorted by time, named and coloured in turn when not told', () => {
    const markers = song(60, 10, 30);
    assert.deepEqual(markers.map((m) => m.seconds), [10, 30, 60]);
    assert.deepEqual(markers.map((m) => m.name), ['Marker 2', 'Marker 3', 'Marker 1']);
    assert.deepEqual(markers.map((m) => m.color), [MARKER_COLORS[1], MARKER_COLORS[2], MARKER_COLORS[0]]);
  });

  test('take a given name (trimmed) and colour (#rrggbb, any case)', () => {
    const [m] = withMarkerAdded([], { name: '  Solo ', seconds: 12.5, color: '#FF0080' }, DURATION, 'a');
    assert.deepEqual(m, { id: 'a', name: 'Solo', seconds: 12.5, color: '#ff0080' });
  });

  test('refuse what is not a marker, with a message, and change nothing', () => {
    const markers = song(10);
    const refusals = [
      [{ seconds: Number.NaN }, /time in seconds/],
      [{ seconds: -1 }, /within the song/],
      [{ seconds: DURATION + 0.01 }, /within the song/],
      [{ seconds: '3' }, /time in seconds/],
      [{ seconds: 5, name: '   ' }, /needs a name/],
      [{ seconds: 5, name: 'x'.repeat(MAX_MARKER_NAME_CHARACTERS + 1) }, /at most 80/],
      [{ seconds: 5, color: 'red' }, /#rrggbb/],
      [{ seconds: 10.02 }, /already at/],
      [null, /takes \{name, seconds, color\}/],
    ];
    for (const [spec, message] of refusals) {
      assert.throws(() => withMarkerAdded(markers, spec, DURATION, 'new'), message, JSON.stringify(spec));
    }
    assert.deepEqual(markers.map((m) => m.seconds), [10]);
  });

  test(`stop at ${MAX_MARKERS_PER_SONG} per song`, () => {
    const many = Array.from({ length: MAX_MARKERS_PER_SONG }, (_, i) => ({ id: `m${i}`, name: 'm', seconds: i * 0.5, color: '#000000' }));
    assert.throws(() => withMarkerAdded(many, { seconds: 150 }, DURATION, 'x'), /at most 200 markers/);
  });

  test('an update changes only what it names, keeps the order by time, and refuses unknown fields', () => {
    const markers = song(10, 20, 30);
    const moved = withMarkerUpdated(markers, 'm0', { seconds: 25, name: 'Bridge' }, DURATION);
    assert.deepEqual(moved.map((m) => [m.id, m.seconds]), [['m1', 20], ['m0', 25], ['m2', 30]]);
    assert.equal(moved[1].color, markers[0].color);
    assert.throws(() => withMarkerUpdated(markers, 'm0', { bpm: 3 }, DURATION), /has no "bpm"/);
    assert.throws(() => withMarkerUpdated(markers, 'nope', { name: 'x' }, DURATION), /not there/);
    assert.throws(() => withMarkerUpdated(markers, 'm0', { seconds: 20 }, DURATION), /already at/);
  });
});

describe('sections', () => {
  test('run from each marker to the next, the last to the song\'s end', () => {
    const sections = sectionsOf(song(30, 0, 90), DURATION);
    assert.deepEqual(sections.map((s) => [s.start, s.end]), [[0, 30], [30, 90], [90, DURATION]]);
  });

  test('the next marker is after the playhead; the previous skips one just passed', () => {
    const markers = song(10, 20, 30);
    assert.equal(markerFrom(markers, 10, 1).seconds, 20);
    assert.equal(markerFrom(markers, 30, 1), null);
    assert.equal(markerFrom(markers, 20.2, -1).seconds, 10);
    assert.equal(markerFrom(markers, 21, -1).seconds, 20);
    assert.equal(markerFrom(markers, 10.3, -1), null);
  });
});
