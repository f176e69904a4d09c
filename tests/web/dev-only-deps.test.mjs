// The time-stretch peers are devDependencies for tests/bench only (rubberband-wasm is GPL): nothing
// the app ships may name them, and the service worker precaches the built app directory (web/
// plus the wasm), never node_modules.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BENCH_ONLY = ['signalsmith-stretch', 'rubberband', 'soundtouch'];

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(file) : [file];
  });
}

test('nothing under web/ names a bench-only package or node_modules', () => {
  for (const file of filesUnder(path.join(root, 'web'))) {
    if (!/\.(m?js|html|json|webmanifest)$/.test(file)) continue;
    const text = readFileSync(file, 'utf8').toLowerCase();
    for (const name of [...BENCH_ONLY, 'node_modules']) {
      assert.ok(!text.includes(name), `${path.relative(root, file)} mentions ${name}`);
    }
  }
});

test('the peers are exact-version devDependencies, not dependencies', () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies, undefined);
  assert.equal(manifest.devDependencies['signalsmith-stretch'], '1.3.2');
  assert.equal(manifest.devDependencies['rubberband-wasm'], '3.3.0');
  assert.equal(manifest.devDependencies.soundtouchjs, '0.3.0');
});

test('the precache globs only the built app directory', () => {
  const source = readFileSync(path.join(root, 'tools/lib/build-sw.mjs'), 'utf8');
  assert.match(source, /globDirectory: appDir/);
  assert.ok(!source.includes('node_modules'), 'build-sw.mjs mentions node_modules');
});
