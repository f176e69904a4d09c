// Builds the service worker for a built app directory: injects the precache manifest (every
// app-shell file with a content revision) into web/sw.js and copies Workbox beside it.
// Fails when any app-shell file would be left out of the precache: Workbox skips files over
// maximumFileSizeToCacheInBytes with only a warning, and an app missing its .wasm offline is
// broken.
//
//   node tools/lib/build-sw.mjs <source sw.js> <app directory>

import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { copyWorkboxLibraries, getManifest, injectManifest } from 'workbox-build';

const [swSource, appDir] = process.argv.slice(2);
if (!swSource || !appDir) {
  console.error('usage: node tools/lib/build-sw.mjs <source sw.js> <app directory>');
  process.exit(2);
}

/** Largest file the precache takes; the app's .wasm is well below it. */
const MAX_PRECACHED_BYTES = 32 * 1024 * 1024;
const SHELL_FILES = '**/*.{html,js,mjs,wasm,css,webmanifest,png,svg}';
const NOT_SHELL = ['sw.js', 'workbox/**'];

function listShellFiles(dir, prefix = '') {
  const files = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) {
      if (relative !== 'workbox') files.push(...listShellFiles(dir, relative));
    } else if (relative !== 'sw.js' && /\.(html|m?js|wasm|css|webmanifest|png|svg)$/.test(relative)) {
      files.push(relative);
    }
  }
  return files;
}

/** Subresource Integrity value (SHA-384) of a file. */
function integrityOf(file) {
  return `sha384-${createHash('sha384').update(readFileSync(file)).digest('base64')}`;
}

// The page's window on the service worker (the update prompt), from npm, precached like the rest.
const require = createRequire(import.meta.url);
copyFileSync(require.resolve('workbox-window/build/workbox-window.prod.mjs'), path.join(appDir, 'workbox-window.js'));

// What the first visit needs to check the wasm before any service worker exists, and a build id.
const wasmIntegrity = integrityOf(path.join(appDir, 'woodshed.wasm'));
const buildHash = createHash('sha256');
for (const file of listShellFiles(appDir).filter((f) => f !== 'build-info.js').sort()) {
  buildHash.update(file).update(readFileSync(path.join(appDir, file)));
}
const buildId = buildHash.digest('hex').slice(0, 16);
writeFileSync(path.join(appDir, 'build-info.js'), `// Written by tools/lib/build-sw.mjs for this build.
export const WASM_INTEGRITY = '${wasmIntegrity}';
export const BUILD_ID = '${buildId}';
`);

const workboxDir = path.join(appDir, 'workbox');
rmSync(workboxDir, { recursive: true, force: true });
const copied = await copyWorkboxLibraries(appDir);
renameSync(path.join(appDir, copied), workboxDir);

const options = {
  globDirectory: appDir,
  globPatterns: [SHELL_FILES],
  globIgnores: NOT_SHELL,
  maximumFileSizeToCacheInBytes: MAX_PRECACHED_BYTES,
  // Every file carries Subresource Integrity: Workbox fetches it with it, so a version whose
  // files were changed after the build, or arrive incomplete, fails to install. This is how
  // completeness is judged: a host that compresses sends the compressed body's Content-Length,
  // which says nothing about the decoded body.
  manifestTransforms: [async (entries) => ({
    manifest: entries.map((entry) => ({ ...entry, integrity: integrityOf(path.join(appDir, entry.url)) })),
    warnings: [],
  })],
};
const { manifestEntries } = await getManifest(options);
const { count, size, warnings } = await injectManifest({ ...options, swSrc: swSource, swDest: path.join(appDir, 'sw.js') });

const precached = new Set(manifestEntries.map((entry) => entry.url));
const missing = listShellFiles(appDir).filter((file) => !precached.has(file));
if (warnings.length > 0 || missing.length > 0) {
  for (const warning of warnings) console.error(`service worker build: ${warning}`);
  for (const file of missing) {
    console.error(`service worker build: ${file} (${statSync(path.join(appDir, file)).size} bytes) would not be precached`);
  }
  rmSync(path.join(appDir, 'sw.js'), { force: true });
  process.exit(1);
}
console.log(`service worker: ${count} files precached, ${(size / 1024).toFixed(0)} KiB`);
