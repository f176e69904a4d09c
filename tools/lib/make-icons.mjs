// Renders the app's SVG icons to the PNG sizes the web app manifest lists (192 and 512 px, and
// a maskable 512 px one) with headless Chromium. The PNGs are committed; run this after
// changing an SVG:   node tools/lib/make-icons.mjs
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const icons = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/icons');
const outputs = [
  { svg: 'icon.svg', png: 'icon-192.png', size: 192 },
  { svg: 'icon.svg', png: 'icon-512.png', size: 512 },
  { svg: 'icon-maskable.svg', png: 'icon-maskable-512.png', size: 512 },
];

const profile = mkdtempSync(path.join(tmpdir(), 'woodshed-icons-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.WOODSHED_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
const page = context.pages()[0] ?? await context.newPage();
for (const { svg, png, size } of outputs) {
  const source = readFileSync(path.join(icons, svg)).toString('base64');
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<html><body style="margin:0;background:transparent">
    <img src="data:image/svg+xml;base64,${source}" width="${size}" height="${size}" style="display:block"></body></html>`);
  await page.screenshot({ path: path.join(icons, png), omitBackground: true });
  console.log(`web/icons/${png}`);
}
await context.close();
rmSync(profile, { recursive: true, force: true });
