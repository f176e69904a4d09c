// Boots Woodshed: checks that the page can share memory with threads, loads the wasm module,
// and publishes the automation API as window.woodshed (see woodshed-api.js).

import { AudioOutput } from './audio-output.js';
import { ImportQueue } from './import.js';
import { WoodshedApi } from './woodshed-api.js';

const testMode = new URLSearchParams(location.search).has('test');
const api = new WoodshedApi({ testMode });
window.woodshed = api;

function show(id) {
  document.getElementById('loading').hidden = true;
  document.getElementById(id).hidden = false;
}

function explainUnsupported(reason) {
  document.getElementById('unsupported-reason').textContent = reason;
  show('unsupported');
}

/** Why this page cannot run Woodshed, or null when it can. */
function isolationProblem() {
  if (typeof SharedArrayBuffer === 'undefined' || !globalThis.crossOriginIsolated) {
    return 'This page is not cross-origin isolated, so the browser does not allow the shared memory '
      + 'Woodshed needs for its audio threads.';
  }
  if (typeof AudioWorkletNode === 'undefined') {
    return 'This browser has no AudioWorklet, which Woodshed uses to play sound.';
  }
  return null;
}

// The AudioContext may only start after a user gesture: the first click or key press starts
// audio output, once.
function startAudioOnFirstGesture() {
  const events = ['pointerdown', 'keydown'];
  const onGesture = () => {
    for (const type of events) window.removeEventListener(type, onGesture, true);
    api.start().catch(() => {});  // the UI shows the failure; nothing else to do here
  };
  for (const type of events) window.addEventListener(type, onGesture, true);
}

// Files the user opens or drops are imported; the first one becomes current if nothing is.
// Failures show in the app (the import reports them); nothing else changes.
function importFromUser(files) {
  if (files.length === 0) return;
  api.importFiles(files).catch(() => []).then(async () => {
    const state = await api.state();
    if (state.trackId !== null) return;
    const tracks = await api.tracks();
    const names = new Set(Array.from(files, (file) => file.name));
    const first = tracks.find((track) => names.has(track.name));
    if (first) await api.load(first.id);
  }).catch(() => {});
}

function acceptFilesFromTheUser() {
  const input = document.getElementById('file-input');
  input.addEventListener('change', () => {
    importFromUser(Array.from(input.files));
    input.value = '';
  });
  window.addEventListener('dragover', (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    importFromUser(Array.from(event.dataTransfer.files));
  });
}

// Space plays or pauses; Left/Right seek 5 s (Shift: 1 s). Handled here rather than in ImGui
// 1.86, which misses a key pressed and released between two frames. Never while typing.
function handleShortcuts(module) {
  window.addEventListener('keydown', (event) => {
    const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement
      || module._ws_wants_text_input() !== 0;
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const seekBy = async (seconds) => {
      const state = await api.state();
      if (state.trackId === null) return;
      await api.seek(Math.min(Math.max(0, state.positionSeconds + seconds), state.durationSeconds));
    };
    let action = null;
    if (event.key === ' ' && !event.repeat) {
      action = async () => ((await api.state()).playing ? api.pause() : api.play());
    } else if (event.key === 'ArrowLeft') {
      action = () => seekBy(event.shiftKey ? -1 : -5);
    } else if (event.key === 'ArrowRight') {
      action = () => seekBy(event.shiftKey ? 1 : 5);
    }
    if (!action) return;
    event.preventDefault();
    action().catch(() => {});  // failures are in state().lastError and on screen
  });
}

async function boot() {
  const problem = isolationProblem();
  if (problem) {
    explainUnsupported(problem);
    throw new Error(problem);
  }
  const canvas = document.getElementById('canvas');
  // C++ calls Module.host to start and stop audio (src/platform/web/web_platform.cpp).
  const host = {
    requestAudioStart: () => { api.start().catch(() => {}); },
    requestAudioStop: () => { api.stop().catch(() => {}); },
    requestOpenFiles: () => document.getElementById('file-input').click(),
    requestCancelImport: (key) => { api.cancelImports(key).catch(() => {}); },
  };
  let appReady;
  let appFailed;
  const appStarted = new Promise((resolve, reject) => {
    appReady = resolve;
    appFailed = (message) => reject(new Error(message));
  });
  const { default: createWoodshed } = await import('./woodshed.js');
  const module = await createWoodshed({
    canvas,
    host,
    lastInputTime: performance.now(),
    onAppReady: () => appReady(),
    onAppFailed: (message) => appFailed(message),
  });
  await appStarted;
  const output = new AudioOutput(module);
  api.attach(module, output, new ImportQueue(module, output));
  acceptFilesFromTheUser();
  handleShortcuts(module);
  // The app draws at full rate only while the user interacts (src/platform/web/main.cpp).
  const noteInput = () => { module.lastInputTime = performance.now(); };
  for (const type of ['pointermove', 'pointerdown', 'pointerup', 'keydown', 'keyup', 'wheel', 'resize', 'focus']) {
    window.addEventListener(type, noteInput, { passive: true, capture: true });
  }
  document.getElementById('loading').hidden = true;
  canvas.focus();
  startAudioOnFirstGesture();
}

boot().then(() => api.resolveReady(), (error) => {
  if (document.getElementById('unsupported').hidden) explainUnsupported(error.message);
  api.rejectReady(error);
});
