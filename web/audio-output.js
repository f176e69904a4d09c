// The audio output: one AudioContext with one AudioWorkletNode that plays the engine's ring
// from wasm shared memory (audio/woodshed-processor.js).
//
// - The context is created on start() (the app calls it from the first user gesture).
// - The state is reported as "running" only after resume() resolved and the context says so.
// - Two start() calls at once share one attempt; they cannot race.
// - A closed context (the browser may close it) is released completely: node disconnected,
//   port closed, handlers removed; the next start() builds a new one. `counts` proves it.

import { callEntry } from './engine-bridge.js';

const STATES = { off: 0, starting: 1, running: 2, suspended: 3, closed: 4, failed: 5 };
const CAPTURE_ARMED = 1;
const CAPTURE_DONE = 2;
const CAPTURE_HEADER_BYTES = 32;
const MAX_CAPTURE_SECONDS = 30;

export class AudioOutput {
  #module;
  #context = null;
  #node = null;
  #starting = null;
  #creating = null;
  #capturing = false;
  #lastRate = null;
  #requestedRate = null;
  state = 'off';
  message = '';
  /**
   * Called as (oldRate, newRate) when a new context runs at another sample rate than the last
   * one (a device change, a closed context rebuilt): songs decoded at the old rate must be
   * decoded again (Session.rateChanged).
   */
  onRateChange = null;
  counts = { contextsCreated: 0, contextsReleased: 0, nodesCreated: 0, nodesReleased: 0 };

  constructor(module) {
    this.#module = module;
  }

