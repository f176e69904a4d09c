// window.woodshed: the documented JavaScript API for automation and embedding.
//
//   await woodshed.ready                       resolves when the app takes calls
//   await woodshed.start() / woodshed.stop()   audio output on/off (after the AudioContext really runs/stops)
//   await woodshed.setGenerator({type, frequency, levelDb}) or setGenerator(null) to turn it off
//   await woodshed.setLatency(ms)               target buffer between the engine and the worklet
//   await woodshed.setMasterGain(db)
//   await woodshed.stats()                      engine, worklet and memory figures (see stats())
//   await woodshed.captureOutput(seconds)       what the worklet really played, up to 30 s
//   await woodshed.importFiles(files)           File objects or {name, bytes}; resolves with track ids
//   await woodshed.tracks()                     [{id, name, duration, sampleRate, channels, ...}]
//   await woodshed.load(id) / unload(id)        make a track current (paused at 0) / free it
//   await woodshed.play() / pause()             the current track's transport
//   await woodshed.seek(seconds), setLoop(on)
//   await woodshed.state()                      {trackId, positionSeconds, durationSeconds, playing, looping, lastError}
//
// Every call into C++ goes through one exception boundary: a failure comes back as a rejected
// promise with the engine's message, and the engine stays usable.

const STATS_FIELDS = [
  'sampleRate', 'framesRendered', 'framesPlayed', 'underruns', 'ringFillFrames', 'targetLatencyMs',
  'renderLoadAvg', 'renderLoadMax', 'heapBytesInUse', 'heapCapacity', 'threads', 'nonFiniteBlocks',
];

const STATE_FIELDS = ['trackId', 'positionSeconds', 'durationSeconds', 'playing', 'looping'];

const GENERATOR_TYPES = ['sine', 'square', 'triangle', 'saw', 'white', 'pink', 'sweep'];

/** Calls an exported C++ entry; throws an Error with the engine's message when it fails. */
export function callEntry(module, name, argTypes, args) {
  const status = module.ccall(name, 'number', argTypes, args);
  if (status !== 0) {
    const message = module.UTF8ToString(module._ws_last_error());
    throw new Error(message || `${name} failed`);
  }
}

export class WoodshedApi {
  #module = null;
  #output = null;
  #imports = null;
  #lastError = null;
  #firstFrameMs = null;
  // Whether a service worker served this page load (read before the first one claims the page).
  #controlledAtLoad = typeof navigator !== 'undefined' && navigator.serviceWorker?.controller != null;
  #testMode;
  #resolveReady;
  #rejectReady;
  #generator = { type: 'sine', frequency: 440, levelDb: -12 };

