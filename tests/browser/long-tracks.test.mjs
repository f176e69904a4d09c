// The longest tracks: a 20-minute song imports (through the file picker) and plays; ten minutes
// of it export without the heap growing by more than 10 MB; the first length past the limit is
// refused with a message and changes nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openApp, pickFile, startServer } from './harness.mjs';
import { makeAudio } from './media.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await openApp(server.url);
  await browser.page.evaluate(() => window.woodshed.start());
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a 20-minute track imports and plays; 31 minutes is refused cleanly', { timeout: 600000 }, async () => {
  const { page } = browser;
  const twenty = makeAudio({ format: 'flac', rate: 48000, channels: 2, seconds: 1200, signal: 'sine', name: 'twenty-minutes.flac' });
  const heapBefore = (await page.evaluate(() => window.woodshed.stats())).heapBytesInUse;
  const imported = await pickFile(page, twenty);
  assert.ok(imported.track, imported.error);
  assert.ok(Math.abs(imported.track.duration - 1200) < 0.1);
  const perMinute = (imported.stats.heapBytesInUse - heapBefore) / 20;
  console.log(`[ measure  ] 20-minute FLAC imported in ${imported.seconds.toFixed(1)} s; heap ${(perMinute / 1e6).toFixed(2)} MB per minute of stereo audio at ${imported.track.sampleRate} Hz`);
  const played = await page.evaluate(async (id) => {
    const w = window.woodshed;
    await w.load(id);
    await w.seek(19 * 60 + 30);
    await w.play();
    await new Promise((r) => setTimeout(r, 300));
    const captured = await w.captureOutput(0.5);
    let sum = 0;
    for (const x of captured.channels[0]) sum += x * x;
    // Back to the start, so the song is still playing (not ended) while the next file imports.
    await w.seek(60);
    return { rms: Math.sqrt(sum / captured.channels[0].length), position: captured.sourceFrameAtStart / captured.sampleRate };
  }, imported.track.id);
  assert.ok(played.position > 19 * 60 + 30 && played.position < 19 * 60 + 32, `plays near the end: ${played.position} s`);
  assert.ok(Math.abs(20 * Math.log10(played.rms * Math.SQRT2) - 20 * Math.log10(0.3)) < 0.5, `level ${played.rms}`);

  // Ten minutes of it exported, streamed: the heap stays within 10 MB of where it started.
  const exported = await page.evaluate(async () => {
    const w = window.woodshed;
    const start = (await w.stats()).heapBytesInUse;
    let peak = start;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await w.stats()).heapBytesInUse);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const began = performance.now();
    const blob = await w.exportAudio(null, { region: { start: 0, end: 600 }, format: 'wav16' });
    const seconds = (performance.now() - began) / 1000;
    sampling = false;
    await sampler;
    const state = await w.state();
    return { start, peak, end: (await w.stats()).heapBytesInUse, size: blob.size, seconds, rate: (await w.stats()).sampleRate, playing: state.playing };
  });
  console.log(`[ measure  ] 10-minute export (wav16, ${(exported.size / 1e6).toFixed(1)} MB) in ${exported.seconds.toFixed(1)} s `
    + `(${(600 / exported.seconds).toFixed(0)}x real time, while playing); heap peak +${((exported.peak - exported.start) / 1e6).toFixed(2)} MB, `
    + `after +${((exported.end - exported.start) / 1e6).toFixed(2)} MB`);
  assert.equal(exported.size, 44 + 600 * exported.rate * 4, 'ten minutes of 16-bit stereo');
  assert.ok(exported.peak - exported.start <= 10e6, `the heap grew by ${exported.peak - exported.start} bytes`);
  assert.ok(exported.playing, 'the song played on');

  // Mono at 8 kHz: quick to make and decode; the limit is on minutes at any rate.
  const thirtyOne = makeAudio({ format: 'wav16', rate: 8000, channels: 1, seconds: 31 * 60, signal: 'sine', name: 'thirty-one-minutes.wav' });
  const refused = await pickFile(page, thirtyOne);
  assert.equal(refused.track, undefined);
  assert.match(refused.error, /^thirty-one-minutes\.wav: it is 31\.0 minutes long; Woodshed takes tracks up to 30\.0 minutes$/);
  const after = await page.evaluate(async () => ({ state: await window.woodshed.state(), tracks: await window.woodshed.tracks() }));
  assert.equal(after.state.trackId, imported.track.id, 'the 20-minute track is still current');
  assert.equal(after.state.playing, true, 'and still playing');
  assert.equal(after.tracks.length, 1);
  await page.evaluate((id) => window.woodshed.remove(id), imported.track.id);
  assert.deepEqual(browser.errors, []);
});
