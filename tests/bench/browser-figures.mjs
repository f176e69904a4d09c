// Figures for the README, measured in headless Chromium: they time what a user waits for, so they
// run in tools/bench, not tools/test (a busy machine would make a timed test fail). Each prints
// "[ measure  ]" lines and asserts only that the work it timed was done.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, openApp, pickFile, startServer } from '../browser/harness.mjs';
import { base64Of, installPageHelpers, makeAudio } from '../browser/media.mjs';

describe('a 5-minute MP3 through the file picker', () => {
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

  test('a 5-minute MP3 becomes playable quickly (figure for the README)', { timeout: 300000 }, async () => {
    const { page } = browser;
    const file = makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 300, name: 'five-minutes.mp3' });
    const result = await pickFile(page, file);
    assert.ok(result.track, result.error);
    console.log(`[ measure  ] 5-minute MP3: file to playable (read, decode, store, waveform) in ${result.seconds.toFixed(2)} s`);
    await eventually(page, async (id) => (await window.woodshed.state()).trackId === id, result.track.id);
    await page.evaluate((id) => window.woodshed.remove(id), result.track.id);
  });
});

describe('a library of 50 songs (figures for the README)', () => {
  test('cold start to library shown, and storage per minute of audio', { timeout: 300000 }, async () => {
    const server = await startServer();
    const browser = await openApp(server.url);
    try {
      const { page } = browser;
      await installPageHelpers(page);
      const mp3 = makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 10, name: 'fifty.mp3' });
      await page.evaluate(async (b) => {
        const bytes = window.testAudio.fromBase64(b);
        for (let i = 0; i < 50; i++) {
          const copy = bytes.slice();
          copy[copy.length - 1] ^= i + 1;  // fifty different files
          await window.woodshed.importFiles([{ name: `song ${i + 1}.mp3`, bytes: copy }]);
        }
      }, base64Of(mp3));
      const started = Date.now();
      await page.reload();
      await page.evaluate(() => window.woodshed.ready);
      await page.waitForFunction(() => window.woodshed.test.catalogSize() === 50);
      const shownMs = Date.now() - started;
      const tracks = await page.evaluate(() => window.woodshed.tracks());
      const minutes = tracks.reduce((sum, t) => sum + t.duration, 0) / 60;
      const bytes = tracks.reduce((sum, t) => sum + t.size, 0);
      console.log(`[ measure  ] 50 songs: reload to library shown in ${shownMs} ms; MP3 at 192 kb/s stores ${(bytes / minutes / 1e6).toFixed(2)} MB per minute`);
      assert.equal(tracks.length, 50);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});

describe('an A-B loop set from the keys (figure for the README)', () => {
  test('time from pressing ] to hearing the first wrap', { timeout: 120000 }, async () => {
    const server = await startServer();
    const browser = await openApp(server.url);
    try {
      const { page } = browser;
      await installPageHelpers(page);
      page.on('console', (m) => { if (m.type() === 'warning') console.log(m.text()); });
      const song = base64Of(makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 30, name: 'wrap.wav' }));
      const times = await page.evaluate(async (b) => {
        const w = window.woodshed;
        const [id] = await w.importFiles([{ name: 'wrap.wav', bytes: window.testAudio.fromBase64(b) }]);
        await w.load(id);
        const results = [];
        for (let run = 0; run < 7; run++) {
          await w.setLoopRegion(null);
          await w.seek(5);
          await w.play();
          await new Promise((r) => setTimeout(r, 400));
          // A at 4 s, then ] at the playhead: the loop's end is where the song is, so it wraps at once.
          await w.setLoopRegion({ start: 4, end: 29 });
          const pressed = performance.now();
          document.getElementById('canvas').dispatchEvent(new KeyboardEvent('keydown', { code: 'BracketRight', bubbles: true }));
          for (;;) {
            const state = await w.state();
            if (state.positionSeconds < 4.5) break;
            await new Promise((r) => setTimeout(r, 1));
          }
          const rendered = performance.now() - pressed;
          results.push(rendered + (await w.stats()).outputLatencyMs);
          if (rendered > 2000) console.warn(`slow wrap: ${JSON.stringify(await w.state())} ${document.getElementById("toasts").innerText}`);
          await w.pause();
        }
        return results.sort((x, y) => x - y);
      }, song);
      const median = times[Math.floor(times.length / 2)];
      console.log(`[ measure  ] ] to the first wrap heard: median ${median.toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(', ')}): the engine's part, then the output latency`);
      assert.ok(times.length === 7);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
