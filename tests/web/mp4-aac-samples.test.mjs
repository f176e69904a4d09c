// The MP4/M4A AAC sample finder (web/mp4-aac-samples.js) on files ffmpeg writes at test time:
// every sample, back to back in its chunks, the encoder's priming and the length to play from
// the edit list, the decoder's AudioSpecificConfig, and damaged or truncated files named as such.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { mp4AacSamples } from '../../web/mp4-aac-samples.js';
import { makeAudio, mediaDir } from '../browser/media.mjs';

const bytesOf = (file) => {
  const data = readFileSync(file);
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
};

for (const { rate, channels } of [{ rate: 44100, channels: 2 }, { rate: 48000, channels: 1 }]) {
  test(`${rate} Hz ${channels === 1 ? 'mono' : 'stereo'}: every sample, with the priming and length from the edit list`, () => {
    const seconds = 3;
    const bytes = bytesOf(makeAudio({ format: 'aac', rate, channels, seconds }));
    const aac = mp4AacSamples(bytes.buffer);
    assert.deepEqual({ rate: aac.rate, channels: aac.channels, codec: aac.codec }, { rate, channels, codec: 'mp4a.40.2' });
    assert.equal(aac.skip, 1024, "ffmpeg's AAC priming, in the edit list");
    assert.equal(aac.totalSamples, seconds * rate);
    assert.ok(aac.frames.slice(0, -1).every((f) => f.samples === 1024), 'each AAC frame is 1024 samples');
    assert.ok(aac.frames.at(-1).samples <= 1024, 'ffmpeg gives the last one the samples left');
    assert.ok(aac.frames.length * 1024 >= aac.skip + aac.totalSamples);
    // The AudioSpecificConfig: AAC-LC (2), the rate's index, the channels.
    assert.equal(aac.description[0] >> 3, 2);
    assert.equal((aac.description[1] >> 3) & 15, channels);
    // ffmpeg writes the samples back to back, filling its 'mdat' box from start to end.
    for (let i = 1; i < aac.frames.length; i++) assert.equal(aac.frames[i].offset, aac.frames[i - 1].offset + aac.frames[i - 1].size);
    const mdat = Buffer.from(bytes).indexOf('mdat') - 4;
    const mdatSize = new DataView(bytes.buffer).getUint32(mdat);
    assert.equal(aac.frames[0].offset, mdat + 8);
    assert.equal(aac.frames.at(-1).offset + aac.frames.at(-1).size, mdat + mdatSize);
  });
}

test('the index at the front (faststart) gives the same samples', () => {
  const file = makeAudio({ format: 'aac', rate: 44100, channels: 2, seconds: 2, name: 'tail-index.m4a' });
  const front = path.join(mediaDir, 'front-index.m4a');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', file, '-c', 'copy', '-movflags', '+faststart', front]);
  const a = mp4AacSamples(bytesOf(file).buffer);
  const b = mp4AacSamples(bytesOf(front).buffer);
  assert.equal(b.frames.length, a.frames.length);
  assert.deepEqual(b.frames.map((f) => f.size), a.frames.map((f) => f.size));
  assert.ok(b.frames[0].offset > a.frames[0].offset, 'the audio moved behind the index');
  assert.equal(b.totalSamples, a.totalSamples);
});

test('a file cut short, or not AAC in MP4, says so', () => {
  const bytes = bytesOf(makeAudio({ format: 'aac', rate: 44100, channels: 2, seconds: 3 }));
  assert.throws(() => mp4AacSamples(bytes.slice(0, bytes.length - 100).buffer), /^Error: it is truncated or damaged: its MP4 box 'moov' runs past the end$/);
  assert.throws(() => mp4AacSamples(bytes.slice(0, 2000).buffer), /^Error: it is truncated or damaged: its MP4 box 'mdat' runs past the end$/);
  assert.throws(() => mp4AacSamples(bytesOf(makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 1 })).buffer), /^Error: it is not an MP4 file$/);
  const alac = path.join(mediaDir, 'alac.m4a');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'alac', alac]);
  assert.throws(() => mp4AacSamples(bytesOf(alac).buffer), /^Error: its audio is 'alac', not AAC$/);
});
