// Inputs and references for the time-stretch comparison (docs/design/stretcher.md section 5),
// made at run time from fixed seeds: 44.1 kHz stereo, nothing committed. Each input gives the
// audio to stretch for a condition and the reference: what an ideal stretcher would output,
// resynthesised from the same parameters (onsets at t / R, sustains and decays x 1/R, attacks
// unchanged, every frequency x P), or for music the same MIDI played at tempo R, transposed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RATE = 44100;

/** A seeded generator of uniform numbers in [0, 1). */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Rounds to 16-bit PCM, as the WAV file Woodshed's CLI reads: every method gets these samples. */
export function quantize(audio) {
  return audio.map((x) => x.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))) / 32768));
}

const frames = (seconds) => Math.round(seconds * RATE);
const stereo = (n) => [new Float32Array(n), new Float32Array(n)];

/** 10 ms raised-cosine fades at both ends. */
function fadeEdges(audio) {
  const n = Math.round(0.01 * RATE);
  for (const x of audio) {
    for (let i = 0; i < n && i < x.length; i++) {
      const g = 0.5 - 0.5 * Math.cos((Math.PI * i) / n);
      x[i] *= g;
      x[x.length - 1 - i] *= g;
    }
  }
  return audio;
}

// Steady chord: A3, C#4, E4, A4 (equal temperament), 8 harmonics at 1/k each, the right channel
// 2 cents sharp and 30 degrees ahead.
const CHORD = [220, 220 * 2 ** (4 / 12), 220 * 2 ** (7 / 12), 440];
const CHORD_SECONDS = 6;

function chordPartials(p) {
  return [0, 1].map((c) => CHORD.flatMap((f) => Array.from({ length: 8 }, (_, k) => f * (k + 1) * p * 2 ** ((2 * c) / 1200))));
}

function chord(seconds, p) {
  const audio = stereo(frames(seconds));
  const partials = chordPartials(p);
  audio.forEach((x, c) => {
    partials[c].forEach((f, j) => {
      const k = (j % 8) + 1;
      const w = (2 * Math.PI * f) / RATE;
      const phase = c * (Math.PI / 6) + j;
      if (f >= RATE / 2) return;
      for (let i = 0; i < x.length; i++) x[i] += (0.07 / k) * Math.sin(w * i + phase);
    });
  });
  return fadeEdges(audio);
}

// Click track: 40 clicks 250 ms apart from 125 ms, each a 1 ms Hann-windowed burst of white noise
// (the same noise every time) plus an impulse at its centre.
const CLICK_TIMES = Array.from({ length: 40 }, (_, k) => 0.125 + 0.25 * k);
const CLICK_SECONDS = 10.125;

function clickTrack(times, seconds) {
  const audio = stereo(frames(seconds));
  const width = Math.round(0.001 * RATE);
  const noise = random(7);
  const burst = Array.from({ length: width }, (_, i) => 0.5 * (2 * noise() - 1) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / width)));
  for (const t of times) {
    const at = Math.round(t * RATE) - (width >> 1);
    for (const x of audio) {
      for (let i = 0; i < width; i++) if (at + i >= 0 && at + i < x.length) x[at + i] += burst[i];
      x[at + (width >> 1)] += 0.5;
    }
  }
  return audio;
}

// Sine sweep: logarithmic, 50 Hz to 12 kHz over 8 s, at -6 dBFS, the same in both channels.
const SWEEP = { from: 50, to: 12000, seconds: 8 };

function sweepFrequency(seconds, tempo, p) {
  return (t) => {
    const u = Math.max(0, Math.min(1, (t * tempo) / SWEEP.seconds));
    return SWEEP.from * (SWEEP.to / SWEEP.from) ** u * p;
  };
}

function sweep(tempo, p) {
  const duration = SWEEP.seconds / tempo;
  const audio = stereo(frames(duration));
  const k = Math.log(SWEEP.to / SWEEP.from);
  for (let i = 0; i < audio[0].length; i++) {
    const t = i / RATE;
    // Phase of f(t) = from * e^(k t / duration) * p, integrated.
    const phase = ((2 * Math.PI * SWEEP.from * p * duration) / k) * (Math.exp((k * t) / duration) - 1);
    audio[0][i] = audio[1][i] = 0.5 * Math.sin(phase);
  }
  return fadeEdges(audio);
}

