// Practice tools as a musician uses them: markers and the sections between them (through the
// API, the keys and the app's own buttons), kept with the song across a reload and across two
// tabs editing at once.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { eventually, openApp, startServer, uiDriver } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio } from './media.mjs';

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
