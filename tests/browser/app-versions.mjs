// Versions of the built app for update tests, and checks that a page runs the app.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appDir } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// A second version of the built app: a changed app.js, a changed wasm (a custom section named
// "v2" appended, which keeps it valid) and a fresh service worker manifest.
export function buildVersionTwo() {
  const dir = mkdtempSync(path.join(tmpdir(), 'woodshed-v2-'));
  cpSync(appDir, dir, { recursive: true });
  const appJs = path.join(dir, 'app.js');
  writeFileSync(appJs, `${readFileSync(appJs, 'utf8')}\n// version 2\n`);
  const wasm = path.join(dir, 'woodshed.wasm');
  writeFileSync(wasm, Buffer.concat([readFileSync(wasm), Buffer.from([0x00, 0x04, 0x02, 0x76, 0x32, 0x78])]));
  execFileSync('node', [path.join(root, 'tools/lib/build-sw.mjs'), path.join(root, 'web/sw.js'), dir], { stdio: 'pipe' });
  return dir;
}

export async function waitForApp(page) {
  await page.waitForFunction(() => window.woodshed && crossOriginIsolated, null, { timeout: 30000 });
  await page.evaluate(() => window.woodshed.ready);
}

export async function sinePlays(page) {
  const level = await page.evaluate(async () => {
    await window.woodshed.start();
    await window.woodshed.setGenerator({ type: 'sine', frequency: 440, levelDb: -12 });
    await new Promise((r) => setTimeout(r, 300));
    // The silence of an underrun (source position -2, on a busy machine) would read low: left out.
    const c = await window.woodshed.captureOutput(0.5);
    const left = c.channels[0].filter((x, i) => c.sourceFrames[i] !== -2);
    let sum = 0;
    for (const x of left) sum += x * x;
    return 20 * Math.log10(Math.sqrt(sum / left.length) * Math.SQRT2);
  });
  assert.ok(Math.abs(level + 12) < 0.5, `the sine plays (${level} dBFS)`);
}
