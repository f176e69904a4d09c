// What people expect of a player: media keys and the system's media controls, files opened from
// the operating system, keyboard shortcuts (never while typing), a help overlay, toasts.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
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
    await window.woodshed.saved(id);  // the tests here leave the page
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

  // The previous and next keys (and the system's media controls) walk the library's list: next
  // loads the song after the current one, keeping play or pause; previous starts a song that
  // has played over 3 s from its beginning, and nearer its start goes to the one before. At
  // either end of the list nothing changes.
  test('previous and next media keys walk the library, and previous first restarts a song under way', async () => {
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      for (const [i, name] of ['One.mp3', 'Two.mp3', 'Three.mp3'].entries()) {
        const bytes = window.testAudio.fromBase64(b);
        bytes[bytes.length - 1] ^= i + 1;  // a song of its own
        await w.importFiles([{ name, bytes }]);
      }
      await w.saved();
      const order = (await w.tracks()).map((t) => t.id);
      const key = async (action) => {
        await w.test.mediaSessionAction(action, {});
        const s = await w.state();
        return { at: order.indexOf(s.trackId), playing: s.playing, position: s.positionSeconds };
      };
      await w.load(order[1]);
      await w.play();
      const steps = { next: await key('nexttrack'), nextAtEnd: await key('nexttrack') };
      steps.previousNearStart = await key('previoustrack');
      await w.seek(10);
      // The position the key reads comes from the render thread: wait until it shows the seek.
      for (let i = 0; i < 100 && (await w.state()).positionSeconds < 5; i++) await new Promise((r) => setTimeout(r, 20));
      steps.previousUnderWay = await key('previoustrack');
      steps.previousAgain = await key('previoustrack');
      steps.previousAtStart = await key('previoustrack');
      await w.pause();
      steps.nextWhilePaused = await key('nexttrack');
      return { steps, listed: order.length };
    }, song.base64);
    const { steps } = result;
    assert.equal(result.listed, 3);
    assert.deepEqual([steps.next.at, steps.next.playing], [2, true], 'next: the song after, still playing');
    assert.equal(steps.nextAtEnd.at, 2, 'next on the last song: nothing changes');
    assert.equal(steps.previousNearStart.at, 1, 'previous near the start: the song before');
    assert.equal(steps.previousUnderWay.at, 1, 'previous 10 s in: the same song...');
    assert.ok(steps.previousUnderWay.position < 1, `...from its start: ${steps.previousUnderWay.position} s`);
    assert.equal(steps.previousAgain.at, 0, 'previous again, near the start: the song before');
    assert.equal(steps.previousAtStart.at, 0, 'previous on the first song: nothing changes');
    assert.deepEqual([steps.nextWhilePaused.at, steps.nextWhilePaused.playing], [1, false], 'next while paused: loaded, not playing');
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

  // The browser is asked to keep the library on the first import of a visit, whichever way the
  // song came in: a file opened with the app, the file picker, or the API (which accepted
  // shared files and drops also go through). Each path in a visit of its own, counted by a
  // wrapper around navigator.storage.persist installed before the app loads.
  test('the first import of a visit asks for persistent storage, from any path, once', async () => {
    const visit = await page.context().newPage();
    try {
      await visit.addInitScript(() => {
        window.persistAsked = 0;
        const persist = navigator.storage.persist?.bind(navigator.storage);
        navigator.storage.persist = () => {
          window.persistAsked += 1;
          return persist ? persist() : Promise.resolve(false);
        };
      });
      const file = makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 3, name: 'Asked.mp3' });
      const asked = {};
      for (const path of ['opened with the app', 'file picker', 'API']) {
        await visit.goto(`${server.url}?test`);
        await visit.evaluate(() => window.woodshed.ready);
        const before = await visit.evaluate(() => window.persistAsked);
        if (path === 'file picker') {
          await visit.setInputFiles('#file-input', file);
        } else {
          await visit.evaluate(async ([b, viaLaunch]) => {
            const bytes = Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
            if (viaLaunch) await window.woodshed.test.launchWith([new File([bytes], 'Asked.mp3', { type: 'audio/mpeg' })]);
            else await window.woodshed.importFiles([{ name: 'Asked.mp3', bytes }]);
          }, [base64Of(file), path === 'opened with the app']);
        }
        await eventually(visit, async () => (await window.woodshed.tracks()).length > 0);
        // A second import in the same visit does not ask again.
        await visit.evaluate(async (b) => {
          const bytes = Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
          bytes[bytes.length - 1] ^= 1;
          await window.woodshed.importFiles([{ name: 'Asked again.mp3', bytes }]);
          await window.woodshed.saved();
          await window.woodshed.pause();
          for (const track of await window.woodshed.tracks()) await window.woodshed.remove(track.id);
        }, base64Of(file));
        asked[path] = { before, after: await visit.evaluate(() => window.persistAsked) };
      }
      console.log(`[ measure  ] persist() asked, per visit: ${JSON.stringify(asked)}`);
      for (const [path, { before, after }] of Object.entries(asked)) {
        assert.equal(before, 0, `${path}: not asked before the import`);
        assert.equal(after, 1, `${path}: asked once`);
      }
    } finally {
      await visit.close();
    }
  });

  // Another website's page that posts files to Woodshed's share target, as any site can.
  async function postFromAnotherSite(files) {
    const attacker = http.createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(`<!doctype html><form id="f" method="post" enctype="multipart/form-data" action="${server.url}share-target">
        <input id="files" type="file" name="audio" multiple></form>`);
    });
    await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      await page.goto(`http://localhost:${attacker.address().port}/`);
      await page.setInputFiles('#files', files);
      await Promise.all([page.waitForURL(/\?shared/), page.evaluate(() => document.getElementById('f').submit())]);
      await page.evaluate(() => window.woodshed.ready);
      await installPageHelpers(page);
    } finally {
      attacker.close();
    }
  }
  const quarantined = () => page.evaluate(async () => (await caches.has('woodshed-shared'))
    && (await (await caches.open('woodshed-shared')).keys()).length);
  const library = () => page.evaluate(async () => ({
    names: (await window.woodshed.tracks()).map((t) => t.name).sort(),
    current: (await window.woodshed.state()).trackId,
  }));

  test('files another site posts to the share target wait for the user, who may discard them', async () => {
    await loadSong();
    const before = await library();
    const shared = ['One.mp3', 'Two.mp3'].map((name) => ({ name, mimeType: 'audio/mpeg', buffer: Buffer.from(song.base64, 'base64') }));
    shared[1].buffer = Buffer.concat([shared[1].buffer, Buffer.from([1])]);
    await postFromAnotherSite(shared);
    await page.waitForSelector('#shared:not([hidden])');
    assert.match(await page.locator('#shared').innerText(), /2 files were shared with Woodshed .*import them\?/);
    assert.deepEqual(await library(), before, 'nothing imported, the current song unchanged');
    assert.deepEqual((await page.evaluate(() => window.woodshed.sharedFiles())).map((f) => f.name), ['One.mp3', 'Two.mp3']);
    await page.click('#shared-discard');
    await eventually(page, async () => !(await caches.has('woodshed-shared')));
    assert.equal(await page.locator('#shared').isHidden(), true);
    assert.deepEqual(await library(), before, 'still nothing imported');
  });

  test('shared files are imported on the user\'s click, and the current song stays', async () => {
    const current = await loadSong();
    await postFromAnotherSite([{ name: 'Shared song.mp3', mimeType: 'audio/mpeg', buffer: Buffer.concat([Buffer.from(song.base64, 'base64'), Buffer.from([7])]) }]);
    await page.waitForSelector('#shared:not([hidden])');
    assert.match(await page.locator('#shared').innerText(), /A file was shared with Woodshed \("Shared song\.mp3"\): import it\?/);
    await page.click('#shared-import');
    const after = await eventually(page, async () => {
      const names = (await window.woodshed.tracks()).map((t) => t.name);
      return names.includes('Shared song.mp3') ? names : null;
    });
    assert.equal(after.length, 2);
    assert.equal((await library()).current, current, 'the current song did not change');
    assert.equal(await quarantined(), false, 'the quarantine is empty and gone');
  });

  test('an expired quarantine is dropped, and files over its limit are refused with a message', async () => {
    await loadSong();
    const before = await library();
    await page.evaluate(async () => {
      const cache = await caches.open('woodshed-shared');
      await cache.put(new Request('shared/old'), new Response(new Uint8Array(100), {
        headers: { 'X-File-Name': 'old.mp3', 'X-File-Size': '100', 'X-Shared-At': String(Date.now() - 2 * 3600 * 1000) },
      }));
    });
    await page.evaluate(() => window.woodshed.saved());  // imports save in the background
    await page.reload();
    await page.evaluate(() => window.woodshed.ready);
    assert.equal(await page.locator('#shared').isHidden(), true, 'nothing is offered');
    assert.equal(await quarantined(), false, 'and nothing is left');
    const many = Array.from({ length: 23 }, (_, i) => ({ name: `tiny ${i}.mp3`, mimeType: 'audio/mpeg', buffer: Buffer.from([i + 1]) }));
    await postFromAnotherSite(many);
    assert.match(page.url(), /refused=3/);
    assert.equal((await page.evaluate(() => window.woodshed.sharedFiles())).length, 20);
    await page.waitForFunction(() => /3 shared file\(s\) were not taken/.test(document.getElementById('toasts').innerText));
    await page.evaluate(() => window.woodshed.discardSharedFiles());
    assert.equal(await quarantined(), false);
    assert.deepEqual(await library(), before);
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
    for (const named of ['Space', 'Home', 'mute', 'loop', 'PageDown', 'semitone', 'quick speeds']) assert.match(help, new RegExp(named, 'i'));
    assert.doesNotMatch(help, /solo/, 'shortcuts of features still to come are not listed');
    await press('Escape');
    assert.equal(await page.evaluate(() => window.woodshed.test.helpVisible()), false, 'Esc closes it');
  });

  // What a key prints on each layout, for the physical keys the shortcuts use (what
  // KeyboardEvent.key would be). The shortcuts must not depend on it.
  const LAYOUTS = {
    german: { KeyM: 'm', KeyL: 'l', Slash: '_', Semicolon: 'ö', Quote: 'ä', BracketLeft: 'ü', Minus: 'ß', Space: ' ' },
    french: { KeyM: ',', KeyL: 'l', Slash: '§', Semicolon: 'm', Quote: 'ù', BracketLeft: '^', Minus: ')', Space: ' ' },
  };

  test('every shortcut fires by its physical key on German and French layouts', async () => {
    await loadSong();
    const clashes = await page.evaluate(async () => {
      const { KEY_MAP } = await import('./keymap.js');
      const owner = new Map();
      const found = [];
      for (const shortcut of KEY_MAP) {
        for (const k of shortcut.keys) {
          const name = `${k.shift ? 'Shift+' : ''}${k.alt ? 'Alt+' : ''}${k.code}`;
          if (owner.has(name)) found.push(`${name}: ${owner.get(name)} and ${shortcut.id}`);
          owner.set(name, shortcut.id);
        }
      }
      return found;
    });
    assert.deepEqual(clashes, [], 'no key does two things');
    for (const [layout, printed] of Object.entries(LAYOUTS)) {
      const fired = await page.evaluate(async (keyOf) => {
        const { KEY_MAP } = await import('./keymap.js');
        const w = window.woodshed;
        const calls = [];
        const originals = {};
        for (const name of ['play', 'pause', 'seek', 'setVolume', 'setMuted', 'setLoop', 'setLoopRegion', 'addMarker', 'seekToMarker', 'tap', 'nudgeLoop',
          'setTempo', 'setPitch']) {
          originals[name] = w[name];
          w[name] = (...args) => { calls.push(name); return originals[name].apply(w, args); };
        }
        const results = {};
        try {
          for (const shortcut of KEY_MAP.filter((s) => s.run)) {
            results[shortcut.id] = [];
            for (const k of shortcut.keys) {
              calls.length = 0;
              if (shortcut.id === 'closeHelp') document.getElementById('help').hidden = false;  // something to close
              const helpBefore = w.test.helpVisible();
              document.getElementById('canvas').dispatchEvent(new KeyboardEvent('keydown', {
                code: k.code, key: keyOf[k.code] ?? k.code, shiftKey: k.shift, altKey: k.alt, bubbles: true, cancelable: true,
              }));
              await new Promise((r) => setTimeout(r, 120));
              results[shortcut.id].push([...calls, ...(w.test.helpVisible() !== helpBefore ? ['help'] : [])]);
            }
          }
          // A key that prints "m" on this layout but is not the M key does not mute.
          calls.length = 0;
          const notM = Object.entries(keyOf).find(([code, printed]) => printed === 'm' && code !== 'KeyM');
          if (notM) {
            document.getElementById('canvas').dispatchEvent(new KeyboardEvent('keydown', { code: notM[0], key: 'm', bubbles: true }));
            await new Promise((r) => setTimeout(r, 120));
            results.notM = [...calls];
          }
        } finally {
          for (const [name, original] of Object.entries(originals)) w[name] = original;
          document.getElementById('help').hidden = true;
          await w.pause();
          await w.setVolume(0);  // also unmutes
          await w.setLoop(false);
          await w.setLoopRegion(null);
          await w.setTempo(1);
          await w.setPitch(0);
        }
        return results;
      }, printed);
      const expected = (id) => {
        if (id === 'playPause') return /^(play|pause)$/;
        if (id.startsWith('seek') || id === 'toStart' || id === 'toEnd') return /^seek$/;
        if (id.startsWith('volume')) return /^setVolume$/;
        if (id === 'mute') return /^setMuted$/;
        if (id === 'loop') return /^setLoop$/;
        if (id === 'setLoopStart' || id === 'setLoopEnd') return /^(setLoopRegion|setLoop)$/;
        if (id === 'addMarker') return /^addMarker$/;
        if (id === 'previousMarker' || id === 'nextMarker') return /^(seekToMarker|seek)$/;
        if (id === 'tapTempo') return /^tap$/;
        if (id.startsWith('nudge')) return /^(nudgeLoop|setLoopRegion)$/;
        if (['slower', 'faster', 'slowerFine', 'fasterFine', 'quickSpeeds'].includes(id)) return /^setTempo$/;
        if (id.startsWith('pitch')) return /^setPitch$/;
        return /^help$/;
      };
      for (const [id, presses] of Object.entries(fired)) {
        if (id === 'notM') {
          // (It does what its own physical key does: on French, Semicolon lowers the pitch.)
          assert.ok(!presses.includes('setMuted'), `${layout}: the key that prints "m" is not the mute key: ${JSON.stringify(presses)}`);
          continue;
        }
        for (const calls of presses) {
          assert.ok(calls.length >= 1 && calls.every((call) => expected(id).test(call)), `${layout}: ${id} fired ${JSON.stringify(calls)}`);
        }
      }
      assert.ok(Object.keys(fired).length >= 12, `${Object.keys(fired).length} shortcuts checked`);
    }
  });

  test('[ and ] set the loop at the playhead, and L toggles it', async () => {
    await loadSong();
    await page.locator('#canvas').focus();
    const at = async (seconds, key) => {
      await page.evaluate((s) => window.woodshed.seek(s), seconds);
      // The playhead is where the engine reports it (the render thread applies the seek).
      await eventually(page, async (s) => (await window.woodshed.state()).positionSeconds === s, seconds);
      await page.keyboard.press(key);
      return eventually(page, async (s) => {
        const { loop } = await window.woodshed.state();
        return loop && (loop.start === s || loop.end === s) ? loop : null;
      }, seconds);
    };
    const duration = (await state()).durationSeconds;
    assert.deepEqual(await at(10, 'BracketLeft'), { start: 10, end: duration, enabled: true }, 'A alone: to the end');
    assert.deepEqual(await at(14.5, 'BracketRight'), { start: 10, end: 14.5, enabled: true });
    assert.deepEqual(await at(12, 'BracketLeft'), { start: 12, end: 14.5, enabled: true }, 'B is kept');
    await page.keyboard.press('KeyL');
    assert.deepEqual((await eventually(page, async () => {
      const { loop } = await window.woodshed.state();
      return loop && !loop.enabled ? loop : null;
    })), { start: 12, end: 14.5, enabled: false }, 'L turns the A-B loop off and keeps it');
    await page.evaluate(() => window.woodshed.setLoopRegion(null));
    await page.evaluate(() => window.woodshed.setLoop(false));
  });

  test('Shift+drag across the waveform sets the loop; a plain drag still seeks', async () => {
    await loadSong();
    const rect = await eventually(page, () => {
      const r = window.woodshed.test.waveformRect();
      return r && r.width > 100 ? r : null;
    });
    const duration = (await state()).durationSeconds;
    const drag = async (from, to, shift) => {
      const y = rect.y + rect.height / 2;
      await page.mouse.move(rect.x + rect.width * from, y);
      if (shift) await page.keyboard.down('Shift');
      await page.waitForTimeout(80);
      await page.mouse.down();
      for (let step = 1; step <= 8; step++) {
        await page.mouse.move(rect.x + rect.width * (from + ((to - from) * step) / 8), y);
        await page.waitForTimeout(30);
      }
      await page.waitForTimeout(80);
      await page.mouse.up();
      await page.waitForTimeout(80);
      if (shift) await page.keyboard.up('Shift');
    };
    await drag(0.25, 0.5, true);
    const loop = await eventually(page, async () => (await window.woodshed.state()).loop);
    const pixel = duration / rect.width;
    assert.ok(Math.abs(loop.start - 0.25 * duration) <= 2 * pixel, `A at ${loop.start} of ${duration} s`);
    assert.ok(Math.abs(loop.end - 0.5 * duration) <= 2 * pixel, `B at ${loop.end}`);
    assert.equal(loop.enabled, true);
    await drag(0.7, 0.8, false);
    const after = await state();
    assert.ok(Math.abs(after.positionSeconds - 0.8 * duration) <= 2 * pixel, `seeked to ${after.positionSeconds}`);
    assert.deepEqual([after.loop.start, after.loop.end], [loop.start, loop.end], 'the loop is unchanged');
    await page.evaluate(async () => {
      await window.woodshed.setLoopRegion(null);
      await window.woodshed.setLoop(false);
    });
  });

  test('a focused button, slider or text field keeps its own keys', async () => {
    await loadSong();
    const result = await page.evaluate(async () => {
      const w = window.woodshed;
      const button = Object.assign(document.createElement('button'), { textContent: 'a button' });
      const slider = Object.assign(document.createElement('input'), { type: 'range' });
      const text = Object.assign(document.createElement('input'), { type: 'text' });
      let clicks = 0;
      button.addEventListener('click', () => { clicks += 1; });
      document.body.append(button, slider, text);
      const before = await w.state();
      const press = async (target, code, key) => {
        target.focus();
        target.dispatchEvent(new KeyboardEvent('keydown', { code, key, bubbles: true, cancelable: true }));
        await new Promise((r) => setTimeout(r, 120));
      };
      await press(button, 'Space', ' ');
      await press(button, 'Enter', 'Enter');
      await press(slider, 'ArrowRight', 'ArrowRight');
      await press(text, 'KeyM', 'm');
      await press(text, 'Space', ' ');
      const after = await w.state();
      // Away from the controls the same keys work again.
      await press(document.getElementById('canvas'), 'KeyM', 'm');
      const muted = (await w.state()).muted;
      await w.setMuted(false);
      button.remove();
      slider.remove();
      text.remove();
      return { before, after, muted };
    });
    assert.deepEqual(
      [result.after.playing, result.after.positionSeconds, result.after.muted],
      [result.before.playing, result.before.positionSeconds, result.before.muted], 'nothing changed while controls had focus');
    assert.equal(result.muted, true, 'M mutes again once the canvas has focus');
  });

  test('no shortcut fires while typing in the library search field', async () => {
    await loadSong();
    await page.waitForTimeout(300);  // a frame draws the search field
    const rect = await page.evaluate(() => window.woodshed.test.searchRect());
    assert.ok(rect.width > 20, JSON.stringify(rect));
    await page.mouse.click(rect.x + rect.width / 2, rect.y + rect.height / 2);
    // The field has the keyboard once a frame has seen the click (later on a busy machine).
    await page.waitForFunction(() => window.woodshed.test.typing(), null, { timeout: 5000 });
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

  test('setVolume refuses what is not a volume, and the volume keys stop at the ends of the range', async () => {
    await loadSong();
    const volumeBefore = (await state()).volumeDb;
    const refusals = await page.evaluate(async () => {
      const messages = [];
      for (const bad of ['x', Number.NaN, null, 7, -61]) {
        messages.push(await window.woodshed.setVolume(bad).then(() => 'accepted', (error) => error.message));
      }
      return messages;
    });
    assert.deepEqual(refusals, [
      'the volume must be a number of dB', 'the volume must be a number of dB', 'the volume must be a number of dB',
      'the volume must be between -60 and +6 dB, got 7', 'the volume must be between -60 and +6 dB, got -61',
    ]);
    assert.equal((await state()).volumeDb, volumeBefore, 'the volume is unchanged');
    await page.locator('#canvas').focus();
    await page.evaluate(() => window.woodshed.setVolume(5));
    await page.keyboard.press('ArrowUp');
    await page.waitForTimeout(150);
    assert.equal((await state()).volumeDb, 6, 'Up 1 dB below the top goes to the top (+6 dB)');
    await page.keyboard.press('m');
    await page.waitForTimeout(150);
    assert.equal((await state()).muted, true, 'and mute still works');
    await page.evaluate(() => window.woodshed.setVolume(-59));
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(150);
    assert.equal((await state()).volumeDb, -60, 'Down 1 dB above the bottom goes to the bottom (-60 dB)');
    await page.evaluate(() => window.woodshed.setVolume(0));
  });

  test('a failed waveform job is announced with its reason; the song still plays, and the next import gets its waveform', async () => {
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const bytes = window.testAudio.fromBase64(b);
      const other = bytes.slice();
      other[other.length - 1] ^= 1;
      w.test.failNextWaveform('out of memory');
      const [failed] = await w.importFiles([{ name: 'fails.mp3', bytes }]);
      const [works] = await w.importFiles([{ name: 'works.mp3', bytes: other }]);
      const settle = (promise) => Promise.race([
        promise.then(() => 'ready', (error) => error.message),
        new Promise((r) => setTimeout(() => r('no announcement in 20 s'), 20000)),
      ]);
      const outcomes = { failed: await settle(w.waveformReady(failed)), works: await settle(w.waveformReady(works)) };
      const lastError = (await w.state()).lastError;
      await w.load(failed);
      await w.play();
      const played = (await w.captureOutput(0.3)).channels[0].reduce((peak, x) => Math.max(peak, Math.abs(x)), 0);
      await w.pause();
      return { ...outcomes, lastError, played, names: (await w.tracks()).map((t) => t.name) };
    }, song.base64);
    assert.equal(result.failed, 'its waveform could not be prepared (out of memory)');
    assert.equal(result.works, 'ready');
    assert.equal(result.lastError, 'fails.mp3: its waveform could not be prepared (out of memory)');
    assert.ok(result.played > 0.01, `the song without a waveform plays: peak ${result.played}`);
    assert.ok(result.names.includes('fails.mp3') && result.names.includes('works.mp3'), result.names.join());
  });

  test('normalizing and then switching songs keeps the gain with the song that was measured', async () => {
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const bytes = window.testAudio.fromBase64(b);
      const other = bytes.slice();
      other[other.length - 1] ^= 1;
      const [measured] = await w.importFiles([{ name: 'measured.mp3', bytes }]);
      const [next] = await w.importFiles([{ name: 'next.mp3', bytes: other }]);
      await w.load(measured);
      const normalizing = w.normalize({ targetLufs: -20 });
      await w.load(next);  // while the measurement runs
      const outcome = await normalizing;
      const tracks = await w.tracks();
      return {
        outcome,
        measuredGain: tracks.find((t) => t.id === measured).recall?.trackGainDb,
        nextGain: tracks.find((t) => t.id === next).recall?.trackGainDb ?? null,
        current: (await w.state()).trackId === next,
      };
    }, song.base64);
    const expected = -20 - result.outcome.measuredLufs;
    assert.ok(Math.abs(expected) > 1, `a gain worth keeping (${expected} dB)`);
    assert.ok(Math.abs(result.outcome.gainDb - expected) < 0.01, JSON.stringify(result));
    assert.equal(result.measuredGain, result.outcome.gainDb, 'kept with the measured song');
    assert.equal(result.nextGain, null, 'the other song keeps no gain');
    assert.equal(result.current, true);
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
