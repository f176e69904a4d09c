// WAV files read by the page itself. The header is checked before anything is decoded (a
// truncated file, a header claiming 4 GB, no channels or a rate of 0 get their own messages),
// and a plain PCM WAV (16-, 24- or 32-bit integers, or 32-bit floats; mono or stereo) is turned
// into samples here, chunk by chunk, without the browser's decoder (web/chunked-decode.js feeds
// them to the engine, which converts another rate than the output's): no whole-song float copy
// is ever made. The samples are the ones decodeAudioData gives (an integer over 2^(bits-1), a
// float as it is). Other WAVs go to the browser's decoder.

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * The header of a WAV: {format: {tag, channels, rate, blockAlign, bits}, dataOffset, dataBytes},
 * or {problem} with a message when it is damaged or promises what the file does not hold; null
 * when the bytes are not a WAV.
 */
export function readWavHeader(buffer) {
  const view = new DataView(buffer);
  const text = (offset, length) => String.fromCharCode(...new Uint8Array(buffer, offset, length));
  if (buffer.byteLength < 12 || text(0, 4) !== 'RIFF' || text(8, 4) !== 'WAVE') return null;
  let format = null;
  for (let offset = 12; offset + 8 <= buffer.byteLength;) {
    const id = text(offset, 4);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      if (size < 16 || offset + 24 > buffer.byteLength) return { problem: 'its WAV header is damaged' };
      let tag = view.getUint16(offset + 8, true);
      // WAVE_FORMAT_EXTENSIBLE names the real format in the first two bytes of its sub-format GUID.
      if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40 && offset + 34 <= buffer.byteLength) tag = view.getUint16(offset + 32, true);
      format = {
        tag,
        channels: view.getUint16(offset + 10, true),
        rate: view.getUint32(offset + 12, true),
        blockAlign: view.getUint16(offset + 20, true),
        bits: view.getUint16(offset + 22, true),
      };
      if (format.channels === 0) return { problem: 'its WAV header says it has no audio channels' };
      if (format.rate === 0) return { problem: 'its WAV header gives a sample rate of 0' };
    } else if (id === 'data') {
      if (!format) return { problem: 'its WAV header is damaged (audio data before the format)' };
      const held = buffer.byteLength - (offset + 8);
      const streamed = size === 0 || size === 0xffffffff;  // written before the length was known
      if (!streamed && size > held) {
        const seconds = (bytes) => `${(bytes / Math.max(1, format.blockAlign) / format.rate).toFixed(1)} s`;
        return { problem: `it is truncated: its header promises ${seconds(size)} of audio but the file holds ${seconds(held)}` };
      }
      return { format, dataOffset: offset + 8, dataBytes: streamed ? held : size };
    }
    offset += 8 + size + (size & 1);
  }
  return { problem: 'its WAV header has no audio data' };
}

/**
 * A PCM WAV as a source of samples: {channels, frames, sampleRate, float (its samples may
 * exceed full scale), fill(channel, offset, count, out)}, or null when the page does not read
 * this file itself (not a WAV, a damaged one, another codec, more than two channels).
 */
export function pcmWav(buffer) {
  const header = readWavHeader(buffer);
  if (!header || header.problem) return null;
  const { format, dataOffset, dataBytes } = header;
  const { tag, channels, rate, blockAlign, bits } = format;
  const integer = tag === WAVE_FORMAT_PCM && (bits === 16 || bits === 24 || bits === 32);
  const float = tag === WAVE_FORMAT_IEEE_FLOAT && bits === 32;
  if (!(integer || float) || channels > 2 || blockAlign !== channels * (bits / 8)) return null;
  const frames = Math.floor(dataBytes / blockAlign);
  if (frames === 0) return null;
  const view = new DataView(buffer, dataOffset, frames * blockAlign);
  const step = bits / 8;
  const read = sampleReader(view, integer ? bits : 'float');
  return {
    channels,
    frames,
    sampleRate: rate,
    float,
    /** Writes `count` samples of `channel` from frame `offset` into `out` (a Float32Array). */
    fill(channel, offset, count, out) {
      let at = (offset * channels + channel) * step;
      for (let i = 0; i < count; i++, at += blockAlign) out[i] = read(at);
    },
  };
}

// A function reading the sample at a byte offset of `view` as decodeAudioData would give it.
function sampleReader(view, kind) {
  switch (kind) {
    case 16: return (at) => view.getInt16(at, true) / 32768;
    case 24: return (at) => ((view.getInt8(at + 2) << 16) | view.getUint16(at, true)) / 8388608;
    case 32: return (at) => view.getInt32(at, true) / 2147483648;
    default: return (at) => view.getFloat32(at, true);
  }
}
