// Offline drivers for the npm time-stretch peers (devDependencies only; nothing under web/
// imports them: rubberband-wasm is GPL). Recipes from shared/TOOLCHAIN.md. Each
// `stretch(audio, rate, tempo, semitones)` takes planar stereo Float32Arrays and returns exactly
// round(frames / tempo) frames per channel, with the method's own latency already removed, and
// the seconds spent in the library (single thread).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);

const outputFrames = (audio, tempo) => Math.round(audio[0].length / tempo);

/** signalsmith-stretch 1.3.2: the Emscripten module inside the AudioWorklet wrapper, driven
 * through its C exports. The wrapper's first statement builds the module factory; the rest needs
 * an AudioContext, so only that part is evaluated. */
export async function signalsmith() {
  const source = readFileSync(path.join(path.dirname(require.resolve('signalsmith-stretch')), 'SignalsmithStretch.mjs'), 'utf8');
  const cut = source.indexOf('function registerWorkletProcessor');
  // eslint-disable-next-line no-new-func
  const factory = new Function(`${source.slice(0, cut)}\nreturn SignalsmithStretch;`)();
  const module = await factory();
  return {
    name: 'signalsmith',
    stretch(audio, rate, tempo, semitones) {
      const channels = audio.length;
      const frames = audio[0].length;
      const started = performance.now();
      module._presetDefault(channels, rate);
      const inputLatency = module._inputLatency();
      const outputLatency = module._outputLatency();
      const capacity = inputLatency + outputLatency;
      const pointer = module._setBuffers(channels, capacity);
      const heap = () => new Float32Array(module.HEAP8.buffer);
      const inAt = (c) => (pointer >> 2) + capacity * c;
      const outAt = (c) => (pointer >> 2) + capacity * (c + channels);
      module._setTransposeSemitones(semitones, 8000 / rate);
      // Seek over the first inputLatency() frames, so output frame 0 is input frame 0.
      let h = heap();
      for (let c = 0; c < channels; c++) h.set(audio[c].subarray(0, inputLatency), inAt(c));
      module._seek(inputLatency, tempo);
      const total = outputFrames(audio, tempo);
      const out = audio.map(() => new Float32Array(total + outputLatency));
      // The rest of the input and inputLatency() zeros, then outputLatency() flushed.
      const streamEnd = frames;  // (frames - inputLatency) + inputLatency frames
      let consumed = 0;
      let written = 0;
      const block = 256;
      while (written < total) {
        const n = Math.min(block, total - written);
        const need = Math.min(streamEnd, Math.round((written + n) * tempo)) - consumed;
        h = heap();
        for (let c = 0; c < channels; c++) {
          const from = inputLatency + consumed;
          const part = audio[c].subarray(Math.min(frames, from), Math.min(frames, from + need));
          h.fill(0, inAt(c), inAt(c) + need);
          h.set(part, inAt(c));
        }
        module._process(need, n);
        h = heap();
        for (let c = 0; c < channels; c++) out[c].set(h.subarray(outAt(c), outAt(c) + n), written);
        consumed += need;
        written += n;
      }
      for (let done = 0; done < outputLatency;) {
        const n = Math.min(capacity, outputLatency - done);
        module._flush(n);
        h = heap();
        for (let c = 0; c < channels; c++) out[c].set(h.subarray(outAt(c), outAt(c) + n), written);
        written += n;
        done += n;
      }
      const seconds = (performance.now() - started) / 1000;
      return { audio: out.map((x) => x.slice(outputLatency, outputLatency + total)), seconds };
    },
  };
}

