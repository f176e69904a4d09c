// Imports audio files: read, decode (the browser's decoder, resampled to the output's rate)
// while the content is hashed, and copy into the engine. The song is playable then (an MP3 or
// FLAC decoded in chunks already PLAYABLE_AFTER_SECONDS into its decode, the rest arriving while
// it plays): saving the original (library.addInBackground) and the waveform overview (a job of
// the engine) go on in the background, and the song is listed at once, marked as being saved.
// One file at a time is decoded; a few may wait; each can be cancelled until it is playable and
// then leaves nothing behind (a save, or the rest of a decode, is stopped by deleting the song).
// The current track never changes here.

import { CancelledError, contentHash } from './library.js';
import { callEntry } from './engine-bridge.js';
import { chunkedDecoding, decoderSupports } from './chunked-decode.js';
import { readWavHeader } from './wav-pcm.js';

/** Limit: files waiting behind the one being imported. */
export const MAX_WAITING_IMPORTS = 8;
/** Limit: the largest file read (a 30-minute 24-bit stereo WAV at 96 kHz is about 1 GB). */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/**
 * Limit: originals being saved in the background at once; the next decode waits for one to
 * finish (each holds its file's bytes until it is stored).
 */
export const MAX_SAVES_IN_FLIGHT = 2;

const STAGE = { waiting: 0, reading: 1, decoding: 2, storing: 3 };
/**
 * A song decoded in chunks (web/chunked-decode.js) is playable once this much of it is in the
 * engine and its content is hashed; the rest is decoded while it plays, tens of times faster
 * than real time, and playing or seeking into what has not arrived waits for it there.
 */
export const PLAYABLE_AFTER_SECONDS = 5;
const YIELD_EVERY_CHUNKS = 16;

const Cancelled = CancelledError;

/**
 * What a stored file holds, read again by decoding it (for a song the library recovers):
 * {format, duration, sampleRate, channels}. Throws when it cannot be decoded.
 */
export async function describeAudio(context, bytes) {
  const format = formatOf('', bytes);
  const audio = await context.decodeAudioData(bytes.slice(0));
  if (audio.length === 0) throw new Error('no audio');
  return { format, duration: audio.length / audio.sampleRate, sampleRate: audio.sampleRate, channels: Math.min(2, audio.numberOfChannels) };
}

// What the library calls the file's format.
function formatOf(name, bytes) {
  const kind = sniff(bytes);
  const extension = name.toLowerCase().split('.').pop();
  if (kind === 'Ogg') return extension === 'opus' ? 'Opus' : 'Ogg Vorbis';
  if (kind === 'MP3 or AAC') return extension === 'aac' ? 'AAC' : 'MP3';
  if (kind === 'MP4/M4A') return 'M4A';
  return kind ?? extension.toUpperCase();
}

// Names what the first bytes look like, to explain a decoding failure.
function sniff(bytes) {
  const head = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 64));
  const text = (start, length) => String.fromCharCode(...head.subarray(start, start + length));
  if (text(0, 4) === 'RIFF' && text(8, 4) === 'WAVE') return 'WAV';
  if (text(0, 4) === 'OggS') return 'Ogg';
  if (text(0, 4) === 'fLaC') return 'FLAC';
  if (text(0, 3) === 'ID3' || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0)) return 'MP3 or AAC';
  if (text(4, 4) === 'ftyp') return 'MP4/M4A';
  let printable = 0;
  for (const byte of head) printable += (byte >= 0x20 && byte < 0x7f) || byte === 0x0a || byte === 0x0d || byte === 0x09;
  if (head.length > 0 && printable === head.length) return 'text';
  return null;
}

function decodeFailure(bytes) {
  const kind = sniff(bytes);
  if (kind === 'text') return 'it is a text file, not audio';
  if (kind) return `it looks like ${kind} but could not be decoded: it may be truncated or damaged, or use a codec this browser does not support`;
  return 'it is not an audio file this browser can read';
}

