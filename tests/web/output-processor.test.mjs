// The output worklet (web/audio/woodshed-processor.js) run in node against a ring in a
// SharedArrayBuffer: a capture marks the frames of an underrun, and cutting them out
// (tests/browser/capture-gaps.mjs) leaves the rendered frames in order with their positions;
// and the processor reports the source position of the last frame it handed out.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';

import { CAPTURE_GAP, spliceGaps } from '../browser/capture-gaps.mjs';

const BLOCK = 128;
const CAPTURE_HEADER_BYTES = 32;

/** The processor class, loaded as an AudioWorkletGlobalScope would load it. */
function loadProcessor() {
  const registered = {};
  const context = vm.createContext({
    Atomics, Float32Array, Int32Array, Uint32Array,
    AudioWorkletProcessor: class { constructor() { this.port = {}; } },
    registerProcessor: (name, cls) => { registered[name] = cls; },
  });
  vm.runInContext(readFileSync(new URL('../../web/audio/woodshed-processor.js', import.meta.url), 'utf8'), context);
  return registered['woodshed-output'];
}

/** A 2-channel ring of `capacity` frames laid out as src/core/audio_ring.h lays it out. */
function makeRing(capacity) {
  const layout = { capacityFrames: capacity, channels: 2, writeCounter: 0, readCounter: 4, samples: 64 };
  layout.positions = layout.samples + 2 * capacity * 4;
  layout.consumerCounters = layout.positions + capacity * 4;
  const memory = new SharedArrayBuffer(layout.consumerCounters + 64);
  const u32 = new Uint32Array(memory);
  const f32 = new Float32Array(memory);
  const i32 = new Int32Array(memory);
  let written = 0;
  return {
    memory,
    layout,
    /** The producer: `frames` more frames whose source positions run on from the last. */
    write(frames) {
      for (let i = 0; i < frames; i++) {
        const slot = (written + i) & (capacity - 1);
        const position = 5000 + written + i;
        f32[layout.samples / 4 + slot] = position / 10000;
        f32[layout.samples / 4 + capacity + slot] = -position / 10000;
        i32[layout.positions / 4 + slot] = position;
      }
      written += frames;
      Atomics.store(u32, layout.writeCounter / 4, written);
    },
  };
}

/**
 * A processor over a fresh ring with a capture of `frames` armed: {ring, block() (one render
 * quantum), header, left, sources} (views of the capture's buffer, as audio-output.js reads it).
 */
function armedCapture(frames) {
  const Processor = loadProcessor();
  const ring = makeRing(1024);
  const processor = new Processor({ processorOptions: { memory: ring.memory, layout: ring.layout } });
  const buffer = new SharedArrayBuffer(CAPTURE_HEADER_BYTES + 3 * frames * 4);
  processor.onMessage({ type: 'capture', buffer, frames });
  const output = [new Float32Array(BLOCK), new Float32Array(BLOCK)];
  return {
    ring,
    block: () => processor.process([], [output]),
    header: new Int32Array(buffer, 0, 5),
    left: new Float32Array(buffer, CAPTURE_HEADER_BYTES, frames),
    sources: new Int32Array(buffer, CAPTURE_HEADER_BYTES + 2 * frames * 4, frames),
  };
}

test('a capture marks the frames of an underrun, and cutting them out leaves the rendered frames in order', () => {
  const frames = 3 * BLOCK;
  const { ring, block, header, left, sources } = armedCapture(frames);

  ring.write(BLOCK);
  block();
  ring.write(BLOCK / 2);  // the render thread falls behind: half a block
  block();
  ring.write(BLOCK);
  block();

  const heard = new Int32Array(ring.memory, ring.layout.consumerCounters + 16, 1);
  assert.equal(heard[0], 5000 + 2 * BLOCK + BLOCK / 2 - 1, 'the last frame handed out is what is heard');
  assert.equal(header[0], 2, 'the capture is done');
  assert.equal(header[3], 1, 'one underrun inside the capture');
  assert.equal(header[4], 3 * BLOCK, 'the frames played once the last captured frame was out');
  assert.equal(new Uint32Array(ring.memory, ring.layout.consumerCounters, 1)[0], 3 * BLOCK);
  assert.equal(sources[BLOCK + BLOCK / 2 - 1], 5000 + BLOCK + BLOCK / 2 - 1, 'the half block from the ring keeps its positions');
  for (let i = BLOCK + BLOCK / 2; i < 2 * BLOCK; i++) {
    assert.equal(sources[i], CAPTURE_GAP, `frame ${i} is marked as a gap`);
    assert.equal(left[i], 0, `frame ${i} is silent`);
  }
  assert.equal(sources[2 * BLOCK], 5000 + BLOCK + BLOCK / 2, 'after the gap the ring resumes where it paused');

  const spliced = spliceGaps({ sampleRate: 48000, channels: [left.slice(), left.slice()], sourceFrames: sources.slice(), underruns: header[3] });
  assert.equal(spliced.gapFrames, BLOCK / 2);
  assert.equal(spliced.sourceFrameAtStart, 5000);
  assert.equal(spliced.channels[0].length, frames - BLOCK / 2);
  spliced.sourceFrames.forEach((source, i) => {
    assert.equal(source, 5000 + i, `spliced frame ${i}'s position`);
    assert.equal(spliced.channels[0][i], Math.fround((5000 + i) / 10000), `spliced frame ${i}'s sample`);
  });
});

test('a capture ending inside a block gives the frames played just after its last frame', () => {
  const frames = BLOCK + 12;  // 0.2 s at 44.1 kHz ends 12 frames into a block, too
  const { ring, block, header, sources } = armedCapture(frames);
  ring.write(2 * BLOCK);
  block();
  block();
  assert.equal(header[0], 2, 'the capture is done');
  assert.equal(header[4], frames, 'the counter just after the last captured frame, not at the end of its block');
  assert.equal(sources[frames - 1], 5000 + frames - 1);
});

test('a capture that starts in an underrun takes its start position from the first rendered frame', () => {
  const { ring, block, header, left, sources } = armedCapture(2 * BLOCK);
  block();  // nothing rendered yet
  ring.write(BLOCK);
  block();
  assert.equal(header[2], -1, 'the worklet itself has no start position');
  const spliced = spliceGaps({ channels: [left.slice()], sourceFrames: sources.slice() });
  assert.equal(spliced.sourceFrameAtStart, 5000);
  assert.equal(spliced.gapFrames, BLOCK);
});
