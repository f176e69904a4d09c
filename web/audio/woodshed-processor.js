// AudioWorkletProcessor that plays the engine's ring from wasm shared memory.
//
// The ring (src/core/audio_ring.h, include/woodshed/core/spsc_ring_indices.h):
// - two free-running uint32 counters; this processor is the consumer: it reads `write`, copies
//   up to 128 frames from planar float storage, then publishes `read` and notifies it so the
//   render thread wakes;
// - an int32 per frame slot: the source position the frame was rendered from (-1: none);
// - counters this processor owns: frames played (low, high), underruns, started, and the source
//   position of the last frame it handed out (what is heard).
// process() allocates nothing and never waits: typed-array views are made once, here in the
// constructor or when a capture is armed (in the message handler, not in process()).

const CAPTURE_DONE = 2;
const CAPTURE_HEADER_BYTES = 32;
/** A captured frame's source position when the ring had no frame for it (an underrun). */
const CAPTURE_GAP = -2;

class WoodshedOutputProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { memory, layout } = options.processorOptions;
    this.u32 = new Uint32Array(memory);
    this.i32 = new Int32Array(memory);
    this.f32 = new Float32Array(memory);
    this.capacity = layout.capacityFrames;
    this.mask = layout.capacityFrames - 1;
    this.channels = layout.channels;
    this.writeIndex = layout.writeCounter >>> 2;
    this.readIndex = layout.readCounter >>> 2;
    this.samplesIndex = layout.samples >>> 2;
    this.positionsIndex = layout.positions >>> 2;
    const counters = layout.consumerCounters >>> 2;
    this.playedLowIndex = counters;
    this.playedHighIndex = counters + 1;
    this.underrunsIndex = counters + 2;
    this.startedIndex = counters + 3;
    this.heardIndex = counters + 4;  // the source position of the last frame handed out

    this.captureHeader = null;
    this.captureLeft = null;
    this.captureRight = null;
    this.captureSources = null;
    this.captureFrames = 0;
    this.port.onmessage = (event) => this.onMessage(event.data);
  }

  onMessage(message) {
    if (message.type === 'capture') {
      const { buffer, frames } = message;
      this.captureLeft = new Float32Array(buffer, CAPTURE_HEADER_BYTES, frames);
      this.captureRight = new Float32Array(buffer, CAPTURE_HEADER_BYTES + frames * 4, frames);
      this.captureSources = new Int32Array(buffer, CAPTURE_HEADER_BYTES + frames * 8, frames);
      this.captureFrames = frames;
      this.captureHeader = new Int32Array(buffer, 0, 5);
    }
  }

  process(inputs, outputs) {
    const output = outputs[0];
    const frames = output[0].length;
    const u32 = this.u32;
    const f32 = this.f32;
    const mask = this.mask;
    const readPosition = Atomics.load(u32, this.readIndex);
    const available = (Atomics.load(u32, this.writeIndex) - readPosition) >>> 0;
    const n = available < frames ? available : frames;
    const start = readPosition & mask;

    for (let channel = 0; channel < output.length; channel++) {
      const destination = output[channel];
      const source = this.samplesIndex + (channel < this.channels ? channel : this.channels - 1) * this.capacity;
      for (let i = 0; i < n; i++) destination[i] = f32[source + ((start + i) & mask)];
      for (let i = n; i < frames; i++) destination[i] = 0;
    }

    if (this.captureHeader !== null) this.captureBlock(output, frames, n, start);

    if (n > 0) {
      Atomics.store(this.i32, this.heardIndex, this.i32[this.positionsIndex + ((start + n - 1) & mask)]);
      Atomics.store(u32, this.readIndex, (readPosition + n) >>> 0);
      Atomics.notify(this.i32, this.readIndex, 1);
      Atomics.store(u32, this.startedIndex, 1);
    }
    if (n < frames && Atomics.load(u32, this.startedIndex) === 1) Atomics.add(u32, this.underrunsIndex, 1);
    const low = (Atomics.load(u32, this.playedLowIndex) + frames) >>> 0;
    if (low < frames) Atomics.add(u32, this.playedHighIndex, 1);
    Atomics.store(u32, this.playedLowIndex, low);
    return true;
  }

  captureBlock(output, frames, fromRing, ringStart) {
    const header = this.captureHeader;
    const written = header[1];
    if (written === 0) header[2] = fromRing > 0 ? this.i32[this.positionsIndex + ringStart] : -1;
    if (fromRing < frames) header[3] += 1;  // an underrun inside the capture: it has a gap
    const count = Math.min(frames, this.captureFrames - written);
    const left = output[0];
    const right = output.length > 1 ? output[1] : output[0];
    for (let i = 0; i < count; i++) {
      this.captureLeft[written + i] = left[i];
      this.captureRight[written + i] = right[i];
      // Each frame's source position, so a gap can be cut out and the rest compared in order.
      this.captureSources[written + i] = i < fromRing ? this.i32[this.positionsIndex + ((ringStart + i) & this.mask)] : CAPTURE_GAP;
    }
    header[1] = written + count;
    if (written + count >= this.captureFrames) {
      // The frames-played counter (low word) just after the capture's last frame, which may
      // end inside this block: ties it to stats().framesPlayed read later.
      header[4] = (Atomics.load(this.u32, this.playedLowIndex) + count) | 0;
      Atomics.store(header, 0, CAPTURE_DONE);
      this.captureHeader = null;
      this.captureLeft = null;
      this.captureRight = null;
      this.captureSources = null;
    }
  }
}

registerProcessor('woodshed-output', WoodshedOutputProcessor);
