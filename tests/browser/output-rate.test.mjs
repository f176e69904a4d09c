// A new audio output at another sample rate (a device change, a context the browser closed and
// the app rebuilt): the song playing keeps its speed and pitch, and another stored song loads
// and plays at its own pitch too. Songs are decoded at the output's rate, so each is decoded
// again from the library at the new one (Session.rateChanged).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { zeroCrossingFrequency } from './analysis.mjs';
import { eventually, openApp, startServer } from './harness.mjs';
import { installPageHelpers, wavBase64 } from './media.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await openApp(server.url);
  await installPageHelpers(browser.page);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const tone = (hz, seconds, rate) => Array.from({ length: seconds * rate }, (_, i) => 0.4 * Math.sin((2 * Math.PI * hz * i) / rate));

test('rebuilding the output at 48 kHz from 44.1 kHz keeps a playing 440 Hz song at 440 Hz, and another song loads at its pitch', { timeout: 120_000 }, async () => {
  const { page } = browser;
  const a = wavBase64(tone(440, 30, 44100), 44100);
  const b = wavBase64(tone(660, 30, 44100), 44100);
  const outcome = await page.evaluate(async ({ a: first, b: second }) => {
    const w = window.woodshed;
    await w.start();
    const frequencyOf = async () => {
      const captured = await w.captureOutput(0.5);
      // An underrun's silence (source position -2) would break the crossings apart: left out.
      const left = captured.channels[0].filter((x, i) => captured.sourceFrames[i] !== -2);
      let crossings = 0;
      let firstAt = -1;
      let lastAt = -1;
      for (let i = 1; i < left.length; i++) {
        if (left[i - 1] < 0 && left[i] >= 0) {
          const t = i - 1 + left[i - 1] / (left[i - 1] - left[i]);
          if (firstAt < 0) firstAt = t;
          lastAt = t;
          crossings++;
        }
      }
      return { hz: ((crossings - 1) * captured.sampleRate) / (lastAt - firstAt), rate: captured.sampleRate, underruns: captured.underruns };
    };
    const ids = await w.importFiles([
      { name: 'A440.wav', bytes: window.testAudio.fromBase64(first) },
      { name: 'E660.wav', bytes: window.testAudio.fromBase64(second) },
    ]);
    await w.load(ids[1]);  // in memory at 44.1 kHz too
    await w.load(ids[0]);
    await w.play();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await frequencyOf();
    const positionBefore = (await w.state()).positionSeconds;
    await w.test.closeAudioContext({ sampleRate: 48000 });
    await w.start();
    // A closed output pauses the song (as a device that went away does); the user plays on.
    await w.play();
    // The song is decoded again at 48 kHz and goes on from where it was: listen until it plays
    // (a song left at the old rate would play at 479 Hz for good).
    const deadline = performance.now() + 20_000;
    let afterwards;
    let state;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await w.state();
      afterwards = state.playing && state.trackId === ids[0] ? await frequencyOf() : { hz: 0, rate: 0 };
    } while (!(Math.abs(afterwards.hz - 440) <= 1) && performance.now() < deadline);
    const positionAfter = state.positionSeconds;
    await w.load(ids[1]);
    await w.play();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const other = await frequencyOf();
    await w.pause();
    return { before, afterwards, other, positionBefore, positionAfter, stats: await w.stats(), state, toasts: document.getElementById('toasts')?.innerText };
  }, { a, b });
  console.log(`[ measure  ] output ${outcome.before.rate} Hz: ${outcome.before.hz.toFixed(2)} Hz; rebuilt at ${outcome.afterwards.rate} Hz: `
    + `${outcome.afterwards.hz.toFixed(2)} Hz (song at ${outcome.positionBefore.toFixed(2)} s, resumed at ${outcome.positionAfter.toFixed(2)} s); `
    + `the other song ${outcome.other.hz.toFixed(2)} Hz`);
  if (!(Math.abs(outcome.afterwards.hz - 440) <= 1)) console.log(JSON.stringify({ state: outcome.state, toasts: outcome.toasts }));
  assert.equal(outcome.before.rate, 44100);
  assert.equal(outcome.afterwards.rate, 48000);
  assert.ok(Math.abs(outcome.before.hz - 440) <= 1, `before: ${outcome.before.hz} Hz`);
  assert.ok(Math.abs(outcome.afterwards.hz - 440) <= 1, `after the rebuild: ${outcome.afterwards.hz} Hz (8.8 % sharp would be 479)`);
  assert.ok(outcome.positionAfter >= outcome.positionBefore - 0.5, 'the song went on from where it was');
  assert.ok(Math.abs(outcome.other.hz - 660) <= 1, `the other song: ${outcome.other.hz} Hz`);
  assert.equal(outcome.stats.sampleRate, 48000);
  assert.deepEqual(browser.errors, []);
});
