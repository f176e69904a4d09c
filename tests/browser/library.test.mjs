// The library that survives reloads: songs stored in OPFS with their metadata in IndexedDB,
// all-or-nothing imports, repairs at start-up, two tabs at once, and offline.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { eventually, openApp, openPage, startServer } from './harness.mjs';
import { base64Of, installPageHelpers, makeAudio, reportGaps } from './media.mjs';

// The songs stored in the library's originals folder (not their sidecars), the temporary
// files, and the records in IndexedDB.
async function storedState(page) {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const library = await root.getDirectoryHandle('library', { create: true });
    const names = async (folder) => {
      const found = [];
      for await (const [name] of (await library.getDirectoryHandle(folder, { create: true })).entries()) found.push(name);
      return found.sort();
    };
    const files = (await names('originals')).filter((name) => !name.endsWith('.json'));
    const records = (await window.woodshed.tracks()).filter((t) => !t.saving && !t.saveError).map((t) => t.id);
    return { files, temporary: await names('tmp'), records: records.sort() };
  });
}

// Installs window.testDb in the page: the app's IndexedDB records, read and changed from
// outside the app (as a browser clearing site data, or a schema bug, would).
async function installDatabaseHelpers(page) {
  await page.evaluate(() => {
    const withTracks = (mode, work) => new Promise((resolve, reject) => {
      const opening = indexedDB.open('woodshed');
      opening.onerror = () => reject(opening.error);
      opening.onsuccess = () => {
        const db = opening.result;
        const transaction = db.transaction('tracks', mode);
        const request = work(transaction.objectStore('tracks'));
        transaction.oncomplete = () => { db.close(); resolve(request.result); };
        transaction.onerror = () => { db.close(); reject(transaction.error); };
      };
    });
    window.testDb = {
      clear: () => withTracks('readwrite', (store) => store.clear()),
      remove: (id) => withTracks('readwrite', (store) => store.delete(id)),
      put: (record) => withTracks('readwrite', (store) => store.put(record)),
      get: (id) => withTracks('readonly', (store) => store.get(id)),
    };
    window.testFiles = {
      async folder(path) {
        let directory = await navigator.storage.getDirectory();
        for (const part of path.split('/')) directory = await directory.getDirectoryHandle(part, { create: true });
        return directory;
      },
      async write(path, bytes) {
        const parts = path.split('/');
        const name = parts.pop();
        const writable = await (await (await this.folder(parts.join('/'))).getFileHandle(name, { create: true })).createWritable();
        await writable.write(bytes);
        await writable.close();
      },
      async remove(path) {
        const parts = path.split('/');
        const name = parts.pop();
        await (await this.folder(parts.join('/'))).removeEntry(name);
      },
      async list(path) {
        const names = [];
        for await (const [name] of (await this.folder(path)).entries()) names.push(name);
        return names.sort();
      },
    };
  });
}

// Imports a song and waits until it is stored (the save goes on after importFiles resolves).
async function importBase64(page, name, base64) {
  return page.evaluate(async ([n, b]) => {
    const [id] = await window.woodshed.importFiles([{ name: n, bytes: window.testAudio.fromBase64(b) }]);
    await window.woodshed.saved(id);
    return id;
  }, [name, base64]);
}

// Plays the song `id` from 1 s and checks the output is that song at the reported position.
async function playsCorrectly(page, id, base64) {
  await installPageHelpers(page);
  const match = await page.evaluate(async ([trackId, b]) => {
    const w = window.woodshed;
    await w.load(trackId);
    await w.seek(1);
    await w.play();
    await new Promise((r) => setTimeout(r, 250));
    const captured = await window.testAudio.captureWithoutGaps(0.5);
    await w.pause();
    const reference = await window.testAudio.decode(window.testAudio.fromBase64(b), captured.sampleRate);
    return window.testAudio.compare(captured.channels[0], reference.getChannelData(0), captured.sourceFrameAtStart, 0, captured.channels[0].length);
  }, [id, base64]);
  assert.ok(match.correlation > 0.999, `plays the stored song: ${JSON.stringify(match)}`);
}

