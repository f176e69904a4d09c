// The session: which songs are decoded in the engine, which one is current, and what is kept
// between visits (the last song and where it was left, each song's recalled settings). The
// library (library.js) stores; the engine decides what a stored value means: which recalled
// values are valid and where a song resumes (src/engine/recall.cpp). This file only carries
// values between the two.

/** How often the position of the playing song is saved for the next start. */
const PLAYBACK_NOTE_MS = 1000;
/** How often a running beat detection is looked at. */
const BEAT_DETECTION_POLL_MS = 100;
/** Limit: finished waveform jobs remembered (more than the engine holds tracks). */
const MAX_WAVEFORM_OUTCOMES = 1024;

/** A song record's tuning from A440 in cents, or null while unknown (or damaged). */
export function tuningOf(record) {
  const cents = record?.tuning?.offsetCents;
  return typeof cents === 'number' && Number.isFinite(cents) && Math.abs(cents) <= 50 ? cents : null;
}

export class Session {
  #bridge;
  #library;
  #imports;
  #inMemory = new Map();  // library id -> engine track id, least recently used first
  #current = null;        // library id of the current song
  #hasGrid = false;       // whether the engine has the current song's beat grid
  #detecting = null;      // library id of the song whose grid is being detected
  #savedMetronome = null; // the metronome settings last kept, as JSON
  #onChange;