// Decoded audio (an AudioBuffer) as a source of samples for the engine.
function audioSource(audio) {
  return {
    channels: audio.numberOfChannels,
    frames: audio.length,
    sampleRate: audio.sampleRate,
    fill: (channel, offset, count, out) => out.set(audio.getChannelData(channel).subarray(offset, offset + count)),
  };
}

// Lets the page draw and a cancel in. A message, not setTimeout(0), which the browser delays
// to 4 ms once timeouts nest.
function tick() {
  if (globalThis.scheduler?.yield) return globalThis.scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export class ImportQueue {
  #module;
  #output;
  #queue = [];
  #jobs = new Map();
  #nextKey = 1;
  #running = false;
  #scratch;
  #saves = new Set();  // saves running in the background
  #loading = new Map();  // engine track id -> the rest of its decode (a playable song still arriving)
  /**
   * Who decoded the last file: 'page' (a PCM WAV, web/wav-pcm.js), 'chunked' (an MP3, FLAC,
   * Opus or AAC, web/chunked-decode.js) or 'browser' (decodeAudioData, whole). Both of the
   * first two go into the engine chunk by chunk, playable before all of it has arrived.
   */
  lastDecoder = null;

  #library;

  /**
   * @param module the wasm module
   * @param output the AudioOutput (decoding happens at its context's sample rate)
   * @param library the persistent Library new songs are saved to
   */
  constructor(module, output, library) {
    this.#module = module;
    this.#output = output;
    this.#library = library;
    // Static storage in C++, below the initial memory size, so the view never goes stale.
    this.#scratch = new Float32Array(module.HEAPU8.buffer, module._ws_import_scratch(), module._ws_import_chunk_frames());
  }

  /**
   * Queues files (File objects or {name, bytes}); returns one promise per file, resolving
   * once the song is playable to {id, engineTrackId} (engineTrackId null when the song was
   * already in the library and was not decoded again), or rejecting with an Error whose
   * message names the file and the reason. Its save goes on (library.saving(id)); a failed
   * save is reported as an error of the app, and the song plays for this visit.
   */
  enqueue(files) {
    return this.#enqueue(files, true);
  }

  /**
   * Decodes a song already in the library into the engine (to play it); resolves to its
   * engine track id. It queues behind imports like any file.
   */
  async restore(id, name, bytes) {
    const [result] = this.#enqueue([{ name, bytes, libraryId: id }], false);
    return (await result).engineTrackId;
  }

  #enqueue(files, persist) {
    return Array.from(files).map((file) => {
      const name = String(file?.name ?? 'untitled');
      if (this.#queue.length >= MAX_WAITING_IMPORTS) {
        return Promise.reject(new Error(`${name}: ${MAX_WAITING_IMPORTS} imports are already waiting; add it when they have finished`));
      }
      const job = {
        key: this.#nextKey++, name, source: file, cancelled: false, importId: null, trackId: null,
        persist, libraryId: file?.libraryId ?? null,
      };
      job.promise = new Promise((resolve, reject) => { job.resolve = resolve; job.reject = reject; });
      this.#queue.push(job);
      this.#jobs.set(job.key, job);
      this.#report(job, STAGE.waiting, -1);
      this.#pump();
      return job.promise;
    });
  }

  /** Cancels an import (waiting or running). Unknown keys are ignored. */
  cancel(key) {
    const job = this.#jobs.get(key);
    if (!job) return;
    job.cancelled = true;
    const waiting = this.#queue.indexOf(job);
    if (waiting >= 0) {
      this.#queue.splice(waiting, 1);
      this.#finish(job, new Cancelled());
    }
  }

  /** Keys of imports not yet finished, oldest first. */
  get pending() { return [...this.#jobs.keys()]; }

  async #pump() {
    if (this.#running) return;
    this.#running = true;
    while (this.#queue.length > 0) {
      while (this.#saves.size >= MAX_SAVES_IN_FLIGHT) await Promise.race(this.#saves);
      const job = this.#queue.shift();
      try {
        await this.#run(job);
        this.#finish(job, null);
      } catch (error) {
        this.#finish(job, error);
      }
      // A song that became playable before it was all decoded: the rest first, one file at a time.
      await job.loading;
    }
    this.#running = false;
  }

  /**
   * Resolves once all of an engine track's audio is in memory (at once for one not being
   * decoded): what the loudness measurement and an export wait for.
   */
  async whole(engineTrackId) {
    await this.#loading.get(engineTrackId);
  }

  /** True while an engine track plays before all of it is decoded. */
  decoding(engineTrackId) {
    return this.#loading.has(engineTrackId);
  }

  async #run(job) {
    const bytes = await this.#read(job);
    this.#check(job);
    const problem = readWavHeader(bytes)?.problem;
    if (problem) throw new Error(problem);
    this.#report(job, STAGE.decoding, -1);
    // The digest runs off the main thread: started first, it overlaps the search for the frames.
    const hashing = job.persist ? contentHash(bytes) : null;
    hashing?.catch(() => {});  // awaited below, unless the import fails before
    // A PCM WAV is read, an MP3, FLAC, Opus or AAC decoded, chunk by chunk into the engine
    // while the content is hashed (chunked-decode.js; the engine converts another rate as it
    // stores it); anything else the browser decodes whole, off the main thread.
    const rate = (await this.#output.ensureContext()).sampleRate;
    let chunked = chunkedDecoding(bytes, sniff(bytes), rate);
    if (chunked && !(await decoderSupports(chunked))) chunked = null;
    this.lastDecoder = chunked?.codec === 'pcm' ? 'page' : chunked ? 'chunked' : 'browser';
    const decoding = chunked ? null : this.#decode(bytes.slice(0));
    decoding?.catch(() => {});  // not awaited when the song is in the library already
    let abandoned = false;  // the chunked decode stops at its next frame
    const chunkedStore = chunked ? this.#storeChunked(job, chunked, () => abandoned, rate) : null;
    const abandon = async () => {
      abandoned = true;
      await chunkedStore?.stored;
      if (job.trackId !== null) callEntry(this.#module, 'ws_unload', ['number'], [job.trackId]);
      job.trackId = null;
    };
    if (job.persist) {
      try {
        job.libraryId = await hashing;
        const known = await this.#library.get(job.libraryId);
        await this.#library.checkRoom(bytes.byteLength);  // a song that cannot be kept is refused at once
        if (known?.saveError) {
          // A song whose save failed earlier in this visit: saved again, decoded only if it loads.
          await abandon();
          this.#saveInBackground(job, bytes, known);
          return;
        }
        if (known) {
          await abandon();  // the same song: one entry
          return;
        }
      } catch (error) {
        await abandon();
        throw error;
      }
    }
    let source = null;
    if (chunkedStore) {
      job.openIfReady();
      source = await chunkedStore.playable;
      if (!source) this.lastDecoder = 'browser';  // the decoder refused a frame: the browser says why
    }
    if (!source) {
      source = audioSource(await this.#toStereoAtMost(await (decoding ?? this.#decode(bytes.slice(0)))));
      this.#check(job);
      await this.#store(job, source);
    }
    if (job.persist) {
      this.#saveInBackground(job, bytes, {
        name: job.name,
        format: formatOf(job.name, bytes),
        duration: source.frames / source.sampleRate,
        sampleRate: source.sampleRate,
        channels: source.channels,
      });
    }
  }

  // `meta`: what the library keeps of the song ({name, format, duration, sampleRate, channels}).
  #saveInBackground(job, bytes, meta) {
    const { saved } = this.#library.addInBackground(bytes, job.libraryId, meta);
    const save = saved.catch((error) => {
      if (error instanceof Cancelled) return;  // the song was deleted meanwhile
      this.#reportError(`${job.name}: it could not be saved (${error.message}). `
        + 'It plays until the page is closed; import it again to keep it');
    }).finally(() => this.#saves.delete(save));
    this.#saves.add(save);
  }

  #check(job) {
    if (job.cancelled) throw new Cancelled();
  }

  async #read(job) {
    const source = job.source;
    if (typeof Blob !== 'undefined' && source instanceof Blob) {
      if (source.size === 0) throw new Error('the file is empty');
      if (source.size > MAX_FILE_BYTES) {
        throw new Error(`the file is ${(source.size / 1e6).toFixed(0)} MB; Woodshed reads files up to ${MAX_FILE_BYTES / 1e6} MB`);
      }
      const buffer = new Uint8Array(source.size);
      const reader = source.stream().getReader();
      let offset = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (job.cancelled) {
          await reader.cancel();
          throw new Cancelled();
        }
        if (offset + value.length > buffer.length) throw new Error('the file changed while it was being read');
        buffer.set(value, offset);
        offset += value.length;
        this.#report(job, STAGE.reading, offset / source.size);
      }
      return buffer.buffer;
    }
    const bytes = source?.bytes;
    if (!(bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes))) {
      throw new TypeError('importFiles takes File objects or {name, bytes} with bytes an ArrayBuffer or typed array');
    }
    const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.byteLength === 0) throw new Error('the file is empty');
    if (view.byteLength > MAX_FILE_BYTES) throw new Error(`the file is larger than ${MAX_FILE_BYTES / 1e6} MB`);
    return view.slice().buffer;  // a copy: the caller keeps its bytes
  }

  async #decode(bytes) {
    const context = await this.#output.ensureContext();
    const kept = bytes.slice(0, 64);  // decodeAudioData detaches `bytes`
    try {
      const audio = await context.decodeAudioData(bytes);
      if (audio.length === 0 || audio.numberOfChannels === 0) throw new Error('empty');
      return audio;
    } catch {
      throw new Error(decodeFailure(kept));
    }
  }

  // More than two channels (5.1...) are mixed down to stereo the way the browser would play them.
  async #toStereoAtMost(audio) {
    if (audio.numberOfChannels <= 2) return audio;
    const context = new OfflineAudioContext(2, audio.length, audio.sampleRate);
    const source = new AudioBufferSourceNode(context, { buffer: audio });
    source.connect(context.destination);
    source.start();
    return context.startRendering();
  }

  // The lowest and highest sample over every channel: the engine fixes its storage's scale from
  // them before the first chunk arrives, so a decoder's overs above full scale are kept.
  async #peaks(job, source) {
    let lowest = 0;
    let highest = 0;
    await this.#forEachChunk(job, source, null, (count) => {
      const samples = this.#scratch;
      for (let i = 0; i < count; i++) {
        const x = samples[i];
        if (x < lowest) lowest = x;
        else if (x > highest) highest = x;
      }
    });
    return { lowest, highest };
  }

  // Copies a source ({channels, frames, sampleRate, fill(channel, offset, count, out)}) into
  // the engine, chunk by chunk through the scratch buffer.
  async #store(job, source) {
    const module = this.#module;
    this.#beginImport(job, source, await this.#peaks(job, source));
    await this.#forEachChunk(job, source, STAGE.storing, (count, channel, offset) => {
      callEntry(module, 'ws_import_write', ['number', 'number', 'number', 'number'], [job.importId, channel, offset, count]);
    });
    this.#commitImport(job);
  }

  // Opens the engine's import for `source` ({channels, frames, sampleRate}) with the peaks that
  // fix its storage's scale; stored at `storedRate` (converted as it is written) when given.
  #beginImport(job, source, { lowest, highest }, storedRate = 0) {
    callEntry(this.#module, 'ws_import_begin', ['string', 'number', 'number', 'number', 'number', 'number', 'number'],
      [job.name, source.channels, source.frames, source.sampleRate, lowest, highest, storedRate]);
    job.importId = this.#module._ws_result_number();
  }

  // Makes the import a track of the engine (all of its audio readable, if it was opened).
  #commitImport(job) {
    callEntry(this.#module, 'ws_import_commit', ['number'], [job.importId]);
    job.importId = null;
    job.trackId = this.#module._ws_result_number();
  }

  // Reads or decodes a song chunk by chunk straight into the engine (a plan from
  // chunked-decode.js), while the content is hashed. Returns two promises:
  // - playable: what is stored ({channels, frames, sampleRate}) once the song can play, that
  //   is once PLAYABLE_AFTER_SECONDS are in the engine and #run has called job.openIfReady()
  //   (the content is hashed and the song is new); or null when the decoder failed before then
  //   or `abandoned()` (nothing is kept; a failed file goes to decodeAudioData). A cancel throws.
  // - stored: settles when the decode has ended, successfully or not (it never rejects). A
  //   song that fails after it became playable keeps what was decoded and says so.
  #storeChunked(job, plan, abandoned, outputRate) {
    const module = this.#module;
    this.#beginImport(job, plan, plan.peaks, outputRate);
    const chunk = this.#scratch.length;
    const openAt = Math.min(plan.frames, Math.round(PLAYABLE_AFTER_SECONDS * plan.sampleRate));
    const what = { channels: plan.channels, frames: plan.frames, sampleRate: plan.sampleRate };
    let written = 0;
    let reported = 0;
    let opened = false;
    let becomePlayable;
    const playable = new Promise((resolve, reject) => { becomePlayable = { resolve, reject }; });
    playable.catch(() => {});  // not awaited when the song turned out to be known
    job.openable = false;
    job.openIfReady = () => {
      job.openable = true;
      if (opened || written < openAt || job.importId === null) return;
      callEntry(module, 'ws_import_open', ['number'], [job.importId]);
      job.trackId = module._ws_result_number();
      opened = true;
      becomePlayable.resolve(what);
    };
    const stored = (async () => {
      try {
        await plan.decode((planes, offset, count) => {
          planes.forEach((plane, channel) => {
            for (let done = 0; done < count; done += chunk) {
              const n = Math.min(chunk, count - done);
              this.#scratch.set(plane.subarray(done, done + n));
              callEntry(module, 'ws_import_write', ['number', 'number', 'number', 'number'], [job.importId, channel, offset + done, n]);
            }
          });
          written = offset + count;
          if (job.openable) job.openIfReady();
          if (written - reported >= plan.sampleRate) {  // a second of audio at a time
            reported = written;
            this.#report(job, STAGE.decoding, reported / plan.frames);
          }
        }, () => (!opened && job.cancelled) || abandoned(), this.#decodeHold ? () => this.#heldDecode(opened) : null);
      } catch (error) {
        if (opened) {
          this.#keepWhatWasDecoded(job, written / plan.sampleRate, error);
          return;
        }
        callEntry(module, 'ws_import_cancel', ['number'], [job.importId]);
        job.importId = null;
        if (job.cancelled) becomePlayable.reject(new Cancelled());
        else becomePlayable.resolve(null);
        return;
      }
      try {
        this.#commitImport(job);
      } catch (error) {
        if (!opened) becomePlayable.reject(error);
        return;  // an opened song deleted in the last moment
      }
      if (!opened) {  // all of it arrived before the song could play (a short file, or a slow hash)
        opened = true;
        becomePlayable.resolve(what);
      }
    })();
    // Once playable, the rest is the engine track's: whole() waits for it.
    playable.then((result) => {
      if (!result || job.trackId === null) return;
      const trackId = job.trackId;
      this.#loading.set(trackId, stored);
      job.loading = stored.finally(() => {
        this.#loading.delete(trackId);
        this.#done(job);
      });
    }, () => {});
    return { playable, stored };
  }

  /**
   * Test hooks: the next chunked decode stops once its song is playable, until
   * releaseDecoding(); with a message, the decode fails there as a damaged frame would.
   */
  holdDecoding() {
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    this.#decodeHold = { held, release, failure: null };
  }

  releaseDecoding(failure = null) {
    const hold = this.#decodeHold;
    this.#decodeHold = null;
    if (!hold) return;
    hold.failure = failure;
    hold.release();
  }

  #decodeHold = null;

  async #heldDecode(opened) {
    const hold = this.#decodeHold;
    if (!hold || !opened) return;
    await hold.held;
    if (hold.failure) throw new Error(hold.failure);
  }

  // A song that was playing while it was decoded, and whose decode failed (a damaged frame in
  // the middle), or that the user deleted meanwhile (its import is gone: nothing to say).
  #keepWhatWasDecoded(job, seconds, error) {
    try {
      this.#commitImport(job);
    } catch {
      return;  // deleted while it arrived
    }
    const at = `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
    this.#reportError(`${job.name}: it could not be decoded after ${at} (${error?.message ?? error}); `
      + 'it is silent from there. The file may be damaged');
  }

  // Fills the scratch buffer with each chunk of each channel in turn and calls
  // work(count, channel, offset); yields now and then (reporting `stage`'s progress, if given)
  // to keep the page responsive and let a cancel in.
  async #forEachChunk(job, source, stage, work) {
    const { channels, frames } = source;
    const chunk = this.#scratch.length;
    let chunks = 0;
    for (let channel = 0; channel < channels; channel++) {
      for (let offset = 0; offset < frames; offset += chunk) {
        const count = Math.min(chunk, frames - offset);
        source.fill(channel, offset, count, this.#scratch);
        work(count, channel, offset);
        if (++chunks % YIELD_EVERY_CHUNKS === 0) {
          if (stage !== null) this.#report(job, stage, (channel * frames + offset + count) / (channels * frames));
          await tick();
          this.#check(job);
        }
      }
    }
  }

  #finish(job, error) {
    this.#jobs.delete(job.key);
    const module = this.#module;
    const quietly = (name, types, args) => {
      try { callEntry(module, name, types, args); } catch { /* already logged by the boundary */ }
    };
    if (error) {
      if (job.importId !== null) quietly('ws_import_cancel', ['number'], [job.importId]);
      if (job.trackId !== null) quietly('ws_unload', ['number'], [job.trackId]);
      const reason = error instanceof Cancelled || job.cancelled ? 'import cancelled' : error.message;
      const failure = new Error(`${job.name}: ${reason}`);
      if (!job.cancelled) this.#reportError(failure.message);
      job.reject(failure);
    } else {
      job.resolve({ id: job.libraryId, engineTrackId: job.trackId });
    }
    if (!job.loading) this.#done(job);  // else its progress shows until the rest is decoded
  }

  // The import's progress leaves the app.
  #done(job) {
    try {
      callEntry(this.#module, 'ws_import_done', ['number'], [job.key]);
    } catch { /* already logged by the boundary */ }
  }

  /** Calls `listener(message)` for each failure reported to the user (the API keeps the last). */
  onError(listener) {
    this.#errorListeners.add(listener);
  }

  #errorListeners = new Set();

  // Shown by the app as its last error.
  #reportError(message) {
    for (const listener of this.#errorListeners) listener(message);
    try {
      callEntry(this.#module, 'ws_report_error', ['string'], [message]);
    } catch { /* already logged by the boundary */ }
  }

  #report(job, stage, fraction) {
    try {
      callEntry(this.#module, 'ws_import_progress', ['number', 'number', 'number', 'string'], [job.key, stage, fraction, job.name]);
    } catch { /* progress is best effort; the import goes on */ }
  }
}
