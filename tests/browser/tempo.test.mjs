// Slower, faster, higher, lower, as a musician uses them: a song at half speed keeps its pitch
// and advances half a source frame per frame played; a seek lands where it was sent; a
// transposed tone is where the semitones put it; keys, the app's buttons and a reload keep
// the song's speed and pitch. The soak (soak.test.mjs) plays a song at 0.7 for a minute.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { zeroCrossingFrequency } from './analysis.mjs';
import { eventually, openApp, startServer, uiDriver } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio } from './media.mjs';

// ffmpeg's sine source at seed 7 (media.mjs), a mono recording. (A stereo file with 447 Hz on
// the left and 451 Hz on the right would read 448 Hz: both sides share one phase rotation per
// bin, and 4 Hz apart is within one bin; see docs/design/stretcher.md, section 2.)
const LEFT_HZ = 447;

describe('tempo and pitch', () => {
  let server;
  let browser;
  let page;
  let ui;
  let songId;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    ui = uiDriver(page);
    await installPageHelpers(page);
    const song = base64Of(makeAudio({ format: 'wav16', rate: 44100, channels: 1, seconds: 40, signal: 'sine', name: 'Tone.wav' }));
    songId = await page.evaluate(async (b) => {
      await window.woodshed.start();
      const [id] = await window.woodshed.importFiles([{ name: 'Tone.wav', bytes: window.testAudio.fromBase64(b) }]);
      await window.woodshed.load(id);
      return id;
    }, song);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // What the worklet played, with the position and frame counters around it.
  const playAndMeasure = (seconds) => page.evaluate(async (s) => {
    const w = window.woodshed;
    const before = { state: await w.state(), stats: await w.stats() };
    const captured = await w.captureOutput(s);
    const afterwards = { state: await w.state(), stats: await w.stats() };
    // The silence of an underrun (source position -2) is left out of both measurements: the
    // pitch is measured on what was rendered, and the advance per frame that came from the ring.
    const gapFrames = captured.sourceFrames.filter((source) => source === -2).length;
    return {
      left: Array.from(captured.channels[0]).filter((x, i) => captured.sourceFrames[i] !== -2),
      sampleRate: captured.sampleRate,
      captureUnderruns: captured.underruns,
      gapFrames,
      advance: ((afterwards.state.positionSeconds - before.state.positionSeconds) * afterwards.stats.sampleRate)
        / (afterwards.stats.framesPlayed - before.stats.framesPlayed - gapFrames),
    };
  }, seconds);

  test('at half speed a tone keeps its pitch, the song advances half a frame per frame played, and a seek lands where it was sent', async () => {
    await page.evaluate(async () => {
      const w = window.woodshed;
      await w.setTempo(0.5);
      await w.seek(2);
      await w.play();
    });
    assert.equal((await page.evaluate(() => window.woodshed.state())).tempo, 0.5);
    await page.waitForTimeout(500);
    const measured = await playAndMeasure(3);
    const frequency = zeroCrossingFrequency(measured.left, measured.sampleRate);
    console.log(`[ measure  ] tempo 0.5 in the browser: ${frequency.toFixed(3)} Hz for ${LEFT_HZ} Hz; `
      + `${measured.advance.toFixed(4)} source frames per frame played; capture underruns ${measured.captureUnderruns} (${measured.gapFrames} frames cut)`);
    assert.ok(Math.abs(frequency - LEFT_HZ) <= 0.3, `${frequency} Hz`);
    assert.ok(Math.abs(measured.advance - 0.5) <= 0.01, `${measured.advance} source frames per frame`);

    const landed = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.pause();
      await w.seek(12.5);
      // The render thread takes the seek on its next turn.
      let paused = (await w.state()).positionSeconds;
      for (let tries = 0; paused !== 12.5 && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        paused = (await w.state()).positionSeconds;
      }
      await w.play();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await w.pause();
      return { paused, after: (await w.state()).positionSeconds };
    });
    assert.equal(landed.paused, 12.5);
    // A second of playing at half speed moves about half a second of song (timers are coarse).
    assert.ok(landed.after > 12.5 + 0.3 && landed.after < 12.5 + 0.8, `at ${landed.after} s after a second at 0.5`);
  });

  test('seven semitones up plays a fifth higher at the same speed; bad values are refused with a message', async () => {
    const refused = await page.evaluate(async () => {
      const w = window.woodshed;
      const messages = [];
      for (const call of [() => w.setTempo(3), () => w.setTempo(Number.NaN), () => w.setPitch(13), () => w.setPitch('up')]) {
        try {
          await call();
          messages.push('accepted');
        } catch (error) {
          messages.push(error.message);
        }
      }
      await w.setTempo(1);
      await w.setPitch(7);
      await w.play();
      return messages;
    });
    assert.deepEqual(refused, [
      'the speed must be between 0.25 and 2, got 3',
      'the speed must be between 0.25 and 2, got NaN',
      'the pitch must be between -12 and +12 semitones, got 13',
      'setPitch takes semitones, e.g. -2 or 0.18',
    ]);
    await page.waitForTimeout(500);
    const measured = await playAndMeasure(2);
    const cents = 1200 * Math.log2(zeroCrossingFrequency(measured.left, measured.sampleRate) / (LEFT_HZ * 2 ** (7 / 12)));
    console.log(`[ measure  ] +7 semitones in the browser: ${cents.toFixed(2)} cents off; ${measured.advance.toFixed(4)} source frames per frame`);
    assert.ok(Math.abs(cents) <= 1, `${cents} cents`);
    assert.ok(Math.abs(measured.advance - 1) <= 0.01, `${measured.advance} source frames per frame`);
    await page.evaluate(() => window.woodshed.pause());
  });

  test('the keys, the quick-speed buttons and a reload keep each song\'s speed and pitch', async () => {
    await page.evaluate(async () => {
      await window.woodshed.setTempo(1);
      await window.woodshed.setPitch(0);
    });
    // A key acts once the app has drawn it and the API call has gone through.
    const settles = (field, value) => eventually(page, ([f, v]) => window.woodshed.state().then((s) => s[f] === v), [field, value]);
    await ui.hold(['Minus']);
    await settles('tempo', 0.95);
    await ui.hold(['Shift', 'Equal']);
    await settles('tempo', 0.96);
    await ui.hold(['KeyS']);  // the next quick speed up from 96 %: 100 %
    await settles('tempo', 1);
    await ui.hold(['KeyS']);  // after the fastest, the slowest
    await settles('tempo', 0.5);
    await ui.hold(['Quote']);
    await settles('pitchSemitones', 1);
    await ui.hold(['Shift', 'Semicolon']);
    await settles('pitchSemitones', 0.9);
    await ui.clickControl('tempo.70');
    await settles('tempo', 0.7);

    await page.evaluate(() => window.woodshed.saved());  // imports save in the background
    await page.reload();
    await page.evaluate(() => window.woodshed.ready);
    const restored = await page.evaluate(async (id) => {
      const w = window.woodshed;
      await w.ready;
      await w.load(id);
      return { state: await w.state(), recall: await w.recall(id) };
    }, songId);
    assert.equal(restored.state.tempo, 0.7);
    assert.equal(restored.state.pitchSemitones, 0.9);
    assert.equal(restored.recall.tempo, 0.7);
  });

  test('the speed trainer plays two passes at each step up to its target, and stopping it restores the tempo', async () => {
    const outcome = await page.evaluate(async () => {
      const w = window.woodshed;
      const refused = [];
      for (const spec of [{ start: 0.9, step: 0.1, target: 0.6, passesPerStep: 2 }, { start: 0.6, step: 0, target: 0.8, passesPerStep: 2 },
        { start: 0.6, step: 0.1, target: 0.8, passesPerStep: 0 }, { start: Number.NaN, step: 0.1, target: 0.8, passesPerStep: 2 }]) {
        try {
          await w.setSpeedTrainer(spec);
          refused.push('accepted');
        } catch (error) {
          refused.push(error.message);
        }
      }
      await w.setTempo(0.9);
      await w.setPitch(0);
      await w.setLoopRegion({ start: 1, end: 1.5 });
      await w.seek(1);
      await w.setSpeedTrainer({ start: 0.6, step: 0.1, target: 0.8, passesPerStep: 2 });
      await w.play();
      // What the trainer says, every 40 ms for 6 s: [tempo, pass].
      const seen = [];
      const until = performance.now() + 6000;
      while (performance.now() < until) {
        const { trainer } = await w.state();
        if (trainer && (seen.length === 0 || seen.at(-1)[0] !== trainer.tempo || seen.at(-1)[1] !== trainer.pass)) {
          seen.push([trainer.tempo, trainer.pass, trainer.atTarget]);
        }
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      await w.setSpeedTrainer(null);
      let stopped = await w.state();
      for (let tries = 0; stopped.tempo !== 0.9 && tries < 50; tries++) {  // the render thread's next turn
        await new Promise((resolve) => setTimeout(resolve, 20));
        stopped = await w.state();
      }
      await w.pause();
      await w.setLoopRegion(null);
      return { refused, seen, stopped: { tempo: stopped.tempo, trainer: stopped.trainer } };
    });
    assert.deepEqual(outcome.refused, [
      'the trainer\'s start must not be faster than its target, got 0.9 and 0.6',
      'the trainer\'s step must be between 0.01 and 1, got 0',
      'the trainer plays 1 to 100 passes a step, got 0',
      'the speed must be between 0.25 and 2, got NaN',
    ]);
    console.log(`[ measure  ] trainer as shown: ${outcome.seen.map(([t, p]) => `${Math.round(t * 100)}%/${p}`).join(' ')}`);
    assert.deepEqual(outcome.seen.slice(0, 6).map(([t, p]) => [Math.round(t * 100), p]),
      [[60, 1], [60, 2], [70, 1], [70, 2], [80, 1], [80, 2]], 'two passes a step, then the target');
    assert.ok(outcome.seen.slice(4).every(([t, , atTarget]) => Math.round(t * 100) === 80 && atTarget), 'it holds at the target');
    assert.deepEqual(outcome.stopped, { tempo: 0.9, trainer: null }, 'stopping restores the tempo set before');
  });
});