/** rubberband-wasm 3.3.0, offline with a study pass, one thread; `finer` picks R3 over R2. */
export async function rubberband(finer) {
  const { RubberBandInterface } = require('rubberband-wasm');
  const wasm = await WebAssembly.compile(readFileSync(require.resolve('rubberband-wasm/dist/rubberband.wasm')));
  const api = await RubberBandInterface.initialize(wasm);
  const OFFLINE = 0;
  const THREADING_NEVER = 65536;
  const ENGINE_FINER = 536870912;
  return {
    name: finer ? 'rubberband R3' : 'rubberband R2',
    stretch(audio, rate, tempo, semitones) {
      const channels = audio.length;
      const frames = audio[0].length;
      const total = outputFrames(audio, tempo);
      const started = performance.now();
      const state = api.rubberband_new(rate, channels, OFFLINE | THREADING_NEVER | (finer ? ENGINE_FINER : 0),
        1 / tempo, 2 ** (semitones / 12));
      api.rubberband_set_expected_input_duration(state, frames);
      const block = 4096;
      api.rubberband_set_max_process_size(state, block);
      const pointers = api.malloc(channels * 4);
      const buffers = [];
      for (let c = 0; c < channels; c++) {
        buffers.push(api.malloc(block * 4));
        api.memWritePtr(pointers + c * 4, buffers[c]);
      }
      const feed = (call) => {
        for (let read = 0; read < frames; read += block) {
          const n = Math.min(block, frames - read);
          for (let c = 0; c < channels; c++) api.memWrite(buffers[c], audio[c].subarray(read, read + n));
          call(n, read + n >= frames ? 1 : 0);
        }
      };
      feed((n, final) => api.rubberband_study(state, pointers, n, final));
      const out = audio.map(() => new Float32Array(total));
      let written = 0;
      const retrieve = () => {
        for (let available; (available = api.rubberband_available(state)) > 0;) {
          const got = api.rubberband_retrieve(state, pointers, Math.min(block, available));
          for (let c = 0; c < channels; c++) {
            const part = api.memReadF32(buffers[c], got);
            if (written < total) out[c].set(part.subarray(0, Math.min(got, total - written)), written);
          }
          written += got;
        }
      };
      feed((n, final) => {
        api.rubberband_process(state, pointers, n, final);
        retrieve();
      });
      retrieve();
      for (const b of buffers) api.free(b);
      api.free(pointers);
      api.rubberband_delete(state);
      return { audio: out, seconds: (performance.now() - started) / 1000 };
    },
  };
  return method;
}

/** soundtouchjs 0.3.0: pure JS WSOLA on interleaved stereo; no flush, so zeros are fed until
 * enough output is out. It reports no latency and its output runs early at slow tempos (by
 * about 120 ms at 0.5), so its offset per condition is found once on a probe: clicks at
 * irregular times, whose onset envelope is lined up with the expected one within +-400 ms. */
export async function soundtouch(alignmentLag) {
  const { SoundTouch } = await import('soundtouchjs');
  const lags = new Map();
  const method = {
    name: 'soundtouch',
    stretch(audio, rate, tempo, semitones) {
      const key = `${tempo},${semitones}`;
      if (!lags.has(key)) {
        lags.set(key, 0);
        const times = [0.31, 0.74, 1.62, 2.05, 3.13, 3.52];
        const probe = (scale, seconds) => {
          const x = new Float32Array(Math.round(seconds * rate));
          for (const t of times) for (let i = 0; i < 44; i++) x[Math.round((t / scale) * rate) + i] = 0.5 * Math.sin(i * 2.1) * Math.sin((Math.PI * i) / 44);
          return [x, x.slice()];
        };
        const out = method.stretch(probe(1, 4), rate, tempo, semitones).audio;
        lags.set(key, alignmentLag(out, probe(tempo, 4 / tempo), rate, 0.4));
      }
      const lag = lags.get(key);
      const frames = audio[0].length;
      const total = outputFrames(audio, tempo);
      const started = performance.now();
      const st = new SoundTouch();
      st.tempo = tempo;
      st.pitchSemitones = semitones;
      const block = 4096;
      const chunk = new Float32Array(block * 2);
      // Output frame i is its frame i + lag: skip lag frames (or write -lag frames of silence first).
      const out = [new Float32Array(total), new Float32Array(total)];
      let written = Math.max(0, -lag);
      let skip = Math.max(0, lag);
      const drain = () => {
        const n = st.outputBuffer.frameCount;
        if (n === 0) return;
        const got = new Float32Array(n * 2);
        st.outputBuffer.receiveSamples(got, n);
        for (let i = 0; i < n && written < total; i++) {
          if (skip > 0) {
            skip--;
            continue;
          }
          out[0][written] = got[2 * i];
          out[1][written] = got[2 * i + 1];
          written++;
        }
      };
      for (let read = 0; written < total; read += block) {
        chunk.fill(0);
        for (let i = 0; i < block && read + i < frames; i++) {
          chunk[2 * i] = audio[0][read + i];
          chunk[2 * i + 1] = audio[1][read + i];
        }
        st.inputBuffer.putSamples(chunk, 0, block);
        st.process();
        drain();
        if (read > 8 * frames + 10 * rate) throw new Error('soundtouch produced too little output');
      }
      return { audio: out, seconds: (performance.now() - started) / 1000 };
    },
  };
  return method;
}
