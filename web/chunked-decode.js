// Songs chunk by chunk into the engine: a PCM WAV read by the page (wav-pcm.js), and MP3, FLAC,
// Ogg Opus and AAC in MP4/M4A decoded with WebCodecs' AudioDecoder frame by frame as the page
// finds them (mp3-frames.js, flac-frames.js, ogg-opus-packets.js, mp4-aac-samples.js). No
// whole-song float copy is made; the samples go on into the engine as they come. It is taken
// only where it gives what decodeAudioData would: the browser has AudioDecoder and the codec,
// the file is mono or stereo, and its frames were all found. The file's own rate, if it is not
// the output's, is converted by the engine as it is stored (dsp::RateConverter), where the
// ratio of the rates allows (MAX_CONVERSION_PHASES). Anything else returns null and goes to
// decodeAudioData, so every message about a bad file stays the one it was. See
// docs/design/import.md.

import { flacFrames } from './flac-frames.js';
import { mp3Frames } from './mp3-frames.js';
import { mp4AacSamples } from './mp4-aac-samples.js';
import { oggOpusPackets } from './ogg-opus-packets.js';
import { pcmWav } from './wav-pcm.js';

/** The MP3 decoder's own delay, in samples, which gapless players trim with the encoder's. */
const MP3_DECODER_DELAY = 529;
/** Frames of a PCM WAV read at a time: about 0.4 s at 44.1 kHz, between two yields to the page. */
const PCM_CHUNK_FRAMES = 16384;
/** Limit: frames handed to the decoder and not yet decoded. */
const MAX_QUEUED_FRAMES = 32;
/**
 * The storage scale's range for a lossy file, whose decoded peaks are unknown until it is all
 * decoded: 6 dB of headroom for a decoder's overs (a lossless file never exceeds full scale).
 */
const LOSSY_HEADROOM = 2;

/**
 * Limit, as the engine's dsp::RateConverter::kMaxPhases: a file at another rate than the
 * output's is converted by the engine as it is stored when the ratio of the two rates, in
 * lowest terms, has at most this many output phases (44.1 to 48 kHz has 160); any other goes to
 * decodeAudioData.
 */
export const MAX_CONVERSION_PHASES = 4096;

function convertible(from, to) {
  if (from === to) return true;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < 1 || from > 768000 || to > 768000) return false;
  let [a, b] = [from, to];
  while (b) [a, b] = [b, a % b];
  return to / a <= MAX_CONVERSION_PHASES;
}

/**
 * A plan for decoding `bytes` chunk by chunk, or null when this file takes decodeAudioData:
 * {codec, channels, frames (after trimming), sampleRate, peaks: {lowest, highest}, decode(write, isCancelled, between)}
 * (`between`, optional: awaited before each chunk is fed, a test's seam to hold or fail a decode).
 * `kind` is what the file's first bytes look like ('MP3 or AAC', 'FLAC', ...).
 */
export function chunkedDecoding(bytes, kind, outputRate) {
  if (kind === 'WAV') {
    const plan = wavPlan(pcmWav(bytes));
    if (!plan || !convertible(plan.sampleRate, outputRate)) return null;
    return { ...plan, decode: (write, isCancelled, between = null) => readAll(plan, write, isCancelled, between) };
  }
  if (typeof AudioDecoder === 'undefined' || typeof EncodedAudioChunk === 'undefined') return null;
  let plan = null;
  try {
    if (kind === 'FLAC') plan = flacPlan(flacFrames(bytes));
    else if (kind === 'MP3 or AAC') plan = mp3Plan(mp3Frames(bytes));
    else if (kind === 'Ogg') plan = opusPlan(oggOpusPackets(bytes));
    else if (kind === 'MP4/M4A') plan = aacPlan(mp4AacSamples(bytes));
  } catch {
    return null;  // not what it looked like, truncated or damaged: decodeAudioData says why
  }
  if (!plan || !convertible(plan.sampleRate, outputRate) || plan.channels > 2 || plan.frames <= 0) return null;
  return { ...plan, decode: (write, isCancelled, between = null) => decodeAll(bytes, plan, write, isCancelled, between) };
}

