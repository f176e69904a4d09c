// The AAC samples of an MP4/M4A file (ISO/IEC 14496-12 and -14), found without decoding, for
// the chunked decoder (docs/design/import.md): WebCodecs' AudioDecoder takes one AAC access unit
// per chunk, and as its description the AudioSpecificConfig from the track's esds box. The
// track's edit list says what a player plays: from its media time (the encoder's priming) for
// its segment's duration. Only the plain case is taken: one AAC-LC track, not fragmented, at
// most one edit; anything else throws, and decodeAudioData takes the file.

/** Limit: boxes nested deeper than this are not a file this reader takes. */
const MAX_DEPTH = 12;
/** Limit: samples in the one track (a 24-hour song at 48 kHz has about 4.2 million). */
const MAX_SAMPLES = 8_000_000;

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * Finds the AAC samples of an MP4 file: {rate, channels, codec ('mp4a.40.2'), skip (samples
 * to drop first), totalSamples (to play after them), description, frames: [{offset, size, samples}]}.
 * Throws with a message when it is not such a file, or is truncated or damaged.
 */
export function mp4AacSamples(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(4, 8)) !== 'ftyp') throw new Error('it is not an MP4 file');
  const top = boxes(view, 0, bytes.length, 0);
  if (top.some((box) => box.type === 'moof')) throw new Error('it is a fragmented MP4 file');
  const moov = top.find((box) => box.type === 'moov');
  if (!moov) throw new Error('it is truncated: its MP4 index (moov) is missing');
  const movie = children(view, moov);
  const mvhd = need(movie, 'mvhd');
  const movieScale = view.getUint32(mvhd.body + (view.getUint8(mvhd.body) === 1 ? 20 : 12));
  const tracks = movie.filter((box) => box.type === 'trak').map((trak) => children(view, trak))
    .filter((trak) => handlerOf(view, trak) === 'soun');
  if (tracks.length !== 1) throw new Error(tracks.length ? 'it has more than one audio track' : 'it has no audio track');
  const trak = tracks[0];
  const mdia = children(view, need(trak, 'mdia'));
  const mdhd = need(mdia, 'mdhd');
  const mediaScale = view.getUint32(mdhd.body + (view.getUint8(mdhd.body) === 1 ? 20 : 12));
  const stbl = children(view, need(children(view, need(mdia, 'minf')), 'stbl'));
  const entry = sampleEntry(view, need(stbl, 'stsd'));
  if (entry.rate !== mediaScale) throw new Error("its audio track's time scale is not its sample rate");
  const durations = timeToSample(view, need(stbl, 'stts'));
  const sizes = sampleSizes(view, need(stbl, 'stsz'));
  const offsets = sampleOffsets(view, stbl, sizes);
  if (durations.length !== sizes.length) throw new Error('it is damaged: its MP4 sample tables disagree');
  const frames = sizes.map((size, i) => {
    if (offsets[i] + size > bytes.length) throw new Error('it is truncated: its audio ends before its MP4 index says');
    return { offset: offsets[i], size, samples: durations[i] };
  });
  const coded = durations.reduce((sum, d) => sum + d, 0);
  let skip = 0;
  let totalSamples = coded;
  const edts = trak.find((box) => box.type === 'edts');
  const elst = edts && children(view, edts).find((box) => box.type === 'elst');
  if (elst) {
    const edit = singleEdit(view, elst);
    skip = edit.mediaTime;
    totalSamples = Math.min(coded - skip, Math.round((edit.duration * mediaScale) / movieScale));
  }
  if (totalSamples <= 0) throw new Error('it has no AAC audio');
  return { rate: entry.rate, channels: entry.channels, codec: entry.codec, skip, totalSamples, description: entry.description, frames };
}

