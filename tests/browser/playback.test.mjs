// Playback as a musician uses it: import files of every format and many sample rates, play
// them, seek, loop; bad files are refused with a reason while the current song keeps playing;
// memory comes back after unloading.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { openApp, startServer } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio, reportGaps } from './media.mjs';
import { makeWav } from './wav.mjs';

// Imports a file given as base64 through window.woodshed.importFiles; returns the track id.
async function importBase64(page, name, base64) {
  return page.evaluate(async ([n, b]) => {
    const [id] = await window.woodshed.importFiles([{ name: n, bytes: window.testAudio.fromBase64(b) }]);
    return id;
  }, [name, base64]);
}

// Plays `id` from `fromSeconds` (looping) and compares one captured second with the
// reference decode, frame by frame at the position the worklet reports.
async function playAndCompare(page, id, base64, fromSeconds = 0.5) {
  return page.evaluate(async ([trackId, b, from]) => {
    const w = window.woodshed;
    await w.load(trackId);
    await w.setLoop(true);
    await w.seek(from);
    await w.play();
    await new Promise((r) => setTimeout(r, 250));
    const captured = await window.testAudio.captureWithoutGaps(1);
    await w.pause();
    const reference = await window.testAudio.decode(window.testAudio.fromBase64(b), captured.sampleRate);
    const skip = 64;  // past anything the fade-in touches
    const frames = captured.channels[0].length - skip;
    const channels = [0, 1].map((c) => window.testAudio.compare(
      captured.channels[c],
      reference.getChannelData(Math.min(c, reference.numberOfChannels - 1)),
      captured.sourceFrameAtStart + skip, skip, frames));
    return { sourceFrameAtStart: captured.sourceFrameAtStart, sampleRate: captured.sampleRate, channels };
  }, [id, base64, fromSeconds]);
}

function assertMatches(result, label) {
  assert.notEqual(result.sourceFrameAtStart, null, `${label}: the captured audio has a source position`);
  for (const [c, channel] of result.channels.entries()) {
    assert.ok(channel.correlation > 0.99, `${label} channel ${c}: correlation ${channel.correlation}`);
    assert.ok(Math.abs(channel.levelDb) < 0.5, `${label} channel ${c}: level differs by ${channel.levelDb} dB`);
  }
}