/** Whether this browser's AudioDecoder takes the plan's codec (asked once per configuration). */
export async function decoderSupports(plan) {
  if (plan.codec === 'pcm') return true;  // read by the page
  try {
    return (await AudioDecoder.isConfigSupported(plan.config)).supported === true;
  } catch {
    return false;
  }
}

// A PCM WAV (wav-pcm.js) needs no decoder: its samples are read chunk by chunk. Integers never
// exceed full scale; floats may, so their peaks are found first (one pass over the samples).
function wavPlan(pcm) {
  if (!pcm) return null;
  let peaks = { lowest: -1, highest: 1 };
  if (pcm.float) {
    peaks = { lowest: 0, highest: 0 };
    const block = new Float32Array(PCM_CHUNK_FRAMES);
    for (let channel = 0; channel < pcm.channels; channel++) {
      for (let offset = 0; offset < pcm.frames; offset += block.length) {
        const count = Math.min(block.length, pcm.frames - offset);
        pcm.fill(channel, offset, count, block);
        for (let i = 0; i < count; i++) {
          if (block[i] < peaks.lowest) peaks.lowest = block[i];
          else if (block[i] > peaks.highest) peaks.highest = block[i];
        }
      }
    }
  }
  return { codec: 'pcm', channels: pcm.channels, sampleRate: pcm.sampleRate, frames: pcm.frames, peaks, config: null, source: pcm };
}

function flacPlan(flac) {
  return {
    codec: 'flac',
    channels: flac.channels,
    sampleRate: flac.rate,
    frames: flac.frames.reduce((sum, f) => sum + f.samples, 0),
    chunks: flac.frames,
    skip: 0,
    peaks: { lowest: -1, highest: 1 },
    config: { codec: 'flac', sampleRate: flac.rate, numberOfChannels: flac.channels, description: flac.description },
  };
}

function mp3Plan(mp3) {
  const coded = mp3.frames.length * mp3.samplesPerFrame;
  const skip = mp3.delay > 0 ? mp3.delay + MP3_DECODER_DELAY : 0;
  return {
    codec: 'mp3',
    channels: mp3.channels,
    sampleRate: mp3.rate,
    frames: mp3.delay > 0 ? coded - mp3.delay - mp3.padding : coded,
    chunks: mp3.frames.map((frame) => ({ ...frame, samples: mp3.samplesPerFrame })),
    skip,
    peaks: { lowest: -LOSSY_HEADROOM, highest: LOSSY_HEADROOM },
    config: { codec: 'mp3', sampleRate: mp3.rate, numberOfChannels: mp3.channels },
  };
}

function opusPlan(opus) {
  // Mapping family 0 is mono or stereo, 1 up to 8 channels in Vorbis order; an output gain other
  // than 0 dB is applied by some decoders and not others: both go to decodeAudioData.
  if (opus.mappingFamily > 1 || opus.outputGain !== 0) return null;
  return {
    codec: 'opus',
    channels: opus.channels,
    sampleRate: opus.rate,
    frames: opus.totalSamples,
    chunks: opus.frames,
    // Chromium's Opus decoder drops the pre-skip itself, read from the OpusHead it is given (the
    // parity test in tests/browser/import.test.mjs measures the start against decodeAudioData's).
    skip: 0,
    peaks: { lowest: -LOSSY_HEADROOM, highest: LOSSY_HEADROOM },
    config: { codec: 'opus', sampleRate: opus.rate, numberOfChannels: opus.channels, description: opus.description },
  };
}

function aacPlan(aac) {
  return {
    codec: 'aac',
    channels: aac.channels,
    sampleRate: aac.rate,
    frames: aac.totalSamples,
    chunks: aac.frames,
    skip: aac.skip,
    peaks: { lowest: -LOSSY_HEADROOM, highest: LOSSY_HEADROOM },
    config: { codec: aac.codec, sampleRate: aac.rate, numberOfChannels: aac.channels, description: aac.description },
  };
}