  /** @param {{testMode: boolean}} options */
  constructor({ testMode }) {
    this.#testMode = testMode;
    /** Resolves when the app can take calls; rejects with the reason it cannot start. */
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});  // the page shows the reason; callers may still await it
    if (testMode) this.test = this.#testHooks();
  }

  /** Connects the API to the loaded module (app.js). */
  attach(module, output, imports) {
    this.#module = module;
    this.#output = output;
    this.#imports = imports;
    if (this.#testMode) module._ws_enable_fault_injection(1);
  }

  resolveReady() { this.#resolveReady(); }

  /** Milliseconds from navigation to the app's first drawn frame (null before it). */
  noteFirstFrame(milliseconds) { this.#firstFrameMs ??= milliseconds; }

  /** {firstFrameMs, servedByServiceWorker}: how this page load went. */
  timing() {
    return { firstFrameMs: this.#firstFrameMs, servedByServiceWorker: this.#controlledAtLoad };
  }
  rejectReady(error) { this.#rejectReady(error); }

  /** The app's version. */
  get version() { return this.#module ? this.#module.UTF8ToString(this.#module._ws_version()) : null; }

  /** Starts audio output; resolves once the AudioContext is running. */
  async start() {
    await this.ready;
    await this.#output.start();
  }

  /** Stops audio output; resolves once the AudioContext is suspended. */
  async stop() {
    await this.ready;
    await this.#output.stop();
  }

  /**
   * Sets the signal generator, or turns it off with null.
   * @param {{type?: string, frequency?: number, levelDb?: number} | null} spec
   */
  async setGenerator(spec) {
    await this.ready;
    if (spec === null) {
      this.#callGenerator(this.#generator, false);
      return;
    }
    if (typeof spec !== 'object') throw new TypeError('setGenerator takes {type, frequency, levelDb} or null');
    const next = { ...this.#generator, ...spec };
    if (!GENERATOR_TYPES.includes(next.type)) {
      throw new Error(`unknown generator type "${next.type}"; use ${GENERATOR_TYPES.join(', ')}`);
    }
    if (typeof next.frequency !== 'number' || typeof next.levelDb !== 'number') {
      throw new TypeError('frequency and levelDb must be numbers');
    }
    this.#callGenerator(next, true);
    this.#generator = next;
  }

  /** Sets the target latency of the engine's ring, 5-250 ms. */
  async setLatency(milliseconds) {
    await this.ready;
    callEntry(this.#module, 'ws_set_target_latency', ['number'], [milliseconds]);
  }

  /** Sets the master gain in dB (-120..+12). */
  async setMasterGain(db) {
    await this.ready;
    callEntry(this.#module, 'ws_set_master_gain_db', ['number'], [db]);
  }

  /**
   * Figures from the engine, the worklet and the heap:
   * {sampleRate, crossOriginIsolated, threads, framesPlayed, underruns, ringFillFrames,
   *  outputLatencyMs, renderLoadAvg, renderLoadMax, heapBytesInUse, heapCapacity, ...}
   */
  async stats() {
    await this.ready;
    const module = this.#module;
    callEntry(module, 'ws_stats', [], []);
    const values = new Float64Array(module.HEAPU8.buffer, module._ws_stats_block(), STATS_FIELDS.length);
    const stats = Object.fromEntries(STATS_FIELDS.map((field, i) => [field, values[i]]));
    stats.crossOriginIsolated = globalThis.crossOriginIsolated === true;
    stats.audioState = this.#output.state;
    stats.sampleRate = this.#output.sampleRate ?? stats.sampleRate;
    stats.outputLatencyMs = (stats.sampleRate > 0 ? (1000 * stats.ringFillFrames) / stats.sampleRate : 0)
      + this.#output.contextLatencyMs;
    return stats;
  }

  /**
   * Records the next `seconds` (at most 30) of what the worklet outputs.
   * `underruns` counts the render quanta in the capture that found the ring empty (gaps).
   * @returns {Promise<{sampleRate: number, channels: Float32Array[], sourceFrameAtStart: number|null, underruns: number}>}
   */
  async captureOutput(seconds) {
    await this.ready;
    return this.#output.capture(seconds);
  }

  /**
   * Imports audio files; resolves with their track ids, or rejects with the first failure's
   * message ("name: reason") once every file is done. Files that worked stay imported.
   * @param {Iterable<File | {name: string, bytes: ArrayBuffer | ArrayBufferView}>} files
   */
  async importFiles(files) {
    await this.ready;
    const results = await Promise.allSettled(this.#imports.enqueue(files));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      this.#lastError = failed.reason.message;
      throw failed.reason;
    }
    return results.map((r) => r.value);
  }

  /** Cancels imports in progress or waiting (all when no key is given). */
  async cancelImports(key = null) {
    await this.ready;
    for (const pending of this.#imports.pending) {
      if (key === null || key === pending) this.#imports.cancel(pending);
    }
  }

  /** The tracks in memory: [{id, name, duration, sampleRate, channels, bytes, waveformReady}]. */
  async tracks() {
    await this.ready;
    this.#call('ws_tracks', [], []);
    return JSON.parse(this.#module.UTF8ToString(this.#module._ws_result_text()));
  }

  /** Makes a track current, paused at its start. */
  async load(trackId) { await this.#transport('ws_load', ['number'], [trackId]); }

  /** Frees a track's memory; if it is current, nothing is current afterwards. */
  async unload(trackId) { await this.#transport('ws_unload', ['number'], [trackId]); }

  /** Plays the current track (starting audio output if it is off). */
  async play() {
    await this.ready;
    if (this.#output.state !== 'running') await this.#output.start();
    await this.#transport('ws_play', [], []);
  }

  async pause() { await this.#transport('ws_pause', [], []); }

  /** Moves to `seconds` in the current track, sample-accurately. */
  async seek(seconds) { await this.#transport('ws_seek', ['number'], [seconds]); }

  /** Loops the whole current track (and the ones loaded after). */
  async setLoop(enabled) { await this.#transport('ws_set_loop', ['number'], [enabled ? 1 : 0]); }

  /** {trackId (null when none), positionSeconds, durationSeconds, playing, looping, lastError}. */
  async state() {
    await this.ready;
    const module = this.#module;
    this.#call('ws_state', [], []);
    const values = new Float64Array(module.HEAPU8.buffer, module._ws_state_block(), STATE_FIELDS.length);
    const state = Object.fromEntries(STATE_FIELDS.map((field, i) => [field, values[i]]));
    state.trackId = state.trackId === 0 ? null : state.trackId;
    state.playing = state.playing !== 0;
    state.looping = state.looping !== 0;
    state.lastError = this.#lastError;
    return state;
  }

  async #transport(name, types, args) {
    await this.ready;
    this.#call(name, types, args);
  }

  #call(name, types, args) {
    try {
      callEntry(this.#module, name, types, args);
    } catch (error) {
      this.#lastError = error.message;
      throw error;
    }
  }

  #callGenerator(spec, enabled) {
    callEntry(this.#module, 'ws_set_generator', ['string', 'number', 'number', 'number'],
      [spec.type, spec.frequency, spec.levelDb, enabled ? 1 : 0]);
  }

  // Only with ?test in the URL: fault injection and audio-context probes for the browser tests.
  #testHooks() {
    return {
      /** Names of every exported C++ entry point that runs through the exception boundary. */
      entries: () => this.#module.UTF8ToString(this.#module._ws_entry_names()).split(','),
      /** Makes the next call of `entry` throw inside C++. */
      armFault: (entry) => callEntry(this.#module, 'ws_arm_fault', ['string'], [entry]),
      /** Closes the AudioContext as a browser might; the next start() creates a new one. */
      closeAudioContext: () => this.#output.closeForTest(),
      /** Counts of created and released audio objects, to prove nothing leaks. */
      audioCounts: () => ({ ...this.#output.counts }),
      /** Calls ws_notify_audio_state with the current state (to exercise that entry). */
      notifyAudioState: () => this.#output.reportState(),
      /** Where the waveform is on the page, in CSS pixels: {x, y, width, height}. */
      waveformRect: () => {
        const [x, y, width, height] = new Float64Array(this.#module.HEAPU8.buffer, this.#module._ws_waveform_rect(), 4);
        const ratio = window.devicePixelRatio || 1;
        return { x: x / ratio, y: y / ratio, width: width / ratio, height: height / ratio };
      },
      /** Calls an entry with harmless arguments, as the app's own plumbing does. */
      invoke: (entry) => {
        const calls = {
          ws_import_progress: [['number', 'number', 'number', 'string'], [0, 0, 0, 'probe']],
          ws_import_done: [['number'], [0]],
          ws_import_cancel: [['number'], [0]],
          ws_import_write: [['number', 'number', 'number', 'number'], [0, 0, 0, 0]],
          ws_import_commit: [['number'], [0]],
          ws_report_error: [['string'], ['']],
        };
        if (!calls[entry]) throw new Error(`no harmless call for ${entry}`);
        callEntry(this.#module, entry, ...calls[entry]);
      },
    };
  }
}
