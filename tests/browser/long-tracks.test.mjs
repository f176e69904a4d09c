// The longest tracks: a 20-minute FLAC imports (through the file picker) and plays a few
// seconds into its decode, the rest arriving while it plays; a seek near its end is heard once
// that part has arrived; ten minutes of it export without the heap growing by more than 10 MB;
// the first length past the limit is refused with a message and changes nothing.

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

test('a 20-minute track plays before it is all decoded; 31 minutes is refused cleanly', { timeout: 600000 }, async () => {
  const { page } = browser;
  const rate = (await page.evaluate(() => window.woodshed.stats())).sampleRate;  // the chunked decoder's rate
  const twenty = makeAudio({ format: 'flac', rate, channels: 2, seconds: 1200, signal: 'sine', name: 'twenty-minutes.flac' });
  const heapBefore = (await page.evaluate(() => window.woodshed.stats())).heapBytesInUse;
  const imported = await pickFile(page, twenty);
  assert.ok(imported.track, imported.error);
  assert.ok(Math.abs(imported.track.duration - 1200) < 0.1);
  const id = imported.track.id;
  const levelDb = (captured) => {
    let sum = 0;
    for (const x of captured.channels[0]) sum += x * x;
    return 20 * Math.log10(Math.sqrt(sum / captured.channels[0].length) * Math.SQRT2);
  };
  // It plays from the start while the rest is decoded.
  const early = await page.evaluate(async (song) => {
    const w = window.woodshed;
    const decoding = (await w.tracks()).find((t) => t.id === song).decoding;
    await w.load(song);
    await w.play();
    await new Promise((r) => setTimeout(r, 300));  // past the output's latency and the fade-in
    const captured = await w.captureOutput(0.5);
    return { decoding, decoder: w.test.lastDecoder(), captured };
  }, id);
  assert.equal(early.decoder, 'chunked');
  assert.equal(early.decoding, true, 'playable before it is all decoded');
  assert.ok(early.captured.sourceFrameAtStart / rate < 5, `plays from the start: ${early.captured.sourceFrameAtStart / rate} s`);
  assert.ok(Math.abs(levelDb(early.captured) - 20 * Math.log10(0.3)) < 0.5, `level ${levelDb(early.captured)} dB`);
  // Near the end: heard once that part has arrived, from where the seek went.
  const late = await page.evaluate(async (song) => {
    const w = window.woodshed;
    await w.seek(19 * 60 + 30);
    const began = performance.now();
    while ((await w.state()).positionSeconds < 19 * 60 + 30.2 && performance.now() - began < 60000) await new Promise((r) => setTimeout(r, 50));
    const captured = await w.captureOutput(0.5);
    const waitedSeconds = (performance.now() - began) / 1000;
    await w.decoded(song);
    const decodedSeconds = (performance.now() - began) / 1000;
    // Back to the start, so the song is still playing (not ended) while the next file imports.
    await w.seek(60);
    return { captured, waitedSeconds, decodedSeconds, decoding: (await w.tracks()).find((t) => t.id === song).decoding };
  }, id);
  const heard = late.captured.sourceFrameAtStart / rate;
  assert.ok(heard > 19 * 60 + 30 && heard < 19 * 60 + 32, `plays near the end: ${heard} s`);
  assert.ok(Math.abs(levelDb(late.captured) - 20 * Math.log10(0.3)) < 0.5, `level ${levelDb(late.captured)} dB`);
  assert.equal(late.decoding, false);
  const stats = await page.evaluate(() => window.woodshed.stats());
  const perMinute = (stats.heapBytesInUse - heapBefore) / 20;
  console.log(`[ measure  ] 20-minute FLAC playable (listed) ${imported.seconds.toFixed(1)} s after the pick; 19:30 heard ${late.waitedSeconds.toFixed(1)} s `
    + `after the seek, all decoded ${(imported.seconds + late.decodedSeconds).toFixed(1)} s after the pick (at most); heap `
    + `${(perMinute / 1e6).toFixed(2)} MB per minute of stereo audio at ${rate} Hz`);
  await page.evaluate((song) => window.woodshed.waveformReady(song), id);

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
