// window.woodshed: the documented JavaScript API for automation and embedding. It is thin:
// settings live in the engine (read back with settings(), ranges from limits()), songs and
// their memory in the session (session.js), block layouts in the bridge (engine-bridge.js).
//
//   await woodshed.ready                       resolves when the app takes calls
//   await woodshed.start() / woodshed.stop()   audio output on/off (after the AudioContext really runs/stops)
//   await woodshed.settings()                  every setting as the engine has it (see settings())
//   await woodshed.limits()                    {key: {min, max, initial, unit, label}} for every setting
//   await woodshed.setGenerator({type, frequency, levelDb}) or setGenerator(null) to turn it off
//   await woodshed.generator()                 the generator, or null when off
//   await woodshed.setLatency(ms)               target buffer between the engine and the worklet
//   await woodshed.setMasterGain(db)
//   await woodshed.setVolume(db), setMuted(on)  listening volume and mute, after the meters
//   await woodshed.stats()                      engine, worklet and memory figures (see stats())
//   await woodshed.captureOutput(seconds)       what the worklet really played, up to 30 s
//   await woodshed.importFiles(files)           File objects or {name, bytes}; resolves with their ids once
//                                               they play; each is saved to the library in the background
//   await woodshed.saved(id?)                   once a song's save is done (rejects with why it failed); no id: every save
//   await woodshed.waveformReady(id)            once a song's waveform overview is ready (rejects with why not)
//   await woodshed.tracks()                     the library: [{id, name, duration, format, ...}]
//   await woodshed.load(id) / unload(id)        make a song current (paused at 0) / free its memory
//   await woodshed.remove(id), rename(id, name) delete a song from the library / rename it
//   await woodshed.recall(trackId?)             what is kept with a song: {trackGainDb, loopStartSeconds, loopEndSeconds, tempo, pitchSemitones}
//   await woodshed.storage()                    {usedBytes, quotaBytes, persisted}
//   await woodshed.setEq(bands) / eq()          10 bands {type, frequency, gainDb, q, enabled}
//   await woodshed.setLimiter({ceilingDb, enabled})
//   await woodshed.loudness() / resetLoudness() EBU R128 of what plays
//   await woodshed.meters()                     peak and RMS per channel, with hold and clip
//   await woodshed.spectrum()                   {frequencies, magnitudesDb, peakHoldDb}
//   await woodshed.normalize({targetLufs})      measure the song, set its playback gain
//   await woodshed.setTrackGain(db)             the song's playback gain, kept with it
//   await woodshed.play() / pause()             the current track's transport
//   await woodshed.seek(seconds), setLoop(on), setLoopRegion({start, end}) or setLoopRegion(null)
//   await woodshed.state()                      {trackId, positionSeconds, durationSeconds, playing, looping, ...}
//   await woodshed.addMarker(trackId?, {name, seconds, color?})  a marker kept with the song; resolves with its id
//   await woodshed.markers(trackId?), updateMarker(id, {...}), removeMarker(id)
//   await woodshed.sections(trackId?), loopSection(markerId)  the stretches between markers; loop one
//   await woodshed.beatGrid(trackId?)           {bpm, offsetSeconds, beatsPerBar, beats, downbeats, source}, or null
//   await woodshed.setBeatGrid(trackId?, {bpm, offsetSeconds, beatsPerBar}), tap()  set it by hand or by tapping
//   await woodshed.setMetronome({enabled, levelDb, countIn: 'off'|'first'|'every', countInBars})
//   await woodshed.setTempo(ratio), setPitch(semitones)   speed (0.25-2) and pitch (-12..+12), kept with the song
//   await woodshed.tuning(trackId?), tuneTo(hz)           the song's offset from A440 in cents; retune to A = hz
//   await woodshed.exportAudio(trackId?, {region: 'loop'|'song'|{start, end}, format: 'wav16'|'wav24'|'wav32f',
//                              stems: 'mix'|'each'|[names]})   what you hear, as a WAV Blob (or [{name, blob}])
//   woodshed.cancelExport()                     stops it; the export rejects with "cancelled..."
//   await woodshed.setSpeedTrainer({start, step, target, passesPerStep}) or (null)   faster each few passes of the loop
//
// Every call into C++ goes through one exception boundary: a failure comes back as a rejected
// promise with the engine's message, and the engine stays usable. Values are range-checked in
// the engine, against one table of named limits; this file checks only types.

import { beatsOf, gridFromTaps, withTap } from './beat-grid.js';
import { EXPORT_FORMATS, Exporter, exportFileName } from './export.js';
import { markerFrom, sectionsOf } from './markers.js';
import { mediaCacheUse, tuningOf } from './session.js';

/** The EQ's band types, by band index. */
const EQ_TYPES = ['lowshelf', 'peaking', 'peaking', 'peaking', 'peaking', 'peaking', 'peaking', 'peaking', 'peaking', 'highshelf'];
/** How long play() and pause() wait for the render thread to apply them before they reject. */
const TRANSPORT_DEADLINE_MS = 2000;
const GENERATOR_TYPES = ['sine', 'square', 'triangle', 'saw', 'white', 'pink', 'sweep'];
const COUNT_INS = ['off', 'first', 'every'];
const LOOP_SNAPS = ['off', 'beat', 'zero'];

/** Song time for file names (no colons): "0m12s", "1m05.5s". */
function clock(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round((seconds - 60 * minutes) * 10) / 10;
  return `${minutes}m${rest < 10 ? '0' : ''}${rest}s`;
}

/**
 * The speed trainer's progress from its settings and the passes heard: {start, step, target,
 * passesPerStep, tempo, pass (1-based, within the step), atTarget}.
 */
export function trainerProgress(trainer, passes, tempo) {
  const atTarget = tempo >= trainer.target - 1e-9;
  return { ...trainer, tempo, pass: (passes % trainer.passesPerStep) + 1, atTarget };
}

