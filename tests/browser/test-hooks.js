// Test hooks for the browser tests: fault injection, audio-context probes, and the app's
// internals the tests reach into. Not part of the app: the build never copies this file, the
// service worker never precaches it, and only the test servers (tools/lib/serve.py
// --test-hooks, fault-server.mjs) serve it at /test-hooks.js beside the app. A page opened with
// ?test imports it from there; on any other host the import fails and ?test changes nothing.

import { callEntry } from './engine-bridge.js';

/** Returns window.woodshed.test, given the app's parts (app.js). */
let heldWrite = null;

export function installTestHooks({ bridge, output, imports, library, session, shortcuts, mediaSession, launch }) {
  const module = bridge.module;
  module._ws_enable_fault_injection(1);
  const rect = (address) => {
    if (!address) return null;
    const [x, y, width, height] = new Float64Array(module.HEAPU8.buffer, address, 4);
    const ratio = window.devicePixelRatio || 1;
    return { x: x / ratio, y: y / ratio, width: width / ratio, height: height / ratio };
  };
  return {
    /** Names of every exported C++ entry point that runs through the exception boundary. */
    entries: () => module.UTF8ToString(module._ws_entry_names()).split(','),
    /** Names of every exported C++ function the page can call (ws_...). */
    exports: () => Object.keys(module).filter((key) => key.startsWith('_ws_')).map((key) => key.slice(1)),
    /** Makes the next call of `entry` throw inside C++. */
    armFault: (entry) => callEntry(module, 'ws_arm_fault', ['string'], [entry]),
    /** Sets the budget for decoded songs to `bytes` (setDeviceMemory sizes it as a device would). */
    setSongBudget: (bytes) => { if (module._ws_set_song_budget_for_test(bytes) !== 0) throw new Error('test hooks are off'); },
    /** Sizes the budget for decoded songs as on a device with `gigabytes` of memory. */
    setDeviceMemory: (gigabytes) => callEntry(module, 'ws_set_device_memory', ['number'], [gigabytes]),
    /** Closes the AudioContext as a browser might; the next start() creates a new one. */
    closeAudioContext: (options) => output.closeForTest(options),
    /** Counts of created and released audio objects, to prove nothing leaks. */
    audioCounts: () => ({ ...output.counts }),
    /** Calls ws_notify_audio_state with the current state (to exercise that entry). */
    notifyAudioState: () => output.reportState(),
    /** Makes the library's next file write fail with QuotaExceededError after `bytes`. */
    failLibraryWriteAfter: (bytes) => {
      library.writeProbe = (written) => {
        if (written < bytes) return;
        library.writeProbe = null;
        throw new DOMException('the quota was exceeded', 'QuotaExceededError');
      };
    },
    /** Sets the generator in the engine directly, as the app's own panel does (not through the API). */
    setGeneratorAsThePanelDoes: (type, frequency, levelDb) => callEntry(module, 'ws_set_generator',
      ['string', 'number', 'number', 'number'], [type, frequency, levelDb, 1]),
    /** Makes the next import's waveform job fail with `message`, as running out of memory would. */
    failNextWaveform: (message) => callEntry(module, 'ws_inject_waveform_failure', ['string'], [message]),
    /** Slows the library's file writes by `milliseconds` per 1 MB chunk (0 restores them). */
    slowLibraryWrites: (milliseconds) => {
      library.writeProbe = milliseconds > 0 ? () => new Promise((r) => setTimeout(r, milliseconds)) : null;
    },
    /**
     * Holds the library's next file write after its first chunk until releaseLibraryWrite():
     * with an error, the write fails with it.
     */
    holdLibraryWrite: () => {
      let release;
      const gate = new Promise((resolve) => { release = resolve; });
      library.writeProbe = async () => {
        library.writeProbe = null;
        const error = await gate;
        if (error) throw error;
      };
      heldWrite = release;
    },
    releaseLibraryWrite: (error = null) => heldWrite?.(error),
    /** A digest of an engine track's waveform overview (throws while it has none). */
    waveformDigest: (trackId) => {
      callEntry(module, 'ws_waveform_digest', ['number'], [trackId]);
      return module._ws_result_number();
    },
    /** The engine track id of a song in memory, or undefined. */
    engineTrackOf: (id) => session.engineId(id),
    /** Who decoded the last file imported: 'page', 'chunked' or 'browser'. */
    lastDecoder: () => imports.lastDecoder,
    /** Holds the next chunked decode once its song is playable, until releaseDecoding(failure?). */
    holdDecoding: () => imports.holdDecoding(),
    releaseDecoding: (failure) => imports.releaseDecoding(failure),
    /** The engine's tracks: [{id, loaded, ...}] (ws_tracks). */
    engineTracks: () => {
      callEntry(module, 'ws_tracks', [], []);
      return JSON.parse(module.UTF8ToString(module._ws_result_text()));
    },
    /** The size of the wasm memory in bytes (it only grows). */
    wasmMemoryBytes: () => module.HEAPU8.buffer.byteLength,
    /**
     * Makes the next save fail after its file is in place and before its record is written,
     * as a failing IndexedDB would.
     */
    failLibraryCommit: (message) => {
      library.commitProbe = () => {
        library.commitProbe = null;
        throw new DOMException(message, 'UnknownError');
      };
    },
    /** Slows each change of a library record between its read and its write (0 restores it). */
    slowLibraryUpdates: (milliseconds) => {
      library.updateProbe = milliseconds > 0 ? () => new Promise((r) => setTimeout(r, milliseconds)) : null;
    },
    /** Saves a song's play position as the session does every few seconds while it plays. */
    notePlayback: (id, seconds) => library.notePlayback(id, seconds),
    /** Stores a value in a song's recall record directly, as a damaged or old record might hold. */
    storeRecall: (id, key, value) => library.setRecall(id, key, value),
    /** Songs in the C++ app's library panel (what the page last told it). */
    catalogSize: () => module._ws_catalog_size(),
    /** Where the waveform is on the page, in CSS pixels: {x, y, width, height}. */
    waveformRect: () => rect(module._ws_waveform_rect()),
    /** Where the library's search field is, in CSS pixels. */
    searchRect: () => rect(module._ws_search_rect()),
    /**
     * Where the control of setting `key` ("limiter.ceilingDb") was last drawn, and in which
     * frame: {x, y, width, height, frame}, or null.
     */
    controlRect: (key) => {
      const address = module.ccall('ws_control_rect', 'number', ['string'], [key]);
      return address ? { ...rect(address), frame: new Float64Array(module.HEAPU8.buffer, address, 5)[4] } : null;
    },
    /** Frames the app has drawn. */
    framesDrawn: () => module._ws_frames_drawn(),
    /** The session's library id for the current song (to check it against the engine's). */
    currentSong: () => session.currentId,
    /** Hands files to the launch consumer as the operating system would. */
    launchWith: (files) => launch({ files: files.map((file) => ({ getFile: async () => file })) }),
    /** Calls a registered media session action handler. */
    mediaSessionAction: (action, details) => mediaSession.invoke(action, details),
    helpVisible: () => shortcuts.helpVisible(),
    /** Whether a text field in the canvas has the keyboard (the shortcuts stand aside then). */
    typing: () => module._ws_wants_text_input() !== 0,
    /** Calls an entry with harmless arguments, as the app's own plumbing does. */
    invoke: (entry) => {
      const calls = {
        ws_tracks: [[], []],
        ws_load: [['number', 'number'], [0, 0]],
        ws_unload: [['number'], [0]],
        ws_import_progress: [['number', 'number', 'number', 'string'], [0, 0, 0, 'probe']],
        ws_import_done: [['number'], [0]],
        ws_import_cancel: [['number'], [0]],
        ws_import_write: [['number', 'number', 'number', 'number'], [0, 0, 0, 0]],
        ws_import_open: [['number'], [0]],
        ws_import_commit: [['number'], [0]],
        ws_report_error: [['string'], ['']],
        ws_catalog_begin: [[], []],
        ws_catalog_add: [['string', 'string', 'string', 'number', 'number', 'number', 'number'], ['', '', '', 0, 0, 0, 0]],
        ws_catalog_end: [['string', 'number', 'number', 'number'], ['', 0, 0, 0]],
        ws_media_cache: [['number', 'number', 'number', 'number'], [0, 0, 0, 0]],
        ws_markers_begin: [[], []],
        ws_markers_add: [['string', 'string', 'number', 'number'], ['', '', 0, 0]],
        ws_markers_end: [[], []],
        ws_set_beat_grid: [['number', 'number', 'number'], [120, 0, 4]],
        ws_clear_beat_grid: [[], []],
        ws_detect_beats: [[], []],
        ws_beat_detection_status: [[], []],
        ws_nearest_zero_crossing: [['number'], [0]],
        ws_note_loop_snap: [['number'], [0]],
        ws_note_tuning: [['number'], [Number.NaN]],
        ws_set_eq_bypass: [['number'], [0]],
        ws_set_spectrum: [['number', 'number'], [4096, 0]],
        ws_normalize_status: [[], []],
        ws_normalize: [['number'], [-14]],
        ws_set_track_gain: [['number'], [0]],
        ws_recall: [[], []],
        ws_limits: [[], []],
        ws_export_start: [Array(8).fill('number'), [0, 0, 0.1, 0, -1, 0, 1, 0]],
        ws_set_device_memory: [['number'], [0]],
        ws_export_status: [[], []],
        ws_export_consume: [['number'], [0]],
        ws_export_cancel: [[], []],
        ws_export_end: [[], []],
      };
      if (!calls[entry]) throw new Error(`no harmless call for ${entry}`);
      callEntry(module, entry, ...calls[entry]);
    },
  };
}
