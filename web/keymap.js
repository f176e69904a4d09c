// The one key map: every keyboard shortcut, by physical key (KeyboardEvent.code) and modifiers,
// so a shortcut is the same key on a German, French or Nordic keyboard and needs no AltGr. The
// handler and the help overlay (?) both read KEY_MAP; the help shows the user's own key labels
// where the browser offers them (navigator.keyboard.getLayoutMap()).
//
// Keys are assigned here before their features exist, so later features only implement their
// action: an entry without `run` is reserved, does nothing, and is not listed in the help.
// Shortcuts yield to a focused text field (HTML or ImGui) and to a focused control's own keys
// (a button's Space and Enter, a slider's arrows).

import { toast } from './toasts.js';

const VOLUME_STEP_DB = 2;
/** The shortest A-B loop the engine takes (kMinLoopSeconds). */
const MIN_LOOP_SECONDS = 0.05;
const SEEK_SECONDS = 5;
/** A fine nudge of a loop edge. */
export const NUDGE_SECONDS = 0.010;
const FINE_SEEK_SECONDS = 1;

/** The speeds S cycles through, slowest first; the app's quick buttons show the same. */
export const QUICK_SPEEDS = [0.5, 0.7, 0.85, 1];

/** The quick speed after `tempo`: the next one up, or the slowest after the fastest. */
export function nextQuickSpeed(tempo) {
  return QUICK_SPEEDS.find((speed) => speed > tempo + 1e-9) ?? QUICK_SPEEDS[0];
}

// Steps the speed or pitch, held within the engine's limits (a key never fails at an end).
async function stepTempo(api, by) {
  const [{ tempo }, limits] = await Promise.all([api.state(), api.limits()]);
  const next = Math.round((tempo + by) * 100) / 100;
  return api.setTempo(Math.min(limits.tempo.max, Math.max(limits.tempo.min, next)));
}
async function stepPitch(api, by) {
  const [{ pitchSemitones }, limits] = await Promise.all([api.state(), api.limits()]);
  const next = Math.round((pitchSemitones + by) * 100) / 100;
  return api.setPitch(Math.min(limits.pitchSemitones.max, Math.max(limits.pitchSemitones.min, next)));
}

/** A key with modifiers: {code, shift, alt}. */
const key = (code, { shift = false, alt = false } = {}) => ({ code, shift, alt });

/**
 * Every shortcut: {id, keys, does, group, run?}. `run(context, event)` performs it; context is
 * {api, seekBy, seekTo, setVolumeBy, toggleHelp}. Entries without `run` are reserved.
 */