export class WoodshedApi {
  #bridge = null;
  #output = null;
  #imports = null;
  #library = null;
  #askedToPersist = false;
  #inbox = null;
  #session = null;
  #exporter = null;
  #limits = null;
  #lastError = null;
  #changeListeners = new Set();
  #taps = { songId: null, times: [], anchor: null };
  #wakeLock = null;
  #loopSnap = 'off';
  #loopEdge = 'end';  // the edge set last: what the nudge keys move
  #firstFrameMs = null;
  // Whether a service worker served this page load (read before the first one claims the page).
  #controlledAtLoad = typeof navigator !== 'undefined' && navigator.serviceWorker?.controller != null;
  /** 'none', 'available' (a new version waits for the user) or 'failed' (it did not install). */
  updateStatus = 'none';
  #resolveReady;
  #rejectReady;

  constructor() {
    /** Resolves when the app can take calls; rejects with the reason it cannot start. */
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});  // the page shows the reason; callers may still await it
  }

  /** Connects the API to the engine and the page's parts (app.js). */
  attach({ bridge, output, imports, library, inbox, session }) {
    this.#bridge = bridge;
    this.#output = output;
    this.#imports = imports;
    imports.onError((message) => { this.#lastError = message; });
    this.#library = library;
    this.#inbox = inbox;
    this.#session = session;
    this.#exporter = new Exporter(bridge);
    this.#limits = bridge.json('ws_limits');
    /**
     * What the library's start-up check did: {migratedFiles, temporaryFiles,
     * recordsWithoutFiles, recovered: [names], unreadable}.
     */
    this.libraryRepairs = structuredClone(library.repaired);
    library.setting('loopSnap').then((mode) => {
      if (LOOP_SNAPS.includes(mode)) this.#loopSnap = mode;
      this.#call('ws_note_loop_snap', ['number'], [LOOP_SNAPS.indexOf(this.#loopSnap)]);
    }).catch(() => {});
  }

  /** The screen wake lock that follows playing (wake-lock.js); its status is in stats(). */
  keepAwake(wakeLock) { this.#wakeLock = wakeLock; }

  resolveReady() { this.#resolveReady(); }
  rejectReady(error) { this.#rejectReady(error); }

  /** Milliseconds from navigation to the app's first drawn frame (null before it). */
  noteFirstFrame(milliseconds) { this.#firstFrameMs ??= milliseconds; }

  /** {firstFrameMs, servedByServiceWorker}: how this page load went. */
  timing() {
    return { firstFrameMs: this.#firstFrameMs, servedByServiceWorker: this.#controlledAtLoad, build: this.build };
  }

  /** The app's version. */
  get version() { return this.#bridge ? this.#bridge.module.UTF8ToString(this.#bridge.module._ws_version()) : null; }

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
   * Every setting as the engine last accepted it (the UI, the keys and this API all change the
   * same values): {generator: {type, frequency, levelDb, enabled}, masterGainDb, volumeDb, muted,
   * eq: {bypass, bands: [{frequency, gainDb, q, enabled}]}, limiter: {ceilingDb, enabled},
   * latencyMs, trackGainDb, sources: [{gainDb, mute, solo}], looping}.
   */
  async settings() {
    await this.ready;
    return this.#bridge.json('ws_settings');
  }

  /** The engine's table of named limits: {volumeDb: {min, max, initial, unit, label}, ...}. */
  async limits() {
    await this.ready;
    return structuredClone(this.#limits);
  }

  /**
   * Sets the signal generator, or turns it off with null. Fields not given keep their values.
   * @param {{type?: string, frequency?: number, levelDb?: number} | null} spec
   */
  async setGenerator(spec) {
    await this.ready;
    // The engine's settings are the only copy: a change made in the app's panel is kept.
    const { enabled, ...current } = (await this.settings()).generator;
    if (spec === null) {
      this.#setGenerator(current, false);
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
    this.#setGenerator(next, true);
  }

  /** The signal generator as the engine has it: {type, frequency, levelDb}, or null when off. */
  async generator() {
    const { enabled, ...params } = (await this.settings()).generator;
    return enabled ? params : null;
  }

  #setGenerator(spec, enabled) {
    this.#call('ws_set_generator', ['string', 'number', 'number', 'number'], [spec.type, spec.frequency, spec.levelDb, enabled ? 1 : 0]);
  }

  /** Sets the target latency of the engine's ring (limits().latencyMs: 5-250 ms). */
  async setLatency(milliseconds) {
    await this.ready;
    this.#call('ws_set_target_latency', ['number'], [milliseconds]);
  }

  /** Sets the master gain in dB (-120..+12). */
  async setMasterGain(db) {
    await this.ready;
    this.#call('ws_set_master_gain_db', ['number'], [db]);
  }

  /** The listening volume in dB, -60..+6 (0 = unity); also unmutes. */
  async setVolume(db) {
    await this.ready;
    if (typeof db !== 'number' || Number.isNaN(db)) throw new TypeError('the volume must be a number of dB');
    this.#call('ws_set_listening_volume', ['number', 'number'], [db, 0]);
    this.#changed();
  }

  /** Mutes or unmutes the output; the volume is kept. */
  async setMuted(muted) {
    const { volumeDb } = await this.settings();
    this.#call('ws_set_listening_volume', ['number', 'number'], [volumeDb, muted ? 1 : 0]);
    this.#changed();
  }

  /** Calls `listener` after play, pause, seek, load, unload, loop, volume or mute changes. */
  onChange(listener) {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Tells the change listeners (the session and the media controls call it too). */
  changed() { this.#changed(); }

  #changed() {
    for (const listener of this.#changeListeners) {
      try { listener(); } catch { /* a listener's failure is its own */ }
    }
  }

  /**
   * Figures from the engine, the worklet and the heap:
   * {sampleRate, crossOriginIsolated, threads, framesPlayed, underruns, ringFillFrames,
   *  outputLatencyMs, renderLoadAvg, renderLoadMax, heapBytesInUse, heapCapacity, wakeLock
   *  ('held' while a song plays, 'off', 'unsupported' or 'refused: why'), ...}
   */
  async stats() {
    await this.ready;
    this.#bridge.call('ws_stats');
    const stats = this.#bridge.record('stats');
    // A broken realtime invariant played a silent block instead of stopping the app; its message.
    stats.lastInvariantFailure = this.#bridge.text();
    stats.crossOriginIsolated = globalThis.crossOriginIsolated === true;
    stats.wakeLock = this.#wakeLock?.status ?? 'off';
    stats.audioState = this.#output.state;
    stats.sampleRate = this.#output.sampleRate ?? stats.sampleRate;
    stats.outputLatencyMs = (stats.sampleRate > 0 ? (1000 * stats.ringFillFrames) / stats.sampleRate : 0)
      + this.#output.contextLatencyMs;
    return stats;
  }

  /**
   * Records the next `seconds` (at most 30) of what the worklet outputs.
   * `underruns` counts the render quanta in the capture that found the ring empty (gaps).
   * `sourceFrames` gives each frame's source position: -1 where nothing was playing, -2 for the
   * silence of a gap (cutting those out leaves what the engine rendered, in order).
   * `framesPlayedAtEnd` is stats().framesPlayed, modulo 2^32, once the last frame was output.
   * @returns {Promise<{sampleRate: number, channels: Float32Array[], sourceFrameAtStart: number|null,
   *   sourceFrames: Int32Array, underruns: number, framesPlayedAtEnd: number}>}
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
    // Every import path comes here (the picker, a drop, a file opened with the app, accepted
    // shared files, this API): the first of a visit asks the browser to keep the library when
    // it is short of space.
    if (!this.#askedToPersist) {
      this.#askedToPersist = true;
      this.#library.askToPersist();
    }
    const results = await Promise.allSettled(this.#imports.enqueue(files));
    this.#session.imported(results.filter((r) => r.status === 'fulfilled').map((r) => r.value));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      this.#lastError = failed.reason.message;
      throw failed.reason;
    }
    return results.map((r) => r.value.id);
  }

  /**
   * Resolves once a song imported by this page is stored in the library (at once for one
   * stored already); rejects with why its save failed. With no id, once every save running
   * now has ended, however. Until then tracks() lists it with
   * `saving: true`; after a failure with `saveError`, and it plays until the page closes.
   */
  async saved(id = null) {
    await this.ready;
    if (id === null) {
      await this.#library.saving();  // every save running now, however each ends
      return;
    }
    await this.#library.saving(id)?.catch(() => {});  // the record says how it ended
    const record = await this.#library.get(id);
    if (!record) throw new Error('that song is not in the library');
    if (record.saveError) throw new Error(`it could not be saved (${record.saveError})`);
  }

  /** Resolves once a song in memory has its waveform overview; rejects with why it has none. */
  async waveformReady(id) {
    await this.ready;
    await this.#session.waveform(id);
  }

  /**
   * The engine's announcement that a track's waveform job finished (app.js relays it). A song
   * whose waveform failed still plays; the user is told why it has none.
   */
  waveformFinished(engineTrackId, name, error) {
    this.#session?.waveformFinished(engineTrackId, error);
    if (!error) return;
    this.#lastError = `${name}: its waveform could not be prepared (${error})`;
    try {
      this.#bridge.call('ws_report_error', ['string'], [this.#lastError]);
    } catch { /* logged by the boundary */ }
  }

  /**
   * Makes the last song played current again, paused where the engine says it resumes (at
   * start-up, before `ready`). Returns its id, or null.
   */
  async restoreSession() {
    const restored = await this.#noteFailure(() => this.#session.restore());
    if (restored?.note) this.#lastError = restored.note;
    return restored?.id ?? null;
  }

  /**
   * Renders a song as it is heard into WAV: `region` 'song' (default), 'loop' (its A-B loop)
   * or {start, end} in song seconds; `format` 'wav16' (default, TPDF dither where it is not
   * already on the grid), 'wav24' or 'wav32f'; `stems` 'mix' (default), 'each' or a list of
   * stem names. With everything that shapes the song (speed, pitch, stem mix, EQ, limiter,
   * the song's gain), without the listening volume and mute, the metronome and the count-in.
   * The song is the current one unless `trackId` names another (then with its own gain,
   * speed and pitch). Faster than real time on the thread pool, streamed through a temporary
   * file, never whole in memory. Resolves with a Blob ('mix') or [{name, blob}], which stay
   * readable until the next export or reload; rejects with "cancelled..." after
   * cancelExport(), leaving no file. state().export shows its progress.
   */
  async exportAudio(trackId = null, { region = 'song', format = 'wav16', stems = 'mix' } = {}) {
    await this.ready;
    let jobs;
    const files = await this.#exporter.run(async () => {
      jobs = await this.#exportJobs(trackId, { region, format, stems });
      return jobs;
    }, () => this.#library.openExportFile());
    return stems === 'mix' ? files[0] : files.map((blob, i) => ({ name: jobs[i].stem, blob }));
  }

  /** Stops the running export (it rejects with "cancelled..."); nothing when none runs. */
  cancelExport() {
    this.#exporter?.cancel();
  }

  /**
   * The app's Export button: asks where to save while the click's activation lasts
   * (showSaveFilePicker) and streams into that file; where there is no save picker, exports
   * through a temporary file and hands it over as a download. One file per stem for 'each'
   * (the picker is asked for the first; the rest download). Resolves with the names saved.
   */
  async saveExport({ region = 'song', format = 'wav16', stems = 'mix' } = {}) {
    await this.ready;
    const jobs = await this.#exportJobs(null, { region, format, stems });
    const picker = jobs.length === 1 && typeof window.showSaveFilePicker === 'function' ? window.showSaveFilePicker : null;
    if (picker) {
      let handle;
      try {
        handle = await picker({
          suggestedName: jobs[0].name,
          types: [{ description: 'WAV audio', accept: { 'audio/wav': ['.wav'] } }],
        });
      } catch (error) {
        if (error?.name === 'AbortError') return [];  // the user closed the picker
        throw error;
      }
      await this.#exporter.run(async () => jobs, async () => {
        const writable = await handle.createWritable();
        return {
          writable,
          finish: async () => jobs[0].name,
          // abort() left the file as it was; a file the picker just made is removed.
          discard: async () => { await handle.remove?.().catch(() => {}); },
        };
      });
      return [jobs[0].name];
    }
    const files = await this.#exporter.run(async () => jobs, () => this.#library.openExportFile());
    files.forEach((file, i) => {
      const url = URL.createObjectURL(file);
      const link = Object.assign(document.createElement('a'), { href: url, download: jobs[i].name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    });
    return jobs.map((job) => job.name);
  }

  // One export job per file, checked: the song in memory, the region in its seconds.
  async #exportJobs(trackId, { region, format, stems }) {
    if (!EXPORT_FORMATS.includes(format)) {
      throw new Error(`an export's format is ${EXPORT_FORMATS.join(', ')}; got ${JSON.stringify(format)}`);
    }
    const id = trackId ?? this.#session.currentId;
    if (id === null) throw new Error('no song is loaded');
    const record = await this.#library.get(id);
    if (!record) throw new Error('that song is not in the library');
    const engineTrackId = await this.#session.ensureInMemory(id);
    await this.#imports.whole(engineTrackId);  // a song playing while it is decoded: all of it
    const current = id === this.#session.currentId;
    const recall = await this.#session.recall(id, this.#limits);
    const settings = this.#bridge.json('ws_settings');
    const track = this.#bridge.json('ws_tracks').find((t) => t.id === engineTrackId);
    if (!track) throw new Error('that song is not in memory');
    let start;
    let end;
    let label = '';
    if (region === 'song') {
      [start, end] = [0, track.duration];
    } else if (region === 'loop') {
      const loop = current ? settings.loop
        : (recall.loopEndSeconds > recall.loopStartSeconds ? { start: recall.loopStartSeconds, end: recall.loopEndSeconds } : null);
      if (!loop) throw new Error('this song has no A-B loop to export: set one, or export the song or a range');
      [start, end] = [loop.start, loop.end];
      label = `A-B ${clock(start)}-${clock(end)}`;
    } else if (region && typeof region === 'object' && Number.isFinite(region.start) && Number.isFinite(region.end)) {
      if (!(region.start >= 0 && region.end > region.start && region.start < track.duration)) {
        throw new Error(`the range to export must lie within the song (0-${track.duration.toFixed(3)} s) and end after it starts; `
          + `got ${region.start}-${region.end} s`);
      }
      [start, end] = [region.start, Math.min(region.end, track.duration)];
      label = `${clock(start)}-${clock(end)}`;
    } else {
      throw new Error(`an export's region is 'song', 'loop' or {start, end} in seconds; got ${JSON.stringify(region)}`);
    }
    const tempo = current ? settings.tempo : recall.tempo;
    const pitchSemitones = current ? settings.pitchSemitones : recall.pitchSemitones;
    if (tempo !== 1) label = [label, `${Math.round(tempo * 100)}%`].filter(Boolean).join(', ');
    if (pitchSemitones !== 0) label = [label, `${pitchSemitones > 0 ? '+' : ''}${+pitchSemitones.toFixed(2)} st`].filter(Boolean).join(', ');
    const base = {
      engineTrackId, start, end, format, source: null, trackGainDb: recall.trackGainDb, tempo, pitchSemitones,
    };
    if (stems === 'mix') return [{ ...base, name: exportFileName(record.name, { label }) }];
    const names = track.sources;
    if (names.length < 2) throw new Error('this song has no stems to export: it is one mix (split it into stems first)');
    const wanted = stems === 'each' ? names : stems;
    if (!Array.isArray(wanted) || wanted.length === 0) {
      throw new Error(`an export's stems are 'mix', 'each' or a list of stem names (${names.join(', ')})`);
    }
    return wanted.map((stem) => {
      const source = names.indexOf(stem);
      if (source < 0) throw new Error(`this song has no stem called ${JSON.stringify(stem)}; it has ${names.join(', ')}`);
      return { ...base, source, stem, name: exportFileName(record.name, { label, stem }) };
    });
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
    return (await this.#library.list()).map((record) => ({
      ...record,
      inMemory: this.#session.inMemory(record.id),
      // Playing while the rest of it is decoded (it waits where it has not arrived yet).
      decoding: this.#imports.decoding(this.#session.engineId(record.id)),
    }));
  }

  /**
   * Resolves once all of a song's audio is in memory (the current song's when no id is given).
   * A long MP3 or FLAC plays a few seconds into its decode; the rest arrives while it plays,
   * and loudness, export and beat detection wait for it.
   */
  async decoded(id = null) {
    await this.ready;
    await this.#imports.whole(this.#session.engineId(id ?? this.#session.currentId));
  }

  /**
   * Makes a song current, paused at its start, with its recalled settings. A stored setting the
   * engine refused (out of range) is ignored, and why is in state().lastError.
   */
  async load(id) {
    await this.ready;
    const note = await this.#noteFailure(() => this.#session.load(id));
    if (note) this.#lastError = note;
  }

  /**
   * What is recalled with a song when it loads: {trackGainDb, ...}, with initial values for
   * what it has none of. The current song when no id is given.
   */
  async recall(trackId = null) {
    await this.ready;
    return this.#session.recall(trackId ?? this.#session.currentId, this.#limits);
  }

  /** Frees a song's memory (it stays in the library); if it is current, nothing is. */
  async unload(id) {
    await this.ready;
    this.#session.unload(id);
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
   * Bands and fields not given keep their settings; a bad band changes nothing.
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
    // The whole EQ goes to the engine in one call, validated there as a whole.
    const values = this.#bridge.doubles('eq');
    current.bands.forEach((band, index) => {
      const next = { ...band, ...(bands[index] ?? {}) };
      values.set([Number(next.frequency), Number(next.gainDb), Number(next.q), next.enabled ? 1 : 0], index * 4);
    });
    const bypass = !Array.isArray(settings) && settings?.bypass !== undefined ? settings.bypass : current.bypass;
    values[EQ_TYPES.length * 4] = bypass ? 1 : 0;
    this.#call('ws_set_eq');
  }

  /** The EQ: {bands: [{type, frequency, gainDb, q, enabled}], bypass}. */
  async eq() {
    const { eq } = await this.settings();
    return { bands: eq.bands.map((band, i) => ({ type: EQ_TYPES[i], ...band })), bypass: eq.bypass };
  }

  /** The output limiter: ceiling in dBFS (-24..0, initially -1) and on/off; fields not given are kept. */
  async setLimiter({ ceilingDb, enabled } = {}) {
    const { limiter } = await this.settings();
    this.#call('ws_set_limiter', ['number', 'number'], [ceilingDb ?? limiter.ceilingDb, (enabled ?? limiter.enabled) ? 1 : 0]);
  }

  /**
   * EBU R128 loudness of what played since the last reset: {momentary, shortTerm, integrated
   * (LUFS), range (LU), truePeak (dBTP), limiterGainReductionDb}; -200 means no signal yet.
   */
  async loudness() {
    await this.ready;
    this.#call('ws_loudness');
    return this.#bridge.record('loudness');
  }

  /**
   * Peak and RMS meters of what plays (before the listening volume), per channel:
   * {peakDb: [left, right], rmsDb, peakHoldDb, clipped: [bool, bool]}; -200 dB means silence.
   */
  async meters() {
    await this.ready;
    this.#call('ws_meters');
    const m = this.#bridge.record('meters');
    return {
      peakDb: [m.peakLeft, m.peakRight],
      rmsDb: [m.rmsLeft, m.rmsRight],
      peakHoldDb: [m.holdLeft, m.holdRight],
      clipped: [m.clipLeft !== 0, m.clipRight !== 0],
    };
  }

  async resetLoudness() {
    await this.ready;
    this.#call('ws_reset_loudness');
  }

  /** The newest spectrum of what plays: {frequencies, magnitudesDb, peakHoldDb, fftSize}. */
  async spectrum() {
    await this.ready;
    this.#call('ws_spectrum');
    const { bins, fftSize, sampleRate, averageDb, peakHoldDb } = this.#bridge.spectrum();
    return {
      fftSize,
      frequencies: Float64Array.from({ length: bins }, (_, i) => (i * sampleRate) / fftSize),
      magnitudesDb: averageDb,
      peakHoldDb,
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
    const id = this.#session.currentId;
    const engineId = this.#session.engineId(id);
    if (id === null || engineId === undefined) throw new Error('no song is loaded');
    await this.#imports.whole(engineId);  // a song playing while it is decoded: all of it
    this.#call('ws_normalize', ['number'], [targetLufs]);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.#call('ws_normalize_status');
      const result = this.#bridge.record('normalize');
      if (result.running) continue;
      const message = this.#bridge.text();
      if (result.measuredLufs <= -70) throw new Error(message || 'the song could not be measured');
      if (result.measuredTrack !== engineId) throw new Error('another measurement replaced this one');
      await this.#session.keepRecalled(id, 'trackGainDb', result.gainDb);
      return { measuredLufs: result.measuredLufs, gainDb: result.gainDb };
    }
  }

  /**
   * Sets the current song's playback gain in dB (kept with the song, as normalize() keeps the
   * gain it measures).
   */
  async setTrackGain(db) {
    await this.ready;
    if (typeof db !== 'number') throw new TypeError('the gain is a number of dB');
    const id = this.#session.currentId;
    if (id === null) throw new Error('no song is loaded');
    this.#call('ws_set_track_gain', ['number'], [db]);
    await this.#session.keepRecalled(id, 'trackGainDb', db);
    this.#changed();
  }

  /**
   * The service worker's cache of songs published under media/: {entries, bytes, maxEntries,
   * maxBytes} (the budgets from cache-budgets.js).
   */
  async mediaCache() { return mediaCacheUse(); }

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

  /**
   * Plays the current song (starting audio output if it is off); resolves once the render thread is rendering it (heard after the
   * output latency), or rejects when it has not started within TRANSPORT_DEADLINE_MS.
   */
  async play() {
    await this.ready;
    if (this.#output.state !== 'running') await this.#output.start();
    // A new output at another rate: the song is being decoded again for it.
    await this.#session.rateSettled();
    this.#call('ws_play');
    await this.#untilApplied('play()');
    this.#changed();
  }

  /** Pauses; resolves once the render thread has paused (at once when no output runs). */
  async pause() {
    await this.ready;
    this.#call('ws_pause');
    if (this.#output.state === 'running') await this.#untilApplied('pause()');
    this.#changed();
  }

  // The render thread applies commands before each block it renders, a few ms apart while the
  // output runs: waits until it has applied everything sent so far, or rejects with why not.
  async #untilApplied(what) {
    this.#call('ws_state');
    const sent = this.#bridge.record('state').commandsSent;
    const deadline = performance.now() + TRANSPORT_DEADLINE_MS;
    for (;;) {
      this.#call('ws_state');
      const { commandsApplied } = this.#bridge.record('state');
      if (((commandsApplied - sent) | 0) >= 0) return;  // counters modulo 2^32
      if (performance.now() > deadline) {
        throw new Error(`${what} did not take effect within ${TRANSPORT_DEADLINE_MS / 1000} s: the audio output is ${this.#output.state}`
          + (this.#output.message ? ` (${this.#output.message})` : ''));
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Moves to `seconds` in the current track, sample-accurately. */
  async seek(seconds) {
    await this.#transport('ws_seek', ['number'], [seconds]);
    this.#session.notePosition(seconds);
  }

  /** Turns looping on or off: the A-B loop when one is set, else the whole song (and the songs loaded after). */
  async setLoop(enabled) { await this.#transport('ws_set_loop', ['number'], [enabled ? 1 : 0]); }

  /**
   * Sets the current song's A-B loop, {start, end} in song seconds, and turns looping on;
   * null clears it (looping then wraps the whole song). The wrap keeps the loop's exact length
   * and crosses over in 5 ms, so it does not click.
   */
  async setLoopRegion(region) {
    await this.ready;
    if (region === null) {
      await this.#transport('ws_clear_loop_region', [], []);
    } else {
      if (typeof region !== 'object' || typeof region.start !== 'number' || typeof region.end !== 'number') {
        throw new TypeError('setLoopRegion takes {start, end} in song seconds, or null');
      }
      this.#call('ws_set_loop_region', ['number', 'number'], [region.start, region.end]);
      await this.#transport('ws_set_loop', ['number'], [1]);
    }
    await this.#session.keepCurrentRecall();  // each song keeps its loop
  }

  /**
   * Adds a marker to a song (the current one when no id is given): {name?, seconds, color?},
   * seconds within the song, color "#rrggbb". Resolves with the marker's id. Markers are kept
   * with the song; two tabs may edit them at once and both keep their edits.
   */
  async addMarker(trackId, spec) {
    await this.ready;
    if (typeof trackId === 'object' && trackId !== null && spec === undefined) [trackId, spec] = [null, trackId];
    return this.#noteFailure(() => this.#library.addMarker(this.#songId(trackId), spec));
  }

  /** A song's markers, sorted by time: [{id, name, seconds, color}] ([] when none). */
  async markers(trackId = null) {
    await this.ready;
    return this.#library.markers(this.#songId(trackId));
  }

  /** Changes a marker's {name, seconds, color}; fields not given are kept. */
  async updateMarker(markerId, changes) {
    await this.ready;
    await this.#noteFailure(() => this.#library.updateMarker(String(markerId), changes));
  }

  /** Deletes a marker. */
  async removeMarker(markerId) {
    await this.ready;
    await this.#noteFailure(() => this.#library.removeMarker(String(markerId)));
  }

  /**
   * The sections of a song: [{markerId, name, color, start, end}], each from a marker to the
   * next (the last to the song's end).
   */
  async sections(trackId = null) {
    await this.ready;
    const id = this.#songId(trackId);
    const record = await this.#library.get(id);
    return sectionsOf(record?.markers ?? [], record?.duration ?? 0);
  }

  /** Loops the section that starts at a marker of the current song (its A-B loop, turned on). */
  async loopSection(markerId) {
    const section = (await this.sections()).find((s) => s.markerId === markerId);
    if (!section) throw new Error('that marker is not in the song that is playing');
    await this.setLoopRegion({ start: section.start, end: section.end });
  }

  /** Seeks to the current song's next (direction 1) or previous (-1) marker; false when there is none. */
  async seekToMarker(direction) {
    const { positionSeconds, trackId } = await this.state();
    if (trackId === null) return false;
    const marker = markerFrom(await this.markers(), positionSeconds, direction);
    if (!marker) return false;
    await this.seek(marker.seconds);
    return true;
  }

  /**
   * A song's beat grid: {bpm, offsetSeconds (a downbeat), beatsPerBar, beats, downbeats (song
   * seconds), source: 'detected' | 'tapped' | 'manual', confidence (detected only)}, or null
   * while it is being detected (or when none was found). Kept with the song.
   */
  async beatGrid(trackId = null) {
    await this.ready;
    const record = await this.#library.get(this.#songId(trackId));
    if (!record?.beatGrid) return null;
    return { ...record.beatGrid, ...beatsOf(record.beatGrid, record.duration) };
  }

  /**
   * Sets the current song's beat grid by hand, {bpm, offsetSeconds, beatsPerBar}; fields not
   * given keep their values. It replaces a detected or tapped grid and is kept with the song.
   */
  async setBeatGrid(trackId, spec) {
    await this.ready;
    if (typeof trackId === 'object' && trackId !== null && spec === undefined) [trackId, spec] = [null, trackId];
    if (spec === null || typeof spec !== 'object') throw new TypeError('setBeatGrid takes {bpm, offsetSeconds, beatsPerBar}');
    const id = this.#songId(trackId);
    if (id !== this.#session.currentId) throw new Error('the beat grid is set on the song that is loaded');
    const current = (await this.#library.get(id))?.beatGrid ?? {};
    const grid = {
      bpm: spec.bpm ?? current.bpm ?? this.#limits['beatGrid.bpm'].initial,
      offsetSeconds: spec.offsetSeconds ?? current.offsetSeconds ?? 0,
      beatsPerBar: spec.beatsPerBar ?? current.beatsPerBar ?? this.#limits['beatGrid.beatsPerBar'].initial,
    };
    for (const [key, value] of Object.entries(grid)) {
      if (typeof value !== 'number') throw new TypeError(`${key} must be a number`);
    }
    await this.#noteFailure(() => this.#session.setBeatGrid(grid, 'manual'));
    this.#changed();
  }

  /**
   * Tap tempo: call it on each beat heard; `at` is when the tap happened (performance.now()
   * time, e.g. a key event's timeStamp; now when not given), so a busy page does not make a
   * tap late. The tap's song time is what was heard then: the output latency is subtracted.
   * From the second tap on, the song's grid follows the taps (the first tap a downbeat).
   * Resolves with {taps, bpm} (bpm null after one tap).
   */
  async tap({ at = null } = {}) {
    const [state, stats] = await Promise.all([this.state(), this.stats()]);
    const now = performance.now();
    if (state.trackId === null) throw new Error('no song is loaded');
    if (!state.playing || state.countingIn) throw new Error('tap along while the song plays');
    if (at !== null && !(typeof at === 'number' && at <= now && now - at < 1000)) {
      throw new RangeError('a tap\'s time is performance.now() of the last second');
    }
    const heard = state.heardSeconds - (at === null ? 0 : (now - at) / 1000);
    const times = withTap(this.#taps.songId === state.trackId ? this.#taps.times : [], heard);
    // The sequence's first tap is its downbeat, also once the oldest taps are let go.
    const anchor = times.length === 1 ? heard : this.#taps.anchor;
    this.#taps = { songId: state.trackId, times, anchor };
    const beatsPerBar = (await this.settings()).beatGrid?.beatsPerBar ?? this.#limits['beatGrid.beatsPerBar'].initial;
    const grid = gridFromTaps(times, beatsPerBar, anchor);
    if (grid) {
      await this.#noteFailure(() => this.#session.setBeatGrid({ ...grid, beatsPerBar }, 'tapped'));
      this.#changed();
    }
    return { taps: this.#taps.times.length, bpm: grid?.bpm ?? null };
  }

  /**
   * The metronome on the song's beat grid and the count-in: {enabled, levelDb (a downbeat's
   * click, -40..0 dBFS), countIn: 'off' | 'first' (before playing) | 'every' (also before each
   * pass of the loop), countInBars: 1 | 2}. Fields not given keep their values. The clicks come
   * after the meters and the limiter and are never exported.
   */
  /**
   * The current song's speed, as a ratio (0.25-2: 0.5 is half speed, the pitch kept). Kept with
   * the song. Rejects a value out of range or not finite with the engine's message.
   */
  async setTempo(ratio) {
    await this.ready;
    if (typeof ratio !== 'number') throw new TypeError('setTempo takes a ratio, e.g. 0.5 for half speed');
    this.#call('ws_set_tempo', ['number'], [ratio]);
    await this.#session.keepCurrentRecall();
    this.#changed();
  }

  /**
   * The current song's pitch in semitones (-12..+12; fractional for cents: 0.18 is 18 cents
   * up), the speed kept. Kept with the song.
   */
  async setPitch(semitones) {
    await this.ready;
    if (typeof semitones !== 'number') throw new TypeError('setPitch takes semitones, e.g. -2 or 0.18');
    this.#call('ws_set_pitch', ['number'], [semitones]);
    await this.#session.keepCurrentRecall();
    this.#changed();
  }

  /**
   * How far a song (the current one when no id is given) is tuned from A440: {offsetCents}
   * (-50..+50, + is sharp), found from its steady partials when it was first loaded; null while
   * unknown (still being analysed, or too few steady partials to tell).
   */
  async tuning(trackId = null) {
    await this.ready;
    const cents = tuningOf(await this.#library.get(this.#songId(trackId)));
    return cents === null ? null : { offsetCents: cents };
  }

  /**
   * Retunes the current song to a reference A (440, or e.g. 442 Hz): sets the pitch's cents so
   * the recording's tuning lands on it, keeping the whole semitones already set.
   */
  async tuneTo(referenceHz = 440) {
    await this.ready;
    if (typeof referenceHz !== 'number' || !(referenceHz >= 415 && referenceHz <= 466)) {
      throw new Error('the reference A is 415-466 Hz');
    }
    const known = await this.tuning();
    if (known === null) throw new Error('the song\'s tuning is not known yet');
    const { pitchSemitones } = await this.settings();
    const cents = 1200 * Math.log2(referenceHz / 440) - known.offsetCents;
    await this.setPitch(Math.round(pitchSemitones) + Math.round(cents) / 100);
  }

  /**
   * The speed trainer on the loop (the A-B loop, or the whole song): {start, step, target,
   * passesPerStep}, tempo ratios, e.g. {start: 0.6, step: 0.05, target: 1, passesPerStep: 2}; it
   * turns looping on. Each pass heard steps the tempo after passesPerStep passes, and it holds at
   * the target. null stops it and restores the tempo set before; so does setting a speed by
   * hand. state().trainer shows its progress.
   */
  async setSpeedTrainer(spec) {
    await this.ready;
    if (spec === null) {
      this.#call('ws_set_speed_trainer', ['number', 'number', 'number', 'number', 'number'], [0, 1, 0, 1, 1]);
      this.#changed();
      return;
    }
    if (typeof spec !== 'object') throw new TypeError('setSpeedTrainer takes {start, step, target, passesPerStep}, or null');
    const { start, step, target, passesPerStep = 1 } = spec;
    for (const [name, value] of Object.entries({ start, step, target, passesPerStep })) {
      if (typeof value !== 'number') throw new TypeError(`the trainer's ${name} must be a number`);
    }
    this.#call('ws_set_speed_trainer', ['number', 'number', 'number', 'number', 'number'], [1, start, step, target, passesPerStep]);
    await this.#transport('ws_set_loop', ['number'], [1]);
  }

  async setMetronome(spec) {
    await this.ready;
    if (spec === null || typeof spec !== 'object') throw new TypeError('setMetronome takes {enabled, levelDb, countIn, countInBars}');
    const next = { ...(await this.settings()).metronome, ...spec };
    if (!COUNT_INS.includes(next.countIn)) throw new Error(`the count-in is ${COUNT_INS.join(', ')}, not "${next.countIn}"`);
    if (typeof next.levelDb !== 'number' || typeof next.countInBars !== 'number') {
      throw new TypeError('levelDb and countInBars must be numbers');
    }
    this.#call('ws_set_metronome', ['number', 'number', 'number', 'number'],
      [next.enabled ? 1 : 0, next.levelDb, COUNT_INS.indexOf(next.countIn), next.countInBars]);
    this.#changed();
  }

  // A song's library id: `trackId`, or the current song's when it is null.
  #songId(trackId) {
    const id = trackId ?? this.#session.currentId;
    if (id === null) throw new Error('no song is loaded');
    if (typeof id !== 'string') throw new TypeError('a song id is text');
    return id;
  }

  /**
   * Where loop edges set from the keys or the waveform snap: 'off', 'beat' (the nearest beat of
   * the song's grid) or 'zero' (the nearest zero crossing, within 10 ms). A preference, kept.
   * setLoopRegion() itself never snaps.
   */
  async setLoopSnap(mode) {
    await this.ready;
    if (!LOOP_SNAPS.includes(mode)) throw new Error(`loop edges snap to ${LOOP_SNAPS.join(', ')}, not "${mode}"`);
    this.#call('ws_note_loop_snap', ['number'], [LOOP_SNAPS.indexOf(mode)]);
    this.#loopSnap = mode;
    await this.#library.setSetting('loopSnap', mode);
    this.#changed();
  }

  /** `seconds` in the current song, snapped as setLoopSnap() says. */
  async snapLoopTime(seconds) {
    await this.ready;
    const { durationSeconds, trackId } = await this.state();
    if (trackId === null) throw new Error('no song is loaded');
    if (typeof seconds !== 'number' || !(seconds >= 0 && seconds <= durationSeconds)) {
      throw new RangeError(`a loop edge lies within the song (0 to ${durationSeconds} s), got ${seconds}`);
    }
    if (this.#loopSnap === 'beat') {
      const grid = (await this.settings()).beatGrid;
      if (!grid) return seconds;
      const period = 60 / grid.bpm;
      const beat = grid.offsetSeconds + Math.round((seconds - grid.offsetSeconds) / period) * period;
      return beat >= 0 && beat <= durationSeconds ? beat : seconds;
    }
    if (this.#loopSnap === 'zero') {
      this.#call('ws_nearest_zero_crossing', ['number'], [seconds]);
      return this.#bridge.number();
    }
    return seconds;
  }

  /** Notes which loop edge was set last ('start' or 'end'): the one nudgeLoop() moves by default. */
  noteLoopEdge(edge) { this.#loopEdge = edge; }

  /**
   * Moves one edge of the A-B loop ('start', 'end', or null: the edge set last) by `beats` of
   * the song's grid or by `seconds` (negative: earlier). Refused with a message where the loop
   * would no longer fit the song, or without a grid for beats.
   */
  async nudgeLoop(edge, { beats = 0, seconds = 0 } = {}) {
    if (!Number.isFinite(beats) || !Number.isFinite(seconds)) throw new TypeError('nudge by a number of beats or seconds');
    const { loop } = await this.state();
    if (!loop) throw new Error('there is no A-B loop to nudge');
    const grid = (await this.settings()).beatGrid;
    if (beats !== 0 && !grid) throw new Error('the song has no beat grid: nudge by 10 ms, or tap or set the tempo');
    const by = (beats !== 0 ? (beats * 60) / grid.bpm : 0) + seconds;
    const which = edge ?? this.#loopEdge;
    if (which !== 'start' && which !== 'end') throw new Error('a loop\'s edges are "start" and "end"');
    // The loop moves; looping stays as it was (setLoopRegion would turn it on).
    const moved = which === 'start' ? [loop.start + by, loop.end] : [loop.start, loop.end + by];
    this.#call('ws_set_loop_region', ['number', 'number'], moved);
    this.#loopEdge = which;
    await this.#session.keepCurrentRecall();
    this.#changed();
  }

  /**
   * {trackId (null when none), positionSeconds, durationSeconds, playing, looping, loop
   * ({start, end, enabled} in song seconds, or null), countingIn, heardSeconds (while playing,
   * the position as heard: the frame the output handed out last, less the device's latency;
   * positionSeconds, the engine's, runs ahead by the ring's fill), loopSnap, volumeDb, muted,
   * lastError}.
   */
  async state() {
    await this.ready;
    this.#output.refreshLatency();
    this.#call('ws_state');
    const state = this.#bridge.record('state');
    const { volumeDb, muted, loop, pitchSemitones, speedTrainer } = this.#bridge.json('ws_settings');
    const { tempo, trainerRunning, trainerPasses, commandsSent, commandsApplied, ...engineState } = state;
    return {
      ...engineState,
      trackId: this.#session.libraryIdOfEngineTrack(state.trackId),
      playing: state.playing !== 0,
      looping: state.looping !== 0,
      countingIn: state.countingIn !== 0,
      tempo,
      pitchSemitones,
      trainer: speedTrainer && trainerRunning ? trainerProgress(speedTrainer, trainerPasses, tempo) : null,
      loopSnap: this.#loopSnap,
      loop: loop ? { ...loop, enabled: state.looping !== 0 } : null,
      volumeDb,
      muted,
      lastError: this.#lastError,
      // {stage, progress, etaSeconds, ...} of the running or last export, or null.
      export: this.#exporter.state(),
    };
  }

  async #transport(name, types, args) {
    await this.ready;
    this.#call(name, types, args);
    this.#changed();
  }

  async #noteFailure(action) {
    try {
      return await action();
    } catch (error) {
      this.#lastError = error.message;
      throw error;
    }
  }

  #call(name, types = [], args = []) {
    try {
      this.#bridge.call(name, types, args);
    } catch (error) {
      this.#lastError = error.message;
      throw error;
    }
  }
}
