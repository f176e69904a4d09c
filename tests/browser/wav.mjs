// WAV files for the browser tests, made and read at test time: any of the formats Woodshed
// imports and exports (16- and 24-bit PCM, 32-bit float), mono or stereo.

import assert from 'node:assert/strict';

/**
 * A WAV of `channels` channels and `frames` frames from sample(frame, channel): IEEE float
 * (bits 32) or 24-bit PCM from floats, or 16-bit PCM from integers (bits 16).
 */
export function makeWav({ rate, channels, frames, bits, sample }) {
  const bytes = bits / 8;
  const size = frames * channels * bytes;
  const data = Buffer.alloc(44 + size);
  data.write('RIFF', 0);
  data.writeUInt32LE(36 + size, 4);
  data.write('WAVEfmt ', 8);
  data.writeUInt32LE(16, 16);
  data.writeUInt16LE(bits === 32 ? 3 : 1, 20);
  data.writeUInt16LE(channels, 22);
  data.writeUInt32LE(rate, 24);
  data.writeUInt32LE(rate * channels * bytes, 28);
  data.writeUInt16LE(channels * bytes, 32);
  data.writeUInt16LE(bits, 34);
  data.write('data', 36);
  data.writeUInt32LE(size, 40);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const at = 44 + (i * channels + c) * bytes;
      const x = sample(i, c);
      if (bits === 32) data.writeFloatLE(x, at);
      else if (bits === 16) data.writeInt16LE(x, at);
      else data.writeIntLE(Math.max(-8388608, Math.min(8388607, Math.round(x * 8388608))), at, 3);
    }
  }
  return data;
}

/** A WAV Woodshed wrote: {format, channels, rate, bits, samples (interleaved numbers)}. */
export function parseWav(bytes) {
  const view = Buffer.from(bytes);
  assert.equal(view.toString('ascii', 0, 4), 'RIFF');
  assert.equal(view.readUInt32LE(4), view.length - 8, 'the RIFF size is the file size');
  assert.equal(view.toString('ascii', 36, 40), 'data');
  const format = view.readUInt16LE(20);
  const channels = view.readUInt16LE(22);
  const bits = view.readUInt16LE(34);
  const length = view.readUInt32LE(40);
  assert.equal(length, view.length - 44, 'the data size is what follows the header');
  const count = length / (bits / 8);
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = 44 + (i * bits) / 8;
    samples[i] = bits === 32 ? view.readFloatLE(at) : bits === 24 ? view.readIntLE(at, 3) : view.readInt16LE(at);
  }
  return { format, channels, rate: view.readUInt32LE(24), bits, samples };
}
