// A test server for the built app that serves it under a sub-path with no isolation headers
// (as a plain static host would) and can be told to misbehave: answer the .wasm with an error,
// an HTML page, a redirect or a truncated body, and publish a new service-worker version.
// A fixture for the offline tests, not a server for the app (that is tools/serve).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { appDir, testHooksFile } from './harness.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** SHA-256 (hex) of a built app file. */
export function appFileHash(relative) {
  return createHash('sha256').update(readFileSync(path.join(appDir, relative))).digest('hex');
}

// A WAV of `bytes` bytes (8 kHz mono 8-bit), its content seeded by `seed`.
function syntheticWav(bytes, seed) {
  const frames = Math.max(0, bytes - 44);
  const wav = Buffer.alloc(44 + frames);
  wav.write('RIFF', 0); wav.writeUInt32LE(36 + frames, 4); wav.write('WAVE', 8); wav.write('fmt ', 12);
  wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22); wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(8000, 28); wav.writeUInt16LE(1, 32); wav.writeUInt16LE(8, 34); wav.write('data', 36);
  wav.writeUInt32LE(frames, 40);
  let state = seed >>> 0;
  for (let i = 0; i < frames; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    wav[44 + i] = 128 + ((state >>> 24) % 64) - 32;
  }
  return wav;
}

// Compresses a body as a host that compresses would (nginx gzip_static, CDNs): the headers
// then carry Content-Encoding and the compressed body's Content-Length.
const COMPRESSORS = {
  gzip: (body) => zlib.gzipSync(body),
  br: (body) => zlib.brotliCompressSync(body),
};

/**
 * Sends `body` with `headers`, compressed when `control.compress` names an encoding
 * ('gzip' or 'br'), as a compressing host does whatever the client announced.
 */
function send(control, response, headers, body) {
  const compress = COMPRESSORS[control.compress];
  if (compress) {
    const compressed = compress(body);
    control.compressedResponses += 1;
    response.writeHead(200, { ...headers, 'Content-Encoding': control.compress, 'Content-Length': compressed.length, Vary: 'Accept-Encoding' });
    response.end(compressed);
  } else {
    response.writeHead(200, { ...headers, 'Content-Length': body.length });
    response.end(body);
  }
}

/**
 * Starts the server on a free port. `control.wasmFault` (null, '500', '404', 'html',
 * 'redirect', 'truncated') poisons woodshed.wasm; `control.version` (a string) makes sw.js a
 * new version whose precache wants a new woodshed.wasm; `control.appDir` serves another build;
 * `control.down` makes every request fail as if the server were gone; `control.compress`
 * ('gzip', 'br' or null) compresses every 200 response. Under media/, `<name>-<bytes>.wav` is
 * a generated song of that size. `old-address` (an in-scope page) redirects to the app.
 */
export async function startFaultServer({ prefix = '/woodshed/', compress = null } = {}) {
  const control = { wasmFault: null, version: null, appDir, down: false, mediaRequests: 0, compress, compressedResponses: 0 };
  const sockets = new Set();
  const server = http.createServer((request, response) => {
    if (control.down) {
      request.socket.destroy();
      return;
    }
    const url = new URL(request.url, 'http://127.0.0.1');
    const media = /^media\/([\w-]+)-(\d+)\.wav$/.exec(decodeURIComponent(url.pathname.slice(prefix.length)));
    if (url.pathname.startsWith(prefix) && media) {
      control.mediaRequests += 1;
      const body = syntheticWav(Number(media[2]), [...media[1]].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
      send(control, response, { 'Content-Type': 'audio/wav', 'Cache-Control': 'no-cache' }, body);
      return;
    }
    if (url.pathname === `${prefix}old-address`) {
      response.writeHead(301, { Location: `./${url.search}` });
      response.end();
      return;
    }
    if (!url.pathname.startsWith(prefix)) {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('not here');
      return;
    }
    let relative = decodeURIComponent(url.pathname.slice(prefix.length));
    if (relative === '' || relative.endsWith('/')) relative += 'index.html';
    // The test hooks are served beside the app, as tools/lib/serve.py --test-hooks does.
    const file = relative === 'test-hooks.js' ? testHooksFile : path.join(control.appDir, relative);
    if (file !== testHooksFile && !file.startsWith(control.appDir + path.sep)) {
      response.writeHead(403).end();
      return;
    }
    if (relative === 'woodshed.wasm' && control.wasmFault) {
      poison(control.wasmFault, file, response);
      return;
    }
    let body;
    try {
      body = readFileSync(file);
    } catch {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('not found');
      return;
    }
    if (relative === 'sw.js' && control.version) {
      // The same worker with a different revision for the wasm: a new version to install.
      body = Buffer.from(body.toString().replace(/("revision":")([^"]+)(","url":"woodshed\.wasm")/,
        `$1${control.version}$3`).replace(/("url":"woodshed\.wasm","revision":")([^"]+)/, `$1${control.version}`));
    }
    send(control, response, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' }, body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}${prefix}`,
    control,
    stop: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(resolve);
    }),
  };
}

function poison(fault, file, response) {
  switch (fault) {
    case '500':
      response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end('internal server error');
      break;
    case '404':
      response.writeHead(404, { 'Content-Type': 'text/html' });
      response.end('<html><body>Not found</body></html>');
      break;
    case 'html':  // a captive portal or a misconfigured host: 200, but a web page
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><html><body>Please log in to the network</body></html>');
      break;
    case 'redirect':
      response.writeHead(302, { Location: './index.html' });
      response.end();
      break;
    case 'truncated': {
      const body = readFileSync(file);
      response.writeHead(200, { 'Content-Type': 'application/wasm', 'Content-Length': body.length });
      response.write(body.subarray(0, body.length >> 1), () => response.socket.destroy());
      break;
    }
    default:
      throw new Error(`unknown fault ${fault}`);
  }
}