// The boxes between `from` and `to`: [{type, start, body, end}].
function boxes(view, from, to, depth) {
  if (depth > MAX_DEPTH) throw new Error('its MP4 boxes are nested too deep');
  const found = [];
  for (let at = from; at < to;) {
    if (at + 8 > to) throw new Error('it is truncated inside an MP4 box');
    let size = view.getUint32(at);
    const type = String.fromCharCode(view.getUint8(at + 4), view.getUint8(at + 5), view.getUint8(at + 6), view.getUint8(at + 7));
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > to) throw new Error('it is truncated inside an MP4 box');
      size = view.getUint32(at + 8) * 2 ** 32 + view.getUint32(at + 12);
      body = at + 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < body - at || at + size > to) {
      // An mdat that runs past the end is a file cut short; any other box is damage too.
      throw new Error(`it is truncated or damaged: its MP4 box '${type}' runs past the end`);
    }
    found.push({ type, start: at, body, end: at + size, depth });
    at += size;
  }
  return found;
}

function children(view, box) {
  return boxes(view, box.body, box.end, box.depth + 1);
}

function need(list, type) {
  const box = list.find((b) => b.type === type);
  if (!box) throw new Error(`it is damaged: its MP4 '${type}' box is missing`);
  return box;
}

function handlerOf(view, trak) {
  const mdia = trak.find((box) => box.type === 'mdia');
  const hdlr = mdia && children(view, mdia).find((box) => box.type === 'hdlr');
  if (!hdlr || hdlr.body + 12 > hdlr.end) return null;
  const at = hdlr.body + 8;
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

// The one 'mp4a' sample entry, its esds box's AudioSpecificConfig: {rate, channels, codec, description}.
function sampleEntry(view, stsd) {
  if (view.getUint32(stsd.body + 4) !== 1) throw new Error('its audio track has more than one sample description');
  const [entry] = boxes(view, stsd.body + 8, stsd.end, stsd.depth + 1);
  if (entry.type !== 'mp4a') throw new Error(`its audio is '${entry.type}', not AAC`);
  const soundVersion = view.getUint16(entry.body + 8);
  const extra = soundVersion === 0 ? 0 : soundVersion === 1 ? 16 : -1;
  if (extra < 0) throw new Error('its MP4 sound description is a version this reader does not take');
  const esds = boxes(view, entry.body + 28 + extra, entry.end, entry.depth + 1).find((box) => box.type === 'esds');
  if (!esds) throw new Error('its AAC track has no decoder configuration (esds)');
  const config = decoderSpecificInfo(view, esds.body + 4, esds.end);
  const objectType = config[0] >> 3;
  if (objectType !== 2) throw new Error(`its AAC object type ${objectType} is not AAC-LC`);
  const rateIndex = ((config[0] & 7) << 1) | (config[1] >> 7);
  const channels = (config[1] >> 3) & 0x0f;
  const rate = AAC_RATES[rateIndex];
  if (!rate || channels < 1 || channels > 2) throw new Error('its AAC configuration is not plain mono or stereo');
  return { rate, channels, codec: 'mp4a.40.2', description: config };
}

// The DecoderSpecificInfo (tag 5) inside the ES_Descriptor (3) / DecoderConfigDescriptor (4).
function decoderSpecificInfo(view, from, to) {
  let at = from;
  const descriptor = (tag) => {
    if (at >= to || view.getUint8(at) !== tag) throw new Error('its AAC decoder configuration is damaged');
    at++;
    let length = 0;
    for (let i = 0; i < 4; i++) {
      if (at >= to) throw new Error('its AAC decoder configuration is damaged');
      const byte = view.getUint8(at++);
      length = (length << 7) | (byte & 0x7f);
      if (!(byte & 0x80)) break;
    }
    if (at + length > to) throw new Error('its AAC decoder configuration is damaged');
    return length;
  };
  descriptor(3);
  const flags = view.getUint8(at + 2);
  at += 3;
  if (flags & 0x80) at += 2;
  if (flags & 0x40) at += 1 + view.getUint8(at);
  if (flags & 0x20) at += 2;
  descriptor(4);
  at += 13;
  const length = descriptor(5);
  if (length < 2) throw new Error('its AAC decoder configuration is damaged');
  return new Uint8Array(view.buffer, view.byteOffset + at, length).slice();
}

function timeToSample(view, stts) {
  const count = view.getUint32(stts.body + 4);
  if (stts.body + 8 + count * 8 > stts.end) throw new Error('it is damaged: its MP4 sample times are cut short');
  const durations = [];
  for (let i = 0; i < count; i++) {
    const samples = view.getUint32(stts.body + 8 + i * 8);
    const delta = view.getUint32(stts.body + 12 + i * 8);
    if (durations.length + samples > MAX_SAMPLES) throw new Error('it has more MP4 samples than this reader takes');
    for (let s = 0; s < samples; s++) durations.push(delta);
  }
  return durations;
}

function sampleSizes(view, stsz) {
  const uniform = view.getUint32(stsz.body + 4);
  const count = view.getUint32(stsz.body + 8);
  if (count > MAX_SAMPLES) throw new Error('it has more MP4 samples than this reader takes');
  if (uniform) return new Array(count).fill(uniform);
  if (stsz.body + 12 + count * 4 > stsz.end) throw new Error('it is damaged: its MP4 sample sizes are cut short');
  return Array.from({ length: count }, (_, i) => view.getUint32(stsz.body + 12 + i * 4));
}

// Each sample's file offset, from the chunk offsets (stco or co64) and the sample-to-chunk runs (stsc).
function sampleOffsets(view, stbl, sizes) {
  const stco = stbl.find((box) => box.type === 'stco' || box.type === 'co64');
  if (!stco) throw new Error("it is damaged: its MP4 'stco' box is missing");
  const wide = stco.type === 'co64';
  const chunkCount = view.getUint32(stco.body + 4);
  if (stco.body + 8 + chunkCount * (wide ? 8 : 4) > stco.end) throw new Error('it is damaged: its MP4 chunk offsets are cut short');
  const chunkOffset = (i) => (wide
    ? view.getUint32(stco.body + 8 + i * 8) * 2 ** 32 + view.getUint32(stco.body + 12 + i * 8)
    : view.getUint32(stco.body + 8 + i * 4));
  const stsc = need(stbl, 'stsc');
  const runs = view.getUint32(stsc.body + 4);
  if (stsc.body + 8 + runs * 12 > stsc.end) throw new Error('it is damaged: its MP4 chunk table is cut short');
  const offsets = new Array(sizes.length);
  let sample = 0;
  for (let r = 0; r < runs; r++) {
    const first = view.getUint32(stsc.body + 8 + r * 12) - 1;
    const last = r + 1 < runs ? view.getUint32(stsc.body + 8 + (r + 1) * 12) - 1 : chunkCount;
    const perChunk = view.getUint32(stsc.body + 12 + r * 12);
    if (first < 0 || last > chunkCount || last < first) throw new Error('it is damaged: its MP4 chunk table is out of order');
    for (let chunk = first; chunk < last; chunk++) {
      let at = chunkOffset(chunk);
      for (let s = 0; s < perChunk; s++, sample++) {
        if (sample >= sizes.length) throw new Error('it is damaged: its MP4 sample tables disagree');
        offsets[sample] = at;
        at += sizes[sample];
      }
    }
  }
  if (sample !== sizes.length) throw new Error('it is damaged: its MP4 sample tables disagree');
  return offsets;
}

// The edit list's one edit: {mediaTime (in the track's time scale), duration (in the movie's)}.
function singleEdit(view, elst) {
  const version = view.getUint8(elst.body);
  const count = view.getUint32(elst.body + 4);
  const size = version === 1 ? 20 : 12;
  if (count !== 1 || elst.body + 8 + size > elst.end) throw new Error('its MP4 edit list is not one this reader takes');
  const at = elst.body + 8;
  const duration = version === 1 ? view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4) : view.getUint32(at);
  const mediaTime = version === 1 ? view.getInt32(at + 8) * 2 ** 32 + view.getUint32(at + 12) : view.getInt32(at + 4);
  if (mediaTime < 0) throw new Error('its MP4 edit list starts with silence');
  return { mediaTime, duration };
}
