// Woodshed's time-stretcher beside the npm peers, on the same generated inputs in the same run
// (docs/design/stretcher.md section 5); prints one Markdown table and says where we are behind.
// Run by tools/bench, never by tools/test.
//
//   node tests/bench/stretch-compare.mjs [--cli PATH] [--native-bench PATH] [--wasm-bench PATH]
//
// Woodshed's quality columns come from the native CLI (`woodshed stretch`, the same algorithm as
// the wasm build); its speed from woodshed_stretch_bench, a timing loop over Stretcher::process
// built natively and as wasm. The peers run in this node process, single thread.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { RATE, musicInput, musicMissing, quantize, readWav, syntheticInputs, writeWav16 } from './stretch-inputs.mjs';
import {
  alignmentLag, amplitudeModulationDb, attacks, clicks, energyBetweenPartialsDb, energyOffSweepDb,
  logSpectralDistanceDb, pitchErrorCents, shift,
} from './stretch-metrics.mjs';
import { rubberband, signalsmith, soundtouch } from './stretch-peers.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const CLI = option('--cli', 'build/native-release/src/cli/woodshed');
const NATIVE_BENCH = option('--native-bench', 'build/native-release/tests/bench/woodshed_stretch_bench');
const WASM_BENCH = option('--wasm-bench', 'build/web-release/tests/bench/woodshed_stretch_bench.js');

const CONDITIONS = [
  [0.25, 0], [0.5, 0], [0.75, 0], [1.25, 0], [1.5, 0], [2.0, 0], [1, -3], [1, 7],
].map(([tempo, semitones]) => ({ tempo, semitones, label: semitones ? `${semitones > 0 ? '+' : ''}${semitones} st` : `x${tempo}` }));
/** Alignment search reach, after each method's own latency handling (the design's +-20 ms). */
const ALIGN_SECONDS = 0.02;

const work = mkdtempSync(path.join(os.tmpdir(), 'woodshed-stretch-'));
const started = performance.now();

/** Woodshed through its CLI: the input as 16-bit WAV, the output as 32-bit float. */
function woodshed() {
  let count = 0;
  const files = new Map();
  return {
    name: 'woodshed',
    stretch(audio, rate, tempo, semitones) {
      if (!files.has(audio)) {
        const file = path.join(work, `in${count++}.wav`);
        writeWav16(file, audio);
        files.set(audio, file);
      }
      const out = path.join(work, 'out.wav');
      const t0 = performance.now();
      const result = spawnSync(CLI, ['stretch', files.get(audio), out, '--tempo', String(tempo), '--semitones',
        String(semitones), '--format', 'wav32f', '--stats'], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`woodshed stretch failed: ${result.stderr}`);
      const seconds = (performance.now() - t0) / 1000;
      return { audio: readWav(out), seconds };
    },
  };
}

const methods = [woodshed(), await signalsmith(), await rubberband(true), await rubberband(false), await soundtouch(alignmentLag)];
const METHOD_NAMES = methods.map((m) => m.name);

const inputs = syntheticInputs();
const skipped = [];
const missing = musicMissing();
let music = null;
if (missing) {
  skipped.push(`music rows skipped: ${missing} not installed (tools/setup installs fluidsynth, timgm6mb-soundfont, openttd-openmsx)`);
} else {
  music = musicInput();
  inputs.push(music);
}

// results[measure][condition label][method or 'reference'] = value
const results = {};
const put = (measure, condition, method, value) => {
  results[measure] ??= {};
  results[measure][condition] ??= {};
  results[measure][condition][method] = value;
};
const lsdSynthetic = {};
const speeds = {};  // [method][condition] = [x real time, ...]

