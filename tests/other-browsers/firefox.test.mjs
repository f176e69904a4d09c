// Woodshed in Firefox: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi.
//
// What a Firefox user relies on, end to end: on a plain static host the service worker makes
// the page cross-origin isolated; the app starts (wasm threads, WebGL 2); the AudioWorklet plays
// a sine at its level and pitch; a WAV (the page's own reader) and MP3, FLAC, Opus and AAC files
// (WebCodecs, chunk by chunk) import, are stored (OPFS createWritable and move), and play sample
// for sample what Firefox's own decoder gives; and the library is there after a reload.
//
// Firefox needs what Chromium's headless mode fakes: a display for WebGL 2 (tools/test runs this
// file under xvfb-run) and an audio server (without one its AudioContext never leaves
// 'suspended'). The test starts a private PulseAudio with a null sink and stops it after.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import puppeteer from 'puppeteer-core';

import { startServer } from '../browser/harness.mjs';
import { base64Of, FORMATS, installPageHelpers, makeAudio } from '../browser/media.mjs';

const FIREFOX = process.env.WOODSHED_FIREFOX ?? '/usr/bin/firefox-esr';

/** A PulseAudio server of our own with a null sink: {env for Firefox, stop()}. */
async function startPulseAudio() {
  const dir = mkdtempSync(path.join(tmpdir(), 'woodshed-pulse-'));
  const socket = path.join(dir, 'native');
  const child = spawn('pulseaudio', ['-n', '--daemonize=no', '--exit-idle-time=-1', '--disallow-exit',
    '--use-pid-file=no', '--load=module-null-sink', `--load=module-native-protocol-unix socket=${socket}`], {
    env: { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir, XDG_CONFIG_HOME: dir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => { output += chunk; });
  for (let waited = 0; !existsSync(socket); waited += 50) {
    if (child.exitCode !== null || waited > 10000) {
      child.kill('SIGKILL');
      throw new Error(`PulseAudio did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    env: { PULSE_SERVER: `unix:${socket}` },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const why = !existsSync(FIREFOX) ? `${FIREFOX} is not installed (tools/setup installs firefox-esr)`
  : !process.env.DISPLAY ? 'no display: run it under xvfb-run, as tools/test does'
    : spawnSync('pulseaudio', ['--version']).status !== 0 ? 'pulseaudio is not installed (tools/setup installs it)' : null;

describe('Firefox ESR', { skip: why ?? false }, () => {
  let pulse;
  let server;
  let browser;
  let page;
  const errors = [];
  before(async () => {
    pulse = await startPulseAudio();
    server = await startServer({ plain: true });  // no headers: the service worker must isolate the page
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: false,  // under Xvfb: Firefox's headless mode has no WebGL 2
      protocolTimeout: 60000,
      env: { ...process.env, ...pulse.env },
      extraPrefsFirefox: { 'media.autoplay.default': 0 },  // a test cannot click for audio
    });
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await pulse?.stop();
  });

  async function appReady() {
    await page.waitForFunction(() => self.crossOriginIsolated && typeof window.woodshed === 'object', { timeout: 30000 });
    await page.evaluate(() => window.woodshed.ready);
  }

  test('on a plain static host the service worker isolates the page, and the app starts', async () => {
    await page.goto(`${server.url}?test`, { waitUntil: 'domcontentloaded' });
    await appReady();  // after the one reload the service worker asks for
    const facts = await page.evaluate(async () => ({
      version: navigator.userAgent.match(/Firefox\/(\d+)/)?.[1],
      controlled: navigator.serviceWorker.controller !== null,
      threads: (await window.woodshed.stats()).threads,
      opfs: typeof FileSystemFileHandle.prototype.createWritable === 'function' && typeof FileSystemFileHandle.prototype.move === 'function',
      webCodecs: typeof AudioDecoder === 'function',
    }));
    console.log(`[ measure  ] Firefox ${facts.version}: ${JSON.stringify(facts)}`);
    assert.equal(facts.controlled, true);
    assert.ok(facts.threads >= 2, `engine threads: ${facts.threads}`);
    assert.equal(facts.opfs, true, 'OPFS createWritable and move');
  });

  test('a 440 Hz sine at -12 dBFS plays through the AudioWorklet at its pitch and level', async () => {
    await installPageHelpers(page);
    const sine = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.start();
      await w.setGenerator({ type: 'sine', frequency: 440, levelDb: -12 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const captured = window.testAudio.spliceGaps(await w.captureOutput(1));
      await w.setGenerator(null);
      const left = captured.channels[0];
      let sum = 0;
      let first = -1;
      let last = -1;
      let crossings = 0;
      for (let i = 1; i < left.length; i++) {
        sum += left[i] * left[i];
        if (left[i - 1] < 0 && left[i] >= 0) {
          const at = i - 1 + left[i - 1] / (left[i - 1] - left[i]);
          if (first < 0) first = at;
          last = at;
          crossings++;
        }
      }
      return {
        hz: ((crossings - 1) * captured.sampleRate) / (last - first),
        db: 20 * Math.log10(Math.sqrt(sum / (left.length - 1)) * Math.SQRT2),
        underruns: captured.underruns,
        latencyMs: (await w.stats()).outputLatencyMs,
      };
    });
    console.log(`[ measure  ] Firefox sine: ${sine.hz.toFixed(3)} Hz, ${sine.db.toFixed(3)} dBFS, `
      + `${sine.underruns} underruns, output latency ${sine.latencyMs.toFixed(1)} ms`);
    assert.ok(Math.abs(sine.hz - 440) < 1, `${sine.hz} Hz`);
    assert.ok(Math.abs(sine.db + 12) < 0.1, `${sine.db} dBFS`);
  });

  for (const [format, decoder] of [['wav16', 'page'], ['mp3', 'chunked'], ['flac', 'chunked'], ['opus', 'chunked'], ['aac', 'chunked']]) {
    test(`a ${format} file imports (${decoder}), is stored, and plays sample for sample what Firefox decodes`, async () => {
      const file = makeAudio({ format, rate: format === 'opus' ? 48000 : 44100, channels: 2, seconds: 6, name: `firefox-${format}.${FORMATS[format].ext}` });
      const result = await page.evaluate(async (name, base64) => {
        const w = window.woodshed;
        const bytes = window.testAudio.fromBase64(base64);
        const [id] = await w.importFiles([{ name, bytes }]);
        const path = w.test.lastDecoder();
        await w.saved(id);
        await w.load(id);
        await w.seek(1);
        await w.play();
        await new Promise((resolve) => setTimeout(resolve, 300));
        const captured = await window.testAudio.captureWithoutGaps(0.5);
        await w.pause();
        const reference = await window.testAudio.decode(bytes, captured.sampleRate);
        const match = window.testAudio.compare(captured.channels[0], reference.getChannelData(0), captured.sourceFrameAtStart, 0, captured.channels[0].length);
        return { path, match };
      }, path.basename(file), base64Of(file));
      assert.equal(result.path, decoder);
      assert.ok(result.match.correlation > 0.999 && result.match.maxDiff < 1e-3, JSON.stringify(result.match));
    });
  }

  test('the library is there after a reload, and nothing logged an error', async () => {
    // (puppeteer's page.reload() waits on a load event Firefox does not report here.) The mark
    // tells the old document from the new one.
    await page.evaluate(() => { window.beforeReload = true; location.reload(); });
    await page.waitForFunction(() => window.beforeReload === undefined, { timeout: 30000 });
    await appReady();
    const names = await page.evaluate(async () => (await window.woodshed.tracks()).map((t) => `${t.name} ${t.format}`).sort());
    assert.deepEqual(names, ['firefox-aac.m4a M4A', 'firefox-flac.flac FLAC', 'firefox-mp3.mp3 MP3', 'firefox-opus.opus Opus', 'firefox-wav16.wav WAV']);
    assert.deepEqual(errors, []);
  });
});