// Plucked notes: 24 notes 0.4 s apart from 0.1 s, pitches drawn from an A minor pentatonic over
// two octaves, each with up to 12 partials f_k = k f0 sqrt(1 + B k^2) (B = 1e-4) at 1/k, a 2 ms
// raised-cosine attack and per-partial exponential decay (tau = 120 ms / (1 + 0.4 (k - 1))),
// panned by note.
const PLUCK_SPACING = 0.4;
const PLUCKS = (() => {
  const next = random(11);
  const scale = [0, 3, 5, 7, 10];
  return Array.from({ length: 24 }, (_, n) => ({
    at: 0.1 + PLUCK_SPACING * n,
    f0: 110 * 2 ** ((12 * Math.floor(next() * 2) + scale[Math.floor(next() * 5)] + 12) / 12),
    pan: 0.3 + 0.4 * next(),
  }));
})();
const PLUCK_SECONDS = 0.1 + PLUCK_SPACING * 24 + 0.3;

function plucked(tempo, p) {
  const audio = stereo(frames(PLUCK_SECONDS / tempo));
  const attack = 0.002 * RATE;
  for (const note of PLUCKS) {
    const start = Math.round((note.at / tempo) * RATE);
    for (let k = 1; k <= 12; k++) {
      const f = k * note.f0 * Math.sqrt(1 + 1e-4 * k * k) * p;
      if (f > 16000) break;
      const tau = (0.12 / (1 + 0.4 * (k - 1)) / tempo) * RATE;
      const w = (2 * Math.PI * f) / RATE;
      const length = Math.min(audio[0].length - start, Math.round(8 * tau));
      for (let i = 0; i < length; i++) {
        const envelope = (i < attack ? 0.5 - 0.5 * Math.cos((Math.PI * i) / attack) : 1) * Math.exp(-i / tau);
        const v = (0.12 / k) * envelope * Math.sin(w * i);
        audio[0][start + i] += (1 - note.pan) * v;
        audio[1][start + i] += note.pan * v;
      }
    }
  }
  return audio;
}

/** The synthetic inputs: name, the audio for (tempo, semitones), its reference, and what to measure. */
export function syntheticInputs() {
  return [
    {
      name: 'chord',
      input: () => chord(CHORD_SECONDS, 1),
      reference: (tempo, st) => chord(CHORD_SECONDS / tempo, 2 ** (st / 12)),
      partials: (st) => chordPartials(2 ** (st / 12)),
      // No onsets to line up; its measures read steady spectra.
      align: false,
    },
    {
      name: 'clicks',
      input: () => clickTrack(CLICK_TIMES, CLICK_SECONDS),
      // A click has no pitch: for pitch shifts the reference is the click track itself.
      reference: (tempo) => clickTrack(CLICK_TIMES.map((t) => t / tempo), CLICK_SECONDS / tempo),
      onsets: (tempo) => CLICK_TIMES.map((t) => t / tempo),
      align: true,
    },
    {
      name: 'sweep',
      input: () => sweep(1, 1),
      reference: (tempo, st) => sweep(tempo, 2 ** (st / 12)),
      frequencyAt: (tempo, st) => sweepFrequency(SWEEP.seconds, tempo, 2 ** (st / 12)),
      align: false,
    },
    {
      name: 'plucked',
      input: () => plucked(1, 1),
      reference: (tempo, st) => plucked(tempo, 2 ** (st / 12)),
      onsets: (tempo) => PLUCKS.map((n) => n.at / tempo),
      align: true,
    },
  ];
}

/** Reads a WAV file (16/24/32-bit PCM or 32-bit float, plain or extensible) as planar floats. */
export function readWav(file) {
  const data = readFileSync(file);
  let format = 0;
  let channels = 0;
  let bits = 0;
  for (let i = 12; i + 8 <= data.length;) {
    const id = data.toString('ascii', i, i + 4);
    const size = data.readUInt32LE(i + 4);
    if (id === 'fmt ') {
      format = data.readUInt16LE(i + 8);
      channels = data.readUInt16LE(i + 10);
      bits = data.readUInt16LE(i + 22);
      if (format === 0xfffe) format = data.readUInt16LE(i + 32);
    } else if (id === 'data') {
      const bytes = bits / 8;
      const count = Math.floor(Math.min(size, data.length - i - 8) / (bytes * channels));
      const out = Array.from({ length: channels }, () => new Float32Array(count));
      let at = i + 8;
      for (let n = 0; n < count; n++) {
        for (let c = 0; c < channels; c++, at += bytes) {
          if (format === 3) out[c][n] = data.readFloatLE(at);
          else if (bits === 16) out[c][n] = data.readInt16LE(at) / 32768;
          else if (bits === 24) out[c][n] = data.readIntLE(at, 3) / 8388608;
          else out[c][n] = data.readInt32LE(at) / 2147483648;
        }
      }
      return out.length === 1 ? [out[0], out[0].slice()] : out;
    }
    i += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** Writes planar audio as a 16-bit PCM WAV file. */
export function writeWav16(file, audio) {
  const n = audio[0].length;
  const channels = audio.length;
  const buffer = Buffer.alloc(44 + n * channels * 2);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + n * channels * 2, 4);
  buffer.write('WAVEfmt ', 8, 'ascii');
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(channels, 22);
  buffer.writeUInt32LE(RATE, 24);
  buffer.writeUInt32LE(RATE * channels * 2, 28);
  buffer.writeUInt16LE(channels * 2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(n * channels * 2, 40);
  for (let i = 0, at = 44; i < n; i++) {
    for (let c = 0; c < channels; c++, at += 2) {
      buffer.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(audio[c][i] * 32768))), at);
    }
  }
  writeFileSync(file, buffer);
}

