// Import figures for the README (issue 16), measured in headless Chromium through the real
// file picker: for generated 1-, 5- and 20-minute files in each format, the time from the
// picker's change event to the song listed, to first sound, to all of it decoded and to its
// original stored, with the peak JS heap and wasm memory; beside a bare decodeAudioData of the
// same bytes in the same page once the import is done. Each figure is the median of three runs. It is a benchmark (tools/bench), never
// a timed test: it asserts only that every import it timed worked.
//
//   WOODSHED_IMPORT_MINUTES=1,5 WOODSHED_IMPORT_FORMATS=mp3,flac node --test tests/bench/import-figures.mjs

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { openApp, startServer } from '../browser/harness.mjs';
import { makeAudio } from '../browser/media.mjs';

const MINUTES = (process.env.WOODSHED_IMPORT_MINUTES ?? '1,5,20').split(',').map(Number);
const FORMATS = (process.env.WOODSHED_IMPORT_FORMATS ?? 'mp3,flac,wav16,opus,aac').split(',');
const RUNS = 3;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('import through the file picker (figures for the README)', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    await browser.page.evaluate(() => window.woodshed.start());
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const rows = [];
  after(() => {
    console.log('\n| file | size | bare decode | listed | first sound | first sound / decode | all decoded | stored | peak JS heap | peak wasm memory |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  });

  for (const minutes of MINUTES) {
    for (const format of FORMATS) {
      test(`${minutes}-minute ${format}`, { timeout: 900000 }, async () => {
        const { page } = browser;
        const file = makeAudio({ format, rate: format === 'opus' ? 48000 : 44100, channels: 2, seconds: minutes * 60 });  // Opus is 48 kHz
        const runs = [];
        for (let run = 0; run < RUNS; run++) runs.push(await importOnce(page, file));
        const pick = (key) => median(runs.map((r) => r[key]));
        const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
        const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;
        const row = `| ${minutes} min ${format} | ${mb(statSync(file).size)} | ${seconds(pick('decodeMs'))} | ${seconds(pick('listedMs'))} `
          + `| ${seconds(pick('soundMs'))} | ${(pick('soundMs') / pick('decodeMs')).toFixed(2)}x | ${seconds(pick('decodedMs'))} | ${seconds(pick('storedMs'))} `
          + `| ${mb(pick('peakJsHeap'))} | ${mb(pick('peakWasm'))} |`;
        console.log(`[ measure  ] ${row}`);
        rows.push(row);
      });
    }
  }
});

// One import of `file` through #file-input, timed in the page from the change event; then a
// bare decode of the same bytes; the song is deleted again, so the next run imports anew.
async function importOnce(page, file) {
  await page.evaluate(() => {
    const w = window.woodshed;
    const input = document.getElementById('file-input');
    window.importRun = new Promise((resolve, reject) => {
      // Captured on the way down, before the app's own listener takes the files and empties the input.
      window.addEventListener('change', async () => {
        try {
          const started = performance.now();
          const chosen = input.files[0];  // the app empties the input once it has the files
          const name = chosen.name;
          const listedBefore = w.test.catalogSize();
          const peaks = { js: 0, wasm: 0 };
          const sample = () => {
            peaks.js = Math.max(peaks.js, performance.memory?.usedJSHeapSize ?? 0);
            peaks.wasm = Math.max(peaks.wasm, w.test.wasmMemoryBytes());
          };
          // Cheap checks only (no IndexedDB reads), so that watching does not slow what it times.
          let listedMs = null;
          let soundMs = null;
          for (;;) {
            sample();
            if (listedMs === null && w.test.catalogSize() > listedBefore) listedMs = performance.now() - started;
            if (w.test.currentSong() !== null) {
              await w.play();
              soundMs = performance.now() - started;
              break;
            }
            const { lastError } = await w.state();
            if (lastError?.startsWith(name)) throw new Error(lastError);
            if (performance.now() - started > 600000) throw new Error('not playable in 10 minutes');
            await new Promise((r) => setTimeout(r, 10));
          }
          const id = w.test.currentSong();
          listedMs ??= soundMs;  // listed and loaded between two looks
          const sampler = setInterval(sample, 20);
          // (Apps from before issue 16 decode all before first sound, and store before listing.)
          await w.decoded?.(id);
          const decodedMs = performance.now() - started;
          await w.saved?.(id);
          clearInterval(sampler);
          const storedMs = performance.now() - started;
          await w.pause();
          const bytes = await chosen.arrayBuffer();
          const context = new OfflineAudioContext(2, 1, (await w.stats()).sampleRate);
          const decodeStarted = performance.now();
          await context.decodeAudioData(bytes);
          const decodeMs = performance.now() - decodeStarted;
          await w.remove(id);
          resolve({ listedMs, soundMs, decodedMs, storedMs, decodeMs, peakJsHeap: peaks.js, peakWasm: peaks.wasm });
        } catch (error) {
          reject(error);
        }
      }, { once: true, capture: true });
    });
  });
  await page.setInputFiles('#file-input', file);
  const result = await page.evaluate(() => window.importRun);
  await page.setInputFiles('#file-input', []);
  assert.ok(result.soundMs > 0);
  return result;
}
