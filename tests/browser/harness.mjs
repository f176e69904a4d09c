// Shared set-up for the browser tests: a local server for the built app, headless Chromium
// through playwright-core, and the app opened with its test flag.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const appDir = process.env.WOODSHED_APP_DIR ?? path.join(root, 'build/web-release/app');
export const resultsDir = path.join(root, 'test-results');
/** The browser tests' hooks: served beside the app only by the test servers, never built into it. */
export const testHooksFile = path.join(root, 'tests/browser/test-hooks.js');
mkdirSync(resultsDir, { recursive: true });

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // The tests start audio without a click, as a page may after the user's first gesture.
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * Serves the built app on a free port of 127.0.0.1 with tools/lib/serve.py.
 * @param {{plain?: boolean, testHooks?: boolean, dir?: string}} options plain: no cross-origin
 *   isolation headers; testHooks: false serves no test hooks, as tools/serve does; dir: another
 *   build to serve
 */
export async function startServer({ plain = false, testHooks = true, dir = appDir } = {}) {
  const args = [path.join(root, 'tools/lib/serve.py'), '--dir', dir, '--port', '0'];
  if (testHooks) args.push('--test-hooks', testHooksFile);
  if (plain) args.push('--plain');
  const child = spawn('python3', args, { env: { ...process.env, WOODSHED_SERVE_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 10000);
    const onData = (chunk) => {
      output += chunk;
      const match = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${output}`)));
  });
  return {
    url,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();  // already gone
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

/**
 * Launches headless Chromium with a fresh profile and opens `url`, recording console errors
 * and uncaught page errors. `serviceWorkers: 'block'` stands for a browser without them.
 * Close with `browser.close()`.
 */
export async function openPage(url, { viewport = { width: 1200, height: 700 }, deviceScaleFactor = 1, serviceWorkers = 'allow' } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'woodshed-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.WOODSHED_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    deviceScaleFactor,
    serviceWorkers,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  await page.goto(url);
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the app with its test flag and waits until window.woodshed is ready. */
export async function openApp(serverUrl, options) {
  const browser = await openPage(`${serverUrl}?test`, options);
  await browser.page.evaluate(() => window.woodshed.ready);
  return browser;
}

/**
 * Evaluates `predicate(arg)` in the page (it may be async) until it returns something truthy,
 * and returns that; throws after `timeout` ms. (Playwright's waitForFunction does not await a
 * promise returned by its predicate.)
 */
export async function eventually(page, predicate, arg = null, { timeout = 30000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await page.evaluate(predicate, arg);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${predicate}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

// Chooses `file` in the page's file picker and waits until the import finished (or failed).
export async function pickFile(page, file) {
  const before = await page.evaluate(() => window.woodshed.tracks());
  const started = Date.now();
  await page.setInputFiles('#file-input', file);
  for (;;) {
    const state = await page.evaluate(async () => ({ tracks: await window.woodshed.tracks(), stats: await window.woodshed.stats() }));
    const added = state.tracks.filter((t) => !before.some((b) => b.id === t.id));
    if (added.length > 0) return { track: added[0], seconds: (Date.now() - started) / 1000, stats: state.stats };
    const error = await page.evaluate(async () => (await window.woodshed.state()).lastError);
    if (error && error.includes(file.split('/').pop())) return { error, seconds: (Date.now() - started) / 1000 };
    if (Date.now() - started > 240000) throw new Error('import did not finish in 4 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Drives the app's ImGui interface as a hand does, frame by frame: {frames, hold, clickControl,
 * typeIntoSlider}. Controls are found by their key in App::controlRects.
 */
export function uiDriver(page) {
  // Waits until the app has drawn `count` more frames (a busy machine draws slowly).
  async function frames(count = 2) {
    const from = await page.evaluate(() => window.woodshed.test.framesDrawn());
    await eventually(page, (target) => window.woodshed.test.framesDrawn() >= target, from + count, { interval: 20 });
  }

  // Presses keys for a couple of frames: this ImGui reads key states once per frame, so a press
  // and release between two frames would be lost.
  async function hold(keys) {
    for (const key of keys) await page.keyboard.down(key);
    await frames(2);
    for (const key of [...keys].reverse()) await page.keyboard.up(key);
    await frames(2);
  }

  // Clicks an item the app drew (by its key in App::controlRects) in a frame after this call,
  // step by step, a frame apart, as a hand does: ImGui reads the modifiers and the button once
  // per frame.
  let lastClick = { key: null, at: 0 };
  async function clickControl(key, modifiers = []) {
    // A second click on the same control within ImGui's double-click time would count as one.
    const since = Date.now() - lastClick.at;
    if (lastClick.key === key && since < 350) await page.waitForTimeout(350 - since);
    const now = await page.evaluate(() => window.woodshed.test.framesDrawn());
    const rect = await eventually(page, ([k, after]) => {
      const found = window.woodshed.test.controlRect(k);
      return found && found.frame > after ? found : null;
    }, [key, now]);
    const frame = () => frames(2);
    await page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2);
    await frame();
    for (const modifier of modifiers) await page.keyboard.down(modifier);
    await frame();
    await page.mouse.down();
    await frame();
    await page.mouse.up();
    lastClick = { key, at: Date.now() };
    await frame();
    for (const modifier of modifiers) await page.keyboard.up(modifier);
    await frame();
  }

  // Types a value into one of the app's sliders as a user does: Ctrl+click turns it into a text
  // field; select what is there, type, Enter.
  async function typeIntoSlider(key, text) {
    await clickControl(key, ['Control']);
    await hold(['Control', 'KeyA']);
    await page.keyboard.type(text);
    await hold(['Enter']);
  }

  return { frames, hold, clickControl, typeIntoSlider };
}