// Real music: a piece from Debian's openttd-openmsx through FluidSynth and the TimGM6mb General
// MIDI soundfont (installed by tools/setup for tests/cli/beats_test.py), its first MUSIC_SECONDS.
export const MIDI_DIR = '/usr/share/games/openttd/baseset/openmsx';
export const SOUNDFONT = '/usr/share/sounds/sf2/TimGM6mb.sf2';
export const FLUIDSYNTH = '/usr/bin/fluidsynth';
const MUSIC_PIECE = 'coconut_run2.mid';
const MUSIC_SECONDS = 8;

function readVarlen(data, i) {
  let value = 0;
  for (;;) {
    const byte = data[i++];
    value = (value << 7) | (byte & 0x7f);
    if (!(byte & 0x80)) return [value, i];
  }
}

function varlen(value) {
  const out = [value & 0x7f];
  for (let v = value >>> 7; v > 0; v >>>= 7) out.unshift(0x80 | (v & 0x7f));
  return out;
}

/** A standard MIDI file as header fields and, per track, events {tick, bytes} with every channel
 * message's status byte written out (no running status). */
function parseMidi(data) {
  if (data.toString('ascii', 0, 4) !== 'MThd') throw new Error('not a standard MIDI file');
  const length = data.readUInt32BE(4);
  const format = data.readUInt16BE(8);
  const count = data.readUInt16BE(10);
  const division = data.readUInt16BE(12);
  if (division & 0x8000) throw new Error('SMPTE time division');
  const tracks = [];
  let i = 8 + length;
  for (let t = 0; t < count; t++) {
    const size = data.readUInt32BE(i + 4);
    const body = data.subarray(i + 8, i + 8 + size);
    const events = [];
    let tick = 0;
    let status = 0;
    for (let j = 0; j < body.length;) {
      let delta;
      [delta, j] = readVarlen(body, j);
      tick += delta;
      const start = j;
      if (body[j] === 0xff) {
        let len;
        [len, j] = readVarlen(body, j + 2);
        j += len;
        events.push({ tick, bytes: [...body.subarray(start, j)] });
      } else if (body[j] === 0xf0 || body[j] === 0xf7) {
        let len;
        [len, j] = readVarlen(body, j + 1);
        j += len;
        events.push({ tick, bytes: [...body.subarray(start, j)] });
      } else {
        if (body[j] & 0x80) status = body[j++];
        const dataBytes = (status & 0xf0) === 0xc0 || (status & 0xf0) === 0xd0 ? 1 : 2;
        events.push({ tick, bytes: [status, ...body.subarray(j, j + dataBytes)] });
        j += dataBytes;
      }
    }
    tracks.push(events);
    i += 8 + size;
  }
  return { format, division, tracks };
}

const isTempo = (e) => e.bytes[0] === 0xff && e.bytes[1] === 0x51;
const isEnd = (e) => e.bytes[0] === 0xff && e.bytes[1] === 0x2f;

/** The tick at `seconds`, following the tempo map (120 BPM until a tempo event says otherwise). */
function tickAt(midi, seconds) {
  const tempos = midi.tracks.flat().filter(isTempo).map((e) => [e.tick, (e.bytes[3] << 16) | (e.bytes[4] << 8) | e.bytes[5]]);
  tempos.sort((a, b) => a[0] - b[0]);
  let tick = 0;
  let us = 500000;
  let left = seconds * 1e6;
  for (const [at, value] of tempos) {
    const span = ((at - tick) * us) / midi.division;
    if (span >= left) break;
    left -= span;
    tick = at;
    us = value;
  }
  return Math.floor(tick + (left * midi.division) / us);
}