export const KEY_MAP = [
  // Transport
  { id: 'playPause', group: 'Transport', keys: [key('Space'), key('PageDown')], does: 'play or pause (PageDown: a page-turner pedal)',
    run: async ({ api }) => ((await api.state()).playing ? api.pause() : api.play()) },
  { id: 'seekBack', group: 'Transport', keys: [key('ArrowLeft')], does: `seek ${SEEK_SECONDS} s back`, run: ({ seekBy }) => seekBy(-SEEK_SECONDS) },
  { id: 'seekForward', group: 'Transport', keys: [key('ArrowRight')], does: `seek ${SEEK_SECONDS} s forward`, run: ({ seekBy }) => seekBy(SEEK_SECONDS) },
  { id: 'seekBackFine', group: 'Transport', keys: [key('ArrowLeft', { shift: true })], does: `seek ${FINE_SEEK_SECONDS} s back`,
    run: ({ seekBy }) => seekBy(-FINE_SEEK_SECONDS) },
  { id: 'seekForwardFine', group: 'Transport', keys: [key('ArrowRight', { shift: true })], does: `seek ${FINE_SEEK_SECONDS} s forward`,
    run: ({ seekBy }) => seekBy(FINE_SEEK_SECONDS) },
  { id: 'toStart', group: 'Transport', keys: [key('Home')], does: 'go to the start', run: ({ seekTo }) => seekTo(() => 0) },
  { id: 'toEnd', group: 'Transport', keys: [key('End')], does: 'go to the end', run: ({ seekTo }) => seekTo((s) => s.durationSeconds) },
  { id: 'restartLoop', group: 'Transport', keys: [key('PageUp')], does: 'restart the loop (a page-turner pedal)' },
  // Volume
  { id: 'volumeUp', group: 'Volume', keys: [key('ArrowUp')], does: `volume up (${VOLUME_STEP_DB} dB)`, run: ({ setVolumeBy }) => setVolumeBy(VOLUME_STEP_DB) },
  { id: 'volumeDown', group: 'Volume', keys: [key('ArrowDown')], does: `volume down (${VOLUME_STEP_DB} dB)`,
    run: ({ setVolumeBy }) => setVolumeBy(-VOLUME_STEP_DB) },
  { id: 'mute', group: 'Volume', keys: [key('KeyM')], does: 'mute or unmute', run: async ({ api }) => api.setMuted(!(await api.settings()).muted) },
  // Loop
  { id: 'loop', group: 'Loop', keys: [key('KeyL')], does: 'loop on or off', run: async ({ api }) => api.setLoop(!(await api.state()).looping) },
  { id: 'setLoopStart', group: 'Loop', keys: [key('BracketLeft')], does: 'set the loop start (A) at the playhead',
    run: ({ setLoopEdge }) => setLoopEdge('start') },
  { id: 'setLoopEnd', group: 'Loop', keys: [key('BracketRight')], does: 'set the loop end (B) at the playhead',
    run: ({ setLoopEdge }) => setLoopEdge('end') },
  // The nudge keys move the edge set last (A after [, B after ]): [ earlier, ] later.
  { id: 'nudgeEarlierBeat', group: 'Loop', keys: [key('BracketLeft', { shift: true })], does: 'move the edge set last a beat earlier',
    run: ({ api }) => api.nudgeLoop(null, { beats: -1 }) },
  { id: 'nudgeLaterBeat', group: 'Loop', keys: [key('BracketRight', { shift: true })], does: 'move the edge set last a beat later',
    run: ({ api }) => api.nudgeLoop(null, { beats: 1 }) },
  { id: 'nudgeEarlierFine', group: 'Loop', keys: [key('BracketLeft', { alt: true })], does: 'move the edge set last 10 ms earlier',
    run: ({ api }) => api.nudgeLoop(null, { seconds: -NUDGE_SECONDS }) },
  { id: 'nudgeLaterFine', group: 'Loop', keys: [key('BracketRight', { alt: true })], does: 'move the edge set last 10 ms later',
    run: ({ api }) => api.nudgeLoop(null, { seconds: NUDGE_SECONDS }) },
  // Markers
  { id: 'addMarker', group: 'Markers', keys: [key('KeyK')], does: 'add a marker at the playhead',
    run: async ({ api }) => {
      const { trackId, heardSeconds } = await api.state();
      if (trackId !== null) await api.addMarker({ seconds: heardSeconds });
    } },
  { id: 'previousMarker', group: 'Markers', keys: [key('Comma')], does: 'go to the previous marker',
    run: ({ api }) => api.seekToMarker(-1) },
  { id: 'nextMarker', group: 'Markers', keys: [key('Period')], does: 'go to the next marker',
    run: ({ api }) => api.seekToMarker(1) },
  // Tempo and pitch
  { id: 'slower', group: 'Tempo and pitch', keys: [key('Minus')], does: 'slower by 5 %', run: ({ api }) => stepTempo(api, -0.05) },
  { id: 'faster', group: 'Tempo and pitch', keys: [key('Equal')], does: 'faster by 5 %', run: ({ api }) => stepTempo(api, 0.05) },
  { id: 'slowerFine', group: 'Tempo and pitch', keys: [key('Minus', { shift: true })], does: 'slower by 1 %',
    run: ({ api }) => stepTempo(api, -0.01) },
  { id: 'fasterFine', group: 'Tempo and pitch', keys: [key('Equal', { shift: true })], does: 'faster by 1 %',
    run: ({ api }) => stepTempo(api, 0.01) },
  { id: 'quickSpeeds', group: 'Tempo and pitch', keys: [key('KeyS')], does: `cycle the quick speeds (${QUICK_SPEEDS.map((r) => `${r * 100} %`).join(', ')})`,
    run: async ({ api }) => api.setTempo(nextQuickSpeed((await api.state()).tempo)) },
  { id: 'pitchDown', group: 'Tempo and pitch', keys: [key('Semicolon')], does: 'a semitone lower', run: ({ api }) => stepPitch(api, -1) },
  { id: 'pitchUp', group: 'Tempo and pitch', keys: [key('Quote')], does: 'a semitone higher', run: ({ api }) => stepPitch(api, 1) },
  { id: 'pitchDownFine', group: 'Tempo and pitch', keys: [key('Semicolon', { shift: true })], does: '10 cents lower',
    run: ({ api }) => stepPitch(api, -0.1) },
  { id: 'pitchUpFine', group: 'Tempo and pitch', keys: [key('Quote', { shift: true })], does: '10 cents higher',
    run: ({ api }) => stepPitch(api, 0.1) },
  { id: 'tapTempo', group: 'Tempo and pitch', keys: [key('KeyT')], does: 'tap the tempo (on each beat you hear)',
    run: ({ api }, event) => api.tap({ at: event.timeStamp }) },
  // Listening and stems
  { id: 'listeningMode', group: 'Listening', keys: [key('KeyV')], does: 'cycle stereo, left, right, mono, centre cancel' },
  ...['drums', 'bass', 'vocals', 'other'].flatMap((stem, i) => [
    { id: `solo-${stem}`, group: 'Stems', keys: [key(`Digit${i + 1}`)], does: `solo ${stem} (again: unsolo)` },
    { id: `mute-${stem}`, group: 'Stems', keys: [key(`Digit${i + 1}`, { shift: true })], does: `mute ${stem}` },
  ]),
  { id: 'clearStems', group: 'Stems', keys: [key('Digit0')], does: 'clear solos and mutes' },
  // Help
  { id: 'help', group: 'Help', keys: [key('Slash', { shift: true }), key('F1')], does: 'show or hide this help',
    run: ({ toggleHelp }) => toggleHelp() },
  { id: 'closeHelp', group: 'Help', keys: [key('Escape')], does: 'close this help', run: ({ toggleHelp }) => toggleHelp(false) },
];

