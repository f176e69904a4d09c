// The Ogg Opus packet finder (web/ogg-opus-packets.js) on files ffmpeg writes at test time: every
// packet found in order, their durations adding up to the last granule position, the pre-skip
// and the decoder's description read from OpusHead, and damaged or truncated files named as such.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { oggOpusPackets } from '../../web/ogg-opus-packets.js';
import { makeAudio } from '../browser/media.mjs';

const bytesOf = (file) => {
  const data = readFileSync(file);
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
};

for (const channels of [1, 2]) {
  test(`${channels === 1 ? 'mono' : 'stereo'}: every packet, in order, with the length a player plays`, () => {
    const seconds = 3;
    const bytes = bytesOf(makeAudio({ format: 'opus', rate: 48000, channels, seconds }));
    const opus = oggOpusPackets(bytes.buffer);
    assert.deepEqual({ rate: opus.rate, channels: opus.channels, outputGain: opus.outputGain, mappingFamily: opus.mappingFamily },
      { rate: 48000, channels, outputGain: 0, mappingFamily: 0 });
    assert.equal(opus.preSkip, 312, "libopus's look-ahead, as ffmpeg writes it");
    assert.equal(opus.totalSamples, seconds * 48000, 'the last granule position less the pre-skip');
    const coded = opus.frames.reduce((sum, f) => sum + f.samples, 0);
    assert.ok(coded >= opus.totalSamples + opus.preSkip && coded < opus.totalSamples + opus.preSkip + 960,
      `the packets cover the stream and at most one 20 ms packet more: ${coded}`);
    assert.equal(String.fromCharCode(...opus.description.subarray(0, 8)), 'OpusHead');
    // Each packet's first byte is a TOC whose channel flag says stereo or mono.
    for (const frame of opus.frames) {
      const packet = frame.data ?? bytes.subarray(frame.offset, frame.offset + frame.size);
      assert.equal((packet[0] >> 2) & 1, channels === 2 ? 1 : 0);
    }
    // Offsets rise: the packets are in file order.
    const offsets = opus.frames.filter((f) => !f.data).map((f) => f.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  });
}

test('a file cut short, or with a damaged or missing page, says so', () => {
  const bytes = bytesOf(makeAudio({ format: 'opus', rate: 48000, channels: 2, seconds: 3 }));
  assert.throws(() => oggOpusPackets(bytes.slice(0, bytes.length - 100).buffer), /^Error: it is truncated inside an Ogg page$/);
  // Cut right after a whole page: no end-of-stream page.
  const pages = [];
  for (let i = 0; i + 4 <= bytes.length; i++) if (bytes[i] === 0x4f && bytes[i + 1] === 0x67 && bytes[i + 2] === 0x67 && bytes[i + 3] === 0x53) pages.push(i);
  assert.ok(pages.length >= 4, `${pages.length} pages`);
  assert.throws(() => oggOpusPackets(bytes.slice(0, pages[3]).buffer), /^Error: it is truncated: its last Ogg page is missing$/);
  const flipped = bytes.slice();
  flipped[pages[2] + 40] ^= 0x10;
  assert.throws(() => oggOpusPackets(flipped.buffer), /^Error: it is damaged: an Ogg page does not check$/);
  const missing = new Uint8Array([...bytes.subarray(0, pages[2]), ...bytes.subarray(pages[3])]);
  assert.throws(() => oggOpusPackets(missing.buffer), /^Error: it is damaged: an Ogg page is missing$/);
});

test('Ogg Vorbis and what is not Ogg say what they are not', () => {
  assert.throws(() => oggOpusPackets(bytesOf(makeAudio({ format: 'vorbis', rate: 44100, channels: 2, seconds: 1 })).buffer),
    /^Error: it is not an Ogg Opus file$/);
  assert.throws(() => oggOpusPackets(new TextEncoder().encode('a text file, not audio, but long enough for a page').buffer),
    /^Error: it is not an Ogg file$/);
});
