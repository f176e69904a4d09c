// Export, as a musician uses it: the loop at speed 1 with nothing shaping it comes out as the
// song's own samples; at half speed it is twice as long at the same pitch; a cancel at any
// moment leaves no file and the song plays on; the Export popup saves through the save picker
// (stubbed here with a file of the private file system, as a user's pick would give); and the
// command-line tool renders the same settings to within -100 dB.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { zeroCrossingFrequency } from './analysis.mjs';
import { eventually, openApp, startServer, uiDriver } from './harness.mjs';
import { installPageHelpers, mediaDir } from './media.mjs';
import { makeWav, parseWav } from './wav.mjs';

const CLI = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../build/native-release/src/cli/woodshed');

// A seeded generator, so the noise (and the cancel points) are the same on every run.
function lcg(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('export', () => {
  let server;
  let browser;
  let page;
  let rate;
  let noise;
  let noiseId;
  let sineId;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    await installPageHelpers(page);
    rate = await page.evaluate(async () => {
      await window.woodshed.start();
      return (await window.woodshed.stats()).sampleRate;
    });
    // 60 s of noise with the 16-bit extremes in it, at the output's rate (stored as is), and
    // 8 s of a 440 Hz tone.
    const random = lcg(20261207);
    const frames = 60 * rate;
    const values = new Int16Array(frames * 2);
    for (let i = 0; i < values.length; i++) values[i] = Math.round((random() * 2 - 1) * 12000);
    values[Math.round(3 * rate) * 2] = 32767;
    values[Math.round(3 * rate) * 2 + 1] = -32768;
    noise = values;
    const noisePath = path.join(mediaDir, 'Noise.wav');
    writeFileSync(noisePath, makeWav({ rate, channels: 2, frames, bits: 16, sample: (i, c) => values[i * 2 + c] }));
    const sine = makeWav({ rate, channels: 2, frames: 8 * rate, bits: 16, sample: (i) => Math.round(0.4 * 32767 * Math.sin((2 * Math.PI * 440 * i) / rate)) });
    [noiseId, sineId] = await page.evaluate(async ({ a, b }) => {
      const w = window.woodshed;
      const ids = await w.importFiles([
        { name: 'Noise.wav', bytes: window.testAudio.fromBase64(a) },
        { name: 'Sine.wav', bytes: window.testAudio.fromBase64(b) },
      ]);
      await w.load(ids[0]);
      await w.saved();  // the tests count what is left in tmp/, where a save in progress writes
      return ids;
    }, { a: readFileSync(noisePath).toString('base64'), b: sine.toString('base64') });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // Runs exportAudio in the page and brings the file back.
  const exportInPage = (trackId, options) => page.evaluate(async ({ trackId: id, options: o }) => {
    const blob = await window.woodshed.exportAudio(id, o);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { base64: btoa(text), state: (await window.woodshed.state()).export };
  }, { trackId, options }).then(({ base64, state }) => ({ file: parseWav(Buffer.from(base64, 'base64')), state }));

  // What the private file system holds besides songs: exports and temporary files.
  const leftovers = () => page.evaluate(async () => {
    const library = await (await navigator.storage.getDirectory()).getDirectoryHandle('library');
    const names = [];
    for (const folder of ['exports', 'tmp', 'picked']) {
      let directory;
      try { directory = await library.getDirectoryHandle(folder); } catch { continue; }
      for await (const [name, handle] of directory.entries()) {
        const size = handle.kind === 'file' ? (await handle.getFile()).size : 0;
        names.push(`${folder}/${name} (${size} B)`);
      }
    }
    return names;
  });

  test('the loop at speed 1 with the EQ bypassed, the limiter off and 0 dB gain is the stored song bit for bit', async () => {
    await page.evaluate(async () => {
      const w = window.woodshed;
      await w.setEq({ bypass: true });
      await w.setLimiter({ enabled: false });
      await w.setLoopRegion({ start: 2.5, end: 4.25 });
    });
    const first = Math.round(2.5 * rate);
    const frames = Math.round(4.25 * rate) - first;
    const float = await exportInPage(null, { region: 'loop', format: 'wav32f' });
    assert.deepEqual([float.file.format, float.file.channels, float.file.rate, float.file.bits], [3, 2, rate, 32]);
    assert.equal(float.file.samples.length, frames * 2, 'the loop\'s frames, no more, no fewer');
    const fixed = await exportInPage(null, { region: 'loop', format: 'wav16' });
    let differentFloat = 0;
    let differentFixed = 0;
    for (let i = 0; i < frames * 2; i++) {
      const stored = noise[first * 2 + i];
      differentFloat += float.file.samples[i] !== stored / 32768;
      differentFixed += fixed.file.samples[i] !== stored;
    }
    console.log(`[ measure  ] loop export: ${frames} frames; samples not the stored ones: wav32f ${differentFloat}, wav16 ${differentFixed}`);
    assert.equal(differentFloat, 0);
    assert.equal(differentFixed, 0, 'no dither on samples already on the grid');
    assert.equal(fixed.state.stage, 'done');
    assert.equal(fixed.state.progress, 1);
  });

  test('at half speed the export is twice as long and a 440 Hz tone keeps its pitch', async () => {
    await page.evaluate(async (id) => {
      await window.woodshed.load(id);
      await window.woodshed.setTempo(0.5);
    }, sineId);
    const { file } = await exportInPage(null, { region: 'song', format: 'wav32f' });
    const frames = file.samples.length / 2;
    const left = Float64Array.from({ length: frames }, (_, i) => file.samples[2 * i]);
    // The middle, away from the edges' ramps.
    const hz = zeroCrossingFrequency(left.subarray(Math.round(2 * rate), Math.round(14 * rate)), rate);
    console.log(`[ measure  ] export at tempo 0.5: ${frames} frames for ${8 * rate} (x${(frames / (8 * rate)).toFixed(5)}); tone ${hz.toFixed(3)} Hz`);
    assert.equal(frames, 16 * rate);
    assert.ok(Math.abs(hz - 440) <= 0.3, `the tone is at ${hz} Hz`);
    await page.evaluate(() => window.woodshed.setTempo(1));
  });

  test('cancelling at 10 random points leaves no file, and the song plays on', async () => {
    await page.evaluate(async (id) => {
      await window.woodshed.load(id);
      // The first test's loop is kept with the song: without it the 60 s song cannot wrap
      // between two readings of the position.
      await window.woodshed.setLoopRegion(null);
      await window.woodshed.setLoop(false);
      await window.woodshed.seek(0);
      await window.woodshed.setTempo(0.7);  // a slower render, so that each point falls within it
      await window.woodshed.play();
    }, noiseId);
    try {
      await cancelAtRandomPoints();
    } finally {
      await page.evaluate(async () => {
        await window.woodshed.pause();
        await window.woodshed.setTempo(1);
      });
    }
  });

  async function cancelAtRandomPoints() {
    const random = lcg(7);
    const points = Array.from({ length: 10 }, () => Math.round(random() * 600));
    const outcomes = await page.evaluate(async (delays) => {
      const w = window.woodshed;
      const results = [];
      for (const delay of delays) {
        const before = await w.state();
        const running = w.exportAudio(null, { region: 'song', format: 'wav32f' }).then(() => 'finished', (error) => error.message);
        await new Promise((resolve) => setTimeout(resolve, delay));
        const progress = (await w.state()).export?.progress ?? 0;
        w.cancelExport();
        const message = await running;
        const after = await w.state();
        results.push({ delay, progress, message, advanced: after.positionSeconds - before.positionSeconds, playing: after.playing });
      }
      return results;
    }, points);
    for (const o of outcomes) {
      console.log(`[ measure  ] cancel after ${o.delay} ms at ${(100 * o.progress).toFixed(0)} %: ${o.message.slice(0, 40)}; song advanced ${o.advanced.toFixed(2)} s`);
    }
    assert.ok(outcomes.every((o) => o.message.startsWith('cancelled')), JSON.stringify(outcomes));
    assert.ok(outcomes.every((o) => o.playing && o.advanced > 0), 'playback went on through each export');
    assert.deepEqual(await leftovers(), [], 'no file is left by a cancelled export');
    const state = await page.evaluate(() => window.woodshed.state());
    assert.equal(state.export.stage, 'cancelled');
  }

  test('the Export popup saves into the file the save picker gives, and a cancel there removes it', async () => {
    const ui = uiDriver(page);
    // The picker returns a file of the private file system, as a user's choice would.
    await page.evaluate(async () => {
      const library = await (await navigator.storage.getDirectory()).getDirectoryHandle('library');
      const picked = await library.getDirectoryHandle('picked', { create: true });
      window.pickerCalls = [];
      window.showSaveFilePicker = async (options) => {
        window.pickerCalls.push(options.suggestedName);
        return picked.getFileHandle(`pick-${window.pickerCalls.length}.wav`, { create: true });
      };
      await window.woodshed.setLoopRegion({ start: 10, end: 20 });
    });
    await ui.clickControl('export.open');
    await ui.clickControl('export.loop');
    await ui.clickControl('export.wav24');
    await ui.clickControl('export.start');
    const saved = await eventually(page, async () => {
      const s = (await window.woodshed.state()).export;
      return s?.stage === 'done' ? s : null;
    });
    const picked = await page.evaluate(async () => {
      const library = await (await navigator.storage.getDirectory()).getDirectoryHandle('library');
      const file = await (await (await library.getDirectoryHandle('picked')).getFileHandle('pick-1.wav')).getFile();
      const bytes = new Uint8Array(await file.arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { name: window.pickerCalls[0], base64: btoa(text) };
    });
    const file = parseWav(Buffer.from(picked.base64, 'base64'));
    assert.equal(picked.name, 'Noise (A-B 0m10s-0m20s).wav');
    assert.equal(file.bits, 24);
    const first = 10 * rate;
    let different = 0;
    for (let i = 0; i < file.samples.length; i++) different += file.samples[i] !== noise[first * 2 + i] * 256;
    assert.equal(file.samples.length, 10 * rate * 2);
    assert.equal(different, 0, '24 bits hold the 16-bit song exactly');
    assert.equal(saved.name, picked.name);

    // Cancel from the app's button while it runs: the minute-long song at quarter speed and a
    // fifth up renders for several seconds.
    await page.evaluate(async () => {
      await window.woodshed.setTempo(0.25);
      await window.woodshed.setPitch(7);
    });
    await ui.clickControl('export.open');
    await ui.clickControl('export.song');
    await ui.clickControl('export.wav32f');
    await ui.clickControl('export.start');
    await eventually(page, async () => (await window.woodshed.state()).export?.stage === 'rendering');
    await ui.clickControl('export.cancel');
    await eventually(page, async () => (await window.woodshed.state()).export?.stage === 'cancelled');
    const left = await leftovers();
    assert.deepEqual(left.filter((name) => !name.startsWith('picked/pick-1.wav')), [], 'the cancelled pick is removed');
    await page.evaluate(async () => {
      await window.woodshed.setTempo(1);
      await window.woodshed.setPitch(0);
    });
  });

  test('without a save picker the Export popup hands the file over as a download', async () => {
    const ui = uiDriver(page);
    await page.evaluate(async () => {
      delete window.showSaveFilePicker;
      await window.woodshed.setLoopRegion({ start: 30, end: 31.5 });
    });
    await ui.clickControl('export.open');
    await ui.clickControl('export.loop');
    await ui.clickControl('export.wav16');
    const downloaded = page.waitForEvent('download', { timeout: 30_000 });
    await ui.clickControl('export.start');
    const download = await downloaded;
    const file = parseWav(readFileSync(await download.path()));
    console.log(`[ measure  ] download: ${download.suggestedFilename()}, ${file.samples.length / 2} frames`);
    assert.equal(download.suggestedFilename(), 'Noise (A-B 0m30s-0m31.5s).wav');
    assert.equal(file.samples.length, (Math.round(31.5 * rate) - 30 * rate) * 2);
    let different = 0;
    for (let i = 0; i < file.samples.length; i++) different += file.samples[i] !== noise[30 * rate * 2 + i];
    assert.equal(different, 0, 'the song\'s own samples');
  });

  test('the command-line tool renders the same settings to within -100 dB of the browser', async () => {
    const settings = { tempo: 0.8, semitones: 2, gainDb: -3, ceilingDb: -6, start: 1, end: 5 };
    await page.evaluate(async ({ id, s }) => {
      const w = window.woodshed;
      await w.load(id);
      await w.setEq({ bypass: true });
      await w.setLimiter({ enabled: true, ceilingDb: s.ceilingDb });
      await w.setTempo(s.tempo);
      await w.setPitch(s.semitones);
    }, { id: noiseId, s: settings });
    // The song's gain is set where a user sets it: normalize would, or the API's recall.
    await page.evaluate((db) => window.woodshed.setTrackGain(db), settings.gainDb);
    const browserFile = (await exportInPage(null, { region: { start: settings.start, end: settings.end }, format: 'wav32f' })).file;
    const out = path.join(mediaDir, 'cli-export.wav');
    execFileSync(CLI, ['render', path.join(mediaDir, 'Noise.wav'), out, `--start=${settings.start}`, `--end=${settings.end}`,
      `--tempo=${settings.tempo}`, `--semitones=${settings.semitones}`, `--gain=${settings.gainDb}`,
      `--limiter=${settings.ceilingDb}`, '--format=wav32f']);
    const cliFile = parseWav(readFileSync(out));
    assert.equal(cliFile.samples.length, browserFile.samples.length, 'the same length');
    let worst = 0;
    for (let i = 0; i < cliFile.samples.length; i++) worst = Math.max(worst, Math.abs(cliFile.samples[i] - browserFile.samples[i]));
    const worstDb = 20 * Math.log10(Math.max(worst, 1e-30));
    console.log(`[ measure  ] CLI vs browser export (tempo 0.8, +2 st, -3 dB, limiter -6 dBFS): worst difference ${worstDb.toFixed(1)} dBFS`);
    assert.ok(worstDb < -100, `the worst difference is ${worstDb.toFixed(1)} dBFS`);
    await page.evaluate(async () => {
      await window.woodshed.setTempo(1);
      await window.woodshed.setPitch(0);
    });
  });
});
