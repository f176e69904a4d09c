// Decoded storage keeps what the decoder gave: a 16-bit WAV is stored as its own samples (every
// value, though Chromium decodes positive samples as s / 32767), a float WAV peaking at +3 dBFS
// plays back at -6.02 dB track gain as the source x 0.5 (its overs were kept, not clipped at
// import), and a sine at -100 dBFS in a 24-bit WAV (a third of a 16-bit step) is still there
// after storage, in the dither's noise, where plain rounding would have left silence.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApp, startServer } from './harness.mjs';
import { installPageHelpers, reportGaps } from './media.mjs';
import { makeWav, parseWav } from './wav.mjs';

describe('decoded storage', () => {
  let server;
  let browser;
  let page;
  let rate;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    await installPageHelpers(page);
    rate = await page.evaluate(async () => {
      await window.woodshed.start();
      return (await window.woodshed.stats()).sampleRate;
    });
  });
  after(async () => {
    await reportGaps(page);
    await browser?.close();
    await server?.stop();
  });

  // Imports `file` (a Buffer) and makes it the current song, played back neutrally.
  const importNeutral = (name, file) => page.evaluate(async ({ name: n, base64 }) => {
    const w = window.woodshed;
    const [id] = await w.importFiles([{ name: n, bytes: window.testAudio.fromBase64(base64) }]);
    await w.load(id);
    await w.setEq({ bypass: true });
    await w.setLimiter({ enabled: false });
    return id;
  }, { name, base64: file.toString('base64') });

  // Exports the current song (the EQ bypassed, the limiter off) and brings the file back.
  const exportSong = (format) => page.evaluate(async (f) => {
    const blob = await window.woodshed.exportAudio(null, { format: f });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }, format).then((base64) => parseWav(Buffer.from(base64, 'base64')));

  test('a 16-bit WAV holding every 16-bit value is stored as its own samples', async () => {
    const frames = 65536;
    const value = (i, c) => (c === 0 ? i - 32768 : 32767 - ((i * 7919) % 65536));
    await importNeutral('Every value.wav', makeWav({ rate, channels: 2, frames, bits: 16, sample: value }));
    await page.evaluate(() => window.woodshed.setTrackGain(0));
    const exported = await exportSong('wav16');
    assert.equal(exported.samples.length, frames * 2);
    let different = 0;
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < 2; c++) different += exported.samples[2 * i + c] !== value(i, c);
    }
    console.log(`[ measure  ] 16-bit WAV with all 65536 values: ${different} of ${2 * frames} samples differ after import and a wav16 export`);
    assert.equal(different, 0);
  });

  test('a float WAV peaking at +3 dBFS plays at -6.02 dB track gain as the source x 0.5 within -80 dB', async () => {
    // Written at the output's rate, so the decoder gives the file's own floats.
    const seconds = 6;
    const peak = 10 ** (3 / 20);
    const source = (i, c) => {
      const t = i / rate;
      return c === 0
        ? peak * Math.sin(2 * Math.PI * 441 * t)
        : peak * (0.6 * Math.sin(2 * Math.PI * 1234.5 * t) + 0.4 * Math.sin(2 * Math.PI * 97 * t));
    };
    const file = makeWav({ rate, channels: 2, frames: seconds * rate, bits: 32, sample: source });
    await importNeutral('Loud.wav', file);
    const captured = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.setTrackGain(20 * Math.log10(0.5));
      await w.seek(1);
      await w.play();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const result = await window.testAudio.captureWithoutGaps(1);
      await w.pause();
      return { sampleRate: result.sampleRate, start: result.sourceFrameAtStart, channels: result.channels.map((c) => Array.from(c)) };
    });
    assert.equal(captured.sampleRate, rate);
    assert.notEqual(captured.start, null, 'the captured audio has a source position');
    // What the file holds, as float32 (what the decoder gives), times 0.5.
    const stored = new Float32Array(1);
    const expected = (i, c) => { stored[0] = source(i, c); return 0.5 * stored[0]; };
    let error = 0;
    let signal = 0;
    let loudest = 0;
    const skip = 64;  // past anything the fade-in touches
    for (let c = 0; c < 2; c++) {
      const played = captured.channels[c];
      for (let i = skip; i < played.length; i++) {
        const y = expected(captured.start + i, c);
        error += (played[i] - y) ** 2;
        signal += y * y;
        loudest = Math.max(loudest, Math.abs(played[i]));
      }
    }
    const errorDb = 10 * Math.log10(error / signal);
    console.log(`[ measure  ] +3 dBFS float WAV at -6.02 dB track gain: error ${errorDb.toFixed(1)} dB relative to the signal; loudest sample ${(20 * Math.log10(loudest)).toFixed(2)} dBFS`);
    assert.ok(errorDb < -80, `the output differs from the source x 0.5 by ${errorDb.toFixed(1)} dB`);
    assert.ok(Math.abs(20 * Math.log10(loudest) - (3 + 20 * Math.log10(0.5))) < 0.05, 'the peak survived the import');
  });

  test('a -100 dBFS sine in a 24-bit WAV is still at -100 dB after storage', async () => {
    const frequency = 1000;
    const amplitude = 10 ** (-100 / 20);  // 1e-5: a third of a 16-bit step
    const frames = 3 * rate;
    const file = makeWav({ rate, channels: 1, frames, bits: 24, sample: (i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate) });
    await importNeutral('Quiet.wav', file);
    await page.evaluate(() => window.woodshed.setTrackGain(0));
    const exported = await exportSong('wav32f');
    assert.deepEqual([exported.channels, exported.rate, exported.samples.length], [1, rate, frames]);
    // The level of the 1 kHz component, by correlation with the sine, over whole periods (ten
    // periods of 1 kHz are a whole number of frames at 44.1 and 48 kHz).
    const tenPeriods = rate / 100;
    const whole = Number.isInteger(tenPeriods) ? frames - (frames % tenPeriods) : frames;
    let re = 0;
    let im = 0;
    let zero = 0;
    for (let i = 0; i < whole; i++) {
      const phase = (2 * Math.PI * frequency * i) / rate;
      re += exported.samples[i] * Math.sin(phase);
      im += exported.samples[i] * Math.cos(phase);
      zero += exported.samples[i] === 0;
    }
    const db = 20 * Math.log10((2 * Math.hypot(re, im)) / whole);
    console.log(`[ measure  ] -100 dBFS 1 kHz sine in a 24-bit WAV, after storage: ${db.toFixed(2)} dBFS (${zero} of ${whole} samples exactly 0)`);
    assert.ok(Math.abs(db + 100) <= 1, `the sine measures ${db.toFixed(2)} dBFS`);
  });

  test('the budget for songs follows the device, makes room from the songs used longest ago, refuses what cannot fit, and an unload gives the memory back', { timeout: 120_000 }, async () => {
    // Mono files at 8 kHz, small to send; decoded at the output's 44.1 kHz, 2.5 minutes take 13.2 MB.
    const silence = (seconds, channels) => makeWav({ rate: 8000, channels, frames: seconds * 8000, bits: 16, sample: () => 0 }).toString('base64');
    const outcome = await page.evaluate(async ({ song, big }) => {
      const w = window.woodshed;
      const figures = {};
      for (const gb of [8, 4, 2, 1]) {
        w.test.setDeviceMemory(gb);
        figures[gb] = (await w.stats()).memoryBudgetBytes;
      }
      // A budget of 32 MiB (33.6 MB) holds two of them; the earlier tests' songs go first.
      for (const track of await w.tracks()) if (track.inMemory) await w.unload(track.id);
      await new Promise((resolve) => setTimeout(resolve, 500));
      w.test.setSongBudget(32 * 2 ** 20);
      const before = await w.stats();
      const importSong = async (name, base64, tag) => {
        const bytes = window.testAudio.fromBase64(base64);
        bytes[44] = tag;  // a different song each time (the library keys songs by their content)
        return (await w.importFiles([{ name, bytes }]))[0];
      };
      // Each song's waveform is left to finish: a song whose waveform job still reads it is in use,
      // and is not dropped to make room (a known limit: an import that follows at once is refused).
      const a = await importSong('A.wav', song, 1);
      await w.waveformReady(a);
      const b = await importSong('B.wav', song, 2);
      await w.waveformReady(b);
      await w.load(a);  // A plays: it stays
      const c = await importSong('C.wav', song, 3);  // B, used longest ago, makes room
      const inMemory = (await w.tracks()).filter((t) => [a, b, c].includes(t.id) && t.inMemory).map((t) => t.name);
      await w.waveformReady(c);
      let refused = '';
      try {
        await importSong('Big.wav', big, 4);
      } catch (error) {
        refused = error.message;
      }
      const stillInMemory = (await w.tracks()).filter((t) => [a, b, c].includes(t.id) && t.inMemory).map((t) => t.name);
      const loaded = await w.stats();
      for (const id of [a, b, c]) await w.unload(id);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = await w.stats();
      w.test.setDeviceMemory(0);
      return { figures, before, loaded, after, inMemory, stillInMemory, refused };
    }, { song: silence(150, 1), big: silence(180, 2) });
    const mb = (bytes) => (bytes / 1e6).toFixed(1);
    console.log(`[ measure  ] song budget: 8 GB device ${mb(outcome.figures[8])} MB, 4 GB ${mb(outcome.figures[4])} MB, `
      + `2 GB ${mb(outcome.figures[2])} MB, 1 GB ${mb(outcome.figures[1])} MB; with 33.6 MB, in memory after A, B, play A, C: `
      + `${outcome.inMemory.join(', ')}; refused: "${outcome.refused}"; heap ${mb(outcome.loaded.heapBytesInUse)} MB, `
      + `after unloading ${mb(outcome.after.heapBytesInUse)} MB (${mb(outcome.before.heapBytesInUse)} MB before)`);
    assert.equal(outcome.figures[8], 2 ** 31 - 384 * 2 ** 20, 'a quarter of 8 GB is more than the heap allows');
    assert.equal(outcome.figures[4], 2 ** 30);
    assert.equal(outcome.figures[2], 2 ** 29);
    assert.equal(outcome.figures[1], 256 * 2 ** 20);
    assert.deepEqual(outcome.inMemory, ['A.wav', 'C.wav'], 'B, used longest ago, made room; A plays');
    assert.match(outcome.refused, /^Big\.wav: it needs 32 MB of memory, and only 20 MB of this device's 34 MB for songs can be freed/);
    assert.deepEqual(outcome.stillInMemory, ['A.wav', 'C.wav'], 'a refused import drops nothing');
    assert.equal(outcome.after.memoryUsedBytes, outcome.before.memoryUsedBytes, 'the budget is free again');
    assert.ok(Math.abs(outcome.after.heapBytesInUse - outcome.before.heapBytesInUse) <= 1e6,
      `the heap returned to ${mb(outcome.after.heapBytesInUse)} MB from ${mb(outcome.before.heapBytesInUse)} MB`);
  });
});
