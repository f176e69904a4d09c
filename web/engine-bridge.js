// The wasm bridge: the one place that knows how the engine's C entry points are called and how
// the result blocks they fill are laid out (src/platform/web/bindings.cpp).
//
// Every block starts with two uint32 words: its layout version and its size in bytes. The
// bridge checks both against the layouts below before it reads a field, so a page and a wasm
// from different builds stop with a clear message instead of reading wrong numbers. To change a
// block: change its fields in bindings.cpp and here, and bump the version on both sides.

/** The header before every block's fields: {version, bytes}. */
const HEADER_BYTES = 8;

/** Spectrum bins the engine's block holds (SpectrumFrame::kMaxBins: 16384 / 2 + 1). */
const SPECTRUM_MAX_BINS = 8193;

const EQ_BANDS = 10;

/**
 * Blocks of doubles: name -> {version, fields}. A field list is the block's doubles in order.
 * (The recall block's fields come from the engine: ws_recall_keys().)
 */
export const LAYOUTS = {
  stats: {
    version: 3,
    fields: ['sampleRate', 'framesRendered', 'framesPlayed', 'underruns', 'ringFillFrames', 'targetLatencyMs',
      'renderLoadAvg', 'renderLoadMax', 'heapBytesInUse', 'heapCapacity', 'threads', 'nonFiniteBlocks',
      'volumeLimitedBlocks', 'invariantFailures', 'longLaneYields', 'longLaneYieldMs', 'memoryBudgetBytes', 'memoryUsedBytes',
      'limiterPeakDb'],
  },
  state: {
    version: 4,
    fields: ['trackId', 'positionSeconds', 'durationSeconds', 'playing', 'looping', 'countingIn', 'tempo', 'trainerRunning',
      'trainerPasses', 'heardSeconds', 'commandsSent', 'commandsApplied'],
  },
  eq: {
    version: 1,
    fields: [...Array.from({ length: EQ_BANDS }, (_, i) => [`frequency${i}`, `gainDb${i}`, `q${i}`, `enabled${i}`]).flat(), 'bypass'],
  },
  loudness: { version: 1, fields: ['momentary', 'shortTerm', 'integrated', 'range', 'truePeak', 'limiterGainReductionDb'] },
  meters: { version: 1, fields: ['peakLeft', 'peakRight', 'rmsLeft', 'rmsRight', 'holdLeft', 'holdRight', 'clipLeft', 'clipRight'] },
  normalize: { version: 1, fields: ['running', 'progress', 'measuredLufs', 'gainDb', 'measuredTrack'] },
  export: {
    version: 1,
    fields: ['running', 'state', 'readableBytes', 'readAddress', 'consumedBytes', 'totalBytes', 'etaSeconds', 'clippedSamples'],
  },
  beat_detection: {
    version: 2,
    fields: ['running', 'progress', 'trackId', 'succeeded', 'bpm', 'offsetSeconds', 'beatsPerBar', 'confidence',
      'tuningKnown', 'tuningCents'],
  },
};

/** The spectrum block: {bins, fftSize: uint32; sampleRate: f64; sequence: u64; averageDb, peakHoldDb: f32[MAX_BINS]}. */
const SPECTRUM = { version: 1, bytes: HEADER_BYTES + 24 + Math.ceil((2 * 4 * SPECTRUM_MAX_BINS) / 8) * 8 };

/** Calls an exported C++ entry; throws an Error with the engine's message when it fails. */
export function callEntry(module, name, argTypes, args) {
  const status = module.ccall(name, 'number', argTypes, args);
  if (status !== 0) {
    const message = module.UTF8ToString(module._ws_last_error());
    throw new Error(message || `${name} failed`);
  }
}

export class EngineBridge {
  #module;
  #recallKeys;

  constructor(module) {
    this.#module = module;
    this.#recallKeys = module.UTF8ToString(module._ws_recall_keys()).split(',').filter(Boolean);
  }

  get module() { return this.#module; }

  /** Calls entry `name`; throws an Error with the engine's message when it fails. */
  call(name, argTypes = [], args = []) {
    callEntry(this.#module, name, argTypes, args);
  }

  /** The text result of the last call that has one (ws_result_text). */
  text() { return this.#module.UTF8ToString(this.#module._ws_result_text()); }

  /** The numeric result of the last call that has one (ws_result_number). */
  number() { return this.#module._ws_result_number(); }

  /** Calls `name` and parses its JSON result. */
  json(name, argTypes = [], args = []) {
    this.call(name, argTypes, args);
    return JSON.parse(this.text());
  }

  /** Keys of the settings recalled per song, in the recall block's order (from the engine). */
  get recallKeys() { return this.#recallKeys; }

  /** The fields of block `name` (LAYOUTS, or 'recall') as a Float64Array over the heap, checked. */
  doubles(name) {
    const fields = name === 'recall' ? this.#recallKeys : LAYOUTS[name].fields;
    const version = name === 'recall' ? 1 : LAYOUTS[name].version;
    const address = this.#address(name, version, HEADER_BYTES + 8 * fields.length);
    return new Float64Array(this.#module.HEAPU8.buffer, address + HEADER_BYTES, fields.length);
  }

  /** Block `name` as an object keyed by its field names. */
  record(name) {
    const fields = name === 'recall' ? this.#recallKeys : LAYOUTS[name].fields;
    const values = this.doubles(name);
    return Object.fromEntries(fields.map((field, i) => [field, values[i]]));
  }

  /** A copy of `length` bytes of the wasm heap from `address` (an address an entry gave). */
  bytes(address, length) {
    return this.#module.HEAPU8.slice(address, address + length);
  }

  /** The spectrum block (after ws_spectrum): {bins, fftSize, sampleRate, averageDb, peakHoldDb}. */
  spectrum() {
    const module = this.#module;
    const base = this.#address('spectrum', SPECTRUM.version, SPECTRUM.bytes);
    const [bins, fftSize] = new Uint32Array(module.HEAPU8.buffer, base + HEADER_BYTES, 2);
    const sampleRate = new Float64Array(module.HEAPU8.buffer, base + HEADER_BYTES + 8, 1)[0];
    const averageOffset = HEADER_BYTES + 24;
    return {
      bins,
      fftSize,
      sampleRate,
      averageDb: new Float32Array(module.HEAPU8.buffer, base + averageOffset, bins).slice(),
      peakHoldDb: new Float32Array(module.HEAPU8.buffer, base + averageOffset + 4 * SPECTRUM_MAX_BINS, bins).slice(),
    };
  }

  // The block's address, after checking its header against what this page expects.
  #address(name, version, bytes) {
    const module = this.#module;
    const address = module[`_ws_${name}_block`]();
    const [actualVersion, actualBytes] = new Uint32Array(module.HEAPU8.buffer, address, 2);
    if (actualVersion !== version || actualBytes !== bytes) {
      throw new Error(`Woodshed's page and engine are from different builds: the engine's ${name} block is `
        + `version ${actualVersion} with ${actualBytes} bytes, and this page reads version ${version} with ${bytes} `
        + 'bytes. Reload the page; if that does not help, clear the site\'s data.');
    }
    return address;
  }
}
