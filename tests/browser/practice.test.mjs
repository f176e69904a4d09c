// Practice tools as a musician uses them: markers and the sections between them (through the
// API, the keys and the app's own buttons), kept with the song across a reload and across two
// tabs editing at once; the beat grid (detected, set by hand, tapped), the metronome on it, the
// count-in, and the screen kept awake while playing.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { eventually, openApp, startServer, uiDriver } from './harness.mjs';
import { base64Of, drumLoop, installPageHelpers, makeAudio, reportGaps, wavBase64 } from './media.mjs';

describe('markers and sections', () => {
  let server;
  let browser;
  let page;
  let ui;
  let song;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    ui = uiDriver(page);
    await installPageHelpers(page);
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 40, name: 'Solar.wav' });
    song = base64Of(file);
  });
  after(async () => {
    await reportGaps(page);
    await browser?.close();
    await server?.stop();
  });
  afterEach(async () => {
    await page.evaluate(async () => {
      await window.woodshed.pause().catch(() => {});
      for (const track of await window.woodshed.tracks()) await window.woodshed.remove(track.id);
    });
  });

  const loadSong = (target = page) => target.evaluate(async (b) => {
    const [id] = await window.woodshed.importFiles([{ name: 'Solar.wav', bytes: window.testAudio.fromBase64(b) }]);
    await window.woodshed.load(id);
    return id;
  }, song);
  const markers = (target = page) => target.evaluate(() => window.woodshed.markers());

  test('markers are added, listed by time, changed and removed; sections run between them', async () => {
    const id = await loadSong();
    const outcome = await page.evaluate(async (songId) => {
      const w = window.woodshed;
      const verse = await w.addMarker({ name: 'Verse 1', seconds: 12 });
      const intro = await w.addMarker(songId, { name: 'Intro', seconds: 0, color: '#5AA0FF' });
      const solo = await w.addMarker({ name: 'Solo', seconds: 30.5 });
      const listed = await w.markers(songId);
      await w.updateMarker(verse, { name: 'Verse', seconds: 14 });
      await w.removeMarker(solo);
      const sections = await w.sections();
      await w.loopSection(verse);
      return { intro, listed, changed: await w.markers(), sections, state: await w.state() };
    }, id);
    assert.deepEqual(outcome.listed.map((m) => [m.name, m.seconds]), [['Intro', 0], ['Verse 1', 12], ['Solo', 30.5]]);
    assert.equal(outcome.listed[0].color, '#5aa0ff');
    assert.deepEqual(outcome.changed.map((m) => [m.name, m.seconds]), [['Intro', 0], ['Verse', 14]]);
    assert.deepEqual(outcome.sections.map((s) => [s.name, s.start, s.end]), [['Intro', 0, 14], ['Verse', 14, 40]]);
    assert.deepEqual(outcome.state.loop, { start: 14, end: 40, enabled: true }, 'a section loops as an A-B loop');
    await page.evaluate(() => window.woodshed.setLoopRegion(null));
  });

  test('a bad marker is refused with a message and nothing changes', async () => {
    await loadSong();
    const outcome = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.addMarker({ name: 'Head', seconds: 4 });
      const before = await w.markers();
      const refusals = {};
      const attempts = {
        nan: () => w.addMarker({ seconds: Number.NaN }),
        pastTheEnd: () => w.addMarker({ seconds: 41 }),
        noName: () => w.addMarker({ seconds: 3, name: ' ' }),
        badColour: () => w.addMarker({ seconds: 3, color: 'blue' }),
        onAnother: () => w.addMarker({ seconds: 4.01 }),
        unknownField: () => w.updateMarker(before[0].id, { tempo: 3 }),
        unknownMarker: () => w.removeMarker('m-nope'),
      };
      for (const [name, attempt] of Object.entries(attempts)) {
        try {
          await attempt();
          refusals[name] = 'accepted';
        } catch (error) {
          refusals[name] = error.message;
        }
      }
      return { before, after: await w.markers(), refusals, lastError: (await w.state()).lastError };
    });
    assert.deepEqual(outcome.after, outcome.before);
    assert.match(outcome.refusals.nan, /needs a time in seconds/);
    assert.match(outcome.refusals.pastTheEnd, /within the song \(0 to 40\.000 s\), not at 41\.000 s/);
    assert.match(outcome.refusals.noName, /needs a name/);
    assert.match(outcome.refusals.badColour, /#rrggbb/);
    assert.match(outcome.refusals.onAnother, /"Head" is already at 4\.01 s/);
    assert.match(outcome.refusals.unknownField, /has no "tempo"/);
    assert.match(outcome.refusals.unknownMarker, /not there/);
    assert.equal(outcome.lastError, outcome.refusals.unknownMarker, 'the last refusal is what state() reports');
  });

  test('K adds a marker at the playhead, and comma and period go to the previous and next', async () => {
    await loadSong();
    await page.locator('#canvas').focus();
    const seekTo = async (seconds) => {
      await page.evaluate((s) => window.woodshed.seek(s), seconds);
      await eventually(page, async (s) => (await window.woodshed.state()).positionSeconds === s, seconds);
    };
    for (const seconds of [5, 20, 33]) {
      await seekTo(seconds);
      const count = (await markers()).length;
      await page.keyboard.press('KeyK');
      await eventually(page, async (n) => (await window.woodshed.markers()).length > n, count);
    }
    assert.deepEqual((await markers()).map((m) => [m.name, m.seconds]), [['Marker 1', 5], ['Marker 2', 20], ['Marker 3', 33]]);
    const after = async (key, seconds) => {
      await page.keyboard.press(key);
      return eventually(page, async (s) => (await window.woodshed.state()).positionSeconds === s, seconds);
    };
    await seekTo(10);
    assert.ok(await after('Period', 20), 'period: the next marker');
    assert.ok(await after('Period', 33));
    assert.ok(await after('Comma', 20), 'comma: the previous one, skipping the one just reached');
    assert.ok(await after('Comma', 5));
  });

  test('the app\'s buttons add a marker, loop its section and delete it, as a user clicks them', async () => {
    await loadSong();
    await page.evaluate(async () => {
      await window.woodshed.addMarker({ name: 'Bridge', seconds: 25 });
      await window.woodshed.seek(8);
    });
    await eventually(page, async () => (await window.woodshed.state()).positionSeconds === 8);
    await ui.clickControl('marker.add');
    await eventually(page, async () => (await window.woodshed.markers()).length === 2);
    assert.deepEqual((await markers()).map((m) => [m.name, m.seconds]), [['Marker 2', 8], ['Bridge', 25]]);
    await ui.clickControl('marker.loop');  // the first marker's section: 8 s to the Bridge
    const loop = await eventually(page, async () => (await window.woodshed.state()).loop);
    assert.deepEqual(loop, { start: 8, end: 25, enabled: true });
    await ui.clickControl('marker.delete');
    await eventually(page, async () => (await window.woodshed.markers()).length === 1);
    assert.equal((await markers())[0].name, 'Bridge');
    await page.evaluate(() => window.woodshed.setLoopRegion(null));
  });

  test('markers survive a reload, and two tabs editing one song\'s markers at once both keep their edits', async () => {
    const id = await loadSong();
    await page.evaluate(() => window.woodshed.addMarker({ name: 'Coda', seconds: 36 }));
    const other = await browser.context.newPage();
    try {
      await other.goto(page.url());
      await other.evaluate(() => window.woodshed.ready);
      // Both tabs add eight markers and rename the same marker's name and colour, interleaved.
      const [coda] = await markers();
      const edit = (target, offset, change) => target.evaluate(async ([songId, first, markerId, c]) => {
        const w = window.woodshed;
        const adding = Array.from({ length: 8 }, (_, i) => w.addMarker(songId, { name: `tab ${first} #${i}`, seconds: first + i }));
        await Promise.all([...adding, w.updateMarker(markerId, c)]);
      }, [id, offset, coda.id, change]);
      await Promise.all([edit(page, 1, { name: 'Outro' }), edit(other, 20, { color: '#ff6b6b' })]);
      await page.evaluate(() => window.woodshed.saved());  // imports save in the background
      await page.reload();
      await page.evaluate(() => window.woodshed.ready);
      const kept = await page.evaluate((songId) => window.woodshed.markers(songId), id);
      assert.equal(kept.length, 17, kept.map((m) => m.name).join(', '));
      assert.equal(kept.filter((m) => m.name.startsWith('tab 1 ')).length, 8);
      assert.equal(kept.filter((m) => m.name.startsWith('tab 20 ')).length, 8);
      assert.deepEqual(kept.at(-1), { ...coda, name: 'Outro', color: '#ff6b6b' }, 'both changes to one marker are kept');
    } finally {
      await other.close();
    }
    await installPageHelpers(page);
  });
});

