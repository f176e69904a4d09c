// The app's one soak: a song at 0.7 speed and -3 semitones, with the EQ and limiter on, the
// analysis read the way the panels read it and the UI drawing at its own pace, while another
// song is imported and this one normalized. After the first second, no underruns.
// tools/test runs a minute of it alone; tools/soak runs it for 10 minutes
// (WOODSHED_SOAK_SECONDS), since a busy 2-core machine is not what a user's is.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openApp, startServer } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio } from './media.mjs';

const SECONDS = Number(process.env.WOODSHED_SOAK_SECONDS ?? 60);

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

test(`${SECONDS} s of a song at 0.7 speed with the EQ, limiter, analysis, an import and a normalize has no underruns`,
  { timeout: (SECONDS + 120) * 1000 }, async () => {
    // Long enough that the song never ends: at 0.7, SECONDS of output read 0.7 * SECONDS.
    const songSeconds = Math.ceil(SECONDS * 0.7) + 20;
    const song = base64Of(makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: songSeconds, name: 'Soak.mp3' }));
    const other = base64Of(makeAudio({ format: 'flac', rate: 48000, channels: 2, seconds: 60, name: 'Other.flac' }));
    const browser = await openApp(server.url);
    try {
      const { page } = browser;
      await installPageHelpers(page);
      const outcome = await page.evaluate(async ({ song, other, seconds }) => {
        const w = window.woodshed;
        const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
        await w.start();
        const [id] = await w.importFiles([{ name: 'Soak.mp3', bytes: window.testAudio.fromBase64(song) }]);
        await w.load(id);
        await w.setTempo(0.7);
        await w.setPitch(-3);
        await w.setEq([{ type: 'lowshelf', frequency: 120, gainDb: 4, q: 0.7 }, { type: 'peaking', frequency: 2500, gainDb: -3, q: 1.2 }]);
        await w.setLimiter({ enabled: true, ceilingDb: -1 });
        await w.play();
        await sleep(1000);
        const first = await w.stats();
        const start = performance.now();
        // The import and the normalize run a few seconds in, beside the reads below.
        const work = sleep(3000).then(async () => {
          await w.importFiles([{ name: 'Other.flac', bytes: window.testAudio.fromBase64(other) }]);
          const normalized = await w.normalize({ targetLufs: -16 });
          return { imported: performance.now() - start, normalized };
        });
        let reads = 0;
        while (performance.now() - start < seconds * 1000) {
          await w.spectrum();
          await w.loudness();
          reads += 1;
          await sleep(50);
        }
        const done = await work;
        const last = await w.stats();
        const state = await w.state();
        await w.pause();
        return {
          underruns: last.underruns - first.underruns,
          played: (last.framesPlayed - first.framesPlayed) / last.sampleRate,
          loadAvg: last.renderLoadAvg,
          loadMax: last.renderLoadMax,
          ringFill: last.ringFillFrames,
          latencyMs: last.outputLatencyMs,
          reads,
          importedAfterMs: done.imported,
          normalizedGainDb: done.normalized.gainDb,
          tempo: state.tempo,
          playing: state.playing,
        };
      }, { song, other, seconds: SECONDS });
      const summary = `underruns ${outcome.underruns} over ${outcome.played.toFixed(1)} s at tempo ${outcome.tempo}; `
        + `render load avg ${(100 * outcome.loadAvg).toFixed(2)}%, max ${(100 * outcome.loadMax).toFixed(1)}%; `
        + `ring fill ${outcome.ringFill} frames; output latency ${outcome.latencyMs.toFixed(1)} ms; `
        + `${outcome.reads} spectrum and loudness reads; import and normalize done after ${(outcome.importedAfterMs / 1000).toFixed(1)} s`;
      console.log(`[ measure  ] ${summary}`);
      assert.ok(outcome.played > SECONDS * 0.95, `the worklet played only ${outcome.played.toFixed(1)} s: ${summary}`);
      assert.ok(outcome.playing, 'the song was still playing at the end');
      assert.ok(Number.isFinite(outcome.normalizedGainDb), 'the normalize finished with a gain');
      assert.equal(outcome.underruns, 0, summary);
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