// Reads a PCM WAV's samples chunk by chunk and hands them to write(channelSamples[], frameOffset,
// count), as decodeAll does with what a decoder gives; yields to the page after each chunk.
async function readAll(plan, write, isCancelled, between) {
  const planes = Array.from({ length: plan.channels }, () => new Float32Array(PCM_CHUNK_FRAMES));
  for (let offset = 0; offset < plan.frames; offset += PCM_CHUNK_FRAMES) {
    if (isCancelled()) throw new Error('cancelled');
    if (between) await between();
    const count = Math.min(PCM_CHUNK_FRAMES, plan.frames - offset);
    planes.forEach((plane, channel) => plan.source.fill(channel, offset, count, plane));
    write(planes.map((plane) => plane.subarray(0, count)), offset, count);
    await yieldToPage();
  }
}

// A task of its own behind whatever else is queued (the hash's result, the library's reads):
// not scheduler.yield(), whose continuation goes ahead of them, nor setTimeout, which is held
// to 4 ms once nested.
const yieldChannel = typeof MessageChannel === 'undefined' ? null : new MessageChannel();
const yielded = [];
if (yieldChannel) yieldChannel.port1.onmessage = () => yielded.shift()?.();

function yieldToPage() {
  if (!yieldChannel) return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    yielded.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

// Feeds every frame to an AudioDecoder and hands what it decodes to
// write(channelSamples[], frameOffset, count), dropping the first `skip` samples and anything
// past `frames`. Resolves when all is written; rejects on a decoder error or a cancel.
async function decodeAll(bytes, plan, write, isCancelled, between) {
  const source = new Uint8Array(bytes);
  let failure = null;
  let decoded = 0;  // samples out of the decoder so far, before trimming
  let written = 0;  // frames handed to write()
  let wake = null;
  const planes = Array.from({ length: plan.channels }, () => new Float32Array(0));
  const decoder = new AudioDecoder({
    output: (data) => {
      try {
        // A stream that decodes to another rate than its header's (AAC's implicit SBR) is not
        // what the plan said: it fails here, before the song plays, and goes to decodeAudioData.
        if (data.sampleRate !== plan.sampleRate) throw new Error(`the decoder gave ${data.sampleRate} Hz, not ${plan.sampleRate}`);
        const count = data.numberOfFrames;
        for (let c = 0; c < plan.channels; c++) {
          if (planes[c].length < count) planes[c] = new Float32Array(count);
          data.copyTo(planes[c], { planeIndex: Math.min(c, data.numberOfChannels - 1), format: 'f32-planar' });
        }
        const from = Math.max(0, plan.skip - decoded);
        decoded += count;
        const take = Math.min(count - from, plan.frames - written);
        if (take > 0) {
          write(planes.map((plane) => plane.subarray(from, from + take)), written, take);
          written += take;
        }
      } catch (error) {
        failure ??= error;
      } finally {
        data.close();
        wake?.();
      }
    },
    error: (error) => {
      failure ??= error;
      wake?.();
    },
  });
  const waitForOutput = () => new Promise((resolve) => { wake = resolve; });
  try {
    decoder.configure(plan.config);
    const microsPerSample = 1e6 / plan.sampleRate;
    let timestamp = 0;
    for (const chunk of plan.chunks) {
      if (failure) throw failure;
      if (isCancelled()) throw new Error('cancelled');
      if (between) await between();
      decoder.decode(new EncodedAudioChunk({
        type: 'key', timestamp: Math.round(timestamp * microsPerSample), data: chunk.data ?? source.subarray(chunk.offset, chunk.offset + chunk.size),
      }));
      timestamp += chunk.samples;
      while (decoder.decodeQueueSize > MAX_QUEUED_FRAMES && !failure) await waitForOutput();
    }
    await decoder.flush();
    if (failure) throw failure;
    if (written < plan.frames) throw new Error(`the decoder gave ${written} of ${plan.frames} frames`);
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
}