/**
 * The piece's first `seconds`, played at `tempo` (every tempo event's quarter note / tempo),
 * transposed by `semitones` on every channel but the drums (channel 10), optionally without the
 * drums; every note is let go at the cut (all notes off, sustain pedal up).
 */
function writeMidiVariant(midi, file, seconds, tempo, semitones, drums) {
  const cut = tickAt(midi, seconds);
  const chunks = [];
  const header = Buffer.alloc(14);
  header.write('MThd', 0, 'ascii');
  header.writeUInt32BE(6, 4);
  header.writeUInt16BE(midi.format, 8);
  header.writeUInt16BE(midi.tracks.length, 10);
  header.writeUInt16BE(midi.division, 12);
  chunks.push(header);
  midi.tracks.forEach((track, index) => {
    const events = track.filter((e) => e.tick < cut && !isEnd(e)).map((e) => ({ tick: e.tick, bytes: [...e.bytes] }));
    if (index === 0 && !events.some((e) => isTempo(e) && e.tick === 0)) {
      events.unshift({ tick: 0, bytes: [0xff, 0x51, 3, 0x07, 0xa1, 0x20] });
    }
    const kept = [];
    for (const e of events) {
      const kind = e.bytes[0] & 0xf0;
      const channel = e.bytes[0] & 0x0f;
      if (isTempo(e)) {
        const us = Math.round(((e.bytes[3] << 16) | (e.bytes[4] << 8) | e.bytes[5]) / tempo);
        e.bytes = [0xff, 0x51, 3, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff];
      } else if (e.bytes[0] < 0xf0 && (kind === 0x80 || kind === 0x90 || kind === 0xa0)) {
        if (channel === 9) {
          if (!drums) continue;
        } else {
          e.bytes[1] = Math.max(0, Math.min(127, e.bytes[1] + semitones));
        }
      }
      kept.push(e);
    }
    if (index === 0) {
      for (let channel = 0; channel < 16; channel++) {
        for (const controller of [64, 123]) kept.push({ tick: cut, bytes: [0xb0 | channel, controller, 0] });
      }
    }
    kept.push({ tick: kept.length ? kept.at(-1).tick : 0, bytes: [0xff, 0x2f, 0] });
    const bytes = [];
    let last = 0;
    for (const e of kept) {
      bytes.push(...varlen(e.tick - last), ...e.bytes);
      last = e.tick;
    }
    const head = Buffer.alloc(8);
    head.write('MTrk', 0, 'ascii');
    head.writeUInt32BE(bytes.length, 4);
    chunks.push(head, Buffer.from(bytes));
  });
  writeFileSync(file, Buffer.concat(chunks));
}

/** Why the music input cannot be made here, or '' when it can. */
export function musicMissing() {
  return [FLUIDSYNTH, SOUNDFONT, path.join(MIDI_DIR, MUSIC_PIECE)].filter((p) => !existsSync(p)).join(', ');
}

/** The music input: the piece's first MUSIC_SECONDS with drums (tempo conditions) or without
 * (pitch conditions; a drum has no key to transpose to), and the reference renders. */
export function musicInput() {
  const midi = parseMidi(readFileSync(path.join(MIDI_DIR, MUSIC_PIECE)));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'woodshed-music-'));
  const render = (tempo, semitones, drums) => {
    const mid = path.join(dir, 'piece.mid');
    const wav = path.join(dir, 'piece.wav');
    writeMidiVariant(midi, mid, MUSIC_SECONDS, tempo, semitones, drums);
    const result = spawnSync(FLUIDSYNTH, ['-ni', '-g', '0.6', '-F', wav, '-r', String(RATE), SOUNDFONT, mid],
      { encoding: 'utf8', timeout: 120000 });
    if (result.status !== 0) throw new Error(`fluidsynth failed: ${result.stderr || result.error}`);
    const audio = readWav(wav);
    const length = frames(MUSIC_SECONDS / tempo);
    return audio.map((x) => {
      const out = new Float32Array(length);
      out.set(x.subarray(0, length));
      return out;
    });
  };
  const cache = new Map();
  const once = (key, make) => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key);
  };
  return {
    name: `music (${MUSIC_PIECE}, ${MUSIC_SECONDS} s)`,
    input: (tempo, st) => once(`in ${st !== 0}`, () => quantize(render(1, 0, st === 0))),
    reference: (tempo, st) => once(`ref ${tempo} ${st}`, () => render(tempo, st, st === 0)),
    align: true,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
