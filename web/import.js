// Imports audio files: read, decode (the browser's decoder, resampled to the output's rate),
// store in the engine, wait for the waveform. One file at a time; a few may wait; each can be
// cancelled at any stage and then leaves nothing behind. The current track never changes here:
// a new track only appears in the list once all of its audio is in the engine.

import { CancelledError, contentHash } from './library.js';
import { callEntry } from './engine-bridge.js';

/** Limit: files waiting behind the one being imported. */
export const MAX_WAITING_IMPORTS = 8;
/** Limit: the largest file read (a 30-minute 24-bit stereo WAV at 96 kHz is about 1 GB). */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

const STAGE = { waiting: 0, reading: 1, decoding: 2, storing: 3, preparingWaveform: 4, saving: 5 };
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

// WAV headers can be checked before decoding: promises the file does not keep (a truncated file,
// a header claiming 4 GB) and nonsense (no channels, a rate of 0) get their own messages.
function wavProblem(buffer) {
  const view = new DataView(buffer);
  const text = (offset, length) => String.fromCharCode(...new Uint8Array(buffer, offset, length));
  if (buffer.byteLength < 12 || text(0, 4) !== 'RIFF' || text(8, 4) !== 'WAVE') return null;
  let format = null;
  for (let offset = 12; offset + 8 <= buffer.byteLength;) {
    const id = text(offset, 4);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      if (size < 16 || offset + 24 > buffer.byteLength) return 'its WAV header is damaged';
      format = {
        channels: view.getUint16(offset + 10, true),
        rate: view.getUint32(offset + 12, true),
        blockAlign: view.getUint16(offset + 20, true),
      };
      if (format.channels === 0) return 'its WAV header says it has no audio channels';
      if (format.rate === 0) return 'its WAV header gives a sample rate of 0';
    } else if (id === 'data') {
      if (!format) return 'its WAV header is damaged (audio data before the format)';
      const held = buffer.byteLength - (offset + 8);
      const streamed = size === 0 || size === 0xffffffff;  // written before the length was known
      if (!streamed && size > held) {
        const seconds = (bytes) => `${(bytes / Math.max(1, format.blockAlign) / format.rate).toFixed(1)} s`;
        return `it is truncated: its header promises ${seconds(size)} of audio but the file holds ${seconds(held)}`;
      }
      return null;
    }
    offset += 8 + size + (size & 1);
  }
  return 'its WAV header has no audio data';
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

export class ImportQueue {
  #module;
  #output;
  #queue = [];
  #jobs = new Map();
  #nextKey = 1;
  #running = false;
  #scratch;

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
   * Queues files (File objects or {name, bytes}); returns one promise per file, resolving to
   * {id, engineTrackId} (engineTrackId null when the song was already in the library and was
   * not decoded again) or rejecting with an Error whose message names the file and the reason.
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
      const job = this.#queue.shift();
      try {
        await this.#run(job);
        this.#finish(job, null);
      } catch (error) {
        this.#finish(job, error);
      }
    }
    this.#running = false;
  }

  async #run(job) {
    const bytes = await this.#read(job);
    this.#check(job);
    if (job.persist) {
      const id = await contentHash(bytes);
      if (await this.#library.get(id)) {
        job.libraryId = id;  // the same song is in the library already: one entry
        return;
      }
      job.libraryId = id;
    }
    const problem = wavProblem(bytes);
    if (problem) throw new Error(problem);
    this.#report(job, STAGE.decoding, -1);
    const audio = await this.#decode(bytes.slice(0));
    this.#check(job);
    const stereo = await this.#toStereoAtMost(audio);
    await this.#store(job, stereo);
    await this.#waitForWaveform(job);
    if (!job.persist) return;
    this.#report(job, STAGE.saving, -1);
    await this.#library.add(bytes, job.libraryId, {
      name: job.name,
      format: formatOf(job.name, bytes),
      duration: stereo.length / stereo.sampleRate,
      sampleRate: stereo.sampleRate,
      channels: stereo.numberOfChannels,
    }, () => job.cancelled);
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
  async #peaks(job, audio) {
    let lowest = 0;
    let highest = 0;
    const chunk = this.#scratch.length;
    let chunks = 0;
    for (let channel = 0; channel < audio.numberOfChannels; channel++) {
      const data = audio.getChannelData(channel);
      for (let offset = 0; offset < data.length; offset += chunk) {
        const end = Math.min(data.length, offset + chunk);
        for (let i = offset; i < end; i++) {
          const x = data[i];
          if (x < lowest) lowest = x;
          else if (x > highest) highest = x;
        }
        if (++chunks % YIELD_EVERY_CHUNKS === 0) {
          await tick();
          this.#check(job);
        }
      }
    }
    return { lowest, highest };
  }

  async #store(job, audio) {
    const module = this.#module;
    const channels = audio.numberOfChannels;
    const frames = audio.length;
    const { lowest, highest } = await this.#peaks(job, audio);
    callEntry(module, 'ws_import_begin', ['string', 'number', 'number', 'number', 'number', 'number'],
      [job.name, channels, frames, audio.sampleRate, lowest, highest]);
    job.importId = module._ws_result_number();
    const chunk = this.#scratch.length;
    let chunks = 0;
    for (let channel = 0; channel < channels; channel++) {
      const data = audio.getChannelData(channel);
      for (let offset = 0; offset < frames; offset += chunk) {
        const count = Math.min(chunk, frames - offset);
        this.#scratch.set(data.subarray(offset, offset + count));
        callEntry(module, 'ws_import_write', ['number', 'number', 'number', 'number'], [job.importId, channel, offset, count]);
        if (++chunks % YIELD_EVERY_CHUNKS === 0) {
          this.#report(job, STAGE.storing, (channel * frames + offset + count) / (channels * frames));
          await tick();  // keep the page responsive, and let a cancel in
          this.#check(job);
        }
      }
    }
    callEntry(module, 'ws_import_commit', ['number'], [job.importId]);
    job.importId = null;
    job.trackId = module._ws_result_number();
  }

  async #waitForWaveform(job) {
    for (;;) {
      callEntry(this.#module, 'ws_tracks', [], []);
      const track = JSON.parse(this.#module.UTF8ToString(this.#module._ws_result_text())).find((t) => t.id === job.trackId);
      if (!track) throw new Error('the track was removed while its waveform was being prepared');
      if (track.waveformReady) return;
      // A failed job (out of memory...) ends the import; the queue goes on with the next one.
      if (track.waveformError) throw new Error(`its waveform could not be prepared (${track.waveformError})`);
      this.#report(job, STAGE.preparingWaveform, track.waveformProgress);
      await new Promise((resolve) => setTimeout(resolve, 30));
      this.#check(job);
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
      if (!job.cancelled) quietly('ws_report_error', ['string'], [failure.message]);
      job.reject(failure);
    } else {
      job.resolve({ id: job.libraryId, engineTrackId: job.trackId });
    }
    quietly('ws_import_done', ['number'], [job.key]);
  }

  #report(job, stage, fraction) {
    try {
      callEntry(this.#module, 'ws_import_progress', ['number', 'number', 'number', 'string'], [job.key, stage, fraction, job.name]);
    } catch { /* progress is best effort; the import goes on */ }
  }
}