// A song's bytes with the last one changed: content of its own, so a test that removes it
// takes nothing from the tests after it.
function ownCopy(base64, mask) {
  const bytes = Buffer.from(base64, 'base64');
  bytes[bytes.length - 1] ^= mask;
  return bytes.toString('base64');
}

async function reloadApp(page) {
  await page.evaluate(() => window.woodshed.saved());  // songs are saved in the background
  await page.reload();
  await page.evaluate(() => window.woodshed.ready);
  await installPageHelpers(page);
  await installDatabaseHelpers(page);
}

describe('library', () => {
  let server;
  let browser;
  let page;
  const songs = {};
  before(async () => {
    server = await startServer();
    browser = await openApp(server.url);
    page = browser.page;
    await installPageHelpers(page);
    for (const [key, format, seconds] of [['wav', 'wav16', 6], ['mp3', 'mp3', 6], ['big', 'wav16', 20]]) {
      const file = makeAudio({ format, rate: 44100, channels: 2, seconds, name: `library-${key}.${format === 'mp3' ? 'mp3' : 'wav'}` });
      songs[key] = { name: file.split('/').pop(), base64: base64Of(file) };
    }
  });
  after(async () => {
    await reportGaps(page);
    await browser?.close();
    await server?.stop();
  });

  test('the same file imported twice, even under another name, is one entry', async () => {
    const first = await importBase64(page, songs.wav.name, songs.wav.base64);
    const second = await importBase64(page, 'renamed copy.wav', songs.wav.base64);
    assert.equal(first, second);
    const tracks = await page.evaluate(() => window.woodshed.tracks());
    assert.equal(tracks.length, 1);
    assert.equal(tracks[0].name, songs.wav.name);
    assert.equal(tracks[0].format, 'WAV');
    assert.match(tracks[0].id, /^[0-9a-f]{64}$/, 'the id is the content hash (SHA-256)');
  });

  test('songs, a rename, a delete, the last song and its position survive a reload', async () => {
    const mp3 = await importBase64(page, songs.mp3.name, songs.mp3.base64);
    const doomed = await importBase64(page, songs.big.name, songs.big.base64);
    const wav = (await page.evaluate(() => window.woodshed.tracks())).find((t) => t.format === 'WAV' && t.id !== doomed).id;
    await page.evaluate(async ([keep, remove]) => {
      await window.woodshed.rename(keep, '  Practice take 1  ');
      await window.woodshed.remove(remove);
      await window.woodshed.load(keep);
      await window.woodshed.seek(2.5);
    }, [wav, doomed]);
    await reloadApp(page);
    const after = await page.evaluate(async () => ({ tracks: await window.woodshed.tracks(), state: await window.woodshed.state() }));
    assert.deepEqual(after.tracks.map((t) => t.id).sort(), [mp3, wav].sort());
    assert.equal(after.tracks.find((t) => t.id === wav).name, 'Practice take 1');
    assert.equal(after.state.trackId, wav, 'the last song is current again');
    assert.equal(after.state.playing, false, 'paused');
    assert.ok(Math.abs(after.state.positionSeconds - 2.5) < 0.01, `at its position: ${after.state.positionSeconds}`);
    await playsCorrectly(page, mp3, songs.mp3.base64);
    const stored = await storedState(page);
    assert.deepEqual(stored.files, stored.records, 'one file per record, nothing else');
  });

  test('an import over the quota is refused with a clear message, leaving no file and no record', async () => {
    const before = await storedState(page);
    const client = await page.context().newCDPSession(page);
    const origin = new URL(server.url).origin;
    const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage);
    await client.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 100000 });
    let message;
    try {
      message = await page.evaluate(async (b) => {
        try {
          const [id] = await window.woodshed.importFiles([{ name: 'too-big.wav', bytes: window.testAudio.fromBase64(b) }]);
          await window.woodshed.saved(id);
          return 'saved';
        } catch {
          return (await window.woodshed.state()).lastError;
        }
      }, songs.big.base64);
    } finally {
      await client.send('Storage.overrideQuotaForOrigin', { origin });
    }
    // Refused before decoding when the browser reports the quota up front, or its save fails
    // when the write hits it (the song plays for this visit): either way the message says so
    // and nothing is left.
    assert.match(message, /^too-big\.wav: (there is not enough storage: it needs 3\.5 MB.*; delete some songs|it could not be saved \(the storage filled up while it was being saved \(3\.5 MB\); delete some songs\)\..*)$/);
    assert.deepEqual(await storedState(page), before);
    const state = await page.evaluate(() => window.woodshed.state());
    assert.equal(state.lastError, message, 'the error is there for the app to show');
  });

  test('a song plays while its original is being saved; storage filling up then leaves it playable, with a message, and no file or record', async () => {
    const before = await storedState(page);
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const peak = async () => (await w.captureOutput(0.3)).channels[0].reduce((p, x) => Math.max(p, Math.abs(x)), 0);
      const bytes = window.testAudio.fromBase64(b);
      bytes[bytes.length - 1] ^= 0x33;  // content of its own: not a song the tests before stored or tried to
      w.test.holdLibraryWrite();
      const [id] = await w.importFiles([{ name: 'mid-write.wav', bytes }]);
      const listed = (await w.tracks()).find((t) => t.id === id);
      await w.load(id);
      await w.play();
      const whileSaving = await peak();
      w.test.releaseLibraryWrite(new DOMException('the quota was exceeded', 'QuotaExceededError'));
      const saved = await w.saved(id).then(() => 'saved', (error) => error.message);
      const afterFailure = await peak();
      await w.pause();
      const entry = (await w.tracks()).find((t) => t.id === id);
      return {
        listedSaving: listed?.saving === true, whileSaving, saved, afterFailure,
        saveError: entry?.saveError, lastError: (await w.state()).lastError,
      };
    }, songs.big.base64);
    assert.ok(result.listedSaving, 'listed at once, marked as being saved');
    assert.ok(result.whileSaving > 0.05, `it plays while it is being saved: peak ${result.whileSaving}`);
    assert.match(result.saved, /^it could not be saved \(the storage filled up while it was being saved/);
    assert.ok(result.afterFailure > 0.05, `it still plays after the failure: peak ${result.afterFailure}`);
    assert.match(result.saveError, /the storage filled up/);
    assert.match(result.lastError, /^mid-write\.wav: it could not be saved \(the storage filled up.*import it again to keep it$/);
    assert.deepEqual(await storedState(page), before, 'no file, no temporary file, no record');
  });

  test('a save failing between its file and its record leaves neither, and the song plays on with a message', async () => {
    const before = await storedState(page);
    const sidecars = () => page.evaluate(async () => {
      const library = await (await navigator.storage.getDirectory()).getDirectoryHandle('library');
      const found = [];
      for await (const [name] of (await library.getDirectoryHandle('originals')).entries()) if (name.endsWith('.json')) found.push(name);
      return found.sort();
    });
    const sidecarsBefore = await sidecars();
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const bytes = window.testAudio.fromBase64(b);
      bytes[bytes.length - 1] ^= 0x55;  // content of its own
      w.test.failLibraryCommit('the database refused the record');
      const [id] = await w.importFiles([{ name: 'half-committed.wav', bytes }]);
      const saved = await w.saved(id).then(() => 'saved', (error) => error.message);
      await w.load(id);
      await w.play();
      const captured = await window.testAudio.captureWithoutGaps(0.3);
      await w.pause();
      const peak = captured.channels[0].reduce((p, x) => Math.max(p, Math.abs(x)), 0);
      const entry = (await w.tracks()).find((t) => t.id === id);
      return { id, saved, peak, saveError: entry?.saveError, lastError: (await w.state()).lastError };
    }, songs.wav.base64);
    assert.match(result.saved, /^it could not be saved \(.*the database refused the record/);
    assert.ok(result.peak > 0.05, `it plays for this visit: peak ${result.peak}`);
    assert.match(result.lastError, /^half-committed\.wav: it could not be saved/);
    assert.deepEqual(await storedState(page), before, 'no original, no temporary file, no record');
    assert.deepEqual(await sidecars(), sidecarsBefore, 'and no sidecar');
    await page.evaluate((id) => window.woodshed.unload(id), result.id);
    await reloadApp(page);
    assert.deepEqual(await page.evaluate(() => window.woodshed.libraryRepairs.recovered), [], 'nothing to recover at the next start');
    assert.deepEqual(await storedState(page), before);
  });

  test('a song saved in the background is stored byte for byte, with the waveform of a song decoded alone', async () => {
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      const hex = (digest) => Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('');
      const bytes = window.testAudio.fromBase64(b);
      bytes[bytes.length - 1] ^= 0x44;  // content of its own
      const inputHash = hex(await crypto.subtle.digest('SHA-256', bytes));
      const [id] = await w.importFiles([{ name: 'parity.mp3', bytes }]);
      await w.waveformReady(id);
      const imported = w.test.waveformDigest(w.test.engineTrackOf(id));
      await w.saved(id);
      const root = await navigator.storage.getDirectory();
      const originals = await (await root.getDirectoryHandle('library')).getDirectoryHandle('originals');
      const stored = await (await originals.getFileHandle(id)).getFile();
      const storedHash = hex(await crypto.subtle.digest('SHA-256', await stored.arrayBuffer()));
      // The plain path: decoded again from the library, with no hash or save beside it.
      await w.unload(id);
      await w.load(id);
      await w.waveformReady(id);
      const restored = w.test.waveformDigest(w.test.engineTrackOf(id));
      return { id, inputHash, storedHash, storedBytes: stored.size, inputBytes: bytes.length, imported, restored };
    }, songs.mp3.base64);
    assert.equal(result.storedHash, result.inputHash, 'the stored original is the file, byte for byte');
    assert.equal(result.storedBytes, result.inputBytes);
    assert.equal(result.id, result.inputHash, 'named by its content');
    assert.ok(Number.isFinite(result.imported) && result.imported > 0);
    assert.equal(result.imported, result.restored, 'the same waveform');
  });

  test('deleting a song while its original is being saved stops the save and leaves nothing behind', async () => {
    const before = await storedState(page);
    const result = await page.evaluate(async (b) => {
      const w = window.woodshed;
      w.test.holdLibraryWrite();
      const [id] = await w.importFiles([{ name: 'deleted.wav', bytes: window.testAudio.fromBase64(b) }]);
      const removing = w.remove(id);
      w.test.releaseLibraryWrite();
      await removing;
      return { listed: (await w.tracks()).some((t) => t.id === id), lastError: (await w.state()).lastError ?? '' };
    }, songs.big.base64);
    assert.equal(result.listed, false);
    assert.doesNotMatch(result.lastError, /deleted\.wav/, 'a save the user stopped is not an error');
    assert.deepEqual(await storedState(page), before);
  });

  test('start-up repair removes abandoned temporary files and records without files, and re-indexes songs without records', async () => {
    await installDatabaseHelpers(page);
    const before = await storedState(page);
    const kept = await page.evaluate(() => window.woodshed.tracks());
    const named = kept.find((t) => t.format === 'MP3');
    const unnamed = kept.find((t) => t.id !== named.id);
    await page.evaluate(async ([lostName, lostAll]) => {
      // IndexedDB lost two records; one song also lost its sidecar (what it was called).
      await window.testDb.remove(lostName);
      await window.testDb.remove(lostAll);
      await window.testFiles.remove(`library/originals/${lostAll}.json`);
      await window.testFiles.write('library/tmp/left-by-a-crash', new Uint8Array(1000));
      await window.testFiles.write(`library/originals/${'ab'.repeat(32)}`, new Uint8Array(1000));  // not audio
      await window.testDb.put({ id: 'cd'.repeat(32), name: 'ghost.mp3', dateAdded: 0, duration: 1, size: 1 });
      await window.testFiles.write('library/stems/not-a-song', new Uint8Array(10));
      await window.testFiles.write('library/exports/not-a-song-either', new Uint8Array(10));
    }, [named.id, unnamed.id]);
    await reloadApp(page);
    const repairs = await page.evaluate(() => window.woodshed.libraryRepairs);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(repairs.temporaryFiles, 1);
    assert.equal(repairs.recordsWithoutFiles, 1);
    assert.equal(repairs.unreadable, 1);
    assert.deepEqual([...repairs.recovered].sort(), [named.name, `Recovered song ${today}`, `Recovered song ${today}`].sort());
    const after = await page.evaluate(() => window.woodshed.tracks());
    const recoveredNamed = after.find((t) => t.id === named.id);
    assert.equal(recoveredNamed.name, named.name, 'named by its sidecar');
    assert.equal(recoveredNamed.format, 'MP3');
    assert.ok(Math.abs(recoveredNamed.duration - named.duration) < 0.05, `duration read again: ${recoveredNamed.duration}`);
    assert.equal(after.find((t) => t.id === unnamed.id).name, `Recovered song ${today}`);
    assert.equal(after.find((t) => t.id === 'ab'.repeat(32)).format, null, 'an unreadable file is kept and listed');
    const stored = await storedState(page);
    assert.deepEqual(stored.files, [...before.files, 'ab'.repeat(32)].sort(), 'no song was deleted');
    assert.deepEqual(stored.records, stored.files);
    assert.deepEqual(stored.temporary, []);
    assert.deepEqual(await page.evaluate(async () => [
      await window.testFiles.list('library/stems'), await window.testFiles.list('library/exports'),
    ]), [['not-a-song'], ['not-a-song-either']], 'stems and exports are not songs and are left alone');
    await playsCorrectly(page, unnamed.id, unnamed.format === 'MP3' ? songs.mp3.base64 : songs.wav.base64);
    const toasts = await page.locator('#toasts').innerText();
    assert.match(toasts, /recovered 3 song\(s\)/);
    // Tidy up for the tests that follow.
    await page.evaluate(async () => {
      await window.woodshed.remove('ab'.repeat(32));
      await window.testFiles.remove('library/stems/not-a-song');
      await window.testFiles.remove('library/exports/not-a-song-either');
    });
  });

  test('repair leaves a temporary file alone while another tab writes it', async () => {
    const other = await page.context().newPage();
    await other.goto(`${server.url}?test`);
    await other.evaluate(() => window.woodshed.ready);
    await installDatabaseHelpers(other);
    // The other tab holds a temporary file's lock, as it does while it writes an import.
    await other.evaluate(async () => {
      await window.testFiles.write('library/tmp/being-written', new Uint8Array(1000));
      window.releaseTemporary = null;
      await new Promise((locked) => {
        navigator.locks.request('woodshed-tmp:being-written', () => new Promise((release) => {
          window.releaseTemporary = release;
          locked();
        }));
      });
    });
    await reloadApp(page);
    assert.deepEqual((await storedState(page)).temporary, ['being-written'], 'kept while its writer holds it');
    assert.equal(await page.evaluate(() => window.woodshed.libraryRepairs.temporaryFiles), 0);
    await other.evaluate(() => window.releaseTemporary());
    await other.close();
    await reloadApp(page);
    assert.deepEqual((await storedState(page)).temporary, [], 'removed once nobody holds it');
  });

  test('a library in the layout of the previous version is moved into place, and nothing is deleted', async () => {
    await installDatabaseHelpers(page);
    const before = await storedState(page);
    // The previous version kept songs and its temporary files directly in library/.
    await page.evaluate(async (ids) => {
      for (const id of ids) {
        const bytes = await (await (await (await window.testFiles.folder('library/originals')).getFileHandle(id)).getFile()).arrayBuffer();
        await window.testFiles.write(`library/${id}`, bytes);
        await window.testFiles.remove(`library/originals/${id}`);
        await window.testFiles.remove(`library/originals/${id}.json`).catch(() => {});  // the previous layout had none
      }
      await window.testFiles.write('library/incoming-1234', new Uint8Array(100));
    }, before.files);
    await reloadApp(page);
    const repairs = await page.evaluate(() => window.woodshed.libraryRepairs);
    assert.equal(repairs.migratedFiles, before.files.length + 1);
    assert.deepEqual(repairs.recovered, [], 'every song still has its record');
    assert.deepEqual(await storedState(page), before);
    assert.deepEqual((await page.evaluate(() => window.testFiles.list('library'))), ['exports', 'originals', 'stems', 'tmp']);
    const mp3 = (await page.evaluate(() => window.woodshed.tracks())).find((t) => t.format === 'MP3');
    await playsCorrectly(page, mp3.id, songs.mp3.base64);
  });

  test('a big import does not hold the library while it copies, so another tab can start', async () => {
    await page.evaluate(() => window.woodshed.test.slowLibraryWrites(1500));
    const copy = Buffer.from(songs.big.base64, 'base64');
    copy[copy.length - 1] ^= 0x5a;
    const importing = page.evaluate(async (b) => {
      const [id] = await window.woodshed.importFiles([{ name: 'slow copy.wav', bytes: window.testAudio.fromBase64(b) }]);
      await window.woodshed.saved(id);
      return Date.now();
    }, copy.toString('base64'));
    await eventually(page, async () => {
      const tmp = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('library')).getDirectoryHandle('tmp');
      for await (const name of tmp.keys()) return name;  // the copy has begun
      return null;
    }, null, { interval: 50 });
    const other = await page.context().newPage();
    await other.goto(`${server.url}?test`);
    await other.evaluate(() => window.woodshed.ready);
    const otherReady = Date.now();
    const imported = await importing;
    await page.evaluate(() => window.woodshed.test.slowLibraryWrites(0));
    console.log(`[ measure  ] second tab ready ${imported - otherReady} ms before the copy ended`);
    assert.ok(otherReady < imported, 'the second tab started before the copy ended');
    assert.ok((await other.evaluate(() => window.woodshed.tracks())).some((t) => t.name === 'slow copy.wav'));
    await other.close();
  });

  test('two tabs importing at the same time both see both songs, once', async () => {
    const second = await page.context().newPage();
    await second.goto(`${server.url}?test`);
    await second.evaluate(() => window.woodshed.ready);
    await installPageHelpers(second);
    const one = makeAudio({ format: 'flac', rate: 44100, channels: 2, seconds: 8, name: 'tab-one.flac' });
    const two = makeAudio({ format: 'flac', rate: 48000, channels: 1, seconds: 8, name: 'tab-two.flac' });
    const [idOne, idTwo] = await Promise.all([
      importBase64(page, 'tab-one.flac', base64Of(one)),
      importBase64(second, 'tab-two.flac', base64Of(two)),
    ]);
    for (const tab of [page, second]) {
      const ids = (await tab.evaluate(() => window.woodshed.tracks())).map((t) => t.id);
      assert.equal(ids.filter((id) => id === idOne).length, 1);
      assert.equal(ids.filter((id) => id === idTwo).length, 1);
      // The other tab's import reached this tab's library panel too (BroadcastChannel).
      await tab.waitForFunction((count) => window.woodshed.test.catalogSize() === count, ids.length, { timeout: 5000 });
    }
    const stored = await storedState(page);
    assert.deepEqual(stored.files, stored.records);
    await second.close();
  });

  test('a load failing after the song is in the engine leaves the page and the engine agreeing on the current song', async () => {
    const a = await importBase64(page, 'fault-a.wav', ownCopy(songs.wav.base64, 0x21));
    const b = await importBase64(page, 'fault-b.mp3', ownCopy(songs.mp3.base64, 0x22));
    const result = await page.evaluate(async ([idA, idB]) => {
      const w = window.woodshed;
      await w.load(idA);
      await w.setTrackGain(-2);
      w.test.armFault('ws_load.loaded');  // after the engine took song B, before its settings are restored
      const load = await w.load(idB).then(() => 'loaded', (error) => error.message);
      const state = await w.state();
      await w.setTrackGain(-7);  // goes to the song the engine plays
      return { load, current: state.trackId, lastError: state.lastError, recallA: await w.recall(idA), recallB: await w.recall(idB) };
    }, [a, b]);
    assert.equal(result.load, 'loaded', 'the song is loaded; what could not be restored is a note');
    assert.match(result.lastError, /its settings could not all be restored \(injected fault in ws_load\.loaded\)/);
    assert.equal(result.current, b);
    assert.equal(result.recallB.trackGainDb, -7, 'a change after it is kept with the song that plays');
    assert.equal(result.recallA.trackGainDb, -2, 'and not with the one before');
    await page.evaluate(async (ids) => { for (const id of ids) await window.woodshed.remove(id); }, [a, b]);
  });

  test('two tabs changing the same song at once lose nothing: a rename against the play position and the track gain', async () => {
    const id = await importBase64(page, 'two-tabs.wav', ownCopy(songs.wav.base64, 0x23));
    const second = await page.context().newPage();
    await second.goto(`${server.url}?test`);
    await second.evaluate(() => window.woodshed.ready);
    // Each change waits 25 ms between reading the record and writing it back: without the
    // library's lock, the other tab's change made in that window would be written over.
    for (const tab of [page, second]) await tab.evaluate(() => window.woodshed.test.slowLibraryUpdates(25));
    const rounds = 8;
    await Promise.all([
      page.evaluate(async ([songId, n]) => {
        for (let i = 1; i <= n; i++) await window.woodshed.rename(songId, `Take ${i}`);
      }, [id, rounds]),
      second.evaluate(async ([songId, n]) => {
        for (let i = 1; i <= n; i++) {
          await window.woodshed.test.notePlayback(songId, 10 * i);
          await window.woodshed.test.storeRecall(songId, 'trackGainDb', -i);
        }
      }, [id, rounds]),
    ]);
    for (const tab of [page, second]) await tab.evaluate(() => window.woodshed.test.slowLibraryUpdates(0));
    await installDatabaseHelpers(page);
    const record = await page.evaluate((songId) => window.testDb.get(songId), id);
    assert.deepEqual([record.name, record.lastPosition, record.recall?.trackGainDb], [`Take ${rounds}`, 10 * rounds, -rounds],
      'every change of both tabs is in the stored record');
    await second.close();
    await page.evaluate((songId) => window.woodshed.remove(songId), id);
  });

  test('with the server gone, a reload shows the library and plays a stored song', async () => {
    await eventually(page, async () => {
      for (const name of await caches.keys()) {
        const keys = await (await caches.open(name)).keys();
        if (keys.some((request) => request.url.includes('woodshed.wasm'))) return true;
      }
      return false;
    }, null, { timeout: 30000, interval: 200 });
    const before = await page.evaluate(() => window.woodshed.tracks());
    await server.stop();
    // Without ?test: the test hooks are never cached, so offline a page could not load them.
    await page.goto(server.url);
    await page.evaluate(() => window.woodshed.ready);
    await installPageHelpers(page);
    const after = await page.evaluate(() => window.woodshed.tracks());
    assert.deepEqual(after.map((t) => t.id), before.map((t) => t.id));
    const mp3 = after.find((t) => t.format === 'MP3');
    await playsCorrectly(page, mp3.id, songs.mp3.base64);
    assert.deepEqual(browser.errors, []);
  });
});

