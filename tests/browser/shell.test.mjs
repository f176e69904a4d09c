// The app shell: it loads from a local server without errors, is cross-origin isolated, and
// draws its ImGui interface (checked on the pixels of a screenshot), sharp on HiDPI screens.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openApp, resultsDir, startServer } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

// Decodes a PNG screenshot in the page and measures it: the share of pixels that differ from
// the most common colour (the background), bright pixels (text), and distinct colours.
async function measurePixels(page, png, region = null) {
  return page.evaluate(async ({ base64, region }) => {
    // No fetch of a data: URL: the app's Content-Security-Policy allows connections to itself only.
    const blob = new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type: 'image/png' });
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const r = region ?? { x: 0, y: 0, width: bitmap.width, height: bitmap.height };
    const { data } = context.getImageData(r.x, r.y, r.width, r.height);
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const colour = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      counts.set(colour, (counts.get(colour) ?? 0) + 1);
    }
    const background = [...counts.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    let differing = 0;
    let bright = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [red, green, blue] = [data[i], data[i + 1], data[i + 2]];
      const distance = Math.abs(red - (background >> 16)) + Math.abs(green - ((background >> 8) & 255))
        + Math.abs(blue - (background & 255));
      if (distance > 12) differing++;
      if (red + green + blue > 450) bright++;
    }
    const colours = counts;
    const pixels = data.length / 4;
    return { width: bitmap.width, height: bitmap.height, differing: differing / pixels, bright: bright / pixels, colours: colours.size };
  }, { base64: png.toString('base64'), region });
}

test('the app loads without errors, cross-origin isolated, and draws its interface', async () => {
  const browser = await openApp(server.url);
  try {
    const { page, errors } = browser;
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.equal(await page.evaluate(() => document.getElementById('loading').hidden), true, 'loading screen gone');
    await page.waitForTimeout(500);  // a few frames
    const png = await page.screenshot();
    writeFileSync(path.join(resultsDir, 'app-shell.png'), png);
    const whole = await measurePixels(page, png);
    // Widgets and text cover part of the page; a blank or single-colour canvas fails.
    assert.ok(whole.differing > 0.03, `only ${(100 * whole.differing).toFixed(1)}% of pixels differ from the background`);
    assert.ok(whole.colours >= 20, `only ${whole.colours} distinct colours`);
    // The status bar (bottom 40 px) shows text.
    const status = await measurePixels(page, png, { x: 0, y: whole.height - 40, width: whole.width, height: 40 });
    assert.ok(status.bright > 0.01, 'the status bar has text');
    assert.deepEqual(errors, [], 'no console errors or uncaught page errors');
    const version = await page.evaluate(() => window.woodshed.version);
    assert.match(version, /^\d+\.\d+\.\d+$/);
  } finally {
    await browser.close();
  }
});

test('the canvas is sharp on a HiDPI screen and follows the window size', async () => {
  const browser = await openApp(server.url, { viewport: { width: 900, height: 600 }, deviceScaleFactor: 2 });
  try {
    const { page, errors } = browser;
    const size = () => page.evaluate(() => {
      const canvas = document.getElementById('canvas');
      return { width: canvas.width, height: canvas.height, cssWidth: canvas.clientWidth, cssHeight: canvas.clientHeight };
    });
    await page.waitForTimeout(300);
    let s = await size();
    assert.deepEqual([s.width, s.height], [s.cssWidth * 2, s.cssHeight * 2], 'backing store is CSS size x devicePixelRatio');
    assert.deepEqual([s.cssWidth, s.cssHeight], [900, 600]);
    await page.setViewportSize({ width: 700, height: 500 });
    await page.waitForTimeout(300);
    s = await size();
    assert.deepEqual([s.width, s.height], [1400, 1000], 'resized with the window');
    const png = await page.screenshot();
    writeFileSync(path.join(resultsDir, 'app-shell-hidpi.png'), png);
    const pixels = await measurePixels(page, png);
    assert.equal(pixels.width, 1400);
    assert.ok(pixels.differing > 0.03, 'the interface is drawn on the resized canvas');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
