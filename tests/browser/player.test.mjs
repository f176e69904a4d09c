// What people expect of a player: media keys and the system's media controls, files opened from
// the operating system, keyboard shortcuts (never while typing), a help overlay, toasts.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import { eventually, openApp, startServer } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio } from './media.mjs';

describe('player conventions', () => {
  let server;
  let browser;
  let page;
  let song;
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    await installPageHelpers(page);
    const file = makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 60, name: 'Blue in Green.mp3' });
    song = { name: 'Blue in Green.mp3', base64: base64Of(file) };
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

  const state = () => page.evaluate(() => window.woodshed.state());
  const loadSong = () => page.evaluate(async (b) => {
    const [id] = await window.woodshed.importFiles([{ name: 'Blue in Green.mp3', bytes: window.testAudio.fromBase64(b) }]);
    await window.woodshed.load(id);
    return id;
  }, song.base64);

  test('the media session names the song, follows play and pause, and its seekto handler seeks', async () => {
    await loadSong();
    await page.evaluate(() => window.woodshed.play());
    await page.waitForFunction(() => navigator.mediaSession.playbackState === 'playing');
    const session = await page.evaluate(() => ({
      title: navigator.mediaSession.metadata?.title,
      artwork: navigator.mediaSession.metadata?.artwork.length,
      playbackState: navigator.mediaSession.playbackState,
    }));
    assert.deepEqual(session, { title: song.name, artwork: 2, playbackState: 'playing' });
    await page.evaluate(() => window.woodshed.test.mediaSessionAction('seekto', { seekTime: 42 }));
    const moved = await state();
    assert.ok(Math.abs(moved.positionSeconds - 42) < 0.5, `position after seekto: ${moved.positionSeconds}`);
    await page.evaluate(() => window.woodshed.test.mediaSessionAction('pause'));
    assert.equal(await page.evaluate(() => navigator.mediaSession.playbackState), 'paused');
    assert.equal((await state()).playing, false);
  });

  test('a file opened from the operating system is imported and plays', async () => {
    const id = await page.evaluate(async (b) => {
      const file = new File([window.testAudio.fromBase64(b)], 'Opened from the desktop.mp3', { type: 'audio/mpeg' });
      await window.woodshed.test.launchWith([file]);
      return (await window.woodshed.tracks()).find((t) => t.name === 'Opened from the desktop.mp3')?.id;
    }, song.base64);
    assert.ok(id, 'imported into the library');
    const now = await state();
    assert.equal(now.trackId, id);
    assert.equal(now.playing, true, 'and playing');
  });

  test('files shared with the app (share target) are imported and loaded', async () => {
    await eventually(page, async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated');
    // The system posts a form to the share target; the same form, posted from the page, goes the same way.
    await page.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.enctype = 'multipart/form-data';
      form.action = 'share-target';
      form.id = 'share-form';
      const input = document.createElement('input');
      input.type = 'file';
      input.name = 'audio';
      input.id = 'share-input';
      form.append(input);
      document.body.append(form);
    });
    await page.setInputFiles('#share-input', { name: 'Shared song.mp3', mimeType: 'audio/mpeg', buffer: Buffer.from(song.base64, 'base64') });
    await Promise.all([page.waitForURL(/\?shared$/), page.evaluate(() => document.getElementById('share-form').submit())]);
    await page.evaluate(() => window.woodshed.ready);
    await installPageHelpers(page);
    const shared = await eventually(page, async () => {
      const track = (await window.woodshed.tracks()).find((t) => t.name === 'Shared song.mp3');
      const state = await window.woodshed.state();
      return track && state.trackId === track.id ? track.id : null;
    });
    assert.ok(shared);
    assert.equal(await page.evaluate(async () => (await caches.has('woodshed-shared')) && (await (await caches.open('woodshed-shared')).keys()).length), 0,
      'the shared files were taken out of the cache');
    await page.goto(`${server.url}?test`);
    await page.evaluate(() => window.woodshed.ready);
    await installPageHelpers(page);
  });

  test('every shortcut changes what it names', async () => {
    await loadSong();
    await page.locator('#canvas').focus();
    const press = async (key) => {
      await page.keyboard.press(key);
      await page.waitForTimeout(150);
      return state();
    };
    assert.equal((await press('Space')).playing, true, 'Space plays');
    assert.equal((await press('Space')).playing, false, 'Space pauses');
    assert.ok(Math.abs((await press('End')).positionSeconds - 60) < 0.1, 'End goes to the end');
    assert.ok((await press('Home')).positionSeconds < 0.01, 'Home goes to the start');
    assert.ok(Math.abs((await press('ArrowRight')).positionSeconds - 5) < 0.05, 'Right: +5 s');
    assert.ok(Math.abs((await press('Shift+ArrowLeft')).positionSeconds - 4) < 0.05, 'Shift+Left: -1 s');
    assert.equal((await press('ArrowUp')).volumeDb, 2, 'Up: +2 dB');
    assert.equal((await press('ArrowDown')).volumeDb, 0, 'Down: -2 dB');
    assert.equal((await press('m')).muted, true, 'M mutes');
    assert.equal((await press('m')).muted, false, 'M unmutes');
    assert.equal((await press('l')).looping, true, 'L loops');
    assert.equal((await press('l')).looping, false, 'L stops looping');
    const beforeDigit = await state();
    assert.deepEqual(await press('3'), beforeDigit, 'number keys are reserved and change nothing');
    await press('Shift+Slash');
    assert.equal(await page.evaluate(() => window.woodshed.test.helpVisible()), true, '? shows the help');
    const help = await page.locator('#help').innerText();
    for (const named of ['Space', 'Home', 'mute', 'loop', 'stem']) assert.match(help, new RegExp(named, 'i'));
    await press('Escape');
    assert.equal(await page.evaluate(() => window.woodshed.test.helpVisible()), false, 'Esc closes it');
  });

  test('no shortcut fires while typing in the library search field', async () => {
    await loadSong();
    await page.waitForTimeout(300);  // a frame draws the search field
    const rect = await page.evaluate(() => window.woodshed.test.searchRect());
    assert.ok(rect.width > 20, JSON.stringify(rect));
    await page.mouse.click(rect.x + rect.width / 2, rect.y + rect.height / 2);
    await page.waitForTimeout(150);
    const before = await state();
    for (const key of ['Space', 'm', 'l', 'ArrowRight', 'End', 'ArrowUp']) {
      await page.keyboard.press(key);
      await page.waitForTimeout(60);
    }
    const after = await state();
    assert.deepEqual(
      [after.playing, after.muted, after.looping, after.volumeDb, after.positionSeconds],
      [before.playing, before.muted, before.looping, before.volumeDb, before.positionSeconds]);
    assert.equal(await page.evaluate(() => window.woodshed.test.helpVisible()), false);
    await page.keyboard.press('Escape');
  });

  test('failures show as a toast with the reason', async () => {
    await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some text\n') });
    await page.waitForFunction(() => document.querySelectorAll('#toasts .toast.error').length > 0);
    const toasts = await page.locator('#toasts').innerText();
    assert.match(toasts, /notes\.txt: it is a text file, not audio/);
  });

  test('the manifest lets the installed app open audio files', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../web/manifest.webmanifest', import.meta.url)));
    const accepted = Object.values(manifest.file_handlers[0].accept).flat();
    for (const extension of ['.mp3', '.ogg', '.opus', '.flac', '.wav', '.m4a', '.aac']) {
      assert.ok(accepted.includes(extension), extension);
    }
    assert.equal(manifest.share_target.method, 'POST');
    assert.equal(manifest.share_target.params.files[0].name, 'audio');
    assert.deepEqual(browser.errors, []);
  });
});
