// What a WebKit user gets, as far as this machine can show it: Debian's WebKitGTK (MiniBrowser,
// driven by WebKitWebDriver over WebDriver classic) is not Safari, but the same engine.
//
// In its default settings WebKitGTK 2.50 makes the page cross-origin isolated, yet offers no
// SharedArrayBuffer and no origin private file system. Woodshed cannot run without either, so
// the user must get the explanation that says so, not a wrong one ("not isolated") or a blank
// page. Safari itself is not tested here (README, "Browsers").

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { startServer } from '../browser/harness.mjs';

const MINIBROWSER = process.env.WOODSHED_MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** The smallest WebDriver classic client: {call(method, path, body), stop()}. */
async function startDriver() {
  const port = await freePort();
  const child = spawn('WebKitWebDriver', [`--port=${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk) => { output += chunk; });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const response = await fetch(base + path, {
      method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    const { value } = await response.json();
    if (value?.error) throw new Error(`${method} ${path}: ${value.error}: ${value.message}`);
    return value;
  };
  for (let waited = 0; ; waited += 100) {
    try {
      await call('GET', '/status');
      break;
    } catch (error) {
      if (child.exitCode !== null || waited > 10000) {
        child.kill('SIGKILL');
        throw new Error(`WebKitWebDriver did not start: ${output || error.message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    call,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}

const why = !existsSync(MINIBROWSER) || spawnSync('WebKitWebDriver', ['--help']).status !== 0
  ? 'WebKitGTK is not installed (tools/setup installs webkit2gtk-driver)'
  : !process.env.DISPLAY ? 'no display: run it under xvfb-run, as tools/test does' : null;

describe('WebKitGTK', { skip: why ?? false }, () => {
  let driver;
  let server;
  let session;
  // Runs `body` (a function's source taking no arguments, returning a promise) in the page.
  const inPage = async (body) => driver.call('POST', `/session/${session}/execute/async`, {
    script: `const done = arguments[arguments.length - 1]; (${body})().then(done, (error) => done({ thrown: String(error) }));`,
    args: [],
  });
  before(async () => {
    driver = await startDriver();
    server = await startServer();  // with the isolation headers
    const created = await driver.call('POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
    });
    session = created.sessionId;
    console.log(`[ measure  ] ${created.capabilities.browserName} ${created.capabilities.browserVersion}`);
  });
  after(async () => {
    if (session) await driver.call('DELETE', `/session/${session}`).catch(() => {});
    await server?.stop();
    await driver?.stop();
  });

  test('an isolated page without shared memory or a private file system gets the explanation that says so', async () => {
    await driver.call('POST', `/session/${session}/url`, { url: server.url });
    const result = await inPage(`async () => {
      for (let waited = 0; typeof window.woodshed !== 'object'; waited += 50) {
        if (waited > 20000) throw new Error('the app script did not run');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const started = await window.woodshed.ready.then(() => 'started', (error) => error.message);
      const screen = document.getElementById('unsupported');
      return {
        isolated: self.crossOriginIsolated,
        features: {
          SharedArrayBuffer: typeof SharedArrayBuffer === 'function',
          AudioWorklet: typeof AudioWorkletNode === 'function',
          opfs: typeof navigator.storage?.getDirectory === 'function',
          createWritable: typeof globalThis.FileSystemFileHandle?.prototype.createWritable === 'function',
          webLocks: typeof navigator.locks?.request === 'function',
          webCodecs: typeof globalThis.AudioDecoder === 'function',
          webgl2: Boolean(document.createElement('canvas').getContext('webgl2')),
        },
        started,
        shown: !screen.hidden,
        text: screen.innerText,
        isolationHelp: !document.getElementById('unsupported-isolation').hidden,
      };
    }`);
    assert.equal(result.thrown, undefined);
    console.log(`[ measure  ] WebKitGTK offers: ${JSON.stringify(result.features)}`);
    assert.equal(result.isolated, true, 'the headers make the page cross-origin isolated');
    if (result.features.SharedArrayBuffer && result.features.opfs && result.features.createWritable) {
      assert.equal(result.started, 'started', 'with everything Woodshed needs, it starts');
      return;
    }
    assert.equal(result.shown, true, 'the page says why Woodshed cannot start');
    const expected = !result.features.SharedArrayBuffer ? /does not offer the shared memory \(SharedArrayBuffer\)/ : /private file system/;
    assert.match(result.started, expected);
    assert.match(result.text, expected);
    assert.equal(result.isolationHelp, false, 'and no advice about isolation headers the page already has');
  });
});
