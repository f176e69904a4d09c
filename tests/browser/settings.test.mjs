// One owner per setting: whatever changes a setting (the app's own controls, driven with the
// mouse and keyboard as a user does, a shortcut, or the API), every getter reads back the same
// value from the engine, with the same ranges. And the test hooks exist only where the test
// servers serve them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, openApp, openPage, startServer, uiDriver } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio } from './media.mjs';

describe('settings have one owner', () => {
  let server;
  let browser;
  let page;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    ui = uiDriver(page);
    await installPageHelpers(page);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const settings = () => page.evaluate(() => window.woodshed.settings());

  let ui;
  const frames = (count) => ui.frames(count);
  const hold = (keys) => ui.hold(keys);
  const clickControl = (key, modifiers) => ui.clickControl(key, modifiers);
  const typeIntoSlider = (key, text) => ui.typeIntoSlider(key, text);

  test('values typed into the app\'s sliders read back through the API, down to the engine\'s limits', async () => {
    await clickControl('tab.shape');
    await typeIntoSlider('limiter.ceilingDb', '-3.5');
    assert.deepEqual((await settings()).limiter, { ceilingDb: -3.5, enabled: true });
    await clickControl('limiter.enabled');
    assert.deepEqual((await page.evaluate(() => window.woodshed.settings())).limiter, { ceilingDb: -3.5, enabled: false });
    await typeIntoSlider('eq.gainDb', '4.5');
    assert.equal((await page.evaluate(() => window.woodshed.eq())).bands[1].gainDb, 4.5, 'the selected band (the first peaking one)');

    await clickControl('tab.output');
    // The engine takes 5 ms; the slider used to stop at 10.
    const { latencyMs } = await page.evaluate(() => window.woodshed.limits());
    await typeIntoSlider('latencyMs', String(latencyMs.min));
    assert.equal((await settings()).latencyMs, 5);
    assert.equal((await page.evaluate(() => window.woodshed.stats())).targetLatencyMs, 5);
    await typeIntoSlider('latencyMs', '1');  // below the range: the slider clamps to it
    assert.equal((await settings()).latencyMs, 5);
    await page.evaluate(() => window.woodshed.setLatency(40));
    assert.equal((await settings()).latencyMs, 40);

    // The panel's generator, then a partial change from JS: the frequency typed in stays.
    await page.evaluate(() => window.woodshed.setGenerator({ type: 'sine', frequency: 440, levelDb: -30 }));
    await typeIntoSlider('generator.frequency', '1234');
    await page.evaluate(() => window.woodshed.setGenerator({ levelDb: -20 }));
    assert.deepEqual(await page.evaluate(() => window.woodshed.generator()), { type: 'sine', frequency: 1234, levelDb: -20 });
    await page.evaluate(() => window.woodshed.setGenerator(null));
    assert.equal(await page.evaluate(() => window.woodshed.generator()), null);
    assert.equal((await settings()).generator.frequency, 1234, 'off keeps the settings for the next time');
  });

  test('every slider of the app sets exactly what the getters read back', async () => {
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 2, name: 'mixer.wav' });
    const id = await page.evaluate(async (b) => {
      const [songId] = await window.woodshed.importFiles([{ name: 'mixer.wav', bytes: window.testAudio.fromBase64(b) }]);
      await window.woodshed.load(songId);
      return songId;
    }, base64Of(file));
    // [tab, control, value typed, where settings() has it]
    const controls = [
      ['tab.shape', 'eq.frequency', '2500', (s) => s.eq.bands[1].frequency],
      ['tab.shape', 'eq.gainDb', '-7.25', (s) => s.eq.bands[1].gainDb],
      ['tab.shape', 'eq.q', '3.5', (s) => s.eq.bands[1].q],
      ['tab.shape', 'limiter.ceilingDb', '-0.5', (s) => s.limiter.ceilingDb],
      ['tab.output', 'generator.levelDb', '-42.5', (s) => s.generator.levelDb],
      ['tab.output', 'generator.frequency', '55', (s) => s.generator.frequency],
      ['tab.output', 'latencyMs', '120', (s) => s.latencyMs],
      [null, 'source.gainDb', '-13.5', (s) => s.sources[0].gainDb],
      [null, 'source.pan', '-0.5', (s) => s.sources[0].pan],
    ];
    for (const [tab, control, typed, read] of controls) {
      if (tab) await clickControl(tab);
      await typeIntoSlider(control, typed);
      assert.equal(read(await settings()), Number(typed), control);
    }
    // What the API set, the panel shows: Ctrl+click, then Enter, writes back the value the slider
    // shows; a panel with a stale copy would write its own.
    await page.evaluate(() => window.woodshed.setLimiter({ ceilingDb: -9 }));
    await clickControl('tab.shape');
    await clickControl('limiter.ceilingDb', ['Control']);
    await hold(['Enter']);
    assert.equal((await settings()).limiter.ceilingDb, -9);
    await page.evaluate(async (songId) => {
      await window.woodshed.setLatency(40);
      await window.woodshed.setLimiter({ ceilingDb: -1, enabled: true });
      await window.woodshed.setEq([{}, { frequency: 250, gainDb: 0, q: 1 }]);
      await window.woodshed.remove(songId);
    }, id);
  });

  test('the keys and the API change one listening volume, apart from the master gain', async () => {
    await page.evaluate(async () => {
      await window.woodshed.setMasterGain(-6);
      await window.woodshed.setVolume(0);
    });
    await page.locator('#canvas').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('KeyM');
    await eventually(page, async () => (await window.woodshed.settings()).muted);
    const after = await settings();
    assert.deepEqual([after.volumeDb, after.muted, after.masterGainDb], [4, true, -6]);
    const state = await page.evaluate(() => window.woodshed.state());
    assert.deepEqual([state.volumeDb, state.muted], [4, true], 'state() reads the same');
    await page.evaluate(() => window.woodshed.setVolume(-10));
    assert.deepEqual(Object.values(await page.evaluate(async () => {
      const s = await window.woodshed.settings();
      return { volumeDb: s.volumeDb, muted: s.muted, masterGainDb: s.masterGainDb };
    })), [-10, false, -6]);
    await page.evaluate(async () => {
      await window.woodshed.setMasterGain(0);
      await window.woodshed.setVolume(0);
    });
  });

  test('a partial update keeps the other fields, and a bad one changes nothing', async () => {
    const result = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.setLimiter({ ceilingDb: -4, enabled: true });
      await w.setLimiter({ enabled: false });
      const limiter = (await w.settings()).limiter;
      await w.setEq([{ frequency: 90 }, { gainDb: 2 }]);
      const before = await w.settings();
      const refusal = await w.setEq([{}, {}, {}, { q: 400 }]).then(() => 'accepted', (e) => e.message);
      const volumeRefusal = await w.setVolume(9).then(() => 'accepted', (e) => e.message);
      return { limiter, before, after: await w.settings(), refusal, volumeRefusal };
    });
    assert.deepEqual(result.limiter, { ceilingDb: -4, enabled: false });
    assert.equal(result.before.eq.bands[0].frequency, 90);
    assert.equal(result.before.eq.bands[1].gainDb, 2, 'the gain typed in earlier, changed by the API');
    assert.equal(result.before.eq.bands[0].gainDb, 0);
    assert.equal(result.refusal, "band 3: an EQ band's Q must be between 0.1 and 18, got 400; nothing was changed");
    assert.equal(result.volumeRefusal, 'the volume must be between -60 and +6 dB, got 9');
    assert.deepEqual(result.after, result.before);
  });

  test('a song\'s recalled gain and loop survive a reload; a damaged value is ignored with a message', async () => {
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 3, name: 'recall.wav' });
    const id = await page.evaluate(async (b) => {
      const [songId] = await window.woodshed.importFiles([{ name: 'recall.wav', bytes: window.testAudio.fromBase64(b) }]);
      await window.woodshed.test.storeRecall(songId, 'trackGainDb', -7.5);
      await window.woodshed.load(songId);
      await window.woodshed.setLoopRegion({ start: 0.5, end: 2.25 });
      return songId;
    }, base64Of(file));
    assert.equal((await settings()).trackGainDb, -7.5);
    await page.evaluate(() => window.woodshed.saved());  // imports save in the background
    await page.reload();
    await page.evaluate(() => window.woodshed.ready);
    const restored = await page.evaluate(() => window.woodshed.state());
    assert.equal(restored.trackId, id, 'the song is restored at start');
    assert.equal((await settings()).trackGainDb, -7.5, 'with its gain');
    assert.deepEqual([restored.loop.start, restored.loop.end], [0.5, 2.25], 'and its loop');
    assert.deepEqual(await page.evaluate(() => window.woodshed.recall()),
      { trackGainDb: -7.5, loopStartSeconds: 0.5, loopEndSeconds: 2.25, tempo: 1, pitchSemitones: 0 });

    await page.evaluate(async (songId) => {
      await window.woodshed.test.storeRecall(songId, 'trackGainDb', 1e9);
      await window.woodshed.load(songId);
    }, id);
    assert.equal((await settings()).trackGainDb, 0);
    assert.equal((await page.evaluate(() => window.woodshed.state())).lastError,
      "the song's saved setting was ignored: the track gain must be between -40 and +40 dB, got 1000000000");
    assert.deepEqual((await settings()).loop, { start: 0.5, end: 2.25 }, 'the loop, still good, is applied');
    await page.evaluate(() => window.woodshed.setLoopRegion(null));
    await installPageHelpers(page);
    await page.evaluate(async (songId) => window.woodshed.remove(songId), id);
  });
});

