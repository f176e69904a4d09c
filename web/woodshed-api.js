// window.woodshed: the documented JavaScript API for automation and embedding.
//
//   await woodshed.ready                       resolves when the app takes calls
//   await woodshed.start() / woodshed.stop()   audio output on/off (after the AudioContext really runs/stops)
//   await woodshed.setGenerator({type, frequency, levelDb}) or setGenerator(null) to turn it off
//   await woodshed.setLatency(ms)               target buffer between the engine and the worklet
//   await woodshed.setMasterGain(db)
//   await woodshed.stats()                      engine, worklet and memory figures (see stats())
//   await woodshed.captureOutput(seconds)       what the worklet really played, up to 30 s
//   await woodshed.importFiles(files)           File objects or {name, bytes}; saved to the library;
//                                               resolves with their ids
//   await woodshed.tracks()                     the library: [{id, name, duration, format, ...}]
//   await woodshed.load(id) / unload(id)        make a song current (paused at 0) / free its memory
//   await woodshed.remove(id), rename(id, name) delete a song from the library / rename it
//   await woodshed.storage()                    {usedBytes, quotaBytes, persisted}
//   await woodshed.setEq(bands) / eq()          10 bands {type, frequency, gainDb, q, enabled}
//   await woodshed.setLimiter({ceilingDb, enabled})
//   await woodshed.loudness() / resetLoudness() EBU R128 of what plays
//   await woodshed.spectrum()                   {frequencies, magnitudesDb, peakHoldDb}
//   await woodshed.normalize({targetLufs})      measure the song, set its playback gain
//   await woodshed.play() / pause()             the current track's transport
//   await woodshed.seek(seconds), setLoop(on)
//   await woodshed.state()                      {trackId, positionSeconds, durationSeconds, playing, looping, lastError}
//
// Every call into C++ goes through one exception boundary: a failure comes back as a rejected
// promise with the engine's message, and the engine stays usable.

const STATS_FIELDS = [
  'sampleRate', 'framesRendered', 'framesPlayed', 'underruns', 'ringFillFrames', 'targetLatencyMs',
  'renderLoadAvg', 'renderLoadMax', 'heapBytesInUse', 'heapCapacity', 'threads', 'nonFiniteBlocks',
  'volumeLimitedBlocks',
];

const STATE_FIELDS = ['trackId', 'positionSeconds', 'durationSeconds', 'playing', 'looping'];

/** The EQ's band types, by band index. */
const EQ_TYPES = ['lowshelf', 'peaking', 'peaking', 'peaking', 'peaking', 'peaking', 'peaking', 'peaking', 'peaking', 'highshelf'];
const LOUDNESS_FIELDS = ['momentary', 'shortTerm', 'integrated', 'range', 'truePeak', 'limiterGainReductionDb'];

/** Limit: decoded songs kept in memory (most recently used first; the current one always). */
const MAX_SONGS_IN_MEMORY = 3;
/** Listening volume range for setVolume (and the Up/Down keys). */
export const MIN_VOLUME_DB = -60;
export const MAX_VOLUME_DB = 6;
/** How long play() and pause() wait for the render thread to report the change. */
const TRANSPORT_SETTLE_MS = 250;
/** How often the position of the playing song is saved for the next start. */
const PLAYBACK_NOTE_MS = 1000;

const GENERATOR_TYPES = ['sine', 'square', 'triangle', 'saw', 'white', 'pink', 'sweep'];

/**
 * What is recalled per song: kept in its library record (`recall`) and applied whenever the
 * song is loaded, the initial value when the song has none. Later settings (tempo, pitch,
 * loop, stem mix, EQ when remembered per song) are added here and nowhere else.
 */