for (const input of inputs) {
  const synthetic = input !== music;
  const sources = new Map();  // synthetic inputs are the same for every condition; music has two
  for (const condition of CONDITIONS) {
    const { tempo, semitones, label } = condition;
    const key = synthetic ? '' : String(semitones !== 0);
    if (!sources.has(key)) sources.set(key, quantize(input.input(tempo, semitones)));
    const audio = sources.get(key);
    const reference = input.reference(tempo, semitones);
    const spectra = {};
    const measure = (who, out) => {
      if (input.name === 'chord') {
        const partials = input.partials(semitones);
        put('pitch error, max |cents| (chord)', label, who, pitchErrorCents(out, RATE, partials));
        put('amplitude modulation, median p-p dB (chord)', label, who, amplitudeModulationDb(out, RATE, partials));
        put('energy between partials, dB (chord)', label, who, energyBetweenPartialsDb(out, RATE, partials));
      } else if (input.name === 'sweep') {
        put('energy off the sweep, dB', label, who, energyOffSweepDb(out, RATE, input.frequencyAt(tempo, semitones)));
      } else if (input.name === 'clicks') {
        const ref = clicks(reference, RATE, input.onsets(tempo), 0);
        const c = clicks(out, RATE, input.onsets(tempo), ref.medianPeak);
        put('clicks lost / doubled (of 40)', label, who, `${c.lost} / ${c.doubled}`);
        put('click timing spread, std / max ms', label, who, [c.stdMs, c.maxMs]);
        put('click peak change, worst dB', label, who, c.peakChangeDb);
        put('pre-echo before clicks, dB', label, who, attacks(out, RATE, input.onsets(tempo)).preEchoDb);
      } else if (input.name === 'plucked') {
        const a = attacks(out, RATE, input.onsets(tempo));
        put('attack rise time 10-90 %, median ms (plucked)', label, who, a.riseMs);
        put('pre-echo before notes, dB (plucked)', label, who, a.preEchoDb);
      }
      if (who !== 'reference') {
        const lsd = logSpectralDistanceDb(out, reference, RATE, spectra);
        if (synthetic) {
          ((lsdSynthetic[label] ??= {})[who] ??= []).push(lsd);
        } else {
          put('log-spectral distance, dB (music)', label, who, lsd);
        }
      }
    };
    measure('reference', reference);
    for (const method of methods) {
      const { audio: raw, seconds } = method.stretch(audio, RATE, tempo, semitones);
      let out = raw;
      if (input.align) {
        const lag = alignmentLag(raw, reference, RATE, ALIGN_SECONDS);
        out = shift(raw, lag);
        const ms = (lag / RATE) * 1000;
        const row = results['alignment offset found, worst |ms|']?.[label];
        if (!row || row[method.name] === undefined || Math.abs(ms) > Math.abs(row[method.name])) {
          put('alignment offset found, worst |ms|', label, method.name, ms);
        }
      }
      measure(method.name, out);
      if (!synthetic && semitones === 0 && method.name !== 'woodshed') {
        ((speeds[method.name] ??= {})[label] ??= []).push(raw[0].length / RATE / seconds);
      }
    }
  }
  input.cleanup?.();
}
for (const [label, byMethod] of Object.entries(lsdSynthetic)) {
  for (const [who, values] of Object.entries(byMethod)) {
    put('log-spectral distance, dB (mean of chord, clicks, sweep, plucked)', label, who, values.reduce((a, b) => a + b) / values.length);
  }
}

// Speed, output seconds per second, single thread, median of 3: the peers here in node on the
// music (the plucked notes without it), Woodshed's timing loop natively and as wasm under node.
const speedInput = music ? music.input(1, 0) : quantize(inputs.find((i) => i.name === 'plucked').input());
const raw = path.join(work, 'speed.f32');
{
  const interleaved = new Float32Array(speedInput[0].length * 2);
  for (let i = 0; i < speedInput[0].length; i++) {
    interleaved[2 * i] = speedInput[0][i];
    interleaved[2 * i + 1] = speedInput[1][i];
  }
  writeFileSync(raw, Buffer.from(interleaved.buffer));
}
for (const method of methods.slice(1)) {
  for (const { tempo, semitones, label } of CONDITIONS) {
    const runs = (speeds[method.name] ??= {})[label] ??= [];
    while (runs.length < 3) {
      const { audio: out, seconds } = method.stretch(speedInput, RATE, tempo, semitones);
      runs.push(out[0].length / RATE / seconds);
    }
  }
}
const ourSpeeds = (command, commandArgs) => {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8' });
  if (result.status !== 0) {
    skipped.push(`${commandArgs.join(' ')} failed: ${result.stderr.trim().split('\n').at(-1)}`);
    return null;
  }
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
};
const wasmFlags = spawnSync('node', ['--no-experimental-fetch', '-e', '']).status === 0 ? ['--no-experimental-fetch'] : [];
const native = existsSync(NATIVE_BENCH) ? ourSpeeds(NATIVE_BENCH, [raw, '--json']) : null;
const wasm = existsSync(WASM_BENCH) ? ourSpeeds('node', [...wasmFlags, WASM_BENCH, raw, '--json']) : null;
if (!native) skipped.push(`no native speed: ${NATIVE_BENCH} missing or failed`);
if (!wasm) skipped.push(`no wasm speed: ${WASM_BENCH} missing or failed`);
const medianOf = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
for (const { tempo, semitones, label } of CONDITIONS) {
  const key = `${tempo},${semitones}`;
  for (const method of methods.slice(1)) put('x real time, wasm/JS in node', label, method.name, medianOf(speeds[method.name][label]));
  if (wasm) put('x real time, wasm/JS in node', label, 'woodshed', wasm[key]);
  if (native) put('x real time, native (woodshed only)', label, 'woodshed', native[key]);
}
rmSync(work, { recursive: true, force: true });

