// The frames of a FLAC file, found without decoding, for the chunked decoder
// (docs/design/import.md): WebCodecs' AudioDecoder takes one frame per chunk, and as its
// description the "fLaC" marker and the STREAMINFO block. A frame starts with the sync code
// 0xFFF8 or 0xFFF9; one is trusted only when its header's CRC-8 holds and it carries the next
// frame (or sample) number, and the last frame's CRC-16 tells a truncated file.

const STREAMINFO = 0;
const BLOCK_SIZES = [0, 192, 576, 1152, 2304, 4608, -8, -16, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

/**
 * Finds the frames of a FLAC file: {rate, channels, bits, totalSamples, description,
 * frames: [{offset, size, samples}]}. Throws with a message when it is not FLAC, or is
 * truncated or damaged.
 */
export function flacFrames(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'fLaC') throw new Error('it is not a FLAC file');
  let at = 4;
  let info = null;
  for (let last = false; !last;) {
    if (at + 4 > bytes.length) throw new Error('it is truncated inside its FLAC header');
    last = (bytes[at] & 0x80) !== 0;
    const type = bytes[at] & 0x7f;
    const length = (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    if (at + 4 + length > bytes.length) throw new Error('it is truncated inside its FLAC header');
    if (type === STREAMINFO && length >= 34) info = streamInfo(bytes, at);
    at += 4 + length;
  }
  if (!info) throw new Error('its FLAC header has no STREAMINFO block');
  const frames = [];
  let expected = 0;  // the next frame number (fixed block size) or sample number (variable)
  let start = frameAt(bytes, at, expected);
  if (!start) throw new Error('it has no FLAC audio frames');
  while (start) {
    expected = start.variable ? start.number + start.samples : start.number + 1;
    let next = null;
    for (let search = start.offset + 2; search + 1 < bytes.length; search++) {
      if (bytes[search] !== 0xff || (bytes[search + 1] & 0xfe) !== 0xf8) continue;
      next = frameAt(bytes, search, expected);
      if (next) break;
    }
    const end = next ? next.offset : bytes.length;
    frames.push({ offset: start.offset, size: end - start.offset, samples: start.samples });
    if (!next && crc16(bytes, start.offset, end - 2) !== ((bytes[end - 2] << 8) | bytes[end - 1])) {
      throw new Error('it is truncated or damaged: its last FLAC frame does not check');
    }
    start = next;
  }
  const decoded = frames.reduce((sum, frame) => sum + frame.samples, 0);
  if (info.totalSamples > 0 && decoded < info.totalSamples) {
    throw new Error(`it is truncated: its header promises ${(info.totalSamples / info.rate).toFixed(1)} s of audio but the file holds ${(decoded / info.rate).toFixed(1)} s`);
  }
  return { ...info, frames };
}

// STREAMINFO at `at` (its block header first): the stream's facts and the decoder's description.
function streamInfo(bytes, at) {
  const b = at + 4;
  const rate = (bytes[b + 10] << 12) | (bytes[b + 11] << 4) | (bytes[b + 12] >> 4);
  const channels = ((bytes[b + 12] >> 1) & 7) + 1;
  const bits = (((bytes[b + 12] & 1) << 4) | (bytes[b + 13] >> 4)) + 1;
  const totalSamples = (bytes[b + 13] & 0x0f) * 2 ** 32 + ((bytes[b + 14] << 24) >>> 0) + (bytes[b + 15] << 16) + (bytes[b + 16] << 8) + bytes[b + 17];
  const description = new Uint8Array(4 + 4 + 34);
  description.set(bytes.subarray(0, 4));
  description.set(bytes.subarray(at, at + 4 + 34), 4);
  description[4] = 0x80 | STREAMINFO;  // the only block handed over, so the last one
  description[5] = 0;
  description[6] = 0;
  description[7] = 34;
  return { rate, channels, bits, totalSamples, description };
}

// The frame header at `at` if it is one, carrying frame (or sample) number `expected`:
// {offset, samples, number, variable}; else null.
function frameAt(bytes, at, expected) {
  if (at + 6 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1] & 0xfe) !== 0xf8) return null;
  const variable = (bytes[at + 1] & 1) === 1;
  const sizeCode = bytes[at + 2] >> 4;
  const rateCode = bytes[at + 2] & 0x0f;
  if (sizeCode === 0 || rateCode === 15 || (bytes[at + 3] >> 4) > 10 || (bytes[at + 3] & 1) !== 0) return null;
  let p = at + 4;
  // The frame or sample number, coded like UTF-8 (up to 7 bytes, 36 bits).
  const lead = bytes[p];
  let extra = 0;
  while (extra < 7 && (lead & (0x80 >> extra))) extra++;
  if (extra === 1 || extra > 7) return null;
  const count = extra === 0 ? 0 : extra - 1;
  let number = extra === 0 ? lead : lead & (0xff >> (extra + 1));
  if (p + 1 + count > bytes.length) return null;
  for (let i = 1; i <= count; i++) {
    if ((bytes[p + i] & 0xc0) !== 0x80) return null;
    number = number * 64 + (bytes[p + i] & 0x3f);
  }
  p += 1 + count;
  let samples = BLOCK_SIZES[sizeCode];
  if (samples === -8) samples = bytes[p++] + 1;
  else if (samples === -16) samples = ((bytes[p++] << 8) | bytes[p++]) + 1;
  if (rateCode === 12) p += 1;
  else if (rateCode === 13 || rateCode === 14) p += 2;
  if (p >= bytes.length || crc8(bytes, at, p) !== bytes[p]) return null;
  if (number !== expected) return null;
  return { offset: at, samples, number, variable };
}

function crc8(bytes, from, to) {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc ^= bytes[i];
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    table[n] = crc;
  }
  return table;
})();

function crc16(bytes, from, to) {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[(crc >> 8) ^ bytes[i]];
  return crc;
}