  /** The running context's sample rate, or null. */
  get sampleRate() { return this.#context ? this.#context.sampleRate : null; }

  /** The AudioContext's own latency (processing plus output), in ms. */
  get contextLatencyMs() {
    const context = this.#context;
    if (!context) return 0;
    return 1000 * ((context.baseLatency || 0) + (context.outputLatency || 0));
  }

  start() {
    if (!this.#starting) {
      this.#starting = this.#start().finally(() => { this.#starting = null; });
    }
    return this.#starting;
  }

  async stop() {
    if (this.#starting) await this.#starting.catch(() => {});
    const context = this.#context;
    if (!context || context.state === 'closed') return;
    await context.suspend();
    if (context === this.#context) this.#setState('suspended');
  }

  /**
   * The AudioContext, created (with its worklet, not yet running) if there is none. Decoding
   * uses it so files are resampled to the rate the engine plays at.
   */
  async ensureContext() {
    if (!this.#context) {
      this.#creating ??= this.#create().finally(() => { this.#creating = null; });
      await this.#creating;
    }
    return this.#context;
  }

  async #start() {
    this.#setState('starting');
    try {
      const context = await this.ensureContext();
      await context.resume();
      if (context.state !== 'running') {
        throw new Error(`the audio device did not start (the AudioContext is ${context.state})`);
      }
      this.#setState('running');
    } catch (error) {
      this.#setState('failed', error.message);
      throw error;
    }
  }

  async #create() {
    const context = new AudioContext({
      latencyHint: 'interactive',
      ...(this.#requestedRate ? { sampleRate: this.#requestedRate } : {}),
    });
    this.counts.contextsCreated += 1;
    try {
      callEntry(this.#module, 'ws_audio_prepare', ['number'], [context.sampleRate]);
      const layout = this.#readLayout();
      await context.audioWorklet.addModule(new URL('./audio/woodshed-processor.js', import.meta.url));
      const node = new AudioWorkletNode(context, 'woodshed-output', {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [layout.channels],
        processorOptions: { memory: this.#module.HEAPU8.buffer, layout },
      });
      this.counts.nodesCreated += 1;
      node.connect(context.destination);
      node.onprocessorerror = () => this.#setState('failed', 'the audio worklet stopped with an error');
      context.onstatechange = () => this.#onContextStateChange(context);
      this.#context = context;
      this.#node = node;
      const previous = this.#lastRate;
      this.#lastRate = context.sampleRate;
      // Not awaited: the handler decodes with this context, which must be in place first.
      if (previous !== null && previous !== context.sampleRate) queueMicrotask(() => this.onRateChange?.(previous, context.sampleRate));
    } catch (error) {
      context.onstatechange = null;
      await context.close().catch(() => {});
      this.counts.contextsReleased += 1;
      throw error;
    }
  }

  #readLayout() {
    const module = this.#module;
    const words = new Uint32Array(module.HEAPU8.buffer, module._ws_ring_layout(), 7);
    return {
      capacityFrames: words[0],
      channels: words[1],
      writeCounter: words[2],
      readCounter: words[3],
      samples: words[4],
      positions: words[5],
      consumerCounters: words[6],
    };
  }

  #onContextStateChange(context) {
    if (context !== this.#context) return;
    if (context.state === 'closed') {
      this.#release();
      this.#setState('closed');
    } else if (!this.#starting) {
      this.#setState(context.state === 'running' ? 'running' : 'suspended');
    }
  }

  #release() {
    const node = this.#node;
    const context = this.#context;
    if (node) {
      node.onprocessorerror = null;
      node.disconnect();
      node.port.close();
      this.counts.nodesReleased += 1;
    }
    if (context) {
      context.onstatechange = null;
      this.counts.contextsReleased += 1;
    }
    this.#node = null;
    this.#context = null;
  }

  /**
   * Test hook: closes the context the way a browser may, and waits for the release; the next
   * one is made at `sampleRate` when given (as after a switch to a device with another rate).
   */
  async closeForTest({ sampleRate = null } = {}) {
    this.#requestedRate = sampleRate;
    const context = this.#context;
    if (!context) return;
    await context.close();
    if (context === this.#context) {
      this.#release();
      this.#setState('closed');
    }
  }

  #setState(state, message = '') {
    this.state = state;
    this.message = message;
    this.reportState();
  }

  /**
   * Tells the C++ app the latencies again when the context's changed by more than half a
   * millisecond since they were told: a browser knows its output latency only once audio has
   * run a while, and the playhead and heardSeconds subtract it. Cheap; called often.
   */
  refreshLatency() {
    if (this.state === 'running' && Math.abs(this.contextLatencyMs - this.#reportedLatencyMs) > 0.5) this.reportState();
  }

  #reportedLatencyMs = 0;

  /** Tells the C++ app the current state and latencies (it draws them). */
  reportState() {
    this.#reportedLatencyMs = this.contextLatencyMs;
    callEntry(this.#module, 'ws_notify_audio_state', ['number', 'number', 'number', 'string'], [
      STATES[this.state],
      this.#context ? 1000 * (this.#context.baseLatency || 0) : 0,
      this.#context ? 1000 * (this.#context.outputLatency || 0) : 0,
      this.message,
    ]);
  }

  /**
   * Records the next `seconds` of the worklet's output into storage allocated now, before
   * the capture starts; the worklet only copies into it.
   */
  async capture(seconds) {
    if (!(seconds > 0 && seconds <= MAX_CAPTURE_SECONDS)) {
      throw new RangeError(`captureOutput takes more than 0 and at most ${MAX_CAPTURE_SECONDS} seconds`);
    }
    if (!this.#node || this.state !== 'running') throw new Error('audio output is not running; call start() first');
    if (this.#capturing) throw new Error('a capture is already running');
    this.#capturing = true;
    try {
      const sampleRate = this.#context.sampleRate;
      const frames = Math.round(seconds * sampleRate);
      // Header, then left, right and each frame's source position (CAPTURE_GAP in an underrun).
      const buffer = new SharedArrayBuffer(CAPTURE_HEADER_BYTES + 3 * frames * 4);
      // state, frames written, source frame at start, underruns during the capture, and the
      // frames-played counter's low word after the last frame
      const header = new Int32Array(buffer, 0, 5);
      header[0] = CAPTURE_ARMED;
      this.#node.port.postMessage({ type: 'capture', buffer, frames });
      const deadline = performance.now() + seconds * 1000 + 5000;
      while (Atomics.load(header, 0) !== CAPTURE_DONE) {
        if (performance.now() > deadline) throw new Error('the capture did not finish: is the audio output running?');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const left = new Float32Array(buffer, CAPTURE_HEADER_BYTES, frames).slice();
      const right = new Float32Array(buffer, CAPTURE_HEADER_BYTES + frames * 4, frames).slice();
      const sourceFrames = new Int32Array(buffer, CAPTURE_HEADER_BYTES + frames * 8, frames).slice();
      const sourceFrame = Atomics.load(header, 2);
      return {
        sampleRate,
        channels: [left, right],
        sourceFrameAtStart: sourceFrame < 0 ? null : sourceFrame,
        sourceFrames,
        underruns: Atomics.load(header, 3),
        framesPlayedAtEnd: Atomics.load(header, 4) >>> 0,
      };
    } finally {
      this.#capturing = false;
    }
  }
}