// Which way is better, and how a value prints.
const MEASURES = [
  ['pitch error, max |cents| (chord)', 'low', (v) => v.toFixed(2)],
  ['amplitude modulation, median p-p dB (chord)', 'low', (v) => v.toFixed(2)],
  ['energy between partials, dB (chord)', 'low', (v) => v.toFixed(1)],
  ['energy off the sweep, dB', 'low', (v) => v.toFixed(1)],
  ['clicks lost / doubled (of 40)', 'clicks', (v) => v],
  ['click timing spread, std / max ms', 'spread', (v) => `${v[0].toFixed(2)} / ${v[1].toFixed(2)}`],
  ['click peak change, worst dB', 'low', (v) => v.toFixed(1)],
  ['pre-echo before clicks, dB', 'low', (v) => v.toFixed(1)],
  ['attack rise time 10-90 %, median ms (plucked)', 'reference', (v) => v.toFixed(2)],
  ['pre-echo before notes, dB (plucked)', 'low', (v) => v.toFixed(1)],
  ['log-spectral distance, dB (mean of chord, clicks, sweep, plucked)', 'low', (v) => v.toFixed(2)],
  ['log-spectral distance, dB (music)', 'low', (v) => v.toFixed(2)],
  ['alignment offset found, worst |ms|', 'zero', (v) => v.toFixed(2)],
  ['x real time, wasm/JS in node', 'high', (v) => v.toFixed(1)],
  ['x real time, native (woodshed only)', 'high', (v) => v.toFixed(1)],
];

/** A score where lower is better, or null when the value does not rank. */
function score(kind, value, reference) {
  if (value === undefined || value === null || Number.isNaN(value)) return null;
  switch (kind) {
    case 'low': return value;
    case 'high': return -value;
    case 'zero': return Math.abs(value);
    case 'reference': return Math.abs(value - reference);
    case 'clicks': return value.split(' / ').reduce((a, b) => a + Number(b), 0);
    case 'spread': return value[0];
    default: return null;
  }
}

const lines = [];
lines.push(`| measure | condition | ${METHOD_NAMES.join(' | ')} | reference |`);
lines.push(`|---|---|${METHOD_NAMES.map(() => '---:').join('|')}|---:|`);
const behind = {};
for (const [measure, kind, format] of MEASURES) {
  const rows = results[measure];
  if (!rows) continue;
  for (const { label } of CONDITIONS) {
    const row = rows[label];
    if (!row) continue;
    const scores = METHOD_NAMES.map((m) => score(kind, row[m], row.reference));
    const valid = scores.filter((s) => s !== null);
    const best = valid.length > 1 ? Math.min(...valid) : null;
    const cells = METHOD_NAMES.map((m, i) => {
      if (row[m] === undefined) return '';
      const text = format(row[m]);
      return best !== null && scores[i] !== null && Math.abs(scores[i] - best) <= 1e-9 * Math.max(1, Math.abs(best)) ? `**${text}**` : text;
    });
    const ref = row.reference === undefined ? '' : format(row.reference);
    lines.push(`| ${measure} | ${label} | ${cells.join(' | ')} | ${ref} |`);
    // Behind a peer: worse than signalsmith (the goal's yardstick) or than the best peer by a margin.
    const ours = scores[0];
    if (ours === null || valid.length < 2) continue;
    const margin = kind === 'high' ? 0.1 * Math.abs(ours) : kind === 'clicks' ? 0 : kind === 'reference' ? 0.1 : 0.05 * Math.abs(ours) + 0.01;
    METHOD_NAMES.slice(1).forEach((m, i) => {
      const theirs = scores[i + 1];
      if (theirs !== null && theirs < ours - margin) ((behind[measure] ??= {})[m] ??= []).push(label);
    });
  }
}

console.log(lines.join('\n'));
console.log();
console.log(`Inputs: 44.1 kHz stereo, made at run time and rounded to 16 bits (what the CLI reads); ${CONDITIONS.length} conditions;` +
  ' quality from the native CLI for woodshed; speed is output seconds per second on the ' +
  `${music ? 'music' : 'plucked notes'}, median of 3. Bold: the best of the methods (for rise time: closest to the reference).`);
const notes = Object.entries(behind);
if (notes.length === 0) {
  console.log('Woodshed is at or ahead of every peer on every row.');
} else {
  console.log('Where Woodshed is behind a peer:');
  for (const [measure, byPeer] of notes) {
    const parts = Object.entries(byPeer).map(([peer, labels]) => `${peer} (${labels.join(', ')})`);
    console.log(`- ${measure}: behind ${parts.join('; ')}`);
  }
}
for (const note of skipped) console.log(`Note: ${note}.`);
console.log(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