  /**
   * @param {import('./engine-bridge.js').EngineBridge} bridge
   * @param {() => void} onChange called after the current song or the set in memory changes
   */
  constructor(bridge, library, imports, onChange) {
    this.#bridge = bridge;
    this.#library = library;
    this.#imports = imports;
    this.#onChange = onChange;
    library.onChange(() => this.pushCatalog());
    setInterval(() => this.#notePlayback(), PLAYBACK_NOTE_MS);
    window.addEventListener('pagehide', () => this.#notePlayback());
    this.pushCatalog();
  }

  /** Library id of the current song, or null. */
  get currentId() { return this.#current; }

  /** The engine's id for a library song in memory, or undefined. */
  engineId(id) { return this.#inMemory.get(id); }

  /** Whether a library song is decoded in the engine. */
  inMemory(id) { return this.#inMemory.has(id); }

  /** The library id the engine's current track belongs to, or null. */
  libraryIdOfEngineTrack(engineTrackId) {
    return engineTrackId !== 0 && this.#inMemory.get(this.#current) === engineTrackId ? this.#current : null;
  }

  /**
   * The engine announced that a track's waveform job finished (src/app/app.cpp): `error` is
   * why it has none, '' when it is ready.
   */
  waveformFinished(engineId, error) {
    this.#waveforms.set(engineId, error);
    if (this.#waveforms.size > MAX_WAVEFORM_OUTCOMES) this.#waveforms.delete(this.#waveforms.keys().next().value);
    const waiters = this.#waveformWaiters.get(engineId) ?? [];
    this.#waveformWaiters.delete(engineId);
    for (const waiter of waiters) waiter(error);
  }

  /**
   * Resolves once a song in memory has its waveform overview; rejects with why it has none.
   * Nothing polls: the engine announces each finished job.
   */
  async waveform(id) {
    const engineId = this.#inMemory.get(id);
    if (engineId === undefined) throw new Error('that song is not in memory');
    const error = this.#waveforms.has(engineId)
      ? this.#waveforms.get(engineId)
      : await new Promise((resolve) => {
        const waiters = this.#waveformWaiters.get(engineId) ?? [];
        waiters.push(resolve);
        this.#waveformWaiters.set(engineId, waiters);
      });
    if (error) throw new Error(`its waveform could not be prepared (${error})`);
  }

  #waveforms = new Map();        // engine track id -> '' (ready) or why it failed
  #waveformWaiters = new Map();  // engine track id -> [resolve(error)]

  /** Notes songs an import put into the engine (which may have dropped others to make room). */
  imported(results) {
    for (const { id, engineTrackId } of results) {
      if (engineTrackId !== null) this.#remember(id, engineTrackId);
    }
    this.#forgetEvicted();
  }

  /**
   * Makes the last song played current again, paused where the engine says it resumes (at
   * start-up). Returns {id, note} (see load), or null when there is none.
   */
  async restore() {
    await this.#restoreMetronome();
    const id = await this.#library.setting('lastTrack');
    const record = id ? await this.#library.get(id) : null;
    if (!record) return null;
    return { id, note: await this.load(id, record.lastPosition ?? 0) };
  }

  /**
   * Makes a song current (decoding it from the library if need be) with its recalled settings;
   * `savedSeconds` is where it was left (0: from the start). Returns a note when a stored
   * setting was ignored, else ''.
   */
  async load(id, savedSeconds = 0) {
    const record = await this.#library.get(id);
    if (!record) throw new Error('that song is not in the library');
    this.#forgetEvicted();
    let engineId = this.#inMemory.get(id);
    if (engineId === undefined) {
      engineId = await this.#imports.restore(id, record.name, await this.#library.read(id));
    }
    this.#remember(id, engineId);
    const recall = this.#bridge.doubles('recall');
    this.#bridge.recallKeys.forEach((key, i) => {
      const value = record.recall?.[key];
      recall[i] = typeof value === 'number' ? value : Number.NaN;
    });
    this.#bridge.call('ws_load', ['number', 'number'], [engineId, savedSeconds]);
    const note = [this.#bridge.text(), this.#applyBeatGrid(record)].filter(Boolean).join('; ');
    if (note) this.#bridge.call('ws_report_error', ['string'], [note]);  // the app shows it
    this.#current = id;
    this.#noteTuning(tuningOf(record));
    if (!this.#hasGrid || record.tuning === undefined) this.#detectBeatGrid(id, engineId);
    this.#forgetEvicted();
    await this.#library.setSetting('lastTrack', id);
    this.pushCatalog();
    this.#onChange();
    return note;
  }

  /**
   * The output's sample rate changed: every song in memory was decoded at the old rate and
   * would play fast and sharp (or slow and flat). The current one is decoded again from the
   * library at the new rate and takes the old one's place where it was (playing if it was);
   * the others are dropped and decoded again when they load. Until then the engine refuses to
   * play the old one (App::play), and play() waits for rateSettled().
   */
  rateChanged() {
    this.#rateChange = this.#prepareForRate().finally(() => { this.#rateChange = null; });
    return this.#rateChange;
  }

  /** Resolves once a change of the output's rate has been dealt with (at once if none). */
  async rateSettled() {
    await this.#rateChange?.catch(() => {});
  }

  #rateChange = null;

  async #prepareForRate() {
    this.#bridge.call('ws_state');
    const { positionSeconds, playing } = this.#bridge.record('state');
    const current = this.#current;
    const old = [...this.#inMemory.values()];
    this.#inMemory.clear();
    if (current !== null) {
      if (playing) this.#bridge.call('ws_pause');
      await this.load(current);  // decoded at the new rate; it replaces the old track in the engine
      this.#bridge.call('ws_seek', ['number'], [positionSeconds]);
    }
    for (const engineId of old) {
      try { this.#bridge.call('ws_unload', ['number'], [engineId]); } catch { /* logged by the boundary */ }
    }
    if (current !== null && playing) this.#bridge.call('ws_play');
    this.#onChange();
  }

  /**
   * The engine's id for a library song, decoding it into memory if need be; it does not become
   * current (an export of another song).
   */
  async ensureInMemory(id) {
    this.#forgetEvicted();
    let engineId = this.#inMemory.get(id);
    if (engineId === undefined) {
      const record = await this.#library.get(id);
      if (!record) throw new Error('that song is not in the library');
      engineId = await this.#imports.restore(id, record.name, await this.#library.read(id));
    }
    this.#remember(id, engineId);
    this.#forgetEvicted();
    return engineId;
  }

  /**
   * Sets the current song's beat grid in the engine (which checks it) and keeps it with the
   * song: {bpm, offsetSeconds, beatsPerBar}, `source` 'manual' or 'tapped'.
   */
  async setBeatGrid(grid, source) {
    if (this.#current === null) throw new Error('no song is loaded');
    const id = this.#current;
    this.#bridge.call('ws_set_beat_grid', ['number', 'number', 'number'], [grid.bpm, grid.offsetSeconds, grid.beatsPerBar]);
    this.#hasGrid = true;
    await this.#library.setBeatGrid(id, { bpm: grid.bpm, offsetSeconds: grid.offsetSeconds, beatsPerBar: grid.beatsPerBar, source });
  }

  // Tells the app the current song's tuning (null: unknown), for it to show and offer.
  #noteTuning(cents) {
    this.#bridge.call('ws_note_tuning', ['number'], [cents ?? Number.NaN]);
  }

  /** True while the current song's grid is being detected. */
  get detectingBeatGrid() { return this.#detecting !== null && this.#detecting === this.#current; }

  // The song's kept grid into the engine; a damaged one is dropped (and detected again). Returns a note.
  #applyBeatGrid(record) {
    const grid = record.beatGrid;
    this.#hasGrid = false;
    if (!grid) return '';
    try {
      this.#bridge.call('ws_set_beat_grid', ['number', 'number', 'number'], [grid.bpm, grid.offsetSeconds, grid.beatsPerBar]);
      this.#hasGrid = true;
      return '';
    } catch (error) {
      return `the song's saved beat grid was ignored: ${error.message}`;
    }
  }

  // Detects the grid of a song without one, on the engine's pool, and keeps it with the song
  // unless the user set one meanwhile. Failures show in the app.
  async #detectBeatGrid(id, engineId) {
    this.#detecting = id;
    try {
      this.#bridge.call('ws_detect_beats');
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, BEAT_DETECTION_POLL_MS));
        this.#bridge.call('ws_beat_detection_status');
        const result = this.#bridge.record('beat_detection');
        if (result.trackId !== engineId) return;  // a detection of another song replaced it
        if (result.running) continue;
        if (!result.succeeded) {
          this.#bridge.call('ws_report_error', ['string'], [`The beat grid could not be found: ${this.#bridge.text()}`]);
          return;
        }
        const grid = {
          bpm: result.bpm, offsetSeconds: result.offsetSeconds, beatsPerBar: result.beatsPerBar, source: 'detected',
          confidence: result.confidence,
        };
        const tuning = { offsetCents: result.tuningKnown ? result.tuningCents : null };
        await this.#library.setTuning(id, tuning);
        if (this.#current === id) this.#noteTuning(tuning.offsetCents);
        const kept = await this.#library.setBeatGrid(id, grid, { unlessSet: true });
        if (kept && this.#current === id && !this.#hasGrid) {
          this.#bridge.call('ws_set_beat_grid', ['number', 'number', 'number'], [grid.bpm, grid.offsetSeconds, grid.beatsPerBar]);
          this.#hasGrid = true;
        }
        this.#onChange();
        return;
      }
    } catch {
      // the boundary logged why; the song plays without a grid
    } finally {
      if (this.#detecting === id) this.#detecting = null;
    }
  }

  /** What is recalled with a song: {trackGainDb, ...}, initial values for what it has none of. */
  async recall(id, limits) {
    const record = id === null ? null : await this.#library.get(id);
    if (!record) throw new Error('that song is not in the library');
    return Object.fromEntries(this.#bridge.recallKeys.map((key) => [key, record.recall?.[key] ?? limits[key].initial]));
  }

  /**
   * Keeps with the current song what the engine now has of its recalled settings (after a
   * change the song should remember: its loop, say).
   */
  async keepCurrentRecall() {
    if (this.#current === null) return;
    this.#bridge.call('ws_recall');
    await this.#library.setRecalls(this.#current, this.#bridge.record('recall'));
  }

  /** Keeps a recalled setting with a song (by its key in the engine's recall table). */
  async keepRecalled(id, key, value) {
    if (!this.#bridge.recallKeys.includes(key)) throw new Error(`"${key}" is not recalled per song`);
    await this.#library.setRecall(id, key, value);
  }

  /** Frees a song's memory (it stays in the library); if it is current, nothing is. */
  unload(id) {
    const engineId = this.#inMemory.get(id);
    if (engineId === undefined) return;
    this.#inMemory.delete(id);
    if (this.#current === id) this.#current = null;
    this.#bridge.call('ws_unload', ['number'], [engineId]);
    this.#onChange();
  }

  /** Notes a new position of the current song for the next start. */
  notePosition(seconds) {
    if (this.#current !== null) this.#library.notePlayback(this.#current, seconds).catch(() => {});
  }

  /** Tells the C++ app what the library holds, for its panel, and the current song's markers. */
  async pushCatalog() {
    const bridge = this.#bridge;
    const [records, storage] = await Promise.all([this.#library.list(), this.#library.storage()]);
    try {
      bridge.call('ws_catalog_begin');
      for (const r of records) {
        bridge.call('ws_catalog_add', ['string', 'string', 'string', 'number', 'number', 'number', 'number'],
          [r.id, r.name, r.format ?? '', r.duration, r.size, r.dateAdded, r.saving ? 1 : r.saveError ? 2 : 0]);
      }
      bridge.call('ws_catalog_end', ['string', 'number', 'number', 'number'],
        [this.#current ?? '', storage.usedBytes, storage.quotaBytes, storage.persisted ? 1 : 0]);
      const current = records.find((r) => r.id === this.#current);
      bridge.call('ws_markers_begin');
      for (const m of current?.markers ?? []) {
        if (typeof m?.color !== 'string' || !Number.isFinite(m.seconds)) continue;  // a damaged record
        bridge.call('ws_markers_add', ['string', 'string', 'number', 'number'], [m.id, m.name, m.seconds, parseInt(m.color.slice(1), 16)]);
      }
      bridge.call('ws_markers_end');
      const media = await mediaCacheUse();
      bridge.call('ws_media_cache', ['number', 'number', 'number', 'number'],
        [media.entries, media.bytes, media.maxEntries, media.maxBytes]);
    } catch { /* the panel keeps its previous list; the boundary logged why */ }
  }

  #remember(id, engineId) {
    this.#inMemory.delete(id);
    this.#inMemory.set(id, engineId);  // most recently used last
  }

  // The engine decides which decoded songs stay in memory (TrackLibrary: the budget sized from
  // the device, least recently used first); songs it dropped to make room are forgotten here
  // and decoded again from the library when they load.
  // Songs decoded at another rate than the output's (an import that was decoding when the
  // output changed rate) are dropped too: they would play fast or slow.
  #forgetEvicted() {
    this.#bridge.call('ws_stats');
    const outputRate = this.#bridge.record('stats').sampleRate;
    const inEngine = new Map(this.#bridge.json('ws_tracks').map((track) => [track.id, track.sampleRate]));
    for (const [id, engineId] of [...this.#inMemory]) {
      const rate = inEngine.get(engineId);
      if (rate === undefined) {
        this.#inMemory.delete(id);
      } else if (outputRate > 0 && rate !== outputRate && id !== this.#current) {
        this.#inMemory.delete(id);
        try { this.#bridge.call('ws_unload', ['number'], [engineId]); } catch { /* logged by the boundary */ }
      }
    }
  }


  // The metronome and count-in as last set (from the app or the API): kept every second.
  async #noteMetronome() {
    try {
      const metronome = JSON.stringify(this.#bridge.json('ws_settings').metronome);
      if (metronome === this.#savedMetronome) return;
      await this.#library.setSetting('metronome', JSON.parse(metronome));
      this.#savedMetronome = metronome;  // only once kept: a failed write is tried again
    } catch { /* best effort: the next note will do */ }
  }

  // A kept metronome back into the engine, which checks it; a damaged one is left out.
  async #restoreMetronome() {
    const m = await this.#library.setting('metronome');
    if (m === null || typeof m !== 'object') return;
    try {
      this.#bridge.call('ws_set_metronome', ['number', 'number', 'number', 'number'],
        [m.enabled ? 1 : 0, m.levelDb, ['off', 'first', 'every'].indexOf(m.countIn), m.countInBars]);
      this.#savedMetronome = JSON.stringify(this.#bridge.json('ws_settings').metronome);
    } catch { /* the boundary logged why; the metronome starts as new */ }
  }

  async #notePlayback() {
    await this.#noteMetronome();
    if (this.#current === null) return;
    try {
      this.#bridge.call('ws_state');
      const state = this.#bridge.record('state');
      const id = this.libraryIdOfEngineTrack(state.trackId);
      // Where the listener is: the engine runs ahead of it by the output latency.
      if (state.playing && id !== null) await this.#library.notePlayback(id, state.heardSeconds);
      this.#onChange();  // the position moved: media controls follow
    } catch { /* best effort: the next note will do */ }
  }
}

/**
 * The service worker's cache of songs published under media/: {entries, bytes, maxEntries,
 * maxBytes} (the budgets from cache-budgets.js).
 */
export async function mediaCacheUse() {
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