describe('per-song recall', () => {
  test('a song\'s recalled settings survive a reload and are applied when it loads', async () => {
    const server = await startServer();
    const browser = await openApp(server.url);
    try {
      const { page } = browser;
      await installPageHelpers(page);
      const file = makeAudio({ format: 'mp3', rate: 44100, channels: 2, seconds: 30, name: 'recalled.mp3' });
      const id = await importBase64(page, 'recalled.mp3', base64Of(file));
      const { gainDb } = await page.evaluate(async (songId) => {
        await window.woodshed.load(songId);
        return window.woodshed.normalize({ targetLufs: -20 });
      }, id);
      await reloadApp(page);
      const recalled = await page.evaluate((songId) => window.woodshed.recall(songId), id);
      assert.deepEqual(recalled, { trackGainDb: gainDb, loopStartSeconds: 0, loopEndSeconds: 0, tempo: 1, pitchSemitones: 0 });
      // Loaded again after the reload, it plays at the loudness it was normalized to.
      const shortTerm = await page.evaluate(async (songId) => {
        const w = window.woodshed;
        await w.load(songId);
        await w.seek(5);
        await w.play();
        await new Promise((r) => setTimeout(r, 300));
        await w.resetLoudness();
        await new Promise((r) => setTimeout(r, 3500));
        const { shortTerm: measured } = await w.loudness();
        await w.pause();
        return measured;
      }, id);
      console.log(`[ measure  ] recalled track gain ${gainDb.toFixed(2)} dB: plays at ${shortTerm.toFixed(2)} LUFS short-term (target -20)`);
      assert.ok(Math.abs(shortTerm + 20) <= 0.5, `plays at ${shortTerm} LUFS`);
    } finally {
      await browser.close();
      await server.stop();
    }
  });

  test('a library of schema version 1 is upgraded: the track gain it kept is recalled', async () => {
    const server = await startServer();
    const file = makeAudio({ format: 'wav16', rate: 44100, channels: 2, seconds: 3, name: 'version-one.wav' });
    const bytes = readFileSync(file);
    const id = createHash('sha256').update(bytes).digest('hex');
    // A fresh profile; a page of the app's origin that is not the app writes what version 1 kept.
    const browser = await openPage(`${server.url}icons/icon.svg`);
    try {
      const { page } = browser;
      await page.evaluate(async ([songId, base64]) => {
        const db = await new Promise((resolve, reject) => {
          const opening = indexedDB.open('woodshed', 1);
          opening.onupgradeneeded = () => {
            opening.result.createObjectStore('tracks', { keyPath: 'id' });
            opening.result.createObjectStore('settings');
          };
          opening.onsuccess = () => resolve(opening.result);
          opening.onerror = () => reject(opening.error);
        });
        await new Promise((resolve, reject) => {
          const transaction = db.transaction('tracks', 'readwrite');
          transaction.objectStore('tracks').put({
            id: songId, name: 'Version one.wav', format: 'WAV', duration: 3, sampleRate: 44100, channels: 2,
            size: 0, hash: songId, dateAdded: 1, lastPlayed: null, lastPosition: 0, gainDb: -3.5,
          });
          transaction.oncomplete = resolve;
          transaction.onerror = () => reject(transaction.error);
        });
        db.close();
        const text = atob(base64);
        const data = Uint8Array.from(text, (c) => c.charCodeAt(0));
        const root = await navigator.storage.getDirectory();
        const library = await root.getDirectoryHandle('library', { create: true });
        const writable = await (await library.getFileHandle(songId, { create: true })).createWritable();
        await writable.write(data);
        await writable.close();
      }, [id, bytes.toString('base64')]);
      await page.goto(`${server.url}?test`);
      await page.evaluate(() => window.woodshed.ready);
      const upgraded = await page.evaluate(async (songId) => ({
        record: (await window.woodshed.tracks()).find((t) => t.id === songId),
        recall: await window.woodshed.recall(songId),
        version: (await indexedDB.databases()).find((d) => d.name === 'woodshed')?.version,
      }), id);
      assert.equal(upgraded.record.name, 'Version one.wav');
      assert.equal(upgraded.record.gainDb, undefined, 'moved');
      assert.deepEqual(upgraded.recall, { trackGainDb: -3.5, loopStartSeconds: 0, loopEndSeconds: 0, tempo: 1, pitchSemitones: 0 });
      assert.equal(upgraded.version, 2);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});

describe('schema upgrades', () => {
  test('an open tab lets a newer version in another tab upgrade the database, and says it must reload', async () => {
    const server = await startServer();
    const browser = await openApp(server.url);
    try {
      const { page } = browser;
      const newer = await page.context().newPage();
      await newer.goto(`${server.url}icons/icon.svg`);
      const outcome = await newer.evaluate(() => new Promise((resolve) => {
        const opening = indexedDB.open('woodshed', 1000);
        opening.onblocked = () => resolve('blocked by the open tab');
        opening.onsuccess = () => { opening.result.close(); resolve('upgraded'); };
        opening.onerror = () => resolve(`failed: ${opening.error}`);
        setTimeout(() => resolve('timed out'), 10000);
      }));
      assert.equal(outcome, 'upgraded');
      await page.waitForFunction(() => /updated in another tab; reload this page/.test(document.getElementById('toasts').innerText));
      const message = await page.evaluate(() => window.woodshed.tracks().then(() => 'listed', (error) => error.message));
      assert.match(message, /reload this page/);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
