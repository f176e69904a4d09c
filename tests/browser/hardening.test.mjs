// PWA hardening: integrity-checked updates that wait for the user, a byte-bounded cache for
// published songs, and a Content-Security-Policy with no eval and no inline script.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildVersionTwo, sinePlays, waitForApp } from './app-versions.mjs';
import { startFaultServer } from './fault-server.mjs';
import { eventually, openApp, openPage, startServer } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio } from './media.mjs';

describe('updates', () => {
  let server;
  let browser;
  let good;
  let tampered;
  before(async () => {
    good = buildVersionTwo();
    tampered = mkdtempSync(path.join(tmpdir(), 'woodshed-v2-bad-'));
    cpSync(good, tampered, { recursive: true });
    const wasm = path.join(tampered, 'woodshed.wasm');
    const bytes = readFileSync(wasm);
    bytes[bytes.length - 1] ^= 0xff;  // one byte (of the custom section), after the manifest recorded its hash
    writeFileSync(wasm, bytes);
    server = await startFaultServer({ prefix: '/woodshed/' });
    browser = await openPage(`${server.url}?test`);
    await waitForApp(browser.page);
    await eventually(browser.page, async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // A first visit, on a host that sends the isolation headers itself, runs the app before any
  // service worker exists: the page checks the wasm against the build's hash and refuses it, and
  // the worker, whose precache checks the same hash, never activates.
  test('a first visit refuses a tampered wasm before any service worker exists, and says so', async () => {
    const host = await startServer({ dir: tampered });
    const visit = await openPage(`${host.url}?test`);
    try {
      const { page } = visit;
      const refused = await page.evaluate(() => window.woodshed.ready.then(() => 'started', (error) => error.message));
      assert.match(refused, /^Woodshed's code could not be loaded safely: woodshed\.wasm failed its integrity check/);
      assert.equal(await page.locator('#unsupported').isVisible(), true, 'the page says why');
      assert.match(await page.locator('#unsupported-reason').innerText(), /could not be loaded safely/);
      assert.equal(await page.locator('#unsupported-isolation').isVisible(), false, 'not the help about isolation, which is not what failed');
      await page.waitForTimeout(3000);  // time for the worker's install to fail
      const worker = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        return { active: Boolean(registration?.active), waiting: Boolean(registration?.waiting) };
      });
      assert.deepEqual(worker, { active: false, waiting: false }, 'no worker serves the tampered build');
    } finally {
      visit.errors.length = 0;  // the refused wasm and the failed install log errors, as they should
      await visit.close();
      await host.stop();
    }
  });

  test('a tampered version fails to install, visibly, and the running one keeps working offline', async () => {
    const { page } = browser;
    const v1 = await page.evaluate(() => window.woodshed.build);
    server.control.appDir = tampered;
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update().catch(() => {}));
    await page.waitForFunction(() => window.woodshed.updateStatus === 'failed', null, { timeout: 30000 });
    const toasts = await page.locator('#toasts').innerText();
    assert.match(toasts, /could not be installed/);
    assert.equal(await page.locator('#update').isHidden(), true, 'no update is offered');
    await sinePlays(page);
    server.control.down = true;
    await page.reload();
    await waitForApp(page);
    assert.equal(await page.evaluate(() => window.woodshed.build), v1, 'still version 1, from the cache');
    await sinePlays(page);
    server.control.down = false;
    browser.errors.length = 0;  // the failed install logged its integrity error, as it should
  });

  test('a correct version waits for the user, and afterwards every file is from it', async () => {
    const { page } = browser;
    const v1 = await page.evaluate(() => window.woodshed.build);
    server.control.appDir = good;
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    await page.waitForFunction(() => !document.getElementById('update').hidden, null, { timeout: 30000 });
    // Nothing changes before the user accepts.
    assert.equal(await page.evaluate(() => window.woodshed.build), v1);
    await sinePlays(page);
    await Promise.all([page.waitForEvent('load'), page.click('#update-reload')]);
    await waitForApp(page);
    const v2 = await page.evaluate(() => window.woodshed.build);
    assert.notEqual(v2, v1);
    // Every precached file, fetched by the page now, is byte for byte the version 2 file.
    const manifest = JSON.parse(readFileSync(path.join(good, 'sw.js'), 'utf8').match(/\[\{.*?\}\]/s)[0]);
    const expected = manifest.map(({ url }) => ({
      url, sha256: createHash('sha256').update(readFileSync(path.join(good, url))).digest('hex'),
    }));
    const mismatched = await page.evaluate(async (files) => {
      const wrong = [];
      for (const { url, sha256 } of files) {
        const digest = await crypto.subtle.digest('SHA-256', await (await fetch(url)).arrayBuffer());
        const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
        if (hex !== sha256) wrong.push(url);
      }
      return wrong;
    }, expected);
    assert.ok(expected.length >= 15, `${expected.length} files checked`);
    assert.deepEqual(mismatched, [], 'every file is from version 2');
    server.control.down = true;
    await page.reload();
    await waitForApp(page);
    assert.equal(await page.evaluate(() => window.woodshed.build), v2, 'version 2 starts offline');
    server.control.down = false;
  });
});

describe('the cache of published songs', () => {
  test('stays within its entry and byte budgets, and an over-budget song plays without being cached', async () => {
    const server = await startFaultServer({ prefix: '/woodshed/' });
    const budgetBytes = 1_000_000;
    const browser = await openPage(`${server.url}?test&mediaMaxBytes=${budgetBytes}&mediaMaxEntries=40`);
    try {
      const { page } = browser;
      await waitForApp(page);
      await eventually(page, async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated');
      const result = await page.evaluate(async (budget) => {
        for (let i = 0; i < 120; i++) {
          const response = await fetch(`media/song${i}-${20000 + (i % 7) * 9000}.wav`);
          await response.arrayBuffer();
        }
        const measure = async () => {
          const cache = await caches.open('woodshed-media');
          let bytes = 0;
          const keys = await cache.keys();
          for (const request of keys) {
            const response = await cache.match(request);  // may have just been evicted
            if (response) bytes += (await response.arrayBuffer()).byteLength;
          }
          return { entries: keys.length, bytes };
        };
        // The worker keeps songs one at a time, each followed by its eviction (in its
        // waitUntil): wait until the cache has stopped changing.
        const settled = async () => {
          let last = await measure();
          for (let i = 0; i < 100; i++) {
            await new Promise((r) => setTimeout(r, 300));
            const now = await measure();
            if (now.bytes === last.bytes && now.entries === last.entries) return now;
            last = now;
          }
          return last;
        };
        const afterMany = await settled();
        const big = await fetch(`media/big-${budget + 1000}.wav`);
        const bigBytes = (await big.arrayBuffer()).byteLength;
        const afterBig = await settled();
        const bigCached = (await (await caches.open('woodshed-media')).keys()).some((r) => r.url.includes('big-'));
        return { afterMany, afterBig, bigBytes, bigCached };
      }, budgetBytes);
      console.log(`[ measure  ] media cache after 120 songs: ${result.afterMany.entries} entries, ${result.afterMany.bytes} bytes`);
      assert.ok(result.afterMany.entries <= 40, `entries ${result.afterMany.entries}`);
      assert.ok(result.afterMany.bytes <= budgetBytes, `bytes ${result.afterMany.bytes}`);
      assert.ok(result.afterMany.entries >= 10, 'it does cache songs');
      assert.equal(result.bigBytes, budgetBytes + 1000, 'the over-budget song was served');
      assert.equal(result.bigCached, false, 'but not cached');
      assert.ok(result.afterBig.bytes <= budgetBytes);
      // ?open=media/<file> imports a published song into the library, from the cache when offline.
      await page.goto(`${server.url}?test&mediaMaxBytes=${budgetBytes}&mediaMaxEntries=40&open=media/practice-60000.wav`);
      await waitForApp(page);
      await eventually(page, async () => (await window.woodshed.state()).trackId !== null, null, { timeout: 15000 });
      const tracks = await page.evaluate(() => window.woodshed.tracks());
      assert.deepEqual(tracks.map((t) => t.name), ['practice-60000.wav']);
    } finally {
      await browser.close();
      await server.stop();
    }
  });

  // Three entries: after A, B and C, A is played again; D then evicts B, the song used longest
  // ago, not A, the oldest one cached.
  test('evicts the song used least recently, not the one cached first', async () => {
    const server = await startFaultServer({ prefix: '/woodshed/' });
    const browser = await openPage(`${server.url}?test&mediaMaxBytes=1000000&mediaMaxEntries=3`);
    try {
      const { page } = browser;
      await waitForApp(page);
      await eventually(page, async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated');
      const cached = await page.evaluate(async () => {
        const cache = await caches.open('woodshed-media');
        const names = async () => (await cache.keys()).map((r) => r.url.split('/').pop()).sort();
        // The worker records a song after serving it: wait until the cache holds what is expected.
        const until = async (count) => {
          for (let i = 0; i < 100 && (await cache.keys()).length !== count; i++) await new Promise((r) => setTimeout(r, 100));
        };
        const play = async (name) => {
          await (await fetch(`media/${name}`)).arrayBuffer();
          await new Promise((r) => setTimeout(r, 200));  // its use is noted beside the response
        };
        await play('a-20000.wav');
        await until(1);
        await play('b-20000.wav');
        await until(2);
        await play('c-20000.wav');
        await until(3);
        const before = await names();
        await play('a-20000.wav');  // from the cache: A is now the song used last
        await play('d-20000.wav');
        for (let i = 0; i < 100 && (await names()).includes('b-20000.wav'); i++) await new Promise((r) => setTimeout(r, 100));
        return { before, after: await names() };
      });
      assert.deepEqual(cached.before, ['a-20000.wav', 'b-20000.wav', 'c-20000.wav']);
      assert.deepEqual(cached.after, ['a-20000.wav', 'c-20000.wav', 'd-20000.wav'], 'B, used longest ago, made room');
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});

describe('Content-Security-Policy', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('a session that imports, plays and analyses a song reports no violation; inline script is blocked', async () => {
    const browser = await openApp(server.url);
    try {
      const { page } = browser;
      await page.evaluate(() => {
        window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await installPageHelpers(page);
      const file = makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 5, name: 'csp.mp3' });
      await page.evaluate(async (b) => {
        const w = window.woodshed;
        const [id] = await w.importFiles([{ name: 'csp.mp3', bytes: window.testAudio.fromBase64(b) }]);
        await w.load(id);
        await w.play();
        await w.setEq([{}, { gainDb: 3 }]);
        await new Promise((r) => setTimeout(r, 1500));
        await w.spectrum();
        await w.loudness();
        await w.normalize({ targetLufs: -16 });
        await w.pause();
      }, base64Of(file));
      assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
      const headers = await (await page.request.get(server.url)).headers();
      assert.match(headers['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
      assert.doesNotMatch(headers['content-security-policy'], /(^|[\s;])'unsafe-eval'|'unsafe-inline'/);
      await page.addScriptTag({ content: 'window.inlineScriptRan = true;' }).catch(() => {});
      assert.equal(await page.evaluate(() => window.inlineScriptRan), undefined, 'the inline script did not run');
      assert.ok((await page.evaluate(() => window.cspViolations)).some((v) => v.startsWith('script-src')), 'and it was reported');
      assert.ok(browser.errors.every((e) => /Content Security Policy/.test(e)), browser.errors.join('\n'));
    } finally {
      await browser.close();
    }
  });
});
