// Keyboard shortcuts, and the help overlay that lists them. They are handled by the page, not
// ImGui (1.86 misses a key pressed and released between two frames), and never while a text
// field (an HTML one or an ImGui one) has the keyboard.

import { MAX_VOLUME_DB, MIN_VOLUME_DB } from './woodshed-api.js';

/** Every shortcut, as the help overlay shows it. */
export const SHORTCUTS = [
  ['Space', 'play or pause'],
  ['\u2190 / \u2192', 'seek 5 s back / forward'],
  ['Shift + \u2190 / \u2192', 'seek 1 s back / forward'],
  ['Home / End', 'go to the start / the end'],
  ['\u2191 / \u2193', 'volume up / down (2 dB)'],
  ['M', 'mute or unmute'],
  ['L', 'loop on or off'],
  ['1 \u2026 9', 'solo a stem (reserved for stem separation)'],
  ['?', 'show or hide this help'],
  ['Esc', 'close this help'],
];

const VOLUME_STEP_DB = 2;
const SEEK_SECONDS = 5;
const FINE_SEEK_SECONDS = 1;

/** Fills the help overlay's table from SHORTCUTS. */
function buildHelp(help) {
  const body = help.querySelector('tbody');
  body.replaceChildren(...SHORTCUTS.map(([keys, does]) => {
    const row = document.createElement('tr');
    const key = document.createElement('td');
    const kbd = document.createElement('kbd');
    kbd.textContent = keys;
    key.append(kbd);
    const what = document.createElement('td');
    what.textContent = does;
    row.append(key, what);
    return row;
  }));
}

/**
 * Installs the shortcuts. `typing()` says whether a text field in the canvas has the keyboard.
 * Returns {toggleHelp, helpVisible}.
 */
export function installShortcuts(api, typing) {
  const help = document.getElementById('help');
  buildHelp(help);
  const toggleHelp = (show = help.hidden) => { help.hidden = !show; };
  help.addEventListener('click', () => toggleHelp(false));

  const seekTo = async (seconds) => {
    const state = await api.state();
    if (state.trackId === null) return;
    await api.seek(Math.min(Math.max(0, seconds(state)), state.durationSeconds));
  };
  // The keys stop at the ends of the range instead of asking for a volume it refuses.
  const setVolume = async (change) => {
    const db = change((await api.state()).volumeDb);
    await api.setVolume(Math.min(MAX_VOLUME_DB, Math.max(MIN_VOLUME_DB, db)));
  };
  const actions = {
    ' ': async () => ((await api.state()).playing ? api.pause() : api.play()),
    ArrowLeft: (event) => seekTo((s) => s.positionSeconds - (event.shiftKey ? FINE_SEEK_SECONDS : SEEK_SECONDS)),
    ArrowRight: (event) => seekTo((s) => s.positionSeconds + (event.shiftKey ? FINE_SEEK_SECONDS : SEEK_SECONDS)),
    Home: () => seekTo(() => 0),
    End: () => seekTo((s) => s.durationSeconds),
    ArrowUp: async () => setVolume((db) => db + VOLUME_STEP_DB),
    ArrowDown: async () => setVolume((db) => db - VOLUME_STEP_DB),
    m: async () => api.setMuted(!(await api.state()).muted),
    l: async () => api.setLoop(!(await api.state()).looping),
    '?': async () => toggleHelp(),
    Escape: async () => toggleHelp(false),
  };

  window.addEventListener('keydown', (event) => {
    const inField = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement
      || event.target?.isContentEditable;
    if (inField || typing() || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === ' ' && event.repeat) return;
    if (/^[1-9]$/.test(key)) {
      event.preventDefault();  // reserved: soloing stems arrives with stem separation
      return;
    }
    const action = actions[key === '?' ? '?' : key];
    if (!action) return;
    event.preventDefault();
    action(event).catch(() => {});  // failures reach state().lastError and the toasts
  });
  return { toggleHelp, helpVisible: () => !help.hidden };
}
