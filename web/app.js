// Boots Woodshed: checks that the page can share memory with threads, loads the wasm module,
// and publishes the automation API as window.woodshed (see woodshed-api.js).

import { AudioOutput } from './audio-output.js';
import { BUILD_ID, WASM_INTEGRITY } from './build-info.js';
import './cache-budgets.js';
import { EngineBridge } from './engine-bridge.js';
import { EXPORT_FORMATS } from './export.js';
import { describeAudio, ImportQueue } from './import.js';
import { Library } from './library.js';
import { offerSharedFiles, SharedInbox } from './shared-inbox.js';
import { MediaSessionBridge } from './media-session.js';
import { installShortcuts, NUDGE_SECONDS } from './keymap.js';
import { Session } from './session.js';
import { toast } from './toasts.js';
import { WakeLock } from './wake-lock.js';
import { WoodshedApi } from './woodshed-api.js';
import { Workbox } from './workbox-window.js';

const api = new WoodshedApi();
api.build = BUILD_ID;
window.woodshed = api;

// Test hooks live in tests/browser/test-hooks.js, which only the test servers serve beside the
// app; it is no part of the build or the precache. Elsewhere the import fails and ?test changes
// nothing.
const testHooks = new URLSearchParams(location.search).has('test')
  ? await import('./test-hooks.js').catch(() => null)
  : null;
const testMode = testHooks !== null;

function loadingStage(text) {
  document.getElementById('loading').textContent = text;
}

function show(id) {
  document.getElementById('loading').hidden = true;
  document.getElementById(id).hidden = false;
}

function explainUnsupported(reason) {
  document.getElementById('unsupported-reason').textContent = reason;
  // The help about cross-origin isolation only where that is what is missing.
  document.getElementById('unsupported-isolation').hidden = globalThis.crossOriginIsolated === true;
  show('unsupported');
}

const RELOAD_GUARD = 'woodshed-reloaded-for-isolation';

// Tests may shrink the media cache's budgets (?test&mediaMaxBytes=... with the test hooks
// loaded); nothing else may. A page that asks for nothing keeps the worker script that is
// registered: a test page offline has no hooks (they are never cached), and registering another
// script URL then would start a second install that cannot finish.
async function serviceWorkerUrl() {
  const page = new URLSearchParams(location.search);
  const parameters = new URLSearchParams();
  for (const key of ['mediaMaxBytes', 'mediaMaxEntries']) {
    if (testMode && page.has(key)) parameters.set(key, page.get(key));
  }
  const query = parameters.toString();
  if (query) return `sw.js?${query}`;
  const registered = (await navigator.serviceWorker.getRegistration())?.active?.scriptURL;
  return registered && new URL(registered).pathname === new URL('sw.js', location.href).pathname ? registered : 'sw.js';
}

// Files shared with the app wait in the service worker's quarantine until the user accepts
// them (shared-inbox.js). Accepted files are imported like dropped ones: the first becomes
// current only if no song is.
async function acceptSharedFiles(inbox) {
  const files = await inbox.take();
  importFromUser(files);
}

