// The page's own WAV reader (web/wav-pcm.js): header checks, and PCM samples equal to what
// decodeAudioData gives (an integer over 2^(bits-1), a float as it is), for each layout it takes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pcmWav, readWavHeader } from '../../web/wav-pcm.js';

// A WAV with `samples` ([frame][channel] numbers as stored: integers, or floats for tag 3).
// `extra` chunks go before the data (an odd size is padded, as RIFF says); `extensible` writes a
// WAVE_FORMAT_EXTENSIBLE header whose sub-format is `tag`.
function wav({ tag = 1, bits = 16, rate = 44100, samples, extra = [], extensible = false, dataSize = null }) {
  const channels = samples[0].length;
  const step = bits / 8;
  const data = Buffer.alloc(samples.length * channels * step);
  samples.forEach((frame, i) => frame.forEach((x, c) => {
    const at = (i * channels + c) * step;
    if (tag === 3) data.writeFloatLE(x, at);
    else data.writeIntLE(x, at, step);
  }));
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  fmt.writeUInt16LE(extensible ? 0xfffe : tag, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * channels * step, 8);
  fmt.writeUInt16LE(channels * step, 12);
  fmt.writeUInt16LE(bits, 14);
  if (extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(bits, 18);
    fmt.writeUInt16LE(tag, 24);  // the sub-format GUID's first two bytes
  }
  const chunk = (id, body, size = body.length) => {
    const header = Buffer.alloc(8);
    header.write(id, 0);
    header.writeUInt32LE(size, 4);
    return Buffer.concat([header, body, Buffer.alloc(body.length & 1)]);
  };
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), ...extra.map(([id, b]) => chunk(id, b)),
    chunk('data', data, dataSize ?? data.length)]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0);
  riff.writeUInt32LE(body.length, 4);
  const file = Buffer.concat([riff, body]);
  return file.buffer.slice(file.byteOffset, file.byteOffset + file.length);
}

function channel(source, index) {
  const out = new Float32Array(source.frames);
  source.fill(index, 0, source.frames, out);
  return Array.from(out);
}

test('16-bit stereo: each channel is its integers over 32768, the extremes included', () => {
  const source = pcmWav(wav({ samples: [[-32768, 32767], [1, -1], [0, 12345]] }));
  assert.deepEqual({ channels: source.channels, frames: source.frames, sampleRate: source.sampleRate }, { channels: 2, frames: 3, sampleRate: 44100 });
  assert.deepEqual(channel(source, 0), [-1, 1 / 32768, 0]);
  assert.deepEqual(channel(source, 1), [32767 / 32768, -1 / 32768, Math.fround(12345 / 32768)]);
});

test('24-bit samples keep their sign, and a chunk read from the middle starts at its frame', () => {
  const source = pcmWav(wav({ bits: 24, samples: [[-8388608], [-1], [8388607], [-2]] }));
  assert.deepEqual(channel(source, 0), [-1, Math.fround(-1 / 8388608), Math.fround(8388607 / 8388608), Math.fround(-2 / 8388608)]);
  const out = new Float32Array(2);
  source.fill(0, 2, 2, out);
  assert.deepEqual(Array.from(out), [Math.fround(8388607 / 8388608), Math.fround(-2 / 8388608)]);
});

test('32-bit integers and floats, behind an odd-sized chunk and an extensible header', () => {
  const extra = [['LIST', Buffer.from('abc')]];  // 3 bytes and a pad byte: the data starts at an odd offset
  const read = pcmWav(wav({ bits: 32, rate: 48000, extra, samples: [[-2147483648], [1073741824]] }));
  assert.equal(read.sampleRate, 48000, 'any rate (the engine converts it)');
  assert.equal(read.float, false);
  assert.deepEqual(channel(read, 0), [-1, 0.5]);
  const floats = pcmWav(wav({ tag: 3, bits: 32, extra, extensible: true, samples: [[1.5, -0.25], [Number.NaN, 0.1]] }));
  assert.equal(floats.float, true);
  const [left, right] = [channel(floats, 0), channel(floats, 1)];
  assert.equal(left[0], 1.5, 'overs above full scale are kept');
  assert.ok(Number.isNaN(left[1]), 'a NaN reaches the engine, which refuses it with the time it is at');
  assert.deepEqual(right, [-0.25, Math.fround(0.1)]);
});

test('what the page does not read itself goes to the browser', () => {
  assert.equal(pcmWav(wav({ samples: [[1, 2, 3]] })), null, 'more than two channels (mixed down by the browser)');
  assert.equal(pcmWav(wav({ bits: 8, samples: [[1]] })), null, '8-bit');
  assert.equal(pcmWav(wav({ tag: 2, samples: [[1]] })), null, 'ADPCM');
  assert.equal(pcmWav(new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0, 0]).buffer), null, 'an MP3');
});

test('headers that promise what the file does not hold get their own messages', () => {
  const truncated = wav({ samples: [[1, 2], [3, 4]], dataSize: 44100 * 4 });
  assert.equal(readWavHeader(truncated).problem, 'it is truncated: its header promises 1.0 s of audio but the file holds 0.0 s');
  const streamed = readWavHeader(wav({ samples: [[1, 2], [3, 4]], dataSize: 0xffffffff }));
  assert.equal(streamed.dataBytes, 8, 'a length written as unknown is the rest of the file');
  const silent = Buffer.from(wav({ samples: [[1]] }));
  silent.writeUInt16LE(0, 22);
  assert.equal(readWavHeader(silent.buffer).problem, 'its WAV header says it has no audio channels');
  const still = Buffer.from(wav({ samples: [[1]] }));
  still.writeUInt32LE(0, 24);
  assert.equal(readWavHeader(still.buffer).problem, 'its WAV header gives a sample rate of 0');
  assert.equal(readWavHeader(new TextEncoder().encode('just some text').buffer), null);
});