/** The shortcut bound to `event` (by code and modifiers), or null. */
export function shortcutFor(event) {
  if (event.ctrlKey || event.metaKey) return null;
  for (const shortcut of KEY_MAP) {
    if (shortcut.keys.some((k) => k.code === event.code && k.shift === event.shiftKey && k.alt === event.altKey)) return shortcut;
  }
  return null;
}

// Keys a focused control uses itself: a button takes Space and Enter, a slider or a select its
// arrows, Home, End and the page keys.
function controlOwns(target, event) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    if (target.type === 'range') return /^(Arrow|Home|End|Page)/.test(event.code);
    if (['button', 'checkbox', 'radio', 'submit', 'reset', 'file', 'color'].includes(target.type)) {
      return event.code === 'Space' || event.code === 'Enter';
    }
    return true;  // a text field takes every key
  }
  if (target instanceof HTMLButtonElement || target.getAttribute('role') === 'button') {
    return event.code === 'Space' || event.code === 'Enter' || event.code === 'NumpadEnter';
  }
  return false;
}

// Names a key as the user's keyboard prints it: "ä" for Quote on a German layout.
function labelFor(k, layout) {
  const names = { Space: 'Space', ArrowLeft: '\u2190', ArrowRight: '\u2192', ArrowUp: '\u2191', ArrowDown: '\u2193', Escape: 'Esc', PageUp: 'PageUp', PageDown: 'PageDown' };
  let name = names[k.code] ?? layout?.get(k.code)?.toUpperCase();
  if (!name) name = k.code.replace(/^(Key|Digit)/, '');
  if (k.code === 'Slash' && k.shift && !layout) name = '?';
  const modifiers = [k.shift && !(k.code === 'Slash' && name === '?') ? 'Shift' : null, k.alt ? 'Alt' : null].filter(Boolean);
  return [...modifiers, name].join(' + ');
}

