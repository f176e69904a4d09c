// Export: what the user hears, taken away as a WAV file. The engine renders on its thread pool
// into a bounded ring (src/engine/export_stream.h); this module moves the ring's bytes into a
// file as they come, so an export of any length holds only the ring in memory:
//   - into the file the user picked (showSaveFilePicker, asked for at the click), or
//   - where there is no save picker, into a temporary file in the Origin Private File System
//     that is handed over as a download (library/exports/, emptied at each start and export).
// A cancelled or failed export leaves no file: a picked file is truncated and removed where the
// browser allows it (FileSystemWritableFileStream.abort() leaves the picked file as it was, and
// a newly picked one empty), a temporary one is removed.

/** The export formats of the API conventions, in the engine's order. */
export const EXPORT_FORMATS = ['wav16', 'wav24', 'wav32f'];

/** How long the pump sleeps when the ring is empty and the render goes on. */
const IDLE_MS = 4;

/** Thrown (as the rejection) when an export is cancelled. */
export class ExportCancelledError extends Error {
  constructor() {
    super('cancelled: the export was stopped and its file removed');
    this.name = 'ExportCancelledError';
  }
}

/** A file name without characters file systems refuse, at most 120 characters. */
export function safeFileName(name) {
  const cleaned = String(name).replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return (cleaned || 'Woodshed export').slice(0, 120);
}

/** The name of an export of `songName`: "Song (A-B 0:12-0:40, 70%).wav", "Song - drums.wav". */
export function exportFileName(songName, { label = '', stem = null } = {}) {
  const base = String(songName).replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const parts = [base];
  if (stem) parts.push(` - ${stem}`);
  if (label) parts.push(` (${label})`);
  return `${safeFileName(parts.join(''))}.wav`;
}

/**
 * Moves the engine's export bytes into files. One export at a time; state() describes it for
 * the API and the UI.
 */
export class Exporter {
  #bridge;
  #cancelRequested = false;
  #running = false;
  #state = null;

  /** @param {import('./engine-bridge.js').EngineBridge} bridge */
  constructor(bridge) {
    this.#bridge = bridge;
  }

  get running() { return this.#running; }

  /**
   * {stage, progress, etaSeconds, name, file, of, message}: stage 'rendering' while the engine
   * renders and the bytes are written, 'saving' while the file is closed, then 'done',
   * 'cancelled' or 'failed' ('preparing' before the first file, while the song is made ready);
   * null before the first export.
   */
  state() { return this.#state === null ? null : { ...this.#state }; }

  /** Asks the running export to stop; it rejects with ExportCancelledError. */
  cancel() {
    if (!this.#running) return;
    this.#cancelRequested = true;
    this.#bridge.call('ws_export_cancel');  // nothing when the render has not started
  }

  /**
   * Exports the files of the jobs `prepare()` resolves with ([{engineTrackId, start, end,
   * format, source, trackGainDb, tempo, pitchSemitones, name}], one per file) one after
   * another; a cancel while it prepares (a song being decoded) counts too. `open(job)` gives each a
   * target {writable ({write(bytes), close(), abort()}), finish() (after close: puts the file
   * in place, resolves with what run() returns for it), discard() (removes it)}. Resolves with
   * the finish() results; rejects with the first failure, having discarded every file of this
   * call, finished or not.
   */
  async run(prepare, open) {
    if (this.#running) throw new Error('an export is running: wait for it or cancel it first');
    this.#running = true;
    this.#cancelRequested = false;
    this.#state = { stage: 'preparing', progress: 0, etaSeconds: null, name: '', file: 0, of: 0, message: '' };
    const targets = [];
    const results = [];
    try {
      const jobs = await prepare();
      for (let i = 0; i < jobs.length; i++) {
        const job = jobs[i];
        this.#state = { stage: 'rendering', progress: 0, etaSeconds: null, name: job.name, file: i + 1, of: jobs.length, message: '' };
        if (this.#cancelRequested) throw new ExportCancelledError();
        const target = await open(job);
        targets.push(target);
        try {
          await this.#pump(job, target.writable);
          this.#state.stage = 'saving';
          await target.writable.close();
        } catch (error) {
          await target.writable.abort?.().catch(() => {});
          throw error;
        }
        results.push(await target.finish());
      }
      this.#state = { ...this.#state, stage: 'done', progress: 1, etaSeconds: 0 };
      return results;
    } catch (error) {
      const cancelled = error instanceof ExportCancelledError;
      for (const target of targets) await target.discard().catch(() => {});
      this.#state = { ...(this.#state ?? {}), stage: cancelled ? 'cancelled' : 'failed', etaSeconds: null, message: error.message };
      throw error;
    } finally {
      this.#running = false;
    }
  }

  // Starts one render and writes its bytes into `writable` as the ring fills.
  async #pump(job, writable) {
    const bridge = this.#bridge;
    bridge.call('ws_export_start', ['number', 'number', 'number', 'number', 'number', 'number', 'number', 'number'], [
      job.engineTrackId, job.start, job.end, EXPORT_FORMATS.indexOf(job.format), job.source ?? -1,
      job.trackGainDb ?? 0, job.tempo ?? 1, job.pitchSemitones ?? 0]);
    try {
      for (;;) {
        if (this.#cancelRequested) throw new ExportCancelledError();
        bridge.call('ws_export_status');
        const s = bridge.record('export');
        if (s.readableBytes > 0) {
          // A copy: a file stream does not take views of the shared wasm memory.
          await writable.write(bridge.bytes(s.readAddress, s.readableBytes));
          bridge.call('ws_export_consume', ['number'], [s.readableBytes]);
          this.#state.progress = (s.consumedBytes + s.readableBytes) / s.totalBytes;
          this.#state.etaSeconds = s.etaSeconds >= 0 ? s.etaSeconds : null;
          continue;
        }
        if (s.state === 2) throw new Error(`the export failed: ${bridge.text() || 'the render stopped'}`);
        if (s.state === 1 && s.consumedBytes === s.totalBytes) {
          this.#state.clippedSamples = s.clippedSamples;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      }
    } finally {
      bridge.call('ws_export_end');
    }
  }
}