describe('playback', () => {
  let server;
  let browser;
  let page;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    await installPageHelpers(page);
    await page.evaluate(() => window.woodshed.start());
  });
  after(async () => {
    await reportGaps(page);
    await browser?.close();
    await server?.stop();
  });
  // Every test starts with an empty library, whatever the previous one left.
  afterEach(async () => {
    await page.evaluate(async () => {
      await window.woodshed.cancelImports();
      for (const track of await window.woodshed.tracks()) await window.woodshed.remove(track.id);
    });
  });

  const cases = [
    { format: 'wav16', rate: 44100, channels: 2 },
    { format: 'wav24', rate: 48000, channels: 2 },
    { format: 'wav24', rate: 44100, channels: 1 },
    { format: 'wavFloat', rate: 96000, channels: 2 },
    { format: 'wav16', rate: 8000, channels: 1 },
    { format: 'flac', rate: 22050, channels: 1 },
    { format: 'flac', rate: 44100, channels: 2 },
    { format: 'flac', rate: 96000, channels: 2 },
    { format: 'mp3', rate: 44100, channels: 2 },
    { format: 'mp3', rate: 22050, channels: 1 },
    { format: 'vorbis', rate: 48000, channels: 2 },
    { format: 'opus', rate: 48000, channels: 2 },
    { format: 'aac', rate: 44100, channels: 2 },
  ];
  for (const c of cases) {
    const label = `${c.format} ${c.rate / 1000} kHz ${c.channels === 1 ? 'mono' : 'stereo'}`;
    test(`${label} imports and plays what it holds`, async () => {
      const file = makeAudio({ ...c, seconds: 4 });
      const base64 = base64Of(file);
      const id = await importBase64(page, `${label}.${file.split('.').pop()}`, base64);
      const decoder = await page.evaluate(() => window.woodshed.test.lastDecoder());
      // A PCM WAV is read by the page; an MP3, FLAC, Opus or AAC (M4A) is decoded chunk by chunk;
      // at any of these rates (the engine converts another to the output's). Ogg Vorbis is
      // decoded by the browser, whole.
      const expected = c.format.startsWith('wav') ? 'page' : ['mp3', 'flac', 'opus', 'aac'].includes(c.format) ? 'chunked' : 'browser';
      assert.equal(decoder, expected);
      const tracks = await page.evaluate(() => window.woodshed.tracks());
      const track = tracks.find((t) => t.id === id);
      assert.equal(track.channels, c.channels);
      assert.ok(Math.abs(track.duration - 4) < 0.1, `duration ${track.duration}`);
      assertMatches(await playAndCompare(page, id, base64), label);
      await page.evaluate((trackId) => window.woodshed.unload(trackId), id);
    });
  }

  // A 5.1 WAV (no channel mask: front left, front right, centre, LFE, surround left, surround
  // right) plays as the browser would play it on stereo: each side gets its front channel, and
  // the centre and its surround at -3 dB; the LFE is left out. A tone on each channel tells.
  test('a 5.1 file is mixed down to stereo as the browser mixes it', async () => {
    const tones = [300, 500, 700, 900, 1100, 1300];
    const wav = makeWav({
      rate: 44100, channels: 6, frames: 44100 * 3, bits: 16,
      sample: (i, c) => Math.round(0.2 * 32767 * Math.sin((2 * Math.PI * tones[c] * i) / 44100)),
    });
    const id = await importBase64(page, 'surround.wav', wav.toString('base64'));
    const result = await page.evaluate(async ([trackId, frequencies]) => {
      const w = window.woodshed;
      await w.load(trackId);
      await w.setLoop(true);
      await w.seek(0.5);
      await w.play();
      await new Promise((r) => setTimeout(r, 250));
      const captured = await window.testAudio.captureWithoutGaps(0.5);
      await w.pause();
      // Each tone's amplitude on each side (a whole number of cycles in the half second, at any rate).
      const amplitude = (samples, frequency) => {
        let re = 0;
        let im = 0;
        for (let i = 0; i < samples.length; i++) {
          const phase = (2 * Math.PI * frequency * i) / captured.sampleRate;
          re += samples[i] * Math.cos(phase);
          im += samples[i] * Math.sin(phase);
        }
        return (2 * Math.hypot(re, im)) / samples.length;
      };
      const track = (await w.tracks()).find((t) => t.id === trackId);
      return {
        channels: track.channels,
        rate: captured.sampleRate,
        left: frequencies.map((f) => amplitude(captured.channels[0], f)),
        right: frequencies.map((f) => amplitude(captured.channels[1], f)),
      };
    }, [id, tones]);
    await page.evaluate((trackId) => window.woodshed.remove(trackId), id);
    console.log(`[ measure  ] 5.1 mixed down: left ${result.left.map((a) => a.toFixed(4)).join(' ')}, right ${result.right.map((a) => a.toFixed(4)).join(' ')}`);
    assert.equal(result.channels, 2);
    const expected = {
      left: [0.2, 0, 0.2 * Math.SQRT1_2, 0, 0.2 * Math.SQRT1_2, 0],
      right: [0, 0.2, 0.2 * Math.SQRT1_2, 0, 0, 0.2 * Math.SQRT1_2],
    };
    for (const side of ['left', 'right']) {
      result[side].forEach((a, k) => {
        assert.ok(Math.abs(a - expected[side][k]) < 0.004, `${side} ${tones[k]} Hz: ${a.toFixed(4)}, expected ${expected[side][k].toFixed(4)}`);
      });
    }
  });

  test('seeking is sample-accurate and heard within 100 ms', async () => {
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 20, name: 'seek.wav' });
    const base64 = base64Of(file);
    const id = await importBase64(page, 'seek.wav', base64);
    const measure = () => page.evaluate(async ([trackId, b]) => {
      const w = window.woodshed;
      await w.load(trackId);
      await w.play();
      await new Promise((r) => setTimeout(r, 300));
      const pending = w.captureOutput(0.5);
      const target = 12.345;
      await w.seek(target);
      // An underrun's silence is cut out (and reported): the delay measured is the engine's.
      const captured = window.testAudio.spliceGaps(await pending);
      const reference = (await window.testAudio.decode(window.testAudio.fromBase64(b), captured.sampleRate)).getChannelData(0);
      // Where in the capture does the audio from the seek target begin?
      const targetFrame = Math.round(target * captured.sampleRate);
      const fade = Math.ceil(0.005 * captured.sampleRate) + 1;
      let best = { at: -1, correlation: 0 };
      for (let at = 0; at < captured.channels[0].length - 4096; at++) {
        const { correlation } = window.testAudio.compare(captured.channels[0], reference, targetFrame + fade, at + fade, 2048);
        if (correlation > best.correlation) best = { at, correlation };
      }
      // And a capture after the seek settles starts exactly where the worklet says.
      await new Promise((r) => setTimeout(r, 200));
      const later = await window.testAudio.captureWithoutGaps(0.5);
      const exact = window.testAudio.compare(later.channels[0], reference, later.sourceFrameAtStart, 0, later.channels[0].length);
      await w.pause();
      return { delayMs: (1000 * best.at) / captured.sampleRate, correlation: best.correlation, exact, laterStart: later.sourceFrameAtStart / later.sampleRate, gapFrames: captured.gapFrames };
    }, [id, base64]);
    const result = await measure();
    const gaps = result.gapFrames > 0 ? ` (${result.gapFrames} frames of underrun cut out)` : '';
    console.log(`[ measure  ] seek heard after ${result.delayMs.toFixed(1)} ms${gaps}; exact-position correlation ${result.exact.correlation}`);
    assert.ok(result.correlation > 0.999, `after the seek the audio is the target's: ${result.correlation}`);
    assert.ok(result.delayMs <= 100, `heard ${result.delayMs} ms after seek() resolved`);
    assert.ok(result.exact.correlation > 0.9999 && result.exact.maxDiff < 1e-3, JSON.stringify(result.exact));
    // Soon after the target: a second or two later, the reference search and a retried capture
    // take longer on a busy machine.
    assert.ok(result.laterStart > 12.345 && result.laterStart < 15.5, `later capture starts at ${result.laterStart} s`);
    await page.evaluate((trackId) => window.woodshed.unload(trackId), id);
  });

  test('play() and pause() resolve once they took effect; heardSeconds is the frame the output plays, also right after a seek', async () => {
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 20, name: 'heard.wav' });
    const id = await importBase64(page, 'heard.wav', base64Of(file));
    const other = await importBase64(page, 'heard-next.wav', base64Of(makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 12, name: 'heard-next.wav' })));
    const result = await page.evaluate(async ([trackId, nextId]) => {
      const w = window.woodshed;
      await w.load(trackId);
      await w.play();
      const playingAtOnce = (await w.state()).playing;
      await new Promise((r) => setTimeout(r, 400));
      const captured = await w.captureOutput(0.2);
      // The output plays in bursts of a few blocks: the state is read between two counts.
      const statsBefore = await w.stats();
      const state = await w.state();
      const stats = await w.stats();
      const played = captured.sourceFrames.filter((f) => f >= 0);
      const contextMs = stats.outputLatencyMs - (1000 * stats.ringFillFrames) / stats.sampleRate;
      // Frames the output played between the capture's last frame and these readings.
      const sinceEnd = (counts) => ((counts.framesPlayed % 2 ** 32) - captured.framesPlayedAtEnd + 2 ** 32) % 2 ** 32;
      const sinceBefore = sinceEnd(statsBefore);
      const since = sinceEnd(stats);
      const beforeSeek = state.heardSeconds;
      await w.seek(15);
      // Once the engine is at the target, the ring still holds ~80 ms rendered before the seek.
      let afterSeek = await w.state();
      while (afterSeek.positionSeconds < 15) afterSeek = await w.state();
      const justAfterSeek = afterSeek.heardSeconds;
      await new Promise((r) => setTimeout(r, 400));
      const settled = await w.state();
      await w.pause();
      const pausedAtOnce = (await w.state()).playing;
      // Another song, played at once: the ring still holds the first one's last frames (from
      // 3 s on, inside the next song's length too).
      await w.seek(3);
      await w.play();
      await new Promise((r) => setTimeout(r, 300));
      await w.load(nextId);
      await w.play();
      const nextAtOnce = (await w.state()).heardSeconds;
      await w.pause();
      return {
        playingAtOnce, pausedAtOnce, contextMs, beforeSeek, justAfterSeek, settledHeard: settled.heardSeconds,
        settledPosition: settled.positionSeconds, position: state.positionSeconds,
        lastPlayed: played[played.length - 1] / captured.sampleRate, heard: state.heardSeconds,
        since: since / captured.sampleRate, sinceBefore: sinceBefore / captured.sampleRate, underruns: captured.underruns, nextAtOnce,
      };
    }, [id, other]);
    console.log(`[ measure  ] heard ${result.heard.toFixed(3)} s, last frame captured ${result.lastPlayed.toFixed(3)} s (+${(1000 * result.since).toFixed(1)} ms played since), `
      + `engine ${result.position.toFixed(3)} s, device latency ${result.contextMs.toFixed(1)} ms; right after a seek to 15 s heard ${result.justAfterSeek.toFixed(3)} s`);
    assert.equal(result.playingAtOnce, true, 'play() resolved once the engine plays');
    assert.equal(result.pausedAtOnce, false, 'pause() resolved once the engine paused');
    // What the output hands out when the state is read is the capture's last frame plus the
    // frames played since (at speed 1): between the counts read before and after it, within
    // the rounding of the device latency.
    const atOutput = result.heard + result.contextMs / 1000;
    assert.equal(result.underruns, 0, 'no gap in the capture (the frames-played count would include it)');
    assert.ok(atOutput >= result.lastPlayed + result.sinceBefore - 0.001 && atOutput <= result.lastPlayed + result.since + 0.001,
      `heard at the output ${atOutput} s; the capture's last frame ${result.lastPlayed} s and ${result.sinceBefore}-${result.since} s played since`);
    assert.ok(result.position - atOutput > 0.02, `the engine runs ahead of what is heard: ${result.position} against ${atOutput}`);
    assert.ok(result.justAfterSeek < 14, `with the engine at the seek's target the old audio is still heard: ${result.justAfterSeek} s`);
    assert.ok(result.settledHeard >= 15 && result.settledHeard < 15.5, `then the new: ${result.settledHeard} s`);
    assert.ok(result.settledPosition >= result.settledHeard);
    assert.ok(result.nextAtOnce < 1, `the next song is heard from its start, not at the last one's frames: ${result.nextAtOnce} s`);
    await page.evaluate(async (ids) => { for (const trackId of ids) await window.woodshed.unload(trackId); }, [id, other]);
  });

  test('loop wraps the whole track without a gap', async () => {
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 2, name: 'loop.wav' });
    const base64 = base64Of(file);
    const id = await importBase64(page, 'loop.wav', base64);
    const result = await page.evaluate(async ([trackId, b]) => {
      const w = window.woodshed;
      await w.load(trackId);
      await w.setLoop(true);
      await w.seek(1.5);
      await w.play();
      await new Promise((r) => setTimeout(r, 150));
      const captured = await window.testAudio.captureWithoutGaps(1.5);  // crosses the end at least once
      const reference = (await window.testAudio.decode(window.testAudio.fromBase64(b), captured.sampleRate)).getChannelData(0);
      const length = reference.length;
      let worst = 1;
      // Compare in 1000-frame pieces, wrapping the source position at the track's end.
      for (let at = 0; at + 1000 <= captured.channels[0].length; at += 1000) {
        const source = (captured.sourceFrameAtStart + at) % length;
        if (source + 1000 > length) continue;  // the piece that straddles the wrap is checked by its neighbours
        worst = Math.min(worst, window.testAudio.compare(captured.channels[0], reference, source, at, 1000).correlation);
      }
      const state = await w.state();
      await w.pause();
      return { worst, playing: state.playing };
    }, [id, base64]);
    assert.ok(result.worst > 0.999, `worst correlation across the loop: ${result.worst}`);
    assert.equal(result.playing, true, 'still playing after the end');
    await page.evaluate((trackId) => window.woodshed.unload(trackId), id);
  });

  test('an A-B loop plays inside itself, each wrap landing on A', async () => {
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 3, name: 'ab.wav' });
    const base64 = base64Of(file);
    const id = await importBase64(page, 'ab.wav', base64);
    const result = await page.evaluate(async ([trackId, b]) => {
      const w = window.woodshed;
      await w.load(trackId);
      const refusals = [];
      for (const bad of [{ start: 1, end: 0.5 }, { start: 0, end: 9 }, { start: 1, end: 1.01 }, { start: Number.NaN, end: 1 }]) {
        refusals.push(await w.setLoopRegion(bad).then(() => 'accepted', (e) => e.message));
      }
      await w.setLoopRegion({ start: 1.0, end: 1.6 });
      const set = (await w.state()).loop;
      await w.seek(1.2);
      await w.play();
      await new Promise((r) => setTimeout(r, 150));
      const positions = [];
      const watch = setInterval(async () => positions.push((await w.state()).positionSeconds), 25);
      const captured = await window.testAudio.captureWithoutGaps(1.5);  // wraps at least twice
      clearInterval(watch);
      const reference = (await window.testAudio.decode(window.testAudio.fromBase64(b), captured.sampleRate)).getChannelData(0);
      const [a, loopEnd] = [Math.round(1.0 * captured.sampleRate), Math.round(1.6 * captured.sampleRate)];
      const length = loopEnd - a;
      let worst = 1;
      let pieces = 0;
      // 1000-frame pieces, the source position wrapping at B onto A; pieces across a wrap (and its
      // 5 ms crossfade) are checked by their neighbours.
      for (let at = 0; at + 1000 <= captured.channels[0].length; at += 1000) {
        const source = a + ((captured.sourceFrameAtStart - a + at) % length);
        if (source + 1000 + 300 > loopEnd || source - a < 300) continue;
        worst = Math.min(worst, window.testAudio.compare(captured.channels[0], reference, source, at, 1000).correlation);
        pieces += 1;
      }
      await w.pause();
      await w.setLoopRegion(null);
      return { refusals, set, worst, pieces, positions, cleared: (await w.state()).loop };
    }, [id, base64]);
    assert.deepEqual(result.refusals.map((m) => m.startsWith('a loop runs forward within the song')), [true, true, true, true], JSON.stringify(result.refusals));
    assert.deepEqual(result.set, { start: 1, end: 1.6, enabled: true });
    assert.ok(result.pieces >= 30, `pieces compared: ${result.pieces}`);
    assert.ok(result.worst > 0.999, `worst correlation inside the loop: ${result.worst}`);
    const outside = result.positions.filter((p) => p < 1.0 - 0.01 || p > 1.6 + 0.01);
    assert.deepEqual(outside, [], 'the reported position stays inside the loop');
    assert.equal(result.cleared, null);
    await page.evaluate((trackId) => window.woodshed.unload(trackId), id);
  });

  test('bad files are refused with the file name and the reason, and the song keeps playing', async () => {
    const good = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 30, name: 'keeps-playing.wav' });
    const goodBase64 = base64Of(good);
    const id = await importBase64(page, 'keeps-playing.wav', goodBase64);
    const wavFloat = makeAudio({ format: 'wavFloat', rate: 44100, channels: 1, seconds: 1, name: 'nan.wav' });
    const cut = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 2, name: 'cut.wav' });
    const result = await page.evaluate(async ([trackId, goodB, floatB, cutB]) => {
      const w = window.woodshed;
      const bytes = (b) => window.testAudio.fromBase64(b);
      await w.load(trackId);
      await w.play();
      const attempts = {};
      const tryImport = async (label, name, data) => {
        try {
          await w.importFiles([{ name, bytes: data }]);
          attempts[label] = 'accepted';
        } catch (error) {
          attempts[label] = error.message;
        }
      };
      const floatWav = bytes(floatB);
      const nanWav = floatWav.slice();
      new DataView(nanWav.buffer).setFloat32(nanWav.length - 4 * 1000, NaN, true);
      const cutWav = bytes(cutB);
      const claims4GB = cutWav.slice();
      const view = new DataView(claims4GB.buffer);
      for (let offset = 12; offset < 200; offset++) {
        if (String.fromCharCode(...claims4GB.subarray(offset, offset + 4)) === 'data') { view.setUint32(offset + 4, 0xfffffff0, true); break; }
      }
      const noChannels = cutWav.slice();
      new DataView(noChannels.buffer).setUint16(22, 0, true);
      const rateZero = cutWav.slice();
      new DataView(rateZero.buffer).setUint32(24, 0, true);
      const random = new Uint8Array(50000);
      let seed = 12345;
      for (let i = 0; i < random.length; i++) { seed = (seed * 1103515245 + 12345) >>> 0; random[i] = seed >>> 24; }
      await tryImport('empty', 'empty.wav', new Uint8Array(0));
      await tryImport('random', 'noise.bin', random);
      await tryImport('text', 'lyrics.mp3', new TextEncoder().encode('Verse 1: la la la\nChorus: oh oh oh\n'));
      await tryImport('cut', 'half.wav', cutWav.slice(0, cutWav.length / 2));
      await tryImport('claims4GB', 'huge.wav', claims4GB);
      await tryImport('noChannels', 'nochannels.wav', noChannels);
      await tryImport('rateZero', 'ratezero.wav', rateZero);
      await tryImport('nan', 'nan.wav', nanWav);
      const state = await w.state();
      const tracks = await w.tracks();
      const captured = await window.testAudio.captureWithoutGaps(1);
      const reference = await window.testAudio.decode(bytes(goodB), captured.sampleRate);
      const match = window.testAudio.compare(captured.channels[0], reference.getChannelData(0), captured.sourceFrameAtStart, 0, captured.channels[0].length);
      if (match.correlation < 0.999) {
        // Why not: where in the song the captured audio really is, near the position reported.
        const left = reference.getChannelData(0);
        let best = { lag: null, correlation: 0 };
        for (let at = 0; at + 4096 < left.length; at += 1) {
          const { correlation } = window.testAudio.compare(captured.channels[0], left, at, 0, 256);
          if (correlation > 0.99 && window.testAudio.compare(captured.channels[0], left, at, 0, 4096).correlation > best.correlation) {
            best = { lag: at - captured.sourceFrameAtStart, correlation: window.testAudio.compare(captured.channels[0], left, at, 0, 4096).correlation };
          }
        }
        match.diagnosis = { sourceFrameAtStart: captured.sourceFrameAtStart, underruns: captured.underruns, gapFrames: captured.gapFrames ?? 0,
          firstSources: Array.from(captured.sourceFrames.slice(0, 4)), best, stats: await w.stats() };
      }
      await w.pause();
      return { attempts, state, trackCount: tracks.length, match };
    }, [id, goodBase64, base64Of(wavFloat), base64Of(cut)]);
    const a = result.attempts;
    assert.match(a.empty, /^empty\.wav: the file is empty$/);
    assert.match(a.random, /^noise\.bin: it is not an audio file this browser can read$/);
    assert.match(a.text, /^lyrics\.mp3: it is a text file, not audio$/);
    assert.match(a.cut, /^half\.wav: it is truncated: its header promises 2\.0 s of audio but the file holds 1\.0 s$/);
    assert.match(a.claims4GB, /^huge\.wav: it is truncated: its header promises 24347\.\d s of audio/);
    assert.match(a.noChannels, /^nochannels\.wav: its WAV header says it has no audio channels$/);
    assert.match(a.rateZero, /^ratezero\.wav: its WAV header gives a sample rate of 0$/);
    assert.match(a.nan, /^nan\.wav: the audio contains invalid samples \(NaN or infinity\), the first at 0\.97\d s$/);
    assert.equal(result.state.trackId, id, 'the current track did not change');
    assert.equal(result.state.playing, true, 'and it is still playing');
    assert.equal(result.trackCount, 1, 'no half-imported track appeared');
    assert.match(result.state.lastError, /nan\.wav/);
    assert.ok(result.match.correlation > 0.999, `the output is still the song: ${JSON.stringify(result.match)}`);
    await page.evaluate((trackId) => window.woodshed.unload(trackId), id);
  });

  test('50 import and unload cycles give the memory back', async () => {
    const file = makeAudio({ format: 'flac', rate: 44100, channels: 2, seconds: 10, name: 'cycle.flac' });
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const bytes = window.testAudio.fromBase64(b);
      const heap = [];
      for (let cycle = 0; cycle < 50; cycle++) {
        const [id] = await w.importFiles([{ name: 'cycle.flac', bytes }]);
        await w.load(id);
        await w.unload(id);
        await new Promise((r) => setTimeout(r, 20));  // the render thread hands the track back
        await w.state();
        heap.push((await w.stats()).heapBytesInUse);
      }
      return { heap, tracks: (await w.tracks()).length };
    }, base64Of(file));
    const first = result.heap[0];
    const last = result.heap[result.heap.length - 1];
    console.log(`[ measure  ] heap after cycle 1: ${(first / 1e6).toFixed(2)} MB, after cycle 50: ${(last / 1e6).toFixed(2)} MB`);
    assert.equal(result.tracks, 1, 'the same file imported 50 times is one library entry');
    assert.ok(Math.abs(last - first) < 1e6, `heap grew from ${first} to ${last} bytes`);
  });

  test('cancelling an import leaves nothing behind', async () => {
    const file = makeAudio({ format: 'flac', rate: 44100, channels: 2, seconds: 120, name: 'cancel.flac' });
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const before = await w.tracks();
      const pending = w.importFiles([{ name: 'cancel.flac', bytes: window.testAudio.fromBase64(b) }]);
      await new Promise((r) => setTimeout(r, 30));
      await w.cancelImports();
      let message = 'accepted';
      try { await pending; } catch (error) { message = error.message; }
      return { message, before: before.length, after: (await w.tracks()).length };
    }, base64Of(file));
    assert.equal(result.message, 'cancel.flac: import cancelled');
    assert.equal(result.after, result.before);
  });

  test('imports queue: extra files beyond the limit are refused with a message', async () => {
    const file = makeAudio({ format: 'wav16', rate: 8000, channels: 1, seconds: 1, name: 'tiny.wav' });
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const bytes = window.testAudio.fromBase64(b);
      // Twelve different files (the library keeps one entry per content).
      const files = Array.from({ length: 12 }, (_, i) => {
        const copy = bytes.slice();
        copy[copy.length - 2] = i;
        return { name: `tiny-${i}.wav`, bytes: copy };
      });
      let message = null;
      try { await w.importFiles(files); } catch (error) { message = error.message; }
      return { message, imported: (await w.tracks()).length };
    }, base64Of(file));
    // One decodes while eight wait; the rest are refused at once.
    assert.match(result.message, /tiny-\d+\.wav: 8 imports are already waiting/);
    assert.equal(result.imported, 9);
  });

  test('clicking the waveform and the arrow keys seek; Space plays and pauses', async () => {
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 60, name: 'keys.wav' });
    const id = await importBase64(page, 'keys.wav', base64Of(file));
    await page.evaluate(async (trackId) => {
      await window.woodshed.load(trackId);
      await window.woodshed.pause();
    }, id);
    await page.waitForTimeout(200);  // a frame draws the waveform
    const rect = await page.evaluate(() => window.woodshed.test.waveformRect());
    assert.ok(rect.width > 100 && rect.height > 20, JSON.stringify(rect));
    const position = async () => (await page.evaluate(() => window.woodshed.state())).positionSeconds;
    const settle = () => page.waitForTimeout(150);
    await page.mouse.click(rect.x + rect.width * 0.5, rect.y + rect.height / 2);
    await settle();
    const clicked = await position();
    assert.ok(Math.abs(clicked - 30) < 60 / rect.width * 2, `a click in the middle seeks to ${clicked} s`);
    await page.keyboard.press('ArrowRight');
    await settle();
    assert.ok(Math.abs(await position() - (clicked + 5)) < 0.05, 'Right seeks 5 s forward');
    await page.keyboard.press('Shift+ArrowLeft');
    await settle();
    assert.ok(Math.abs(await position() - (clicked + 4)) < 0.05, 'Shift+Left seeks 1 s back');
    await page.keyboard.press('Space');
    await page.waitForTimeout(500);
    const playing = await page.evaluate(() => window.woodshed.state());
    assert.equal(playing.playing, true, 'Space plays');
    await page.keyboard.press('Space');
    await settle();
    assert.equal((await page.evaluate(() => window.woodshed.state())).playing, false, 'Space pauses');
  });

  test('no console errors during the session', () => {
    assert.deepEqual(browser.errors, []);
  });
});