/** Fills the help overlay from KEY_MAP (implemented shortcuts only), grouped. */
function buildHelp(help, layout) {
  const body = help.querySelector('tbody');
  const rows = [];
  let group = null;
  for (const shortcut of KEY_MAP.filter((s) => s.run)) {
    if (shortcut.group !== group) {
      group = shortcut.group;
      const heading = document.createElement('tr');
      const cell = document.createElement('th');
      cell.colSpan = 2;
      cell.textContent = group;
      heading.append(cell);
      rows.push(heading);
    }
    const row = document.createElement('tr');
    const keys = document.createElement('td');
    keys.append(...shortcut.keys.flatMap((k, i) => {
      const kbd = document.createElement('kbd');
      kbd.textContent = labelFor(k, layout);
      return i === 0 ? [kbd] : [' or ', kbd];
    }));
    const what = document.createElement('td');
    what.textContent = shortcut.does;
    row.append(keys, what);
    rows.push(row);
  }
  body.replaceChildren(...rows);
}

/**
 * Installs the shortcuts. `typing()` says whether a text field in the canvas has the keyboard.
 * Returns {toggleHelp, helpVisible}.
 */
export function installShortcuts(api, typing) {
  const help = document.getElementById('help');
  buildHelp(help, null);
  navigator.keyboard?.getLayoutMap?.().then((layout) => buildHelp(help, layout), () => {});
  const toggleHelp = (show = help.hidden) => { help.hidden = !show; };
  help.addEventListener('click', () => toggleHelp(false));

  const seekTo = async (seconds) => {
    const state = await api.state();
    if (state.trackId === null) return;
    await api.seek(Math.min(Math.max(0, seconds(state)), state.durationSeconds));
  };
  const context = {
    api,
    toggleHelp,
    seekTo,
    seekBy: (delta) => seekTo((s) => s.positionSeconds + delta),
    // At the playhead as heard. A keeps B while B is still after it, else the loop runs to the song's end;
    // B at the playhead keeps A while A is still before it, else the loop starts at 0.
    setLoopEdge: async (edge) => {
      const state = await api.state();
      if (state.trackId === null) return;
      const at = await api.snapLoopTime(state.heardSeconds);
      api.noteLoopEdge(edge);
      const { loop } = state;
      await api.setLoopRegion(edge === 'start'
        ? { start: at, end: loop && loop.end > at + MIN_LOOP_SECONDS ? loop.end : state.durationSeconds }
        : { start: loop && loop.start < at - MIN_LOOP_SECONDS ? loop.start : 0, end: at });
    },
    // The keys stop at the ends of the range instead of asking for a volume it refuses.
    setVolumeBy: async (delta) => {
      const { min, max } = (await api.limits()).volumeDb;
      await api.setVolume(Math.min(max, Math.max(min, (await api.settings()).volumeDb + delta)));
    },
  };

  window.addEventListener('keydown', (event) => {
    if (controlOwns(event.target, event) || typing()) return;
    const shortcut = shortcutFor(event);
    if (!shortcut?.run) return;
    if (shortcut.id === 'playPause' && event.repeat) return;
    event.preventDefault();
    // Failures reach state().lastError and the toasts.
    // A refusal (a loop shorter than the engine takes, ...) says why.
    Promise.resolve().then(() => shortcut.run(context, event)).catch((error) => toast(error.message, 'error'));
  });
  return { toggleHelp, helpVisible: () => !help.hidden };
}