const RECALLED = {
  trackGainDb: { initial: 0, apply: (call, db) => call('ws_set_track_gain', ['number'], [db]) },
};

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
  #library = null;
  #inbox = null;
  #inMemory = new Map();  // library id -> engine track id, least recently used first
  #current = null;        // library id of the current song
  #lastError = null;
  #volumeDb = 0;
  #muted = false;
  #changeListeners = new Set();
  #firstFrameMs = null;
  // Whether a service worker served this page load (read before the first one claims the page).
  #controlledAtLoad = typeof navigator !== 'undefined' && navigator.serviceWorker?.controller != null;
  /** 'none', 'available' (a new version waits for the user) or 'failed' (it did not install). */
  updateStatus = 'none';
  #testMode;
  #resolveReady;
  #rejectReady;

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
  attach(module, output, imports, library, inbox) {
    this.#module = module;
    this.#output = output;
    this.#imports = imports;
    this.#library = library;
    this.#inbox = inbox;
    /**
     * What the library's start-up check did: {migratedFiles, temporaryFiles,
     * recordsWithoutFiles, recovered: [names], unreadable}.
     */
    this.libraryRepairs = structuredClone(library.repaired);
    library.onChange(() => this.#pushCatalog());
    setInterval(() => this.#notePlayback(), PLAYBACK_NOTE_MS);
    window.addEventListener('pagehide', () => this.#notePlayback());
    this.#pushCatalog();
    if (this.#testMode) module._ws_enable_fault_injection(1);
  }

  resolveReady() { this.#resolveReady(); }

  /** Milliseconds from navigation to the app's first drawn frame (null before it). */
  noteFirstFrame(milliseconds) { this.#firstFrameMs ??= milliseconds; }

  /** {firstFrameMs, servedByServiceWorker}: how this page load went. */
  timing() {
    return { firstFrameMs: this.#firstFrameMs, servedByServiceWorker: this.#controlledAtLoad, build: this.build };
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
    // The engine's settings are the only copy: a change made in the app's panel is kept.
    const { enabled, ...current } = this.#engineGenerator();
    if (spec === null) {
      this.#callGenerator(current, false);
      return;
    }
    if (typeof spec !== 'object') throw new TypeError('setGenerator takes {type, frequency, levelDb} or null');
    const next = { ...current, ...spec };
    if (!GENERATOR_TYPES.includes(next.type)) {
      throw new Error(`unknown generator type "${next.type}"; use ${GENERATOR_TYPES.join(', ')}`);
    }
    if (typeof next.frequency !== 'number' || typeof next.levelDb !== 'number') {
      throw new TypeError('frequency and levelDb must be numbers');
    }
    this.#callGenerator(next, true);
  }

  /** The signal generator as the engine has it: {type, frequency, levelDb}, or null when off. */
  async generator() {
    await this.ready;
    const { enabled, ...params } = this.#engineGenerator();
    return enabled ? params : null;
  }

  #engineGenerator() {
    this.#call('ws_generator', [], []);
    return JSON.parse(this.#module.UTF8ToString(this.#module._ws_result_text()));
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

  /** The listening volume in dB, -60..+6 (0 = unity); also unmutes. */
  async setVolume(db) {
    await this.ready;
    if (typeof db !== 'number' || Number.isNaN(db)) throw new TypeError('the volume must be a number of dB');
    if (db < MIN_VOLUME_DB || db > MAX_VOLUME_DB) {
      throw new RangeError(`the volume must be between ${MIN_VOLUME_DB} and +${MAX_VOLUME_DB} dB`);
    }
    this.#volumeDb = db;
    this.#muted = false;
    this.#applyVolume();
  }

  /** Mutes or unmutes the output; the volume is kept. */
  async setMuted(muted) {
    await this.ready;
    this.#muted = Boolean(muted);
    this.#applyVolume();
  }

  /** Calls `listener` after play, pause, seek, load, unload, loop, volume or mute changes. */
  onChange(listener) {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  // The listening volume is the engine's last stage, after the meters and the limiter, and
  // apart from the master gain.
  #applyVolume() {
    callEntry(this.#module, 'ws_set_listening_volume', ['number', 'number'], [this.#volumeDb, this.#muted ? 1 : 0]);
    this.#changed();
  }

  #changed() {
    for (const listener of this.#changeListeners) {
      try { listener(); } catch { /* a listener's failure is its own */ }
    }
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
   * Imports audio files into the library; resolves with their ids, or rejects with the first
   * failure's message ("name: reason") once every file is done. Files that worked stay.
   * The same content imported twice is one entry.
   * @param {Iterable<File | {name: string, bytes: ArrayBuffer | ArrayBufferView}>} files
   */
  async importFiles(files) {
    await this.ready;
    const results = await Promise.allSettled(this.#imports.enqueue(files));
    for (const result of results) {
      if (result.status === 'fulfilled' && result.value.engineTrackId !== null) {
        this.#remember(result.value.id, result.value.engineTrackId);
      }
    }
    this.#trimMemory();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      this.#lastError = failed.reason.message;
      throw failed.reason;
    }
    return results.map((r) => r.value.id);
  }

  /**
   * Makes the last song played current again, paused where it was left (at start-up).
   * Returns its id, or null.
   */
  async restoreSession() {
    const id = await this.#library.setting('lastTrack');
    const record = id ? await this.#library.get(id) : null;
    if (!record) return null;
    await this.#loadSong(id);  // before `ready`: callers wait for this
    if (record.lastPosition > 0) this.#call('ws_seek', ['number'], [Math.min(record.lastPosition, record.duration)]);
    return id;
  }

  /** Cancels imports in progress or waiting (all when no key is given). */
  async cancelImports(key = null) {
    await this.ready;
    for (const pending of this.#imports.pending) {
      if (key === null || key === pending) this.#imports.cancel(pending);
    }
  }

  /**
   * The library, oldest first: [{id, name, duration, format, sampleRate, channels, size,
   * dateAdded, lastPlayed, lastPosition, inMemory}].
   */
  async tracks() {
    await this.ready;
    return (await this.#library.list()).map((record) => ({ ...record, inMemory: this.#inMemory.has(record.id) }));
  }

  /** Makes a song current, paused at its start (decoding it from the library if need be). */
  async load(id) {
    await this.ready;
    await this.#loadSong(id);
  }

  async #loadSong(id) {
    try {
      const record = await this.#library.get(id);
      if (!record) throw new Error('that song is not in the library');
      let engineId = this.#inMemory.get(id);
      if (engineId === undefined) {
        engineId = await this.#imports.restore(id, record.name, await this.#library.read(id));
      }
      this.#remember(id, engineId);
      this.#call('ws_load', ['number'], [engineId]);
      for (const [key, setting] of Object.entries(RECALLED)) {
        setting.apply((...args) => this.#call(...args), record.recall?.[key] ?? setting.initial);
      }
      this.#current = id;
      this.#trimMemory();
      await this.#library.setSetting('lastTrack', id);
      this.#pushCatalog();
      this.#changed();
    } catch (error) {
      this.#lastError = error.message;
      throw error;
    }
  }

  /**
   * What is recalled with a song when it loads: {trackGainDb, ...}, with initial values for
   * what it has none of. The current song when no id is given.
   */
  async recall(trackId = null) {
    await this.ready;
    const id = trackId ?? this.#current;
    const record = id === null ? null : await this.#library.get(id);
    if (!record) throw new Error('that song is not in the library');
    return Object.fromEntries(Object.entries(RECALLED).map(([key, setting]) => [key, record.recall?.[key] ?? setting.initial]));
  }

  /** Frees a song's memory (it stays in the library); if it is current, nothing is. */
  async unload(id) {
    await this.ready;
    const engineId = this.#inMemory.get(id);
    if (engineId === undefined) return;
    this.#inMemory.delete(id);
    if (this.#current === id) this.#current = null;
    this.#call('ws_unload', ['number'], [engineId]);
    this.#changed();
  }

  /** Deletes a song from the library (and from memory). */
  async remove(id) {
    await this.unload(id);
    if (!(await this.#library.remove(id))) throw new Error('that song is not in the library');
  }

  /** Renames a song in the library. */
  async rename(id, name) {
    await this.ready;
    await this.#library.rename(id, name);
  }

  /**
   * Sets the parametric EQ: an array of 10 bands {type, frequency, gainDb, q, enabled} (band 0
   * 'lowshelf', 1-8 'peaking', 9 'highshelf'), or {bands, bypass}. Changes glide over 20 ms.
   */
  async setEq(settings) {
    await this.ready;
    const bands = Array.isArray(settings) ? settings : settings?.bands ?? [];
    if (bands.length > EQ_TYPES.length) throw new RangeError(`the EQ has ${EQ_TYPES.length} bands`);
    bands.forEach((band, index) => {
      if (band.type !== undefined && band.type !== EQ_TYPES[index]) {
        throw new Error(`band ${index} is a ${EQ_TYPES[index]} band, not ${band.type}`);
      }
    });
    const current = await this.eq();
    // The whole EQ goes to the engine in one call, validated there as a whole: a bad band
    // changes nothing. Bands and fields not given keep their settings.
    const values = new Float64Array(this.#module.HEAPU8.buffer, this.#module._ws_eq_block(), EQ_TYPES.length * 4 + 1);
    current.bands.forEach((band, index) => {
      const next = { ...band, ...(bands[index] ?? {}) };
      values.set([Number(next.frequency), Number(next.gainDb), Number(next.q), next.enabled ? 1 : 0], index * 4);
    });
    const bypass = !Array.isArray(settings) && settings?.bypass !== undefined ? settings.bypass : current.bypass;
    values[EQ_TYPES.length * 4] = bypass ? 1 : 0;
    this.#call('ws_set_eq', [], []);
  }

  /** The EQ: {bands: [{type, frequency, gainDb, q, enabled}], bypass}. */
  async eq() {
    await this.ready;
    this.#call('ws_eq', [], []);
    const values = new Float64Array(this.#module.HEAPU8.buffer, this.#module._ws_eq_block(), EQ_TYPES.length * 4 + 1);
    return {
      bands: EQ_TYPES.map((type, i) => ({
        type, frequency: values[i * 4], gainDb: values[i * 4 + 1], q: values[i * 4 + 2], enabled: values[i * 4 + 3] !== 0,
      })),
      bypass: values[EQ_TYPES.length * 4] !== 0,
    };
  }

  /** The output limiter: ceiling in dBFS (-24..0, default -1) and on/off. */
  async setLimiter({ ceilingDb = -1, enabled = true } = {}) {
    await this.ready;
    this.#call('ws_set_limiter', ['number', 'number'], [ceilingDb, enabled ? 1 : 0]);
  }

  /**
   * EBU R128 loudness of what played since the last reset: {momentary, shortTerm, integrated
   * (LUFS), range (LU), truePeak (dBTP), limiterGainReductionDb}; -200 means no signal yet.
   */
  async loudness() {
    await this.ready;
    this.#call('ws_loudness', [], []);
    const values = new Float64Array(this.#module.HEAPU8.buffer, this.#module._ws_loudness_block(), LOUDNESS_FIELDS.length);
    return Object.fromEntries(LOUDNESS_FIELDS.map((field, i) => [field, values[i]]));
  }

  /**
   * Peak and RMS meters of what plays (before the listening volume), per channel:
   * {peakDb: [left, right], rmsDb, peakHoldDb, clipped: [bool, bool]}; -200 dB means silence.
   */
  async meters() {
    await this.ready;
    this.#call('ws_meters', [], []);
    const v = new Float64Array(this.#module.HEAPU8.buffer, this.#module._ws_meters_block(), 8);
    return { peakDb: [v[0], v[1]], rmsDb: [v[2], v[3]], peakHoldDb: [v[4], v[5]], clipped: [v[6] !== 0, v[7] !== 0] };
  }

  async resetLoudness() {
    await this.ready;
    this.#call('ws_reset_loudness', [], []);
  }

  /** The newest spectrum of what plays: {frequencies, magnitudesDb, peakHoldDb, fftSize}. */
  async spectrum() {
    await this.ready;
    const module = this.#module;
    this.#call('ws_spectrum', [], []);
    const base = module._ws_spectrum_block();
    const header = new Uint32Array(module.HEAPU8.buffer, base, 2);
    const [bins, fftSize] = [header[0], header[1]];
    const sampleRate = new Float64Array(module.HEAPU8.buffer, base + 8, 1)[0];
    const average = new Float32Array(module.HEAPU8.buffer, base + module._ws_spectrum_average_offset(), bins);
    const peak = new Float32Array(module.HEAPU8.buffer, base + module._ws_spectrum_peak_offset(), bins);
    return {
      fftSize,
      frequencies: Float64Array.from({ length: bins }, (_, i) => (i * sampleRate) / fftSize),
      magnitudesDb: average.slice(),
      peakHoldDb: peak.slice(),
    };
  }

  /** Spectrum settings: size 1024..16384 (a power of two), window 'hann' or 'blackman-harris'. */
  async setSpectrum({ size = 4096, window = 'hann' } = {}) {
    await this.ready;
    const windows = ['hann', 'blackman-harris'];
    if (!windows.includes(window)) throw new Error(`window must be ${windows.join(' or ')}`);
    this.#call('ws_set_spectrum', ['number', 'number'], [size, windows.indexOf(window)]);
  }

  /**
   * Measures the current song's integrated loudness (on the thread pool) and sets its playback
   * gain so it plays at `targetLufs` (default -14). The gain is kept with the song.
   * Resolves with {measuredLufs, gainDb}.
   */
  async normalize({ targetLufs = -14 } = {}) {
    await this.ready;
    // The song measured is the one current now; the result is kept with it even if another
    // song is current by the time the measurement ends.
    const id = this.#current;
    const engineId = this.#inMemory.get(id);
    if (id === null || engineId === undefined) throw new Error('no song is loaded');
    this.#call('ws_normalize', ['number'], [targetLufs]);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.#call('ws_normalize_status', [], []);
      const [running, , measuredLufs, gainDb, measuredTrack] = new Float64Array(this.#module.HEAPU8.buffer, this.#module._ws_normalize_block(), 5);
      if (running) continue;
      const message = this.#module.UTF8ToString(this.#module._ws_result_text());
      if (measuredLufs <= -70) throw new Error(message || 'the song could not be measured');
      if (measuredTrack !== engineId) throw new Error('another measurement replaced this one');
      await this.#library.setRecall(id, 'trackGainDb', gainDb);
      return { measuredLufs, gainDb };
    }
  }

  /**
   * The service worker's cache of songs published under media/: {entries, bytes, maxEntries,
   * maxBytes} (the budgets from cache-budgets.js).
   */
  async mediaCache() {
    const budgets = globalThis.WOODSHED_CACHE_BUDGETS;
    let entries = 0;
    let bytes = 0;
    if (typeof caches !== 'undefined' && (await caches.has(budgets.mediaCacheName))) {
      const cache = await caches.open(budgets.mediaCacheName);
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        if (!response) continue;  // evicted meanwhile
        entries += 1;
        // The stored body's size: Content-Length is the compressed size on hosts that compress.
        bytes += (await response.blob()).size;
      }
    }
    return { entries, bytes, maxEntries: budgets.mediaMaxEntries, maxBytes: budgets.mediaMaxBytes };
  }

  /**
   * Files shared with Woodshed that wait for the user's answer (the share target's
   * quarantine): [{name, type, size, sharedAt}]. Nothing shared is imported without it.
   */
  async sharedFiles() {
    await this.ready;
    return this.#inbox.list();
  }

  /**
   * Imports the files waiting in the share quarantine (what the user's "Import" does) and
   * empties it; resolves with their ids like importFiles. The current song does not change.
   */
  async importSharedFiles() {
    await this.ready;
    return this.importFiles(await this.#inbox.take());
  }

  /** Drops the files waiting in the share quarantine (what the user's "Discard" does). */
  async discardSharedFiles() {
    await this.ready;
    await this.#inbox.discard();
  }

  /** {usedBytes, quotaBytes, persisted}: what the site stores, and whether it is kept. */
  async storage() {
    await this.ready;
    return this.#library.storage();
  }

  /** Plays the current track (starting audio output if it is off); resolves once it plays. */
  async play() {
    await this.ready;
    if (this.#output.state !== 'running') await this.#output.start();
    this.#call('ws_play', [], []);
    await this.#untilPlaying(true);
    this.#changed();
  }

  /** Pauses; resolves once the engine has paused. */
  async pause() {
    await this.ready;
    this.#call('ws_pause', [], []);
    await this.#untilPlaying(false);
    this.#changed();
  }

  // The render thread applies a command within a block or two; wait (briefly) until it has.
  async #untilPlaying(playing) {
    for (let waited = 0; waited < TRANSPORT_SETTLE_MS; waited += 5) {
      if ((await this.state()).playing === playing) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Moves to `seconds` in the current track, sample-accurately. */
  async seek(seconds) {
    await this.#transport('ws_seek', ['number'], [seconds]);
    if (this.#current !== null) this.#library.notePlayback(this.#current, seconds).catch(() => {});
  }

  /** Loops the whole current track (and the ones loaded after). */
  async setLoop(enabled) { await this.#transport('ws_set_loop', ['number'], [enabled ? 1 : 0]); }

  /** {trackId (null when none), positionSeconds, durationSeconds, playing, looping, lastError}. */
  async state() {
    await this.ready;
    const module = this.#module;
    this.#call('ws_state', [], []);
    const values = new Float64Array(module.HEAPU8.buffer, module._ws_state_block(), STATE_FIELDS.length);
    const state = Object.fromEntries(STATE_FIELDS.map((field, i) => [field, values[i]]));
    state.trackId = state.trackId !== 0 && this.#inMemory.get(this.#current) === state.trackId ? this.#current : null;
    state.playing = state.playing !== 0;
    state.looping = state.looping !== 0;
    state.lastError = this.#lastError;
    state.volumeDb = this.#volumeDb;
    state.muted = this.#muted;
    return state;
  }

  #rect(address) {
    const [x, y, width, height] = new Float64Array(this.#module.HEAPU8.buffer, address, 4);
    const ratio = window.devicePixelRatio || 1;
    return { x: x / ratio, y: y / ratio, width: width / ratio, height: height / ratio };
  }

  #remember(id, engineId) {
    this.#inMemory.delete(id);
    this.#inMemory.set(id, engineId);  // most recently used last
  }

  // Keeps at most MAX_SONGS_IN_MEMORY decoded songs; the current one always stays.
  #trimMemory() {
    for (const [id, engineId] of this.#inMemory) {
      if (this.#inMemory.size <= MAX_SONGS_IN_MEMORY) break;
      if (id === this.#current) continue;
      this.#inMemory.delete(id);
      try { callEntry(this.#module, 'ws_unload', ['number'], [engineId]); } catch { /* logged by the boundary */ }
    }
  }

  async #notePlayback() {
    if (!this.#module || this.#current === null) return;
    try {
      const state = await this.state();
      if (state.playing && state.trackId !== null) await this.#library.notePlayback(state.trackId, state.positionSeconds);
      this.#changed();  // the position moved: media controls follow
    } catch { /* best effort: the next note will do */ }
  }

  // Tells the C++ app what the library holds, for its panel.
  async #pushCatalog() {
    const module = this.#module;
    const [records, storage] = await Promise.all([this.#library.list(), this.#library.storage()]);
    try {
      callEntry(module, 'ws_catalog_begin', [], []);
      for (const r of records) {
        callEntry(module, 'ws_catalog_add', ['string', 'string', 'string', 'number', 'number', 'number'],
          [r.id, r.name, r.format ?? '', r.duration, r.size, r.dateAdded]);
      }
      callEntry(module, 'ws_catalog_end', ['string', 'number', 'number', 'number'],
        [this.#current ?? '', storage.usedBytes, storage.quotaBytes, storage.persisted ? 1 : 0]);
      const media = await this.mediaCache();
      callEntry(module, 'ws_media_cache', ['number', 'number', 'number', 'number'],
        [media.entries, media.bytes, media.maxEntries, media.maxBytes]);
    } catch { /* the panel keeps its previous list; the boundary logged why */ }
  }

  async #transport(name, types, args) {
    await this.ready;
    this.#call(name, types, args);
    this.#changed();
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
      /** Makes the library's next file write fail with QuotaExceededError after `bytes`. */
      failLibraryWriteAfter: (bytes) => {
        this.#library.writeProbe = (written) => {
          if (written < bytes) return;
          this.#library.writeProbe = null;
          throw new DOMException('the quota was exceeded', 'QuotaExceededError');
        };
      },
      /** Sets the generator in the engine directly, as the app's own panel does (not through the API). */
      setGeneratorAsThePanelDoes: (type, frequency, levelDb) => this.#callGenerator({ type, frequency, levelDb }, true),
      /** Makes the next import's waveform job fail with `message`, as running out of memory would. */
      failNextWaveform: (message) => callEntry(this.#module, 'ws_inject_waveform_failure', ['string'], [message]),
      /** Slows the library's file writes by `milliseconds` per 1 MB chunk (0 restores them). */
      slowLibraryWrites: (milliseconds) => {
        this.#library.writeProbe = milliseconds > 0 ? () => new Promise((r) => setTimeout(r, milliseconds)) : null;
      },
      /** Cancels every import as soon as the library has written its first chunk of a file. */
      cancelDuringSave: () => {
        this.#library.writeProbe = () => {
          this.#library.writeProbe = null;
          for (const key of this.#imports.pending) this.#imports.cancel(key);
        };
      },
      /** Songs in the C++ app's library panel (what the page last told it). */
      catalogSize: () => this.#module._ws_catalog_size(),
      /** Where the waveform is on the page, in CSS pixels: {x, y, width, height}. */
      waveformRect: () => this.#rect(this.#module._ws_waveform_rect()),
      /** Where the library's search field is, in CSS pixels. */
      searchRect: () => this.#rect(this.#module._ws_search_rect()),
      /** Calls an entry with harmless arguments, as the app's own plumbing does. */
      invoke: (entry) => {
        const calls = {
          ws_tracks: [[], []],
          ws_load: [['number'], [0]],
          ws_unload: [['number'], [0]],
          ws_import_progress: [['number', 'number', 'number', 'string'], [0, 0, 0, 'probe']],
          ws_import_done: [['number'], [0]],
          ws_import_cancel: [['number'], [0]],
          ws_import_write: [['number', 'number', 'number', 'number'], [0, 0, 0, 0]],
          ws_import_commit: [['number'], [0]],
          ws_report_error: [['string'], ['']],
          ws_catalog_begin: [[], []],
          ws_catalog_add: [['string', 'string', 'string', 'number', 'number', 'number'], ['', '', '', 0, 0, 0]],
          ws_catalog_end: [['string', 'number', 'number', 'number'], ['', 0, 0, 0]],
          ws_eq: [[], []],
          ws_media_cache: [['number', 'number', 'number', 'number'], [0, 0, 0, 0]],
          ws_set_eq_bypass: [['number'], [0]],
          ws_set_spectrum: [['number', 'number'], [4096, 0]],
          ws_normalize_status: [[], []],
          ws_normalize: [['number'], [-14]],
          ws_set_track_gain: [['number'], [0]],
        };
        if (!calls[entry]) throw new Error(`no harmless call for ${entry}`);
        callEntry(this.#module, entry, ...calls[entry]);
      },
    };
  }
}
