// The MP3 frame finder (web/mp3-frames.js) on files ffmpeg's LAME encoder writes at test time:
// every frame found, the LAME tag read (its delay and padding make the length exact), and
// damaged or truncated files named as such.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mp3Frames } from '../../web/mp3-frames.js';
import { makeAudio } from '../browser/media.mjs';

const bytesOf = (file) => {
  const data = readFileSync(file);
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.length);
};

for (const { rate, channels, samplesPerFrame } of [
  { rate: 44100, channels: 2, samplesPerFrame: 1152 },  // MPEG-1
  { rate: 22050, channels: 1, samplesPerFrame: 576 },   // MPEG-2
  { rate: 8000, channels: 1, samplesPerFrame: 576 },    // MPEG-2.5
]) {
  test(`${rate} Hz ${channels === 1 ? 'mono' : 'stereo'}: every frame, back to back, and the gapless length is the source's`, () => {
    const seconds = 3;
    const bytes = bytesOf(makeAudio({ format: 'mp3', rate, channels, seconds }));
    const mp3 = mp3Frames(bytes);
    assert.equal(mp3.rate, rate);
    assert.equal(mp3.channels, channels);
    assert.equal(mp3.samplesPerFrame, samplesPerFrame);
    assert.equal(mp3.damagedBytes, 0);
    for (let i = 1; i < mp3.frames.length; i++) {
      assert.equal(mp3.frames[i].offset, mp3.frames[i - 1].offset + mp3.frames[i - 1].size, `frame ${i} follows frame ${i - 1}`);
    }
    const last = mp3.frames.at(-1);
    assert.equal(last.offset + last.size, bytes.byteLength, 'the last frame ends the file');
    assert.ok(mp3.delay > 0, `the LAME tag's delay: ${mp3.delay}`);
    assert.equal(mp3.frames.length * samplesPerFrame - mp3.delay - mp3.padding, seconds * rate);
  });
}

test('a file cut inside its last frame is truncated; damaged bytes inside are skipped and counted', () => {
  const bytes = bytesOf(makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 2 }));
  const whole = mp3Frames(bytes);
  assert.throws(() => mp3Frames(bytes.slice(0, bytes.byteLength - 100)), /^Error: it is truncated: its last MP3 frame is cut short$/);
  const damaged = new Uint8Array(bytes.slice(0));
  const middle = whole.frames[40];
  damaged.fill(0, middle.offset, middle.offset + 8);  // its header and the start of its side info
  const found = mp3Frames(damaged.buffer);
  assert.equal(found.frames.length, whole.frames.length - 1);
  assert.equal(found.damagedBytes, middle.size);
  assert.equal(found.frames[40].offset, whole.frames[41].offset);
});

test('what is not MP3 says so', () => {
  assert.throws(() => mp3Frames(new TextEncoder().encode('a text file, not audio').buffer), /no MP3 audio frames/);
  assert.throws(() => mp3Frames(new ArrayBuffer(0)), /no MP3 audio frames/);
});
