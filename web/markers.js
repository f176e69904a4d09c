// Markers and the sections between them: what a song's markers may be, checked in one place.
// The library keeps them on the song's record (library.js) and changes them inside its lock, so
// two tabs editing markers of one song both keep their edits. Pure functions: tested under node
// (tests/web/markers.test.mjs).
//
// A marker is {id, name, seconds, color}. Markers are kept sorted by time; a section runs from
// one marker to the next (the last to the song's end), and takes the marker's name.

/** Limit: markers per song. */
export const MAX_MARKERS_PER_SONG = 200;
/** Limit: the longest marker name kept. */
export const MAX_MARKER_NAME_CHARACTERS = 80;
/** Two markers closer than this are one place: a section must be long enough to loop. */
export const MIN_MARKER_SPACING_SECONDS = 0.05;
/** The colours a new marker takes in turn, when none is given. */
export const MARKER_COLORS = ['#e0a458', '#5aa0ff', '#7bd389', '#ff6b6b', '#c792ea', '#ffd166', '#4dd0e1', '#f78fb3'];

const COLOR = /^#[0-9a-f]{6}$/;

function fail(message) {
  throw new RangeError(message);
}

function checkedName(name) {
  if (typeof name !== 'string') fail('a marker name must be text');
  const trimmed = name.trim();
  if (!trimmed) fail('a marker needs a name');
  if (trimmed.length > MAX_MARKER_NAME_CHARACTERS) fail(`a marker name can have at most ${MAX_MARKER_NAME_CHARACTERS} characters`);
  return trimmed;
}

function checkedColor(color) {
  const lower = typeof color === 'string' ? color.toLowerCase() : color;
  if (!COLOR.test(lower)) fail('a marker colour is "#rrggbb"');
  return lower;
}

function checkedSeconds(seconds, durationSeconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) fail('a marker needs a time in seconds');
  if (seconds < 0 || seconds > durationSeconds) {
    fail(`a marker must lie within the song (0 to ${durationSeconds.toFixed(3)} s), not at ${seconds.toFixed(3)} s`);
  }
  return seconds;
}

function checkSpacing(markers, candidate) {
  const near = markers.find((m) => m.id !== candidate.id && Math.abs(m.seconds - candidate.seconds) < MIN_MARKER_SPACING_SECONDS);
  if (near) fail(`"${near.name}" is already at ${candidate.seconds.toFixed(2)} s`);
}

const bySeconds = (a, b) => a.seconds - b.seconds;

/** A fresh marker id: unique across songs, so a marker is found by its id alone. */
export function newMarkerId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `m${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The markers with one added: `spec` is {name?, seconds, color?}; a missing name is "Marker N",
 * a missing colour the next of MARKER_COLORS. Throws with a message for anything else.
 */
export function withMarkerAdded(markers, spec, durationSeconds, id) {
  if (spec === null || typeof spec !== 'object') fail('addMarker takes {name, seconds, color}');
  if (markers.length >= MAX_MARKERS_PER_SONG) fail(`a song can have at most ${MAX_MARKERS_PER_SONG} markers`);
  const marker = {
    id,
    name: spec.name === undefined ? `Marker ${markers.length + 1}` : checkedName(spec.name),
    seconds: checkedSeconds(spec.seconds, durationSeconds),
    color: spec.color === undefined ? MARKER_COLORS[markers.length % MARKER_COLORS.length] : checkedColor(spec.color),
  };
  checkSpacing(markers, marker);
  return [...markers, marker].sort(bySeconds);
}

/** The markers with marker `id` changed by `changes` ({name?, seconds?, color?}); the rest kept. */
export function withMarkerUpdated(markers, id, changes, durationSeconds) {
  if (changes === null || typeof changes !== 'object') fail('updateMarker takes {name, seconds, color}');
  const unknown = Object.keys(changes).filter((key) => !['name', 'seconds', 'color'].includes(key));
  if (unknown.length) fail(`a marker has no "${unknown[0]}"; it has name, seconds and color`);
  const old = markers.find((m) => m.id === id);
  if (!old) fail('that marker is not there');
  const marker = {
    ...old,
    ...(changes.name !== undefined && { name: checkedName(changes.name) }),
    ...(changes.seconds !== undefined && { seconds: checkedSeconds(changes.seconds, durationSeconds) }),
    ...(changes.color !== undefined && { color: checkedColor(changes.color) }),
  };
  checkSpacing(markers, marker);
  return markers.map((m) => (m.id === id ? marker : m)).sort(bySeconds);
}

/**
 * The sections the markers make: [{markerId, name, color, start, end}], each from its marker to
 * the next (the last to the song's end). Before the first marker there is no section.
 */
export function sectionsOf(markers, durationSeconds) {
  const sorted = [...markers].sort(bySeconds);
  return sorted.map((m, i) => ({
    markerId: m.id, name: m.name, color: m.color, start: m.seconds, end: sorted[i + 1]?.seconds ?? durationSeconds,
  }));
}

/**
 * The marker to go to from `seconds`: the next one after it, or the previous one before it.
 * "Previous" skips a marker just passed (within 0.5 s), as a CD player's back button does, so
 * pressing it twice goes further back. Null when there is none.
 */
export function markerFrom(markers, seconds, direction) {
  const sorted = [...markers].sort(bySeconds);
  if (direction > 0) return sorted.find((m) => m.seconds > seconds + 1e-3) ?? null;
  return sorted.filter((m) => m.seconds < seconds - 0.5).at(-1) ?? null;
}
