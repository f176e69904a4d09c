// The installable offline app: on a host that sends no isolation headers the service worker
// makes the page cross-origin isolated (after one reload); the app starts offline from its
// cache; bad responses never get into the cache; Chromium finds nothing wrong with installing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { zeroCrossingFrequency, aes17Db } from './analysis.mjs';
import { appFileHash, startFaultServer } from './fault-server.mjs';
import { eventually, openPage, startServer } from './harness.mjs';

const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

// Waits for the app after the service worker's one reload; returns whether it is isolated.
async function waitForApp(page) {
  await page.waitForFunction(() => window.woodshed && (crossOriginIsolated || !document.getElementById('unsupported').hidden),
    null, { timeout: 30000 });
  await page.evaluate(() => window.woodshed.ready);
  return page.evaluate(() => crossOriginIsolated);
}

// Plays a 440 Hz sine at -12 dBFS and measures what the worklet output.
async function sineWorks(page) {
  const captured = await page.evaluate(async () => {
    await window.woodshed.start();
    await window.woodshed.setGenerator({ type: 'sine', frequency: 440, levelDb: -12 });
    await new Promise((r) => setTimeout(r, 300));
    // The silence of an underrun (source position -2) would read low: it is left out, and counted.
    const c = await window.woodshed.captureOutput(1);
    return { rate: c.sampleRate, left: Array.from(c.channels[0]).filter((x, i) => c.sourceFrames[i] !== -2), underruns: c.underruns };
  });
  if (captured.underruns > 0) console.log(`[ measure  ] capture had ${captured.underruns} underrun quanta, cut out`);
  assert.ok(Math.abs(zeroCrossingFrequency(captured.left, captured.rate) - 440) < 1);
  assert.ok(Math.abs(aes17Db(captured.left) + 12) < 0.1);
}

// Waits until the service worker has every app-shell file in its cache.
async function waitForPrecache(page) {
  await eventually(page, async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    if (!registration?.active || registration.installing) return false;
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      if ((await cache.keys()).some((request) => request.url.includes('woodshed.wasm'))) return true;
    }
    return false;
  }, null, { timeout: 30000, interval: 200 });
}

describe('on a plain static host under a sub-path', () => {
  let server;
  let browser;
  before(async () => {
    server = await startFaultServer({ prefix: '/woodshed/' });
    browser = await openPage(`${server.url}?test`);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the service worker makes the page isolated after one reload, and the audio path works', async () => {
    const { page } = browser;
    const responses = [];
    page.on('response', (response) => responses.push(response));
    assert.equal(await waitForApp(page), true, 'crossOriginIsolated');
    const reloads = await page.evaluate(() => performance.getEntriesByType('navigation')[0].type);
    assert.equal(reloads, 'reload', 'this is the page after its one reload');
    await sineWorks(page);
    const sameOrigin = responses.filter((r) => r.url().startsWith(server.url) && r.status() === 200);
    const isolatedLoad = sameOrigin.filter((r) => r.fromServiceWorker());
    assert.ok(isolatedLoad.length >= 5, `responses through the worker: ${isolatedLoad.map((r) => r.url())}`);
    for (const file of ['index.html', 'woodshed.js', 'woodshed.wasm']) {
      assert.ok(isolatedLoad.some((r) => new URL(r.url()).pathname.endsWith(file) || (file === 'index.html' && r.url().endsWith('/?test'))),
        `${file} came through the worker`);
    }
    for (const response of isolatedLoad) {
      const headers = await response.allHeaders();
      for (const [name, value] of Object.entries(ISOLATION)) {
        assert.equal(headers[name], value, `${name} on ${response.url()}`);
      }
    }
    assert.deepEqual(browser.errors, []);
  });

  test('Chromium reports no installability errors', async () => {
    const { page } = browser;
    const client = await page.context().newCDPSession(page);
    const { installabilityErrors } = await client.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    const manifest = await client.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, []);
    const parsed = JSON.parse(manifest.data);
    assert.equal(parsed.start_url, './');
    assert.equal(parsed.display, 'standalone');
    assert.ok(parsed.icons.some((icon) => icon.purpose === 'maskable'));
  });

  test('bad responses never reach the cache, and the good version still starts offline', async () => {
    const { page } = browser;
    await waitForPrecache(page);
    const goodWasm = appFileHash('woodshed.wasm');
    for (const fault of ['500', '404', 'html', 'redirect', 'truncated']) {
      server.control.wasmFault = fault;
      server.control.version = `poisoned-${fault}`;
      const outcome = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        const activeBefore = registration.active;
        try { await registration.update(); } catch (error) { return { updateError: error.message }; }
        for (let i = 0; i < 200 && registration.installing; i++) await new Promise((r) => setTimeout(r, 50));
        return { waiting: registration.waiting !== null, sameActive: registration.active === activeBefore };
      });
      assert.equal(outcome.waiting, false, `${fault}: a version with a bad wasm must not install`);
      assert.equal(outcome.sameActive, true, `${fault}: the running version stays`);
      const cached = await page.evaluate(async () => {
        const bodies = [];
        for (const name of await caches.keys()) {
          const cache = await caches.open(name);
          for (const request of await cache.keys()) {
            if (!request.url.includes('woodshed.wasm')) continue;
            const body = await (await cache.match(request)).arrayBuffer();
            const digest = await crypto.subtle.digest('SHA-256', body);
            bodies.push(Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join(''));
          }
        }
        return bodies;
      });
      assert.ok(cached.length >= 1, 'the good wasm is cached');
      for (const hash of cached) assert.equal(hash, goodWasm, `${fault}: a cached wasm differs from the good one`);
    }
    server.control.wasmFault = null;
    server.control.version = null;
    await server.stop();  // offline: the server process is gone, not just the network flag
    await page.reload();
    assert.equal(await waitForApp(page), true, 'isolated offline');
    await sineWorks(page);
    const tab = await page.context().newPage();
    await tab.goto(`${server.url}?test`);
    assert.equal(await waitForApp(tab), true, 'a new tab boots offline too');
    await sineWorks(tab);
    await tab.close();
  });
});

describe('on tools/serve', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('time to first frame, cold and from the service worker (figures for the README)', async () => {
    const browser = await openPage(`${server.url}?test`);
    try {
      const { page } = browser;
      await page.evaluate(() => window.woodshed.ready);
      await page.waitForFunction(() => window.woodshed.timing().firstFrameMs !== null);
      const cold = await page.evaluate(() => window.woodshed.timing());
      await waitForPrecache(page);
      await page.reload();
      await page.evaluate(() => window.woodshed.ready);
      await page.waitForFunction(() => window.woodshed.timing().firstFrameMs !== null);
      const warm = await page.evaluate(() => window.woodshed.timing());
      const precache = await page.evaluate(async () => {
        let bytes = 0;
        let files = 0;
        for (const name of await caches.keys()) {
          const cache = await caches.open(name);
          for (const request of await cache.keys()) {
            bytes += (await (await cache.match(request)).arrayBuffer()).byteLength;
            files += 1;
          }
        }
        return { bytes, files };
      });
      console.log(`[ measure  ] first frame: cold ${cold.firstFrameMs.toFixed(0)} ms, warm (service worker) ${warm.firstFrameMs.toFixed(0)} ms; precache ${precache.files} files, ${(precache.bytes / 1024).toFixed(0)} KiB`);
      assert.equal(cold.servedByServiceWorker, false);
      assert.equal(warm.servedByServiceWorker, true);
      assert.ok(warm.firstFrameMs > 0 && cold.firstFrameMs > 0);
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});