// ?open=media/<file>: a song the host publishes beside the app is imported and loaded.
async function openPublishedSong(path) {
  const url = new URL(path, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(new URL('media/', location.href).pathname)) {
    throw new Error('only songs under media/ beside the app can be opened from the address');
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${path} could not be downloaded (status ${response.status})`);
  const name = decodeURIComponent(url.pathname.split('/').pop());
  const [id] = await api.importFiles([{ name, bytes: await response.arrayBuffer() }]);
  await api.load(id);
}

// Says what the start-up check of the library did, if anything.
function reportRepairs({ migratedFiles, temporaryFiles, recordsWithoutFiles, recovered, unreadable }) {
  if (migratedFiles > 0) console.info(`Woodshed moved ${migratedFiles} stored file(s) into the library's new layout.`);
  const parts = [];
  if (recovered.length > 0) {
    const names = recovered.slice(0, 3).map((name) => `"${name}"`).join(', ') + (recovered.length > 3 ? ', \u2026' : '');
    parts.push(`recovered ${recovered.length} song(s) that had lost their details (${names})`
      + (unreadable > 0 ? `; ${unreadable} of them cannot be read and may be damaged` : ''));
  }
  if (temporaryFiles > 0) parts.push(`removed ${temporaryFiles} unfinished file(s)`);
  if (recordsWithoutFiles > 0) parts.push(`removed ${recordsWithoutFiles} entry(ies) whose file was gone`);
  if (parts.length === 0) return;
  const notice = `The library was checked: ${parts.join('; ')}.`;
  console.info(notice);
  toast(notice, 'notice');
}

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
    const workbox = new Workbox(await serviceWorkerUrl(), { scope: './' });
    registration = await workbox.register();
    if (registration) watchForUpdates(workbox, registration);
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

/**
 * A new version waits until the user accepts it: a banner offers a reload, and only then does
 * the waiting worker take over (so a page never mixes files of two versions). A version that
 * fails to install (a file failed its integrity check or could not be downloaded) is reported;
 * the running one carries on.
 */
function watchForUpdates(workbox, registration) {
  const banner = document.getElementById('update');
  workbox.addEventListener('waiting', () => {
    api.updateStatus = 'available';
    banner.hidden = false;
  });
  document.getElementById('update-reload').addEventListener('click', () => {
    workbox.addEventListener('controlling', () => location.reload());
    workbox.messageSkipWaiting();
  });
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    if (!worker || !registration.active) return;  // the first install is not an update
    let installed = false;
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed') installed = true;
      if (worker.state === 'redundant' && !installed) {
        api.updateStatus = 'failed';
        toast('An update of Woodshed could not be installed (a file failed its integrity check or could not be '
          + 'downloaded). This version keeps working, online and offline.', 'error');
      }
    });
  });
}

/** Why this page cannot run Woodshed, or null when it can. */
function isolationProblem(serviceWorkerProblem) {
  if (!globalThis.crossOriginIsolated) {
    return 'This page is not cross-origin isolated, so the browser does not allow the shared memory '
      + `Woodshed needs for its audio threads.${serviceWorkerProblem ? ` ${serviceWorkerProblem}` : ''}`;
  }
  // Isolated, and still no shared memory: the browser itself lacks it (WebKitGTK's default).
  if (typeof SharedArrayBuffer === 'undefined') {
    return 'This browser does not offer the shared memory (SharedArrayBuffer) Woodshed needs for its audio '
      + 'threads, even on this cross-origin isolated page. Chromium, Edge and Firefox have it.';
  }
  if (typeof AudioWorkletNode === 'undefined') {
    return 'This browser has no AudioWorklet, which Woodshed uses to play sound.';
  }
  if (typeof navigator.storage?.getDirectory !== 'function'
      || typeof globalThis.FileSystemFileHandle?.prototype.createWritable !== 'function') {
    return 'This browser cannot write files into its private file system (OPFS createWritable), where '
      + 'Woodshed keeps your songs. Chromium, Edge and Firefox can.';
  }
  return null;
}

// The AudioContext may only start after a user gesture: the first click or key press starts
// audio output, once.
function startAudioOnFirstGesture() {
  const events = ['pointerdown', 'keydown'];
  const onGesture = () => {
    for (const type of events) window.removeEventListener(type, onGesture, true);
    api.start().catch((error) => toast(`Audio could not start: ${error.message}`, 'error'));
  };
  for (const type of events) window.addEventListener(type, onGesture, true);
}

// Imports each file, showing failures as toasts; returns the ids that worked, in order.
async function importEach(files) {
  const ids = await Promise.all(Array.from(files, (file) => api.importFiles([file]).then(([id]) => id, (error) => {
    toast(error.message, 'error');
    return null;
  })));
  return ids.filter((id) => id !== null);
}

// Files the user opens or drops are imported; the first one becomes current if nothing is.
function importFromUser(files) {
  if (files.length === 0) return Promise.resolve();
  return importEach(files).then(async ([first]) => {
    if (first && (await api.state()).trackId === null) await api.load(first);
  }).catch((error) => toast(error.message, 'error'));
}

