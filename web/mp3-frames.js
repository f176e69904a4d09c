// The frames of an MP3 file (MPEG-1, -2 and -2.5 layer III), found without decoding, for the
// chunked decoder (docs/design/import.md): WebCodecs' AudioDecoder takes one frame per chunk.
// The first frame may be a Xing/Info frame, which holds no audio but the LAME tag: the
// encoder's delay and padding, which a gapless decoder trims.

const BITRATES_KBPS = {
  1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 2.5: [11025, 12000, 8000] };
/** Limit: bytes skipped looking for the next frame after a damaged one. */
const MAX_RESYNC_BYTES = 64 * 1024;

/**
 * The frame header at byte `at` of `bytes` (a Uint8Array), or null when there is none:
 * {rate, channels, size (bytes, header included), samples, protected, sideInfo}.
 */
export function mp3FrameHeader(bytes, at) {
  if (at + 4 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1] & 0xe0) !== 0xe0) return null;
  const versionBits = (bytes[at + 1] >> 3) & 3;
  const layer = (bytes[at + 1] >> 1) & 3;
  const bitrateIndex = bytes[at + 2] >> 4;
  const rateIndex = (bytes[at + 2] >> 2) & 3;
  // Layer III only; no reserved version or rate, no free-format or bad bitrate.
  if (versionBits === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const rate = RATES[version][rateIndex];
  const samples = version === 1 ? 1152 : 576;
  const bitrate = BITRATES_KBPS[version === 1 ? 1 : 2][bitrateIndex] * 1000;
  const padding = (bytes[at + 2] >> 1) & 1;
  const channels = (bytes[at + 3] >> 6) === 3 ? 1 : 2;
  return {
    rate,
    channels,
    size: Math.floor((samples / 8) * bitrate / rate) + padding,
    samples,
    protected: (bytes[at + 1] & 1) === 0,
    sideInfo: version === 1 ? (channels === 1 ? 17 : 32) : (channels === 1 ? 9 : 17),
  };
}

/**
 * Finds the audio frames of an MP3: {rate, channels, samplesPerFrame, frames: [{offset, size}],
 * delay, padding, damagedBytes}, where `delay` and `padding` are the LAME tag's (0 without one)
 * and `damagedBytes` counts bytes skipped between frames. Throws with a message when there is
 * no MP3 audio, or when the last frame is cut short (the file is truncated).
 */
export function mp3Frames(buffer) {
  const bytes = new Uint8Array(buffer);
  let at = id3v2Size(bytes);
  const first = findFrame(bytes, at, bytes.length);
  if (first === null) throw new Error('it has no MP3 audio frames');
  at = first;
  const head = mp3FrameHeader(bytes, at);
  const result = {
    rate: head.rate, channels: head.channels, samplesPerFrame: head.samples, frames: [], delay: 0, padding: 0, damagedBytes: first - id3v2Size(bytes),
  };
  const info = infoTag(bytes, at, head);
  if (info) {
    result.delay = info.delay;
    result.padding = info.padding;
    at += head.size;  // metadata, not audio
  }
  while (at < bytes.length) {
    const header = mp3FrameHeader(bytes, at);
    if (header && header.rate === result.rate) {
      if (at + header.size > bytes.length) throw new Error('it is truncated: its last MP3 frame is cut short');
      result.frames.push({ offset: at, size: header.size });
      at += header.size;
      continue;
    }
    if (isTrailingTag(bytes, at)) break;
    const next = findFrame(bytes, at + 1, Math.min(bytes.length, at + 1 + MAX_RESYNC_BYTES));
    if (next === null) {
      if (bytes.length - at <= 4) break;  // a few stray bytes at the end
      throw new Error('it is damaged: no MP3 frame follows the one at byte ' + at);
    }
    result.damagedBytes += next - at;
    at = next;
  }
  if (result.frames.length === 0) throw new Error('it has no MP3 audio frames');
  return result;
}

// The size of an ID3v2 tag at the start (its size is "syncsafe": 7 bits a byte), or 0.
function id3v2Size(bytes) {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  const size = (bytes[6] << 21) | (bytes[7] << 14) | (bytes[8] << 7) | bytes[9];
  const footer = bytes[5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

// The first offset in [from, to) where a frame starts and, unless it is the last, the next one
// follows where its header says: a lone 0xFFE sync in audio data is not trusted.
function findFrame(bytes, from, to) {
  for (let at = from; at < to; at++) {
    const header = mp3FrameHeader(bytes, at);
    if (!header) continue;
    const next = at + header.size;
    if (next >= bytes.length || isTrailingTag(bytes, next)) return at;
    const following = mp3FrameHeader(bytes, next);
    if (following && following.rate === header.rate) return at;
  }
  return null;
}

// An ID3v1 ("TAG"), APEv2 ("APETAGEX") or Lyrics3 tag after the audio.
function isTrailingTag(bytes, at) {
  const text = (length) => String.fromCharCode(...bytes.subarray(at, at + length));
  return text(3) === 'TAG' || text(8) === 'APETAGEX' || text(6) === 'LYRICS';
}

// A Xing or Info frame's LAME tag: {delay, padding} in samples, or null when the frame is audio.
function infoTag(bytes, at, header) {
  const tag = at + 4 + (header.protected ? 2 : 0) + header.sideInfo;
  const id = String.fromCharCode(...bytes.subarray(tag, tag + 4));
  if (id !== 'Xing' && id !== 'Info') return null;
  const flags = bytes[tag + 7];
  const lame = tag + 8 + (flags & 1 ? 4 : 0) + (flags & 2 ? 4 : 0) + (flags & 4 ? 100 : 0) + (flags & 8 ? 4 : 0);
  if (lame + 24 > at + header.size) return { delay: 0, padding: 0 };
  const delay = (bytes[lame + 21] << 4) | (bytes[lame + 22] >> 4);
  const padding = ((bytes[lame + 22] & 0x0f) << 8) | bytes[lame + 23];
  return { delay, padding };
}
