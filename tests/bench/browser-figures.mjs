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