describe('beat grid, metronome and count-in', () => {
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
  afterEach(async () => {
    await page.evaluate(async () => {
      await window.woodshed.pause().catch(() => {});
      await window.woodshed.setMetronome({ enabled: false, countIn: 'off' });
      for (const track of await window.woodshed.tracks()) await window.woodshed.remove(track.id);
    });
  });

  // Imports a song made of `samples` at the output's rate, loads it and returns its id.
  async function loadSamples(name, samplesAt) {
    const rate = await page.evaluate(async () => (await window.woodshed.stats()).sampleRate);
    const base64 = wavBase64(samplesAt(rate), rate);
    return page.evaluate(async ([n, b]) => {
      const [id] = await window.woodshed.importFiles([{ name: n, bytes: window.testAudio.fromBase64(b) }]);
      await window.woodshed.load(id);
      return id;
    }, [name, base64]);
  }
  const silence = (seconds) => (rate) => new Float32Array(Math.round(seconds * rate));

  // Frames where a click starts in `samples`: the first sample above the floor after 10 ms of quiet.
  function onsets(samples, rate) {
    const found = [];
    let quiet = rate;
    for (let i = 0; i < samples.length; i++) {
      if (Math.abs(samples[i]) > 1e-4) {
        if (quiet >= 0.01 * rate) found.push(i);
        quiet = 0;
      } else {
        quiet += 1;
      }
    }
    return found;
  }

  test('a song\'s grid is detected when it loads, can be set by hand, and survives a reload, as does the metronome', async () => {
    const id = await loadSamples('groove.wav', (rate) => drumLoop({ bpm: 120, offset: 0.25, seconds: 20, rate }));
    const detected = await eventually(page, (songId) => window.woodshed.beatGrid(songId), id, { timeout: 60000 });
    assert.equal(detected.source, 'detected');
    assert.ok(Math.abs(detected.bpm - 120) <= 0.5, `detected ${detected.bpm} BPM`);
    assert.equal(detected.beatsPerBar, 4);
    const worst = Math.max(...[...Array(36).keys()].map((k) => 0.25 + 0.5 * (k + 2)).map(
      (beat) => Math.min(...detected.beats.map((b) => Math.abs(b - beat))),
    ));
    assert.ok(worst <= 0.02, `a beat is ${(worst * 1000).toFixed(1)} ms off`);
    console.log(`[ measure  ] detected in the browser: ${detected.bpm.toFixed(2)} BPM (120), beats within ${(worst * 1000).toFixed(1)} ms`);
    assert.deepEqual((await page.evaluate(() => window.woodshed.settings())).beatGrid,
      { bpm: detected.bpm, offsetSeconds: detected.offsetSeconds, beatsPerBar: 4 }, 'the engine plays on it');

    await page.evaluate(() => window.woodshed.setBeatGrid({ bpm: 90, beatsPerBar: 3 }));
    const refusals = await page.evaluate(async () => {
      const w = window.woodshed;
      const attempts = [{ bpm: 400 }, { bpm: Number.NaN }, { offsetSeconds: 30 }, { beatsPerBar: 2.5 }];
      return Promise.all(attempts.map((a) => w.setBeatGrid(a).then(() => 'accepted', (e) => e.message)));
    });
    assert.deepEqual(refusals, [
      'the tempo must be between 20 and 300 BPM, got 400',
      'the tempo must be between 20 and 300 BPM, got NaN',
      'the grid\'s offset must lie within the song (before 20.000000 s), got 30.000000 s',
      'the beats per bar are a whole number',
    ]);
    await page.evaluate(() => window.woodshed.setMetronome({ enabled: true, levelDb: -12, countIn: 'every', countInBars: 2 }));
    await page.waitForTimeout(1500);  // the metronome is kept once a second
    await page.evaluate(() => window.woodshed.saved());  // imports save in the background
    await page.reload();
    await page.evaluate(() => window.woodshed.ready);
    assert.deepEqual((await page.evaluate(() => window.woodshed.settings())).metronome,
      { enabled: true, levelDb: -12, countIn: 'every', countInBars: 2 }, 'the metronome is as it was left');
    const kept = await page.evaluate((songId) => window.woodshed.beatGrid(songId), id);
    assert.deepEqual([kept.bpm, kept.offsetSeconds, kept.beatsPerBar, kept.source], [90, detected.offsetSeconds, 3, 'manual']);
    assert.deepEqual((await page.evaluate(() => window.woodshed.settings())).beatGrid,
      { bpm: 90, offsetSeconds: detected.offsetSeconds, beatsPerBar: 3 });
    await installPageHelpers(page);
    await page.evaluate(() => window.woodshed.start());
  });

  test('metronome clicks fall within 2 ms of the grid at speed 1.0 and 0.5, and the meters do not move', async () => {
    await loadSamples('silence.wav', silence(12));
    for (const tempo of [1, 0.5]) {
      const result = await page.evaluate(async (t) => {
        const w = window.woodshed;
        await w.setBeatGrid({ bpm: 120, offsetSeconds: 0.5, beatsPerBar: 4 });
        await w.setMetronome({ enabled: true, levelDb: -6, countIn: 'off' });
        await w.setTempo(t);
        await w.seek(0);
        await w.play();
        await new Promise((r) => setTimeout(r, 300));
        const peaks = [];
        const watch = setInterval(async () => peaks.push(Math.max(...(await w.meters()).peakDb)), 50);
        const captured = await window.testAudio.captureWithoutGaps(3);
        clearInterval(watch);
        await w.pause();
        await w.setTempo(1);
        return { captured: { sampleRate: captured.sampleRate, left: Array.from(captured.channels[0]), at: captured.sourceFrameAtStart }, peaks };
      }, tempo);
      const { sampleRate, left, at } = result.captured;
      const found = onsets(left, sampleRate);
      assert.ok(found.length >= 5 * tempo, `${found.length} clicks in 3 s at 120 BPM and speed ${tempo}`);
      // Captured frame i is song frame at + i * tempo; an error in song time is heard 1/tempo as long.
      const errorsMs = found.map((i) => {
        const seconds = (at + i * tempo) / sampleRate;
        const beat = 0.5 + Math.round((seconds - 0.5) / 0.5) * 0.5;
        return ((seconds - beat) / tempo) * 1000;
      });
      console.log(`[ measure  ] metronome at speed ${tempo}: click errors ${errorsMs.map((e) => e.toFixed(2)).join(', ')} ms`);
      assert.ok(errorsMs.every((e) => Math.abs(e) <= 2), `speed ${tempo}: click errors (ms): ${errorsMs.map((e) => e.toFixed(2))}`);
      assert.ok(result.peaks.length > 10 && result.peaks.every((p) => p <= -120), `meters: ${result.peaks}`);
    }
  });

  test('with a count-in of one bar before the first pass, the song starts exactly a bar of clicks after play', async () => {
    await loadSamples('noise.wav', (rate) => Float32Array.from({ length: 10 * rate }, (_, i) => 0.3 * Math.sin(i * 0.37) + 0.2 * Math.sin(i * 0.011)));
    const result = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.setBeatGrid({ bpm: 120, offsetSeconds: 0, beatsPerBar: 4 });
      await w.setLoopRegion({ start: 2, end: 6 });
      await w.seek(2);
      await w.setMetronome({ enabled: false, countIn: 'first', countInBars: 1 });
      const capture = window.testAudio.captureWithoutGaps(3.5);
      await new Promise((r) => setTimeout(r, 200));
      await w.play();
      const captured = await capture;
      await w.pause();
      return { sampleRate: captured.sampleRate, left: Array.from(captured.channels[0]) };
    });
    const { sampleRate, left } = result;
    const clicks = onsets(left, sampleRate).slice(0, 4);
    assert.equal(clicks.length, 4);
    const period = 0.5 * sampleRate;
    // The song: the first sample that is not silence after the fourth click has died away.
    let song = clicks[3] + Math.round(0.031 * sampleRate);
    while (song < left.length && left[song] === 0) song += 1;
    assert.deepEqual(clicks.map((c) => c - clicks[0]), [0, 1, 2, 3].map((k) => Math.ceil(k * period)));
    assert.equal(song - clicks[0], Math.round(4 * period), 'the loop\'s first sample, one bar after the first click');
  });

  test('loop edges nudge by a beat or 10 ms, and snap to the grid or to a zero crossing', async () => {
    let samples;
    await loadSamples('edges.wav', (rate) => {
      samples = drumLoop({ bpm: 120, offset: 0.25, seconds: 20, rate });
      return samples;
    });
    const rate = await page.evaluate(async () => (await window.woodshed.stats()).sampleRate);
    await page.locator('#canvas').focus();
    const loopAfter = async (action) => {
      const before = JSON.stringify((await page.evaluate(() => window.woodshed.state())).loop);
      await action();
      return eventually(page, async (b) => {
        const { loop } = await window.woodshed.state();
        return JSON.stringify(loop) !== b ? loop : null;
      }, before);
    };
    const at = async (seconds) => {
      await page.evaluate((s) => window.woodshed.seek(s), seconds);
      await eventually(page, async ([s, r]) => Math.abs((await window.woodshed.state()).positionSeconds - s) < 1 / r, [seconds, rate]);
    };
    await page.evaluate(async () => {
      await window.woodshed.setBeatGrid({ bpm: 120, offsetSeconds: 0.25, beatsPerBar: 4 });
      await window.woodshed.setLoopRegion({ start: 2, end: 4 });
    });
    let loop = await loopAfter(() => page.evaluate(() => window.woodshed.nudgeLoop('start', { beats: 1 })));
    assert.deepEqual([loop.start, loop.end], [2.5, 4]);
    loop = await loopAfter(() => page.evaluate(() => window.woodshed.nudgeLoop('end', { seconds: -0.01 })));
    assert.deepEqual([loop.start, loop.end], [2.5, 3.99]);
    // Keys: [ at 1.3 s snaps A to the beat at 1.25; Shift+] moves it a beat later, Alt+[ 10 ms earlier.
    await page.evaluate(() => window.woodshed.setLoopSnap('beat'));
    await at(1.3);
    loop = await loopAfter(() => page.keyboard.press('BracketLeft'));
    assert.deepEqual([loop.start, loop.end], [1.25, 3.99]);
    loop = await loopAfter(() => page.keyboard.press('Shift+BracketRight'));
    assert.deepEqual([loop.start, loop.end], [1.75, 3.99]);
    loop = await loopAfter(() => page.keyboard.press('Alt+BracketLeft'));
    assert.ok(Math.abs(loop.start - 1.74) < 1e-9 && loop.end === 3.99, JSON.stringify(loop));
    // Zero crossings: ] at 7.0123 s puts B where the song's samples change sign nearest to it.
    await page.evaluate(() => window.woodshed.setLoopSnap('zero'));
    await at(7.0123);
    loop = await loopAfter(() => page.keyboard.press('BracketRight'));
    const stored = (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768)));
    const crosses = (i) => (stored(samples[i - 1]) < 0 && stored(samples[i]) >= 0) || (stored(samples[i - 1]) > 0 && stored(samples[i]) <= 0);
    const from = Math.round(7.0123 * rate);
    let expected = from;
    for (let d = 0; d <= 0.01 * rate; d++) {
      if (crosses(from + d)) { expected = from + d; break; }
      if (crosses(from - d)) { expected = from - d; break; }
    }
    assert.notEqual(expected, from, 'the song crosses zero near there');
    assert.equal(Math.round(loop.end * rate), expected, `B at ${loop.end} s`);
    assert.equal((await page.evaluate(() => window.woodshed.state())).loopSnap, 'zero');
    const refusal = await page.evaluate(() => window.woodshed.nudgeLoop('start', { seconds: -5 }).then(() => 'accepted', (e) => e.message));
    assert.match(refusal, /a loop runs forward within the song/);
    await page.evaluate(() => window.woodshed.setLoopSnap('off'));
  });

  test('taps at the beats heard give the grid\'s phase within 10 ms; the screen stays awake while playing', async () => {
    await loadSamples('taps.wav', silence(30));
    const result = await page.evaluate(async () => {
      const w = window.woodshed;
      await w.setBeatGrid({ bpm: 100, offsetSeconds: 0, beatsPerBar: 4 });  // replaced by the taps
      await w.seek(1);
      await w.play();
      await new Promise((r) => setTimeout(r, 200));
      const awake = (await w.stats()).wakeLock;
      // A listener tapping exactly when each beat of a 120 BPM song with a downbeat at 0.25 s is
      // heard: when the engine's position less the output latency reaches it. The tap's time is
      // given, as a key event's timeStamp is.
      for (let taps = 0; taps < 8; taps += 1) {
        const [s, stats] = await Promise.all([w.state(), w.stats()]);
        const now = performance.now();
        const heard = s.positionSeconds - stats.outputLatencyMs / 1000;
        const beat = 0.25 + Math.ceil((heard - 0.25 + 0.05) / 0.5) * 0.5;
        const at = now + (beat - heard) * 1000;
        await new Promise((r) => setTimeout(r, at - now + 5));
        await w.tap({ at });
      }
      const grid = await w.beatGrid();
      await w.pause();
      await new Promise((r) => setTimeout(r, 100));
      return { grid, awake, asleep: (await w.stats()).wakeLock };
    });
    const { grid } = result;
    assert.equal(grid.source, 'tapped');
    assert.ok(Math.abs(grid.bpm - 120) < 1, `tapped ${grid.bpm} BPM`);
    const phase = ((grid.offsetSeconds - 0.25) % 0.5 + 0.5) % 0.5;
    const errorMs = Math.min(phase, 0.5 - phase) * 1000;
    console.log(`[ measure  ] 8 taps at the heard beat: ${grid.bpm.toFixed(2)} BPM, phase ${errorMs.toFixed(1)} ms off`);
    assert.ok(errorMs <= 10, `the tapped phase is ${errorMs.toFixed(1)} ms off`);
    assert.equal(result.awake, 'held', `the screen stays awake while a song plays (${result.awake})`);
    assert.equal(result.asleep, 'off');
  });
});
