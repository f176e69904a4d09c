// One minute of playback with nothing else running: after the first second, no underruns.
// Run alone (tools/test does), since a busy 2-core machine is not what a user's is.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openApp, startServer } from './harness.mjs';

const SECONDS = Number(process.env.WOODSHED_SOAK_SECONDS ?? 60);

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

test(`${SECONDS} s of playback has no underruns after the first second`, { timeout: (SECONDS + 60) * 1000 }, async () => {
  const browser = await openApp(server.url);
  try {
    const { page } = browser;
    await page.evaluate(async () => {
      await window.woodshed.start();
      await window.woodshed.setGenerator({ type: 'pink', frequency: 440, levelDb: -18 });
    });
    await page.waitForTimeout(1000);
    const first = await page.evaluate(() => window.woodshed.stats());
    await page.waitForTimeout(SECONDS * 1000);
    const last = await page.evaluate(() => window.woodshed.stats());
    const played = (last.framesPlayed - first.framesPlayed) / last.sampleRate;
    const summary = `underruns ${last.underruns - first.underruns} over ${played.toFixed(1)} s; `
      + `render load avg ${(100 * last.renderLoadAvg).toFixed(2)}%, max ${(100 * last.renderLoadMax).toFixed(1)}%; `
      + `ring fill ${last.ringFillFrames} frames; output latency ${last.outputLatencyMs.toFixed(1)} ms`;
    console.log(`[ measure  ] ${summary}`);
    assert.ok(played > SECONDS * 0.95, `the worklet played only ${played.toFixed(1)} s: ${summary}`);
    assert.equal(last.underruns - first.underruns, 0, summary);
    assert.deepEqual(browser.errors, []);
  } finally {
    await browser.close();
  }
});
