// The chunked decoder (web/chunked-decode.js) against decodeAudioData, in the page: MP3 and FLAC
// decoded frame by frame with WebCodecs' AudioDecoder give decodeAudioData's samples within
// -90 dB after alignment (the alignment found is reported: an encoder-delay difference), and a
// file the chunked path cannot take (truncated) imports exactly as it did before it. A song
// decoded in chunks plays a few seconds in: deleted then, it leaves nothing; failing later, it
// keeps what was decoded and says where.
// (16-bit FLAC differs by up to 0.9 of a 16-bit step: the chunked path gives sample x as
// x / 32768, Chromium's decodeAudioData divides positive samples by 32767. The engine stores
// both as the same 16-bit samples.)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openApp, startServer } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio, mediaDir } from './media.mjs';

describe('chunked decoding', () => {
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
    await browser?.close();
    await server?.stop();
  });

  // Opus is always 48 kHz; the others are made at the output's rate. Each is compared at its own.
  for (const { format, kind, codec, ext } of [
    { format: 'flac16', kind: 'FLAC', codec: 'flac', ext: 'flac' },
    { format: 'flac', kind: 'FLAC', codec: 'flac', ext: 'flac' },
    { format: 'mp3', kind: 'MP3 or AAC', codec: 'mp3', ext: 'mp3' },
    { format: 'opus', kind: 'Ogg', codec: 'opus', ext: 'opus' },
    { format: 'aac', kind: 'MP4/M4A', codec: 'aac', ext: 'm4a' },
  ]) {
    test(`${format}: frame by frame, the samples decodeAudioData gives, within -90 dB after alignment`, async () => {
      const fileRate = format === 'opus' ? 48000 : rate;
      const file = makeAudio({ format, rate: fileRate, channels: 2, seconds: 6, name: `chunked-${format}.${ext}` });
      const result = await page.evaluate(async ([b, outputRate, kind]) => {
        const { chunkedDecoding, decoderSupports } = await import('./chunked-decode.js');
        const bytes = window.testAudio.fromBase64(b);
        const plan = chunkedDecoding(bytes.slice().buffer, kind, outputRate);
        if (!plan) return { plan: null };
        if (!(await decoderSupports(plan))) return { plan: 'unsupported' };
        const channels = Array.from({ length: plan.channels }, () => new Float32Array(plan.frames));
        await plan.decode((planes, offset, count) => planes.forEach((p, c) => channels[c].set(p.subarray(0, count), offset)), () => false);
        const context = new OfflineAudioContext(2, 1, plan.sampleRate);
        const reference = await context.decodeAudioData(bytes.slice().buffer);
        // The lag where they agree best, within 3000 samples either way (an encoder delay).
        const ref = reference.getChannelData(0);
        const ours = channels[0];
        let best = { lag: 0, error: Infinity };
        for (let lag = -3000; lag <= 3000; lag++) {
          let error = 0;
          for (let i = 4000; i < 4000 + 2048; i += 4) error += Math.abs(ours[i] - ref[i + lag]);
          if (error < best.error) best = { lag, error };
        }
        let worst = 0;
        let peak = 0;
        let compared = 0;
        for (let c = 0; c < 2; c++) {
          const r = reference.getChannelData(c);
          for (let i = Math.max(0, -best.lag); i < ours.length && i + best.lag < r.length; i++) {
            worst = Math.max(worst, Math.abs(channels[c][i] - r[i + best.lag]));
            peak = Math.max(peak, Math.abs(r[i + best.lag]));
            compared += 1;
          }
        }
        return { plan: plan.codec, frames: plan.frames, referenceFrames: reference.length, lag: best.lag, worstDb: 20 * Math.log10(worst / peak), compared };
      }, [base64Of(file), rate, kind]);
      assert.equal(result.plan, codec, 'the chunked path took it');
      console.log(`[ measure  ] ${format}: ${result.frames} frames chunked, ${result.referenceFrames} from decodeAudioData; `
        + `aligned at a lag of ${result.lag} samples; worst difference ${result.worstDb.toFixed(1)} dB`);
      assert.ok(result.worstDb < -90, `worst difference ${result.worstDb} dB`);
      assert.ok(result.compared > 2 * 5.9 * fileRate, 'nearly all of it compared');
      assert.equal(result.frames, result.referenceFrames, 'the same length');
      assert.equal(result.lag, 0, 'the same start: the encoder delay is trimmed as decodeAudioData trims it');
    });
  }

  // A file at another rate is converted by the engine as it is stored (dsp::RateConverter);
  // decodeAudioData converts with the browser's own resampler. Both against the truth: three
  // tones (1, 9 and 17 kHz) written by ffmpeg's aevalsrc at the file's rate and, as the ideal,
  // at the output's, each sample computed from the formula. What the engine stores is read back
  // as a float export at unity; it is 16-bit storage with the conversion's headroom (a floor
  // near -89 dBFS), which bounds how close it can come.
  for (const fileRate of [48000, 96000]) {
    test(`a ${fileRate / 1000} kHz FLAC converted by the engine is within -75 dB of the ideal, and decodeAudioData's conversion is measured beside it`, async () => {
      const tones = '0.2*sin(2*PI*1000*t)+0.2*sin(2*PI*9000*t)+0.2*sin(2*PI*17000*t)';
      const made = (rateOf, codec, name) => {
        const file = path.join(mediaDir, name);
        execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=${tones}|${tones}:s=${rateOf}:d=4`,
          '-c:a', codec, ...(codec === 'flac' ? ['-sample_fmt', 's32'] : []), file]);
        return file;
      };
      const source = made(fileRate, 'flac', `tones-${fileRate}.flac`);
      const ideal = made(rate, 'pcm_f32le', `tones-ideal-${rate}.wav`);
      const result = await page.evaluate(async ([b, idealBase64, outputRate]) => {
        const w = window.woodshed;
        const bytes = window.testAudio.fromBase64(b);
        const [id] = await w.importFiles([{ name: 'converted.flac', bytes: bytes.slice() }]);
        const decoder = w.test.lastDecoder();
        await w.load(id);
        const exported = await w.exportAudio(id, { region: 'song', format: 'wav32f' });
        await w.remove(id);
        const context = new OfflineAudioContext(2, 1, outputRate);
        const truth = (await context.decodeAudioData(window.testAudio.fromBase64(idealBase64).buffer)).getChannelData(0);
        const errorDb = (buffer) => {
          const x = buffer.getChannelData(0);
          let error = 0;
          let signal = 0;
          for (let i = 2000; i < truth.length - 2000; i++) {  // both filters ring at the edges
            error += (x[i] - truth[i]) ** 2;
            signal += truth[i] ** 2;
          }
          return { db: 10 * Math.log10(error / signal), frames: x.length };
        };
        return {
          decoder,
          ours: errorDb(await context.decodeAudioData(await exported.arrayBuffer())),
          theirs: errorDb(await context.decodeAudioData(bytes.buffer)),
          frames: truth.length,
        };
      }, [base64Of(source), base64Of(ideal), rate]);
      console.log(`[ measure  ] 1, 9 and 17 kHz tones at ${fileRate} Hz converted to ${rate} Hz, error against the ideal: `
        + `the engine ${result.ours.db.toFixed(1)} dB, decodeAudioData ${result.theirs.db.toFixed(1)} dB; `
        + `${result.ours.frames} and ${result.theirs.frames} frames of ${result.frames}`);
      assert.equal(result.decoder, 'chunked');
      assert.equal(result.ours.frames, result.frames, 'the length of the ideal');
      assert.ok(result.ours.db < -75, `the engine's conversion: ${result.ours.db} dB`);
    });
  }

  // A song decoded in chunks is playable a few seconds in; these hold its decode there.
  test('a song deleted while it is still being decoded leaves nothing behind', async () => {
    const file = makeAudio({ format: 'flac', rate, channels: 2, seconds: 30, name: 'deleted-while-decoding.flac' });
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const usedBefore = (await w.stats()).memoryUsedBytes;
      w.test.holdDecoding();
      const [id] = await w.importFiles([{ name: 'deleted-while-decoding.flac', bytes: window.testAudio.fromBase64(b) }]);
      const engineId = w.test.engineTrackOf(id);
      const during = {
        decoding: (await w.tracks()).find((t) => t.id === id).decoding,
        loaded: w.test.engineTracks().find((t) => t.id === engineId).loaded,
      };
      await w.remove(id);
      w.test.releaseDecoding();
      await w.saved();
      await new Promise((r) => setTimeout(r, 300));  // the decode's next chunk finds its import gone
      return {
        during,
        tracks: (await w.tracks()).length,
        engine: w.test.engineTracks().filter((t) => t.id === engineId).length,
        memory: (await w.stats()).memoryUsedBytes - usedBefore,
        lastError: (await w.state()).lastError,
      };
    }, base64Of(file));
    assert.equal(result.during.decoding, true, 'playable before it was all decoded');
    assert.ok(result.during.loaded > 0 && result.during.loaded < 0.5, `${result.during.loaded} of it in memory while held`);
    assert.equal(result.tracks, 0);
    assert.equal(result.engine, 0);
    assert.equal(result.memory, 0, 'its memory came back');
    assert.ok(!result.lastError?.includes('deleted-while-decoding'), result.lastError);
  });

  test('a decode that fails part way keeps what was decoded, says where, and the song plays on', async () => {
    const file = makeAudio({ format: 'flac', rate, channels: 2, seconds: 30, signal: 'sine', name: 'fails-part-way.flac' });
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      w.test.holdDecoding();
      const [id] = await w.importFiles([{ name: 'fails-part-way.flac', bytes: window.testAudio.fromBase64(b) }]);
      await w.load(id);
      await w.play();
      w.test.releaseDecoding('a damaged frame');
      await w.decoded(id);
      const lastError = (await w.state()).lastError;
      const captured = await w.captureOutput(0.3);
      await w.waveformReady(id);
      await w.pause();
      await w.saved(id);
      const track = (await w.tracks()).find((t) => t.id === id);
      await w.remove(id);
      let sum = 0;
      for (const x of captured.channels[0]) sum += x * x;
      return { lastError, rms: Math.sqrt(sum / captured.channels[0].length), start: captured.sourceFrameAtStart, duration: track.duration };
    }, base64Of(file));
    assert.match(result.lastError, /^fails-part-way\.flac: it could not be decoded after 0:0[5-9] \(a damaged frame\); it is silent from there\. The file may be damaged$/);
    assert.ok(result.start < 5 * rate, 'it played what had arrived');
    assert.ok(result.rms > 0.1, `and that was the song: rms ${result.rms}`);
    assert.ok(Math.abs(result.duration - 30) < 0.01, 'the song keeps its length');
  });

  // `kind`: what the file's first bytes look like, as the message names it.
  for (const { format, ext, label, kind } of [
    { format: 'flac', ext: 'flac', label: 'FLAC', kind: 'FLAC' },
    { format: 'opus', ext: 'opus', label: 'Opus', kind: 'Ogg' },
    { format: 'aac', ext: 'm4a', label: 'M4A', kind: 'MP4/M4A' },
  ]) test(`a truncated ${label} leaves the chunked path and imports as it did before it`, async () => {
    const name = `truncated.${ext}`;
    const file = makeAudio({ format, rate: format === 'opus' ? 48000 : rate, channels: 2, seconds: 4, name });
    const whole = readFileSync(file);
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    const result = await page.evaluate(async ([b, outputRate, name]) => {
      const w = window.woodshed;
      const bytes = window.testAudio.fromBase64(b);
      let browser;
      try {
        const decoded = await new OfflineAudioContext(1, 1, outputRate).decodeAudioData(bytes.slice().buffer);
        browser = { frames: decoded.length };
      } catch {
        browser = { error: true };
      }
      try {
        const [id] = await w.importFiles([{ name, bytes }]);
        await w.saved(id);
        const track = (await w.tracks()).find((t) => t.id === id);
        await w.remove(id);
        return { browser, decoder: w.test.lastDecoder(), imported: { seconds: track.duration } };
      } catch (error) {
        return { browser, decoder: w.test.lastDecoder(), imported: { error: error.message } };
      }
    }, [Buffer.from(cut).toString('base64'), rate, name]);
    assert.equal(result.decoder, 'browser');
    console.log(`[ measure  ] a truncated ${label}: ${JSON.stringify(result.imported)}`);
    if (result.browser.error) {
      assert.match(result.imported.error, new RegExp(`^truncated\\.${ext}: it looks like ${kind} but could not be decoded: it may be truncated or damaged`));
    } else {
      assert.ok(Math.abs(result.imported.seconds - result.browser.frames / rate) < 1e-6, JSON.stringify(result));
    }
  });
});
