// The FLAC frame finder (web/flac-frames.js) on files ffmpeg writes at test time: every frame
// found, their samples adding up to STREAMINFO's count, the decoder's description, and truncated
// files named as such.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { flacFrames } from '../../web/flac-frames.js';
import { makeAudio } from '../browser/media.mjs';

const bytesOf = (file) => {
  const data = readFileSync(file);
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.length);
};

for (const { format, rate, channels, bits } of [
  { format: 'flac16', rate: 44100, channels: 2, bits: 16 },
  { format: 'flac', rate: 48000, channels: 1, bits: 24 },  // ffmpeg's FLAC of float noise is 24-bit
]) {
  test(`${bits}-bit ${rate} Hz ${channels === 1 ? 'mono' : 'stereo'}: every frame, back to back, adding up to the header's samples`, () => {
    const seconds = 3;
    const bytes = bytesOf(makeAudio({ format, rate, channels, seconds }));
    const flac = flacFrames(bytes);
    assert.deepEqual({ rate: flac.rate, channels: flac.channels, bits: flac.bits, totalSamples: flac.totalSamples },
      { rate, channels, bits, totalSamples: seconds * rate });
    assert.equal(flac.frames.reduce((sum, f) => sum + f.samples, 0), seconds * rate);
    for (let i = 1; i < flac.frames.length; i++) {
      assert.equal(flac.frames[i].offset, flac.frames[i - 1].offset + flac.frames[i - 1].size);
    }
    const last = flac.frames.at(-1);
    assert.equal(last.offset + last.size, bytes.byteLength, 'the last frame ends the file');
    assert.equal(flac.description.length, 42, "'fLaC' and the STREAMINFO block");
    assert.equal(String.fromCharCode(...flac.description.subarray(0, 4)), 'fLaC');
    assert.equal(flac.description[4], 0x80, 'STREAMINFO, marked as the last block');
  });
}

test('a file cut short is truncated, whether inside a frame or after whole frames', () => {
  const bytes = bytesOf(makeAudio({ format: 'flac', rate: 44100, channels: 2, seconds: 3 }));
  assert.throws(() => flacFrames(bytes.slice(0, bytes.byteLength - 100)), /^Error: it is truncated or damaged: its last FLAC frame does not check$/);
  const whole = flacFrames(bytes);
  const cut = whole.frames[5].offset + whole.frames[5].size;  // right after a frame
  assert.throws(() => flacFrames(bytes.slice(0, cut)), /^Error: it is truncated: its header promises 3\.0 s of audio but the file holds 0\.\d s$/);
  assert.throws(() => flacFrames(bytes.slice(0, 30)), /^Error: it is truncated inside its FLAC header$/);
});

test('what is not FLAC says so', () => {
  assert.throws(() => flacFrames(new TextEncoder().encode('a text file, not audio').buffer), /^Error: it is not a FLAC file$/);
});
