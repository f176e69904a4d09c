// Sound shaping and analysis measured on what the worklet really plays: the EQ's gain, the
// limiter's ceiling, the spectrum's level, EBU R128 loudness, and loudness normalization.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApp, startServer } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio, reportGaps } from './media.mjs';

describe('sound shaping and analysis', () => {
  let server;
  let browser;
  let page;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    await installPageHelpers(page);
    await page.evaluate(() => window.woodshed.start());
  });
  after(async () => {
    await reportGaps(page);
    await browser?.close();
    await server?.stop();
  });

  // AES17 level (dBFS) and peak (linear) of one gap-free captured second.
  const measure = () => page.evaluate(async () => {
    const captured = await window.testAudio.captureWithoutGaps(1);
    const left = captured.channels[0];
    let sum = 0;
    let peak = 0;
    for (let i = 4410; i < left.length; i++) {
      sum += left[i] * left[i];
      peak = Math.max(peak, Math.abs(left[i]), Math.abs(captured.channels[1][i]));
    }
    return { levelDb: 20 * Math.log10(Math.sqrt(sum / (left.length - 4410)) * Math.SQRT2), peak };
  });
  const settle = () => page.waitForTimeout(250);

  test('a +6 dB EQ band at 1 kHz raises a 1 kHz sine by 6 +- 0.2 dB', async () => {
    await page.evaluate(() => window.woodshed.setGenerator({ type: 'sine', frequency: 1000, levelDb: -18 }));
    await settle();
    const flat = await measure();
    await page.evaluate(() => window.woodshed.setEq([{}, { type: 'peaking', frequency: 1000, gainDb: 6, q: 1, enabled: true }]));
    await settle();
    const boosted = await measure();
    const eq = await page.evaluate(() => window.woodshed.eq());
    await page.evaluate(() => window.woodshed.setEq([{}, { gainDb: 0 }]));
    console.log(`[ measure  ] EQ +6 dB at 1 kHz: measured ${(boosted.levelDb - flat.levelDb).toFixed(3)} dB`);
    assert.ok(Math.abs(boosted.levelDb - flat.levelDb - 6) <= 0.2, `${flat.levelDb} -> ${boosted.levelDb}`);
    assert.equal(eq.bands[1].gainDb, 6);
    assert.equal(eq.bands[0].type, 'lowshelf');
    const refused = await page.evaluate(() => window.woodshed.setEq([{}, { gainDb: 30 }]).then(() => 'accepted', (e) => e.message));
    assert.match(refused, /between -18 and \+18 dB/);
  });

  test('setEq keeps what it is not given, and a bad band anywhere changes nothing, in the settings or the sound', async () => {
    await page.evaluate(() => window.woodshed.setGenerator({ type: 'sine', frequency: 2000, levelDb: -18 }));
    await page.evaluate(() => window.woodshed.setEq([{}, {}, {}, {}, {}, {}, { frequency: 2000, gainDb: 4, q: 2, enabled: true }]));
    await page.evaluate(() => window.woodshed.setEq([{}, {}, {}, {}, {}, {}, { gainDb: 5 }]));
    const partial = await page.evaluate(() => window.woodshed.eq());
    assert.deepEqual(partial.bands[6], { type: 'peaking', frequency: 2000, gainDb: 5, q: 2, enabled: true }, 'only the gain changed');
    await settle();
    const before = await measure();
    // A preset-sized change whose last band is out of range.
    const bands = Array.from({ length: 10 }, (_, i) => ({ gainDb: i === 9 ? 40 : -12 }));
    const refused = await page.evaluate((b) => window.woodshed.setEq(b).then(() => 'accepted', (e) => e.message), bands);
    assert.equal(refused, "band 9: an EQ band's gain must be between -18 and +18 dB, got 40; nothing was changed");
    assert.deepEqual(await page.evaluate(() => window.woodshed.eq()), partial, 'the settings are as before');
    await settle();
    const after = await measure();
    assert.ok(Math.abs(after.levelDb - before.levelDb) < 0.05, `the sound is as before: ${before.levelDb} -> ${after.levelDb}`);
    await page.evaluate(() => window.woodshed.setEq({ bands: [{}, {}, {}, {}, {}, {}, { gainDb: 0, q: 1, frequency: 1000 }], bypass: false }));
  });

  test('the generator is read back from the engine, so a change made elsewhere is kept', async () => {
    const read = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.setGenerator({ type: 'triangle', frequency: 300, levelDb: -15 });
      const set = await w.generator();
      await w.setGenerator(null);
      const off = await w.generator();
      await w.setGenerator({ levelDb: -20 });  // back on, with the other settings kept
      const partial = await w.generator();
      // The app's panel changes the frequency; then the API changes only the level.
      w.test.setGeneratorAsThePanelDoes('triangle', 880, -20);
      await w.setGenerator({ levelDb: -24 });
      const afterPanel = await w.generator();
      await w.setGenerator(null);
      return { set, off, partial, afterPanel };
    });
    assert.deepEqual(read.set, { type: 'triangle', frequency: 300, levelDb: -15 });
    assert.equal(read.off, null);
    assert.deepEqual(read.partial, { type: 'triangle', frequency: 300, levelDb: -20 });
    assert.deepEqual(read.afterPanel, { type: 'triangle', frequency: 880, levelDb: -24 }, 'the panel\'s frequency is kept');
  });

  // Measured where the limiter hands on (stats().limiterPeakDb, before the safety clipper and
  // the volume), so the clipper cannot be what holds the ceiling; and at the output.
  test('the limiter holds every sample at its ceiling, whatever goes in', async () => {
    const limiterPeakAt = (ceilingDb) => page.evaluate(async (db) => {
      await window.woodshed.setLimiter({ ceilingDb: db, enabled: true });  // a new setting starts a new peak
      await new Promise((resolve) => setTimeout(resolve, 600));
      return (await window.woodshed.stats()).limiterPeakDb;
    }, ceilingDb);
    await page.evaluate(async () => {
      await window.woodshed.setGenerator({ type: 'square', frequency: 220, levelDb: -3 });
      await window.woodshed.setMasterGain(12);
    });
    const limiter = {};
    const output = {};
    for (const ceilingDb of [-1, -6, -0.1]) {
      limiter[ceilingDb] = await limiterPeakAt(ceilingDb);
      output[ceilingDb] = (await measure()).peak;
    }
    await page.evaluate(async () => {
      await window.woodshed.setLimiter({ ceilingDb: -1, enabled: true });
      await window.woodshed.setMasterGain(0);
    });
    console.log(`[ measure  ] a square 9 dB over full scale, out of the limiter and at the output: `
      + Object.keys(limiter).map((db) => `${db} dBFS: ${limiter[db].toFixed(4)} dBFS, ${(20 * Math.log10(output[db])).toFixed(4)} dBFS`).join('; '));
    for (const db of Object.keys(limiter).map(Number)) {
      assert.ok(limiter[db] <= db + 1e-5, `the limiter let out ${limiter[db]} dBFS at a ${db} dBFS ceiling`);
      assert.ok(limiter[db] > db - 0.5, `and it is limiting, not silent: ${limiter[db]} dBFS`);
      assert.ok(output[db] <= 10 ** (db / 20) + 1e-6, `the output peaked at ${output[db]} at a ${db} dBFS ceiling`);
    }
  });

  // A ceiling above the safety clipper's default (-0.5 dBFS): a tone peaking between the two
  // comes out as it went in, not bent by the clipper.
  test('below a -0.1 dBFS ceiling a -0.3 dBFS tone is not bent by the safety clipper', async () => {
    const result = await page.evaluate(async () => {
      const w = window.woodshed;
      // The tone first, and the master gain back at unity, so the limiter's new peak (a new
      // setting starts one) sees only the tone.
      await w.setGenerator({ type: 'sine', frequency: 441, levelDb: -0.3 });
      await w.setMasterGain(0);
      await new Promise((resolve) => setTimeout(resolve, 400));
      await w.setLimiter({ ceilingDb: -0.1, enabled: true });
      await new Promise((resolve) => setTimeout(resolve, 600));
      const captured = await w.captureOutput(0.3);
      const limiterPeakDb = (await w.stats()).limiterPeakDb;
      await w.setGenerator(null);
      await w.setLimiter({ ceilingDb: -1, enabled: true });
      let peak = 0;
      for (const x of captured.channels[0]) peak = Math.max(peak, Math.abs(x));
      return { outputPeakDb: 20 * Math.log10(peak), limiterPeakDb };
    });
    console.log(`[ measure  ] a -0.3 dBFS sine under a -0.1 dBFS ceiling: ${result.limiterPeakDb.toFixed(5)} dBFS out of the limiter, `
      + `${result.outputPeakDb.toFixed(5)} dBFS at the output`);
    assert.ok(Math.abs(result.limiterPeakDb + 0.3) < 0.01, `the limiter let it through: ${result.limiterPeakDb}`);
    assert.ok(Math.abs(result.outputPeakDb - result.limiterPeakDb) < 0.001,
      `the output peaks where the limiter's output did (the clipper at -0.5 dBFS bent it to about -0.4): ${result.outputPeakDb}`);
  });

  test('the spectrum reads a sine on a bin at its level and frequency', async () => {
    const rate = (await page.evaluate(() => window.woodshed.stats())).sampleRate;
    const frequency = (rate / 4096) * 93;  // exactly on bin 93 of a 4096-point FFT
    await page.evaluate(async (f) => {
      await window.woodshed.setSpectrum({ size: 4096, window: 'hann' });
      await window.woodshed.setGenerator({ type: 'sine', frequency: f, levelDb: -12 });
    }, frequency);
    await page.waitForTimeout(800);
    const peak = await page.evaluate(async () => {
      const s = await window.woodshed.spectrum();
      let best = 0;
      for (let i = 1; i < s.magnitudesDb.length; i++) if (s.magnitudesDb[i] > s.magnitudesDb[best]) best = i;
      return { frequency: s.frequencies[best], level: s.magnitudesDb[best], fftSize: s.fftSize };
    });
    assert.equal(peak.fftSize, 4096);
    assert.ok(Math.abs(peak.frequency - frequency) < 1, `peak at ${peak.frequency} Hz`);
    assert.ok(Math.abs(peak.level + 12) < 0.1, `reads ${peak.level} dB`);
  });

  test('a 1 kHz stereo sine at -23 dBFS reads -23 LUFS integrated (EBU Tech 3341)', async () => {
    await page.evaluate(async () => {
      await window.woodshed.setGenerator({ type: 'sine', frequency: 1000, levelDb: -23 });
      await new Promise((r) => setTimeout(r, 300));
      await window.woodshed.resetLoudness();
    });
    await page.waitForTimeout(4000);
    const loudness = await page.evaluate(() => window.woodshed.loudness());
    const stats = await page.evaluate(() => window.woodshed.stats());
    await page.evaluate(() => window.woodshed.setGenerator(null));
    console.log(`[ measure  ] loudness of a -23 dBFS sine: integrated ${loudness.integrated.toFixed(2)} LUFS, momentary ${loudness.momentary.toFixed(2)}, true peak ${loudness.truePeak.toFixed(2)} dBTP (underruns so far ${stats.underruns})`);
    assert.ok(Math.abs(loudness.integrated + 23) <= 0.1, `integrated ${loudness.integrated}`);
    assert.ok(Math.abs(loudness.momentary + 23) <= 0.2, `momentary ${loudness.momentary}`);
    assert.ok(Math.abs(loudness.truePeak + 23) <= 0.1, `true peak ${loudness.truePeak} (the reset lands anywhere in the sine)`);
  });

  test('the listening volume comes after the meters, and above 0 dB the output stays within full scale', async () => {
    const reading = async (volumeDb) => {
      await page.evaluate(async (db) => {
        await window.woodshed.setVolume(db);
        await new Promise((r) => setTimeout(r, 300));
        await window.woodshed.resetLoudness();
      }, volumeDb);
      await page.waitForTimeout(600);
      const output = await measure();
      const { momentary } = await page.evaluate(() => window.woodshed.loudness());
      const { rmsDb } = await page.evaluate(() => window.woodshed.meters());
      return { output: output.levelDb, momentary, rmsDb: rmsDb[0] };
    };
    await page.evaluate(() => window.woodshed.setGenerator({ type: 'sine', frequency: 1000, levelDb: -20 }));
    const unity = await reading(0);
    const down = await reading(-12);
    console.log(`[ measure  ] volume -12 dB: output ${(down.output - unity.output).toFixed(3)} dB, momentary loudness ${unity.momentary.toFixed(2)} -> ${down.momentary.toFixed(2)} LUFS`);
    assert.ok(Math.abs(down.output - unity.output + 12) <= 0.1, `the output drops 12 dB: ${unity.output} -> ${down.output}`);
    assert.ok(Math.abs(down.momentary - unity.momentary) <= 0.1, `loudness measures the song: ${unity.momentary} -> ${down.momentary}`);
    assert.ok(Math.abs(unity.rmsDb + 23.01) <= 0.1, `the RMS meter reads the -20 dBFS (AES17) sine: ${unity.rmsDb} dB`);
    assert.ok(Math.abs(down.rmsDb - unity.rmsDb) <= 0.1, `and so do the meters: ${unity.rmsDb} -> ${down.rmsDb}`);
    // A full-scale square with the limiter off, at +6 dB of volume.
    await page.evaluate(async () => {
      await window.woodshed.setLimiter({ ceilingDb: 0, enabled: false });
      await window.woodshed.setGenerator({ type: 'square', frequency: 220, levelDb: 0 });
      await window.woodshed.setVolume(6);
    });
    await settle();
    const loud = await measure();
    const stats = await page.evaluate(() => window.woodshed.stats());
    await page.evaluate(async () => {
      await window.woodshed.setVolume(0);
      await window.woodshed.setLimiter({ ceilingDb: -1, enabled: true });
      await window.woodshed.setGenerator(null);
    });
    console.log(`[ measure  ] full-scale square at +6 dB volume: peak ${loud.peak.toFixed(5)}; blocks limited ${stats.volumeLimitedBlocks}`);
    assert.ok(loud.peak <= 1, `never above 0 dBFS: ${loud.peak}`);
    assert.ok(loud.peak > 0.9, 'and still loud');
    assert.ok(stats.volumeLimitedBlocks > 0, 'the engine says it limited');
  });

  test('normalize measures a song on the thread pool and plays it at the target', async () => {
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 20, name: 'quiet.wav' });
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const [id] = await w.importFiles([{ name: 'quiet.wav', bytes: window.testAudio.fromBase64(b) }]);
      await w.load(id);
      const outcome = await w.normalize({ targetLufs: -16 });
      await w.setLoop(true);
      await w.play();
      await new Promise((r) => setTimeout(r, 300));
      await w.resetLoudness();
      await new Promise((r) => setTimeout(r, 5000));
      const loudness = await w.loudness();
      await w.pause();
      const stored = (await w.tracks()).find((t) => t.id === id);
      await w.remove(id);
      return { outcome, loudness, storedGain: stored.recall?.trackGainDb };
    }, base64Of(file));
    console.log(`[ measure  ] normalize: measured ${result.outcome.measuredLufs.toFixed(2)} LUFS, gain ${result.outcome.gainDb.toFixed(2)} dB, playing at ${result.loudness.integrated.toFixed(2)} LUFS`);
    assert.ok(Math.abs(result.loudness.integrated + 16) < 0.5, `plays at ${result.loudness.integrated} LUFS`);
    assert.equal(result.storedGain, result.outcome.gainDb, 'the gain is kept with the song');
    assert.deepEqual(browser.errors, []);
  });
});
