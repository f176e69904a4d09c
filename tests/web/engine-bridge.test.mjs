// The wasm bridge refuses a block whose layout word or size differs from what the page reads:
// a page and an engine from different builds stop with a clear message, not wrong numbers.
// Runs under node with a stand-in module (no wasm needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EngineBridge, LAYOUTS } from '../../web/engine-bridge.js';

/** A module whose `name` block sits at offset 64 of its heap, with the given header. */
function fakeModule(name, { version, bytes, values = [] }) {
  const heap = new ArrayBuffer(1 << 17);
  new Uint32Array(heap, 64, 2).set([version, bytes]);
  new Float64Array(heap, 72, values.length).set(values);
  const text = (address) => (address === 1 ? 'trackGainDb' : '');
  return {
    HEAPU8: new Uint8Array(heap),
    UTF8ToString: text,
    _ws_recall_keys: () => 1,
    [`_ws_${name}_block`]: () => 64,
  };
}

test('a block with the expected layout reads field by field', () => {
  const fields = LAYOUTS.loudness.fields;
  const bridge = new EngineBridge(fakeModule('loudness', {
    version: LAYOUTS.loudness.version, bytes: 8 + 8 * fields.length, values: [-14, -15, -16, 5, -1, 0.5],
  }));
  assert.deepEqual(bridge.record('loudness'), {
    momentary: -14, shortTerm: -15, integrated: -16, range: 5, truePeak: -1, limiterGainReductionDb: 0.5,
  });
});

test('a block of another version or size is refused with a message that says what to do', () => {
  const fields = LAYOUTS.stats.fields;
  for (const header of [
    { version: LAYOUTS.stats.version + 1, bytes: 8 + 8 * fields.length },
    { version: LAYOUTS.stats.version, bytes: 8 + 8 * (fields.length + 1) },
  ]) {
    const bridge = new EngineBridge(fakeModule('stats', header));
    assert.throws(() => bridge.record('stats'), (error) => {
      assert.match(error.message, /page and engine are from different builds: the engine's stats block is version \d+ with \d+ bytes/);
      assert.match(error.message, /Reload the page/);
      return true;
    });
  }
});

test('the recall block takes its keys from the engine', () => {
  const bridge = new EngineBridge(fakeModule('recall', { version: 1, bytes: 16, values: [-3.5] }));
  assert.deepEqual(bridge.recallKeys, ['trackGainDb']);
  assert.deepEqual(bridge.record('recall'), { trackGainDb: -3.5 });
  const stale = new EngineBridge(fakeModule('recall', { version: 1, bytes: 24 }));
  assert.throws(() => stale.doubles('recall'), /different builds/);
});
