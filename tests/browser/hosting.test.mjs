// Real static hosting: hosts that compress what they send (nginx gzip_static, CDNs and Pages
// hosts give the compressed body's Content-Length), and in-scope addresses the host redirects.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildVersionTwo, sinePlays, waitForApp } from './app-versions.mjs';
import { startFaultServer } from './fault-server.mjs';
import { eventually, openPage } from './harness.mjs';

/** Media cache budget for the test: small, so that a few songs overflow it. */
const BUDGET_BYTES = 300_000;

for (const encoding of ['gzip', 'br']) {
  describe(`a host that compresses with ${encoding}`, () => {
    let server;
    let browser;
    let versionTwo;
    before(async () => {
      versionTwo = buildVersionTwo();
      server = await startFaultServer({ prefix: '/woodshed/', compress: encoding });
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    test('the first visit becomes isolated and installs the app for offline use', async () => {
      browser = await openPage(`${server.url}?test&mediaMaxBytes=${BUDGET_BYTES}&mediaMaxEntries=40`);
      const { page } = browser;
      await waitForApp(page);
      await eventually(page, async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated');
      assert.ok(server.control.compressedResponses >= 20, `the host compressed ${server.control.compressedResponses} responses`);
      const precached = await page.evaluate(async () => {
        const names = await caches.keys();
        const precache = names.find((name) => name.includes('precache'));
        return precache ? (await (await caches.open(precache)).keys()).length : 0;
      });
      assert.ok(precached >= 20, `${precached} files precached`);
      await sinePlays(page);
    });

    test('an update installs, and both versions start offline', async () => {
      const { page } = browser;
      const v1 = await page.evaluate(() => window.woodshed.build);
      server.control.down = true;
      await page.reload();
      await waitForApp(page);
      assert.equal(await page.evaluate(() => window.woodshed.build), v1);
      server.control.down = false;
      server.control.appDir = versionTwo;
      await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
      await page.waitForFunction(() => !document.getElementById('update').hidden, null, { timeout: 30000 });
      await Promise.all([page.waitForEvent('load'), page.click('#update-reload')]);
      await waitForApp(page);
      const v2 = await page.evaluate(() => window.woodshed.build);
      assert.notEqual(v2, v1);
      server.control.down = true;
      await page.reload();
      await waitForApp(page);
      assert.equal(await page.evaluate(() => window.woodshed.build), v2, 'version 2 starts with the server gone');
      await sinePlays(page);
      server.control.down = false;
      assert.deepEqual(browser.errors.filter((e) => !/Failed to load resource|ERR_/.test(e)), []);
    });

    test('the media cache counts real bytes and stays within its byte budget', async () => {
      const { page } = browser;
      const result = await page.evaluate(async (budget) => {
        for (let i = 0; i < 10; i++) await (await fetch(`media/song${i}-${30000 + (i % 5) * 7000}.wav`)).arrayBuffer();
        const measure = async () => {
          const cache = await caches.open('woodshed-media');
          let bytes = 0;
          const keys = await cache.keys();
          for (const request of keys) {
            const response = await cache.match(request);
            if (response) bytes += (await response.arrayBuffer()).byteLength;
          }
          return { entries: keys.length, bytes };
        };
        // Eviction runs just after each song is cached (in the worker's waitUntil): wait until
        // the cache has settled, then compare what the app reports with what is there.
        let measured;
        let reported;
        for (let i = 0; i < 30; i++) {
          measured = await measure();
          reported = await window.woodshed.mediaCache();
          const again = await measure();
          if (again.bytes === measured.bytes && reported.bytes === measured.bytes && measured.bytes <= budget) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        return { measured, reported };
      }, BUDGET_BYTES);
      console.log(`[ measure  ] ${encoding}: media cache ${result.measured.entries} entries, ${result.measured.bytes} bytes (budget ${BUDGET_BYTES})`);
      assert.ok(result.measured.entries >= 5, 'songs are cached');
      assert.ok(result.measured.bytes <= BUDGET_BYTES, `${result.measured.bytes} bytes cached`);
      assert.equal(result.reported.bytes, result.measured.bytes, 'the library panel shows the real size');
    });

  });
}

describe('an in-scope address that the host redirects', () => {
  test('is followed through the service worker to the app', async () => {
    const server = await startFaultServer({ prefix: '/woodshed/' });
    const browser = await openPage(`${server.url}?test`);
    try {
      const { page } = browser;
      await waitForApp(page);
      await eventually(page, async () => navigator.serviceWorker.controller !== null);
      await page.goto(`${server.url}old-address?test`);
      await waitForApp(page);
      assert.equal(page.url(), `${server.url}?test`);
      assert.equal(await page.evaluate(() => navigator.serviceWorker.controller !== null), true, 'served through the worker');
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