describe('test hooks', () => {
  test('a page served as tools/serve serves it has no test hooks, and ?test changes nothing', async () => {
    const plain = await startServer({ testHooks: false });
    const browser = await openPage(`${plain.url}?test&mediaMaxBytes=1`);
    try {
      const { page } = browser;
      await page.evaluate(() => window.woodshed.ready);
      const found = await page.evaluate(async () => {
        const worker = (await navigator.serviceWorker.ready).active;
        const precached = [];
        for (const name of await caches.keys()) {
          for (const request of await (await caches.open(name)).keys()) precached.push(new URL(request.url).pathname);
        }
        return {
          hooks: typeof window.woodshed.test,
          hooksFile: (await fetch('test-hooks.js')).status,
          workerUrl: new URL(worker.scriptURL).search,
          precached,
          sw: await (await fetch('sw.js')).text(),
        };
      });
      assert.equal(found.hooks, 'undefined');
      assert.equal(found.hooksFile, 404);
      assert.equal(found.workerUrl, '', 'the media budgets are not lowered');
      assert.ok(found.precached.some((p) => p.endsWith('/engine-bridge.js')), `precached: ${found.precached}`);
      assert.ok(!found.precached.some((p) => p.includes('test-hooks')), 'the hooks are not precached');
      assert.ok(!found.sw.includes('test-hooks'), 'nor in the precache manifest');
    } finally {
      await browser.close();
      await plain.stop();
    }
  });
});
