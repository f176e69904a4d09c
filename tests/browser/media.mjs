// Test audio made at test time with ffmpeg (Debian's): pink and brown noise, different on each
// channel, so a captured stretch can only match the source at one offset and one channel order.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { spliceGaps } from './capture-gaps.mjs';

export const mediaDir = mkdtempSync(path.join(tmpdir(), 'woodshed-media-'));

/** Encoder arguments and file extension per format. */
export const FORMATS = {
  wav16: { ext: 'wav', args: ['-c:a', 'pcm_s16le'] },
  wav24: { ext: 'wav', args: ['-c:a', 'pcm_s24le'] },
  wavFloat: { ext: 'wav', args: ['-c:a', 'pcm_f32le'] },
  flac: { ext: 'flac', args: ['-c:a', 'flac'] },
  flac16: { ext: 'flac', args: ['-c:a', 'flac', '-sample_fmt', 's16'] },
  mp3: { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '192k'] },
  vorbis: { ext: 'ogg', args: ['-c:a', 'libvorbis', '-q:a', '5'] },
  opus: { ext: 'opus', args: ['-c:a', 'libopus', '-b:a', '128k'] },
  aac: { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '192k'] },
};

/**
 * Writes `seconds` of noise in `format` at `rate` Hz with `channels` channels; returns the path.
 * `signal` may be 'noise' (default) or 'sine' (a 440 Hz tone, which compresses well).
 */
export function makeAudio({ format, rate, channels, seconds, signal = 'noise', name = null }) {
  const { ext, args } = FORMATS[format];
  const file = path.join(mediaDir, name ?? `${format}-${rate}-${channels}ch-${seconds}s.${ext}`);
  const source = (seed, colour) => (signal === 'sine'
    ? `sine=f=${440 + seed}:r=${rate}:d=${seconds}`
    : `anoisesrc=d=${seconds}:c=${colour}:r=${rate}:a=0.3:seed=${seed}`);
  // ffmpeg's sine has amplitude 1/8; 2.4 makes it 0.3 like the noise. After amerge, which
  // cannot choose formats when volume comes first.
  const level = signal === 'sine' ? ',volume=2.4' : '';
  const graph = channels === 1
    ? `${source(7, 'pink')}${level}[out]`
    : `${source(7, 'pink')}[l];${source(11, 'brown')}[r];[l][r]amerge=inputs=2${level}[out]`;
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-filter_complex', graph, '-map', '[out]',
    '-ar', String(rate), ...args, file]);
  return file;
}

/** The file's bytes as base64, to hand to the page (testAudio.fromBase64 turns it back). */
export function base64Of(file) {
  return readFileSync(file).toString('base64');
}

/**
 * Installs window.testAudio in the page: decoding a reference with the browser's own decoder
 * at the output's rate, and comparing captured output with it at a given source frame.
 */
export async function installPageHelpers(page) {
  await page.evaluate(() => {
    window.testAudio = {
      fromBase64(base64) {
        const text = atob(base64);
        const bytes = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
        return bytes;
      },
      /** The file decoded as the app decodes it (same decoder, same rate): the reference. */
      async decode(bytes, sampleRate) {
        const context = new OfflineAudioContext(1, 1, sampleRate);
        return context.decodeAudioData(bytes.slice().buffer);
      },
      /**
       * Correlation and level difference between captured[from...] and the reference channel
       * starting at `sourceFrame`, over `frames` frames.
       */
      compare(captured, reference, sourceFrame, from, frames) {
        let xy = 0;
        let xx = 0;
        let yy = 0;
        let maxDiff = 0;
        for (let i = 0; i < frames; i++) {
          const x = captured[from + i];
          const y = reference[sourceFrame + i];
          xy += x * y;
          xx += x * x;
          yy += y * y;
          maxDiff = Math.max(maxDiff, Math.abs(x - y));
        }
        return { correlation: xy / Math.sqrt(xx * yy), levelDb: 10 * Math.log10(xx / yy), maxDiff };
      },
      /**
       * captureOutput with the silence of any underrun cut out: what the engine rendered, in
       * order, so frame-exact comparisons hold across a gap (the ring resumes where it paused).
       * `sourceFrameAtStart` is then the first rendered frame's. Nothing is retried: the gaps
       * are counted in testAudio.gapsSeen and gapFramesCut, and the suites print them.
       */
      async captureWithoutGaps(seconds) {
        const captured = await window.woodshed.captureOutput(seconds);
        if (captured.underruns === 0) return captured;
        const spliced = window.testAudio.spliceGaps(captured);
        window.testAudio.gapsSeen += captured.underruns;
        window.testAudio.gapFramesCut += spliced.gapFrames;
        return spliced;
      },
      /** The gaps cut from captures so far, as a line for the log (empty when none). */
      gapReport() {
        const { gapsSeen, gapFramesCut } = window.testAudio;
        return gapsSeen === 0 ? '' : `underruns inside captures: ${gapsSeen} quanta, ${gapFramesCut} silent frames cut before comparing`;
      },
      gapsSeen: 0,
      gapFramesCut: 0,
    };
  });
  await page.evaluate(`window.testAudio.spliceGaps = ${spliceGaps.toString()};`);
}

/** Prints the page's gap report, if its captures had any underruns (call in a suite's after()). */
export async function reportGaps(page) {
  const gaps = await page?.evaluate(() => window.testAudio?.gapReport()).catch(() => '');
  if (gaps) console.log(`[ measure  ] ${gaps}`);
}

/** A 16-bit mono WAV of `samples` (floats in -1..1) at `rate`, as base64. */
export function wavBase64(samples, rate) {
  const data = Buffer.alloc(44 + samples.length * 2);
  data.write('RIFF', 0);
  data.writeUInt32LE(36 + samples.length * 2, 4);
  data.write('WAVEfmt ', 8);
  data.writeUInt32LE(16, 16);
  data.writeUInt16LE(1, 20);
  data.writeUInt16LE(1, 22);
  data.writeUInt32LE(rate, 24);
  data.writeUInt32LE(rate * 2, 28);
  data.writeUInt16LE(2, 32);
  data.writeUInt16LE(16, 34);
  data.write('data', 36);
  data.writeUInt32LE(samples.length * 2, 40);
  samples.forEach((s, i) => data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(s * 32767))), 44 + 2 * i));
  return data.toString('base64');
}

/**
 * A drum loop made here: kicks on the downbeats and snares between, at `bpm` from `offset`
 * seconds, over a quiet noise floor. Returns the samples (mono floats).
 */
export function drumLoop({ bpm, offset, seconds, rate = 44100, beatsPerBar = 4, seed = 7 }) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const samples = Float32Array.from({ length: Math.round(seconds * rate) }, () => 0.01 * random());
  const period = 60 / bpm;
  for (let k = 0, t = offset; t < seconds; k += 1, t = offset + k * period) {
    const start = Math.round(t * rate);
    const downbeat = k % beatsPerBar === 0;
    for (let i = 0; i < 0.15 * rate && start + i < samples.length; i++) {
      const time = i / rate;
      const kick = Math.sin(2 * Math.PI * (55 + 60 * Math.exp(-time * 30)) * time) * Math.exp(-time * 18);
      const snare = random() * 1.4 * Math.exp(-time * 35);
      samples[start + i] += downbeat ? 0.8 * kick : 0.5 * snare;
    }
  }
  return samples;
}
