// Hostile input for the page's file parsers (issue 23's property tests, with fast-check): the
// frame finders of the chunked decoder (MP3, FLAC, Ogg Opus, MP4/AAC) and the WAV header check,
// fed arbitrary bytes and valid files that are cut, overwritten and spliced. Each must either
// give a result that stays inside the file (every frame's bytes within it, every count sane) or
// throw a plain Error whose message says what is wrong with the file ("it is truncated...",
// "its ... is damaged"): never a TypeError or RangeError from reading past the end, never a
// hang. The runs are seeded, so a failure prints a case that replays.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { flacFrames } from '../../web/flac-frames.js';
import { mp3Frames } from '../../web/mp3-frames.js';
import { mp4AacSamples } from '../../web/mp4-aac-samples.js';
import { oggOpusPackets, oggPageCrc } from '../../web/ogg-opus-packets.js';
import { pcmWav, readWavHeader } from '../../web/wav-pcm.js';
import { makeAudio } from '../browser/media.mjs';

// Cases per property; tools/bench-like longer runs: WOODSHED_PROPERTY_RUNS=5000 WOODSHED_PROPERTY_SEED=...
const RUNS = Number(process.env.WOODSHED_PROPERTY_RUNS ?? 400);
const SEED = Number(process.env.WOODSHED_PROPERTY_SEED ?? 20261207);

const bytesOf = (file) => new Uint8Array(readFileSync(file));

// A parser's answer to `bytes`: 'ok' when its result stays inside the file, 'refused' when it
// threw a plain Error about the file; anything else fails the property.
function judge(parse, bytes) {
  let result;
  try {
    result = parse(bytes.slice().buffer);
  } catch (error) {
    assert.equal(error?.constructor, Error, `not a plain Error: ${error?.stack ?? error}`);
    assert.match(error.message, /^its? /, `a message about the file: ${error.message}`);
    return 'refused';
  }
  for (const frame of result.frames) {
    const samples = frame.samples ?? result.samplesPerFrame;  // an MP3's frames all hold the same
    assert.ok(Number.isFinite(samples) && samples > 0, `samples ${samples}`);
    if (frame.data) {
      assert.ok(frame.data instanceof Uint8Array && frame.data.length > 0);
    } else {
      assert.ok(Number.isInteger(frame.offset) && Number.isInteger(frame.size), 'whole offsets and sizes');
      assert.ok(frame.offset >= 0 && frame.size > 0 && frame.offset + frame.size <= bytes.length,
        `frame ${frame.offset}+${frame.size} inside ${bytes.length} bytes`);
    }
  }
  return 'ok';
}

// Valid files, cut short, overwritten in a few places, or with a stretch removed.
function mutated(valid) {
  const cut = fc.integer({ min: 0, max: valid.length - 1 }).map((at) => valid.subarray(0, at));
  const overwritten = fc.array(fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .map((writes) => {
      const copy = valid.slice();
      for (const [at, value] of writes) copy[at] = value;
      return copy;
    });
  const spliced = fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 1, max: 4096 }))
    .map(([at, length]) => new Uint8Array([...valid.subarray(0, at), ...valid.subarray(Math.min(valid.length, at + length))]));
  return fc.oneof(cut, overwritten, spliced);
}

// Ogg pages carry a CRC over all their bytes, so almost any damage is refused at once: damaged
// files are also re-sealed (each page's CRC recomputed) to reach the packet logic behind it.
function resealed(bytes) {
  const copy = bytes.slice();
  for (let at = 0; at + 27 <= copy.length;) {
    if (copy[at] !== 0x4f || copy[at + 1] !== 0x67 || copy[at + 2] !== 0x67 || copy[at + 3] !== 0x53) break;
    const count = copy[at + 26];
    if (at + 27 + count > copy.length) break;
    let end = at + 27 + count;
    for (let i = 0; i < count; i++) end += copy[at + 27 + i];
    if (end > copy.length) break;
    new DataView(copy.buffer).setUint32(at + 22, oggPageCrc(copy, at, end), true);
    at = end;
  }
  return copy;
}

const parsers = [
  { name: 'MP3 frames', parse: mp3Frames, file: () => makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 2, name: 'property.mp3' }) },
  { name: 'FLAC frames', parse: flacFrames, file: () => makeAudio({ format: 'flac', rate: 44100, channels: 2, seconds: 2, name: 'property.flac' }) },
  {
    name: 'Ogg Opus packets', parse: oggOpusPackets, reseal: resealed,
    file: () => makeAudio({ format: 'opus', rate: 48000, channels: 2, seconds: 2, name: 'property.opus' }),
  },
  { name: 'MP4 AAC samples', parse: mp4AacSamples, file: () => makeAudio({ format: 'aac', rate: 44100, channels: 2, seconds: 2, name: 'property.m4a' }) },
];

for (const { name, parse, file, reseal = (bytes) => bytes } of parsers) {
  test(`${name}: arbitrary bytes and damaged files give a result inside the file or a message, never a crash`, () => {
    const valid = bytesOf(file());
    assert.equal(judge(parse, valid), 'ok', 'the undamaged file parses');
    const outcomes = { ok: 0, refused: 0 };
    const count = (outcome) => { outcomes[outcome] += 1; };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => count(judge(parse, bytes))), { numRuns: RUNS, seed: SEED });
    // Headers the parser recognises, then anything: past the magic numbers, into the tables.
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (tail) => count(judge(parse, new Uint8Array([...valid.subarray(0, 64), ...tail])))),
      { numRuns: RUNS, seed: SEED });
    fc.assert(fc.property(mutated(valid), (bytes) => count(judge(parse, reseal(bytes)))), { numRuns: RUNS, seed: SEED });
    console.log(`[ measure  ] ${name}: ${3 * RUNS} cases, ${outcomes.ok} parsed inside the file, ${outcomes.refused} refused with a message`);
    assert.ok(outcomes.refused > 0 && outcomes.ok > 0, 'the cases reach both outcomes');
  });
}

test('WAV header: arbitrary and damaged headers give a header inside the file, a problem, or null', () => {
  const valid = bytesOf(makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 1, name: 'property.wav' }));
  const outcomes = { header: 0, problem: 0, none: 0 };
  const check = (bytes) => {
    const header = readWavHeader(bytes.slice().buffer);
    if (header === null) {
      outcomes.none += 1;
      return;
    }
    if (header.problem) {
      assert.match(header.problem, /^its? /);
      outcomes.problem += 1;
      return;
    }
    outcomes.header += 1;
    assert.ok(header.dataOffset >= 0 && header.dataOffset + header.dataBytes <= bytes.length, 'the data lies inside the file');
    const pcm = pcmWav(bytes.slice().buffer);
    if (pcm) {
      const out = new Float32Array(Math.min(pcm.frames, 64));
      for (let c = 0; c < pcm.channels; c++) pcm.fill(c, Math.max(0, pcm.frames - out.length), out.length, out);  // its last frames read back
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (tail) => check(new Uint8Array([...valid.subarray(0, 12), ...tail]))), { numRuns: RUNS, seed: SEED });
  fc.assert(fc.property(mutated(valid), check), { numRuns: RUNS, seed: SEED });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), check), { numRuns: RUNS, seed: SEED });
  console.log(`[ measure  ] WAV header: ${3 * RUNS} cases: ${outcomes.header} headers, ${outcomes.problem} problems named, ${outcomes.none} not a WAV`);
  assert.ok(outcomes.header > 0 && outcomes.problem > 0 && outcomes.none > 0, 'the cases reach every outcome');
});
