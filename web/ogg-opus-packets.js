// The packets of an Ogg Opus file (RFC 7845), found without decoding, for the chunked decoder
// (docs/design/import.md): WebCodecs' AudioDecoder takes one Opus packet per chunk, and as its
// description the OpusHead packet. Every page's CRC must hold and its sequence number follow the
// one before; the stream must be one logical stream that ends with its end-of-stream page. The
// last page's granule position, less the pre-skip, is the length a player plays (RFC 7845 4.4).

const OPUS_RATE = 48000;
/** Limit: a packet longer than this is no Opus packet (RFC 6716 allows 120 ms at 510 kb/s, about 7.7 kB). */
const MAX_PACKET_BYTES = 65536;

/**
 * Finds the packets of an Ogg Opus file: {rate, channels, preSkip, outputGain, mappingFamily,
 * totalSamples (after the pre-skip), description, frames: [{offset, size, samples} or {data, samples}]}
 * (a packet that spans pages is copied into `data`). Throws with a message when it is not Ogg
 * Opus, holds more than one stream, or is truncated or damaged.
 */
export function oggOpusPackets(buffer) {
  const bytes = new Uint8Array(buffer);
  const packets = [];  // [{offset, size} or {data}], in order, each with the granule of its page
  let serial = null;
  let sequence = -1;
  let ended = false;
  let lastGranule = -1;
  let partial = null;  // the parts of a packet continued on the next page
  let at = 0;
  while (at < bytes.length) {
    if (ended) throw new Error('it has data after its Ogg end-of-stream page');
    const page = pageAt(bytes, at);
    if (serial === null) serial = page.serial;
    else if (page.serial !== serial) throw new Error('it holds more than one Ogg stream');
    if (page.sequence !== sequence + 1) throw new Error('it is damaged: an Ogg page is missing');
    sequence = page.sequence;
    if (((page.flags & 1) !== 0) !== (partial !== null)) throw new Error('it is damaged: an Ogg packet is broken across pages');
    let offset = page.body;
    for (let i = 0; i < page.lacing.length;) {
      let size = 0;
      let last;
      do {
        last = page.lacing[i++];
        size += last;
      } while (last === 255 && i < page.lacing.length);
      if (partial) partial.push(bytes.subarray(offset, offset + size));
      const complete = last < 255;
      if (complete) {
        if (partial) {
          packets.push({ data: join(partial) });
          partial = null;
        } else {
          packets.push({ offset, size });
        }
      } else if (!partial) {
        partial = [bytes.subarray(offset, offset + size)];
      }
      if (partial && partial.reduce((sum, part) => sum + part.length, 0) > MAX_PACKET_BYTES) throw new Error('it is damaged: an Ogg packet is too long');
      offset += size;
    }
    if (page.granule >= 0) lastGranule = page.granule;
    ended = (page.flags & 4) !== 0;
    at = page.end;
  }
  if (!ended || partial) throw new Error('it is truncated: its last Ogg page is missing');
  if (packets.length < 2) throw new Error('it has no Opus headers');
  const head = packetBytes(bytes, packets[0]);
  if (head.length < 19 || String.fromCharCode(...head.subarray(0, 8)) !== 'OpusHead') throw new Error('it is not an Ogg Opus file');
  if ((head[8] >> 4) !== 0) throw new Error(`its Opus version ${head[8]} is not one this decoder knows`);
  const channels = head[9];
  const preSkip = head[10] | (head[11] << 8);
  const outputGain = (head[16] | (head[17] << 8)) << 16 >> 16;  // Q7.8 dB, signed
  const mappingFamily = head[18];
  const tags = packetBytes(bytes, packets[1]);
  if (String.fromCharCode(...tags.subarray(0, 8)) !== 'OpusTags') throw new Error('its Opus comment header is missing');
  const frames = packets.slice(2).map((packet) => ({ ...packet, samples: packetSamples(packetBytes(bytes, packet)) }));
  const coded = frames.reduce((sum, frame) => sum + frame.samples, 0);
  const totalSamples = Math.min(coded, lastGranule) - preSkip;
  if (channels < 1 || totalSamples <= 0) throw new Error('it has no Opus audio');
  return { rate: OPUS_RATE, channels, preSkip, outputGain, mappingFamily, totalSamples, description: head.slice(), frames };
}

// The page at `at`: {flags, granule (-1 where no packet ends on it), serial, sequence, lacing, body, end}.
function pageAt(bytes, at) {
  if (at + 27 > bytes.length) throw new Error('it is truncated inside an Ogg page');
  if (bytes[at] !== 0x4f || bytes[at + 1] !== 0x67 || bytes[at + 2] !== 0x67 || bytes[at + 3] !== 0x53) {
    throw new Error(at === 0 ? 'it is not an Ogg file' : 'it is damaged: an Ogg page does not start where the last one ended');
  }
  if (bytes[at + 4] !== 0) throw new Error('its Ogg version is not one this decoder knows');
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 27);
  const low = view.getUint32(6, true);
  const high = view.getInt32(10, true);
  const granule = high === -1 && low === 0xffffffff ? -1 : high * 2 ** 32 + low;
  const count = bytes[at + 26];
  if (at + 27 + count > bytes.length) throw new Error('it is truncated inside an Ogg page');
  const lacing = bytes.subarray(at + 27, at + 27 + count);
  const body = at + 27 + count;
  const end = body + lacing.reduce((sum, value) => sum + value, 0);
  if (end > bytes.length) throw new Error('it is truncated inside an Ogg page');
  const stored = view.getUint32(22, true);
  if (oggPageCrc(bytes, at, end) !== stored) throw new Error('it is damaged: an Ogg page does not check');
  return { flags: bytes[at + 5], granule, serial: view.getUint32(14, true), sequence: view.getUint32(18, true), lacing, body, end };
}

function packetBytes(bytes, packet) {
  return packet.data ?? bytes.subarray(packet.offset, packet.offset + packet.size);
}

function join(parts) {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}

// The samples at 48 kHz that an Opus packet decodes to, from its TOC byte (RFC 6716 3.1).
function packetSamples(packet) {
  if (packet.length < 1) throw new Error('it is damaged: an Opus packet is empty');
  const config = packet[0] >> 3;
  const tenths = config < 12 ? [100, 200, 400, 600][config & 3]
    : config < 16 ? [100, 200][config & 1]
      : [25, 50, 100, 200][config & 3];  // frame length in tenths of a millisecond
  const code = packet[0] & 3;
  let count = code === 0 ? 1 : code < 3 ? 2 : 0;
  if (code === 3) {
    if (packet.length < 2) throw new Error('it is damaged: an Opus packet is cut short');
    count = packet[1] & 0x3f;
  }
  // RFC 6716 3.2.5: at least one frame, and at most 120 ms of them.
  if (count === 0 || count * tenths > 1200) throw new Error('it is damaged: an Opus packet holds no frames or more than 120 ms');
  return (count * tenths * OPUS_RATE) / 10000;
}

// Ogg's CRC-32 (polynomial 0x04c11db7, not reflected, no final xor) over the page, its CRC field as zeros.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = (r & 0x80000000) ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** The CRC an Ogg page spanning bytes [from, to) should carry (its own CRC field read as zeros). */
export function oggPageCrc(bytes, from, to) {
  let crc = 0;
  for (let i = from; i < to; i++) {
    const byte = i - from >= 22 && i - from < 26 ? 0 : bytes[i];
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  }
  return crc;
}