// Files opened with the installed app (file_handlers + launchQueue): imported, and the first
// one plays.
async function openLaunchedFiles(params) {
  const files = await Promise.all(Array.from(params.files ?? [], (handle) => handle.getFile()));
  const [first] = await importEach(files);
  if (!first) return;
  await api.load(first);
  await api.play();
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

async function boot() {
  const problem = isolationProblem(await ensureServiceWorker());
  if (problem) {
    explainUnsupported(problem);
    throw new Error(problem);
  }
  const canvas = document.getElementById('canvas');
  // C++ calls Module.host to start and stop audio (src/platform/web/web_platform.cpp).
  const host = {
    requestAudioStart: () => { api.start().catch((error) => toast(`Audio could not start: ${error.message}`, 'error')); },
    requestAudioStop: () => { api.stop().catch(() => {}); },
    requestOpenFiles: () => document.getElementById('file-input').click(),
    requestCancelImport: (key) => { api.cancelImports(key).catch(() => {}); },
    // The library panel's actions; failures show in the app through state().lastError.
    libraryLoad: (id) => { api.load(id).catch((error) => toast(error.message, 'error')); },
    libraryRemove: (id) => { api.remove(id).catch((error) => toast(error.message, 'error')); },
    libraryRename: (id, name) => { api.rename(id, name).catch((error) => toast(error.message, 'error')); },
    // A Shift+drag across the waveform: its ends snap as the user chose.
    setLoopRegion: (start, end) => {
      Promise.all([api.snapLoopTime(start), api.snapLoopTime(end)])
        .then(([a, b]) => api.setLoopRegion({ start: a, end: b }))
        .catch((error) => toast(error.message, 'error'));
    },
    nudgeLoop: (edge, direction) => {
      api.settings()
        .then((s) => api.nudgeLoop(edge, s.beatGrid ? { beats: direction } : { seconds: direction * NUDGE_SECONDS }))
        .catch((error) => toast(error.message, 'error'));
    },
    setLoopSnap: (mode) => { api.setLoopSnap(mode).catch((error) => toast(error.message, 'error')); },
    // The markers panel and the waveform's marker actions.
    addMarker: (seconds) => { api.addMarker({ seconds }).catch((error) => toast(error.message, 'error')); },
    renameMarker: (id, name) => { api.updateMarker(id, { name }).catch((error) => toast(error.message, 'error')); },
    removeMarker: (id) => { api.removeMarker(id).catch((error) => toast(error.message, 'error')); },
    // The Tap button went down at the last pointer event.
    tap: () => { api.tap({ at: module.lastInputTime }).catch((error) => toast(error.message, 'error')); },
    setTempo: (ratio) => { api.setTempo(ratio).catch((error) => toast(error.message, 'error')); },
    setPitch: (semitones) => { api.setPitch(semitones).catch((error) => toast(error.message, 'error')); },
    tuneTo: (hz) => { api.tuneTo(hz).catch((error) => toast(error.message, 'error')); },
    waveformFinished: (trackId, name, error) => api.waveformFinished(trackId, name, error),
    setBeatGrid: (bpm, offsetSeconds, beatsPerBar) => {
      api.setBeatGrid({ bpm, offsetSeconds, beatsPerBar }).catch((error) => toast(error.message, 'error'));
    },
    // The Export popup's button: the save picker opens while the click's activation lasts.
    exportAudio: (region, start, end, format, eachStem) => {
      const spec = {
        region: region === 0 ? 'song' : region === 1 ? 'loop' : { start, end },
        format: EXPORT_FORMATS[format],
        stems: eachStem ? 'each' : 'mix',
      };
      api.saveExport(spec)
        .then((names) => { if (names.length > 0) toast(`Exported ${names.join(', ')}`, 'notice'); })
        .catch((error) => {
          const cancelled = error.message.startsWith('cancelled');
          toast(cancelled ? 'Export cancelled: no file was left' : `Export failed: ${error.message}`, cancelled ? 'notice' : 'error');
        });
    },
    cancelExport: () => api.cancelExport(),
    normalize: (targetLufs) => {
      api.normalize({ targetLufs })
        .then(({ gainDb }) => toast(`Normalized: playback gain ${gainDb >= 0 ? '+' : ''}${gainDb.toFixed(1)} dB`, 'notice'))
        .catch((error) => toast(`Normalizing failed: ${error.message}`, 'error'));
    },
  };
  // The module's start can fail before createWoodshed resolves (its code refused), which then
  // never does: both waits below also end on a failure, so boot() rejects with its message.
  let appReady;
  let appFailed;
  const appStarted = new Promise((resolve) => { appReady = resolve; });
  const startFailed = new Promise((resolve, reject) => { appFailed = (message) => reject(new Error(message)); });
  startFailed.catch(() => {});  // raced below
  loadingStage('Downloading Woodshed\u2026');
  const { default: createWoodshed } = await import('./woodshed.js');
  loadingStage('Starting the audio engine and its threads\u2026');
  const module = await Promise.race([startFailed, createWoodshed({
    canvas,
    host,
    lastInputTime: performance.now(),
    onAppReady: () => appReady(),
    onAppFailed: (message) => appFailed(message),
    onFirstFrame: () => api.noteFirstFrame(performance.now()),
    // The wasm is checked against the hash the build recorded, even on a first visit that no
    // service worker serves yet: a tampered file is refused.
    instantiateWasm: (imports, receiveInstance) => {
      WebAssembly.instantiateStreaming(fetch('woodshed.wasm', { integrity: WASM_INTEGRITY, credentials: 'same-origin' }), imports)
        .then(({ instance, module: compiled }) => receiveInstance(instance, compiled))
        .catch((error) => appFailed(`Woodshed's code could not be loaded safely: woodshed.wasm failed its integrity `
          + `check or could not be downloaded (${error.message}). Reload the page; if this happens again, the files on `
          + 'this host are damaged or incomplete.'));
      return {};
    },
  })]);
  await Promise.race([startFailed, appStarted]);
  loadingStage('Opening your library\u2026');
  const output = new AudioOutput(module);
  // The app draws its playhead where the song is heard, less the output latency the browser
  // learns while audio runs: it is told again when that changes.
  setInterval(() => output.refreshLatency(), 1000);
  const library = await Library.open({ describe: async (bytes) => describeAudio(await output.ensureContext(), bytes) });
  reportRepairs(library.repaired);
  library.onClosed((message) => toast(message, 'error'));
  const inbox = new SharedInbox();
  const bridge = new EngineBridge(module);
  const imports = new ImportQueue(module, output, library);
  const session = new Session(bridge, library, imports, () => api.changed());
  output.onRateChange = (from, to) => {
    session.rateChanged().catch((error) => toast(`The audio output changed from ${from} to ${to} Hz, and the song `
      + `could not be prepared again at the new rate: ${error.message}`, 'error'));
  };
  // The budget for decoded songs follows the device's memory (Chromium tells it, up to 8 GB).
  bridge.call('ws_set_device_memory', ['number'], [navigator.deviceMemory ?? 0]);
  api.attach({ bridge, output, imports, library, inbox, session });
  try {
    await api.restoreSession();
  } catch (error) {
    toast(`The last song could not be reopened: ${error.message}`, 'error');
  }
  const refused = Number(new URLSearchParams(location.search).get('refused'));
  if (refused > 0) {
    toast(`${refused} shared file(s) were not taken: at most ${globalThis.WOODSHED_CACHE_BUDGETS.sharedMaxFiles} files `
      + 'and 1 GB may wait to be imported.', 'error');
  }
  inbox.onChange = () => offerSharedFiles(inbox, () => acceptSharedFiles(inbox)).catch(() => {});
  await inbox.onChange();  // expired shares are gone before the app says it is ready
  const published = new URLSearchParams(location.search).get('open');
  if (published) openPublishedSong(published).catch((error) => toast(error.message, 'error'));
  acceptFilesFromTheUser();
  const shortcuts = installShortcuts(api, () => module._ws_wants_text_input() !== 0);
  const mediaSession = new MediaSessionBridge(api);
  api.onChange(() => { mediaSession.update().catch(() => {}); });
  const wakeLock = new WakeLock();
  api.keepAwake(wakeLock);
  api.onChange(() => { api.state().then((s) => wakeLock.follow(s.playing), () => {}); });
  if ('launchQueue' in window) {
    window.launchQueue.setConsumer((params) => { openLaunchedFiles(params).catch((e) => toast(e.message, 'error')); });
  }
  if (testHooks) {
    api.test = testHooks.installTestHooks({
      bridge, output, imports, library, session, shortcuts, mediaSession, launch: openLaunchedFiles,
    });
  }
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
