// Boots Woodshed: checks that the page can share memory with threads, loads the wasm module,
// and publishes the automation API as window.woodshed (see woodshed-api.js).

import { AudioOutput } from './audio-output.js';
import { ImportQueue } from './import.js';
import { Library } from './library.js';
import { WoodshedApi, callEntry } from './woodshed-api.js';

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

const RELOAD_GUARD = 'woodshed-reloaded-for-isolation';

/**
 * Registers the service worker, which keeps the app for offline use and, on hosts that do not
 * send COOP/COEP, adds those headers itself. A page that is not isolated yet reloads once the
 * worker controls it; a flag in sessionStorage allows one such reload per visit, so a loop is
 * impossible. Returns why isolation cannot come from the worker, or null.
 */
async function ensureServiceWorker() {
  if (!('serviceWorker' in navigator)) return 'This browser offers no service worker here (a private window may disable them).';
  let registration;
  try {
    registration = await navigator.serviceWorker.register('sw.js', { scope: './' });
  } catch (error) {
    if (!globalThis.crossOriginIsolated) return `The service worker could not be installed (${error.message}).`;
    return null;  // isolated by the server's headers: the app runs, just not offline
  }
  if (globalThis.crossOriginIsolated) {
    sessionStorage.removeItem(RELOAD_GUARD);
    return null;
  }
  if (!registration || !(registration.installing || registration.waiting || registration.active)) {
    return 'Service workers are blocked for this page.';
  }
  if (sessionStorage.getItem(RELOAD_GUARD)) {
    sessionStorage.removeItem(RELOAD_GUARD);  // a manual reload may try once more
    return 'The service worker took over but the page is still not isolated.';
  }
  document.getElementById('loading').textContent = 'Preparing Woodshed to run offline\u2026';
  if (!navigator.serviceWorker.controller) {
    // The first install downloads the app for offline use, then takes control.
    const installing = registration.installing;
    const failed = await new Promise((resolve) => {
      navigator.serviceWorker.addEventListener('controllerchange', () => resolve(false), { once: true });
      installing?.addEventListener('statechange', () => {
        if (installing.state === 'redundant') resolve(true);
      });
      setTimeout(() => resolve(true), 60000);
    });
    if (failed) return 'The service worker could not finish installing (is the connection down?).';
  }
  sessionStorage.setItem(RELOAD_GUARD, '1');
  location.reload();
  return new Promise(() => {});  // the reload replaces this page
}

/** Why this page cannot run Woodshed, or null when it can. */
function isolationProblem(serviceWorkerProblem) {
  if (typeof SharedArrayBuffer === 'undefined' || !globalThis.crossOriginIsolated) {
    return 'This page is not cross-origin isolated, so the browser does not allow the shared memory '
      + `Woodshed needs for its audio threads.${serviceWorkerProblem ? ` ${serviceWorkerProblem}` : ''}`;
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
function importFromUser(files, library) {
  if (files.length === 0) return;
  library.askToPersist();  // a user gesture: the moment to ask for storage that is kept
  const attempts = Array.from(files, (file) => api.importFiles([file]).then(([id]) => id, () => null));
  Promise.all(attempts).then(async (ids) => {
    const first = ids.find((id) => id !== null);
    if (first && (await api.state()).trackId === null) await api.load(first);
  }).catch(() => {});
}

function acceptFilesFromTheUser(library) {
  const input = document.getElementById('file-input');
  input.addEventListener('change', () => {
    importFromUser(Array.from(input.files), library);
    input.value = '';
  });
  window.addEventListener('dragover', (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    importFromUser(Array.from(event.dataTransfer.files), library);
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
  const problem = isolationProblem(await ensureServiceWorker());
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
    // The library panel's actions; failures show in the app through state().lastError.
    libraryLoad: (id) => { api.load(id).catch(() => {}); },
    libraryRemove: (id) => { api.remove(id).catch(() => {}); },
    libraryRename: (id, name) => { api.rename(id, name).catch(() => {}); },
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
    onFirstFrame: () => api.noteFirstFrame(performance.now()),
  });
  await appStarted;
  const output = new AudioOutput(module);
  const library = await Library.open();
  const { temporaryFiles, filesWithoutRecords, recordsWithoutFiles } = library.repaired;
  if (temporaryFiles + filesWithoutRecords + recordsWithoutFiles > 0) {
    const notice = `The library was repaired: removed ${temporaryFiles} unfinished file(s), ${filesWithoutRecords} `
      + `file(s) without a record and ${recordsWithoutFiles} record(s) without a file.`;
    console.info(notice);
    callEntry(module, 'ws_report_error', ['string'], [notice]);
  }
  api.attach(module, output, new ImportQueue(module, output, library), library);
  try {
    await api.restoreSession();
  } catch (error) {
    console.warn(`Woodshed could not reopen the last song: ${error.message}`);
  }
  acceptFilesFromTheUser(library);
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
