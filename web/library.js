// The song library that survives reloads: original files in the Origin Private File System
// (laid out by storage-layout.js), their metadata in IndexedDB.
//
// - Files are named by the SHA-256 of their content, so the same song imported twice is one
//   entry.
// - Adding is all-or-nothing: the file is written as a locked temporary file, moved into
//   originals/ when complete, and only then gets its record. A failure or cancel removes the
//   temporary file.
// - A song being saved in the background (addInBackground) is listed at once, marked `saving`,
//   and usable in this tab: changes to it wait for the save. If the save fails it stays
//   listed for this visit, marked with `saveError`, its changes kept in memory; nothing of it
//   is stored.
// - At start-up, temporary files nobody is writing and records without files are removed, and
//   an original without a record (IndexedDB was cleared, say) is re-indexed, never deleted:
//   it is the user's song. What was repaired is reported.
// - Every change of records happens inside one Web Lock shared by all tabs, so two tabs cannot
//   interleave a read-modify-write; the lock is held for a commit (move and record), never for
//   copying a file. After a change the tab tells the others on a BroadcastChannel.
// - The IndexedDB schema changes only through MIGRATIONS below. A tab that holds the database
//   open lets a newer version in another tab upgrade it (onversionchange), and then says so.

import { newMarkerId, withMarkerAdded, withMarkerUpdated } from './markers.js';
import {
  exists, migrateLayout, openLayout, ORIGINAL_NAME, openTemporaryFile, removeAbandonedTemporaryFiles, SIDECAR_SUFFIX, withTemporaryFile,
} from './storage-layout.js';

const DB_NAME = 'woodshed';
const TRACKS = 'tracks';
const SETTINGS = 'settings';
/**
 * The IndexedDB schema, one step per version: MIGRATIONS[v] takes a database of version v to
 * v + 1. Every feature that changes the schema appends a step here; none is ever edited.
 */
const MIGRATIONS = [
  // 0 -> 1: songs (by content hash) and settings (by key).
  (db) => {
    db.createObjectStore(TRACKS, { keyPath: 'id' });
    db.createObjectStore(SETTINGS);
  },
  // 1 -> 2: what is recalled per song moves into one place, `recall` (the track gain was
  // `gainDb` on the record).
  (db, transaction) => {
    const cursor = transaction.objectStore(TRACKS).openCursor();
    cursor.onsuccess = () => {
      const at = cursor.result;
      if (!at) return;
      const { gainDb, ...record } = at.value;
      if (gainDb !== undefined) at.update({ ...record, recall: { ...record.recall, trackGainDb: gainDb } });
      at.continue();
    };
  },
];
const DB_VERSION = MIGRATIONS.length;
const LOCK = 'woodshed-library';
const CHANNEL = 'woodshed-library';
const WRITE_CHUNK_BYTES = 1 << 20;
/** Limit: the longest song name kept. */
const MAX_NAME_CHARACTERS = 500;

/** An import refused because the browser's storage for this site is full. */
export class StorageFullError extends Error {}

/** An operation stopped because its import was cancelled. */
export class CancelledError extends Error {
  constructor() { super('import cancelled'); }
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDatabase() {
  const opening = indexedDB.open(DB_NAME, DB_VERSION);
  opening.onupgradeneeded = (event) => {
    for (let version = event.oldVersion; version < DB_VERSION; version++) {
      MIGRATIONS[version](opening.result, opening.transaction);
    }
  };
  return request(opening);
}

/** A song name from a sidecar, or null when it holds none worth trusting. */
function nameFromSidecar(sidecar) {
  const name = typeof sidecar?.name === 'string' ? sidecar.name.trim() : '';
  return name && name.length <= MAX_NAME_CHARACTERS ? name : null;
}

function isoDate(milliseconds) {
  return new Date(milliseconds).toISOString().slice(0, 10);
}

/** SHA-256 of `bytes` as lowercase hex. */
export async function contentHash(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The name of an export Woodshed wrote into exports/ (openExportFile). */
const EXPORT_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.wav$/;

export class Library {
  #db;
  #layout;
  #channel;
  #listeners = new Set();
  #closedBecause = null;
  /**
   * Songs this tab is saving, or failed to save: id -> {record, saved, cancelled}. `saved`
   * settles when the save does; `record` carries `saving` or `saveError`.
   */
  #unstored = new Map();
  /** Test hook: a function called with the bytes written so far, which may throw or wait. */
  writeProbe = null;
  /** Test hook: awaited inside the lock between reading a record and writing it back. */
  updateProbe = null;
  /** Test hook: awaited once a new song's file is in originals/, before its record is written. */
  commitProbe = null;

  /**
   * Opens the library, moves files of an older layout into place and repairs it. `repaired`
   * on the result says what was done: {migratedFiles, temporaryFiles, recordsWithoutFiles,
   * recovered: [names], unreadable}. `describe(bytes)` reads a recovered file's
   * {format, duration, sampleRate, channels}, or throws when it cannot.
   */
  static async open({ describe }) {
    const library = new Library();
    library.#db = await openDatabase();
    library.#db.onversionchange = () => library.#closeForUpgrade();
    library.#layout = await openLayout();
    library.#channel = new BroadcastChannel(CHANNEL);
    library.#channel.onmessage = () => library.#notify();
    library.repaired = await library.#exclusive(() => library.#repair(describe));
    // Exports are handed over at once; Woodshed's own from an earlier visit (an hour old, so
    // not another tab's that is being handed over) are not needed. Other files are left alone.
    await library.#removeExports((name, file) => EXPORT_NAME.test(name) && file.lastModified < Date.now() - 3_600_000);
    return library;
  }

  /**
   * A new file for an export, written chunk by chunk: {writable, finish(), discard()}. It is
   * written as a temporary file (removed by the start-up repair if the page dies meanwhile);
   * finish(), after the writable is closed, moves it into exports/ and resolves with its File,
   * which stays readable until this page's next export or the next start.
   */
  async openExportFile() {
    await this.#removeExports((name) => this.#exportsMade.has(name));
    const file = await openTemporaryFile(this.#layout);
    const exports = this.#layout.exports;
    const name = `${crypto.randomUUID()}.wav`;
    return {
      writable: file.writable,
      finish: async () => {
        await file.moveTo(exports, name);
        this.#exportsMade.add(name);
        return (await exports.getFileHandle(name)).getFile();
      },
      discard: async () => {
        await file.discard();
        await exports.removeEntry(name).catch(() => {});
        this.#exportsMade.delete(name);
      },
    };
  }

  /** Names of the files in exports/ and tmp/, to check that nothing is left behind. */
  async exportFiles() {
    const names = [];
    for (const folder of ['exports', 'tmp']) {
      for await (const [name] of this.#layout[folder].entries()) names.push(`${folder}/${name}`);
    }
    return names;
  }

  #exportsMade = new Set();

  async #removeExports(matches) {
    const names = [];
    for await (const [name, handle] of this.#layout.exports.entries()) {
      if (handle.kind === 'file' && matches(name, await handle.getFile())) names.push(name);
    }
    for (const name of names) {
      await this.#layout.exports.removeEntry(name).catch(() => {});
      this.#exportsMade.delete(name);
    }
  }

  /** Calls `listener` after any change, in this tab or another. Returns the unsubscribe. */
  onChange(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener(message)` if another tab upgrades the library and this one must reload. */
  onClosed(listener) {
    this.#closedListener = listener;
  }

  #closedListener = null;

  /** Every record, oldest first, with the songs this tab is saving or failed to save. */
  async list() {
    const records = await this.#storedRecords();
    const stored = new Set(records.map((record) => record.id));
    for (const [id, entry] of this.#unstored) {
      if (!stored.has(id)) records.push(entry.record);
    }
    return records.sort((a, b) => a.dateAdded - b.dateAdded);
  }

  /** A song's record (one being saved, or unsaved, included), or null. */
  async get(id) {
    return (await this.#storedRecord(id)) ?? this.#unstored.get(id)?.record ?? null;
  }

  async #storedRecords() {
    return request(this.#store(TRACKS, 'readonly').getAll());
  }

  async #storedRecord(id) {
    return (await request(this.#store(TRACKS, 'readonly').get(id))) ?? null;
  }

  /**
   * Saves a song without waiting: it is listed at once (marked `saving: true`) and usable,
   * and {record, saved} comes back at once. `saved` resolves when the file and its record are
   * stored, or rejects with why not; then the song stays listed for this visit with
   * `saveError`, and nothing of it is stored. A song already stored (or being saved) is not
   * saved twice. `meta` is add()'s; deleting the song (remove) stops the save.
   */
  addInBackground(bytes, id, meta) {
    const being = this.#unstored.get(id);
    if (being && being.record.saving) return { record: being.record, saved: being.saved };
    const entry = {
      record: { ...this.#newRecord(id, meta, bytes.byteLength), saving: true },
      cancelled: false,
    };
    entry.saved = (async () => {
      try {
        await this.add(bytes, id, meta, () => entry.cancelled);
        this.#unstored.delete(id);
      } catch (error) {
        if (error instanceof CancelledError || entry.cancelled) {
          this.#unstored.delete(id);
        } else {
          const { saving, ...record } = entry.record;
          entry.record = { ...record, saveError: error.message };
        }
        throw error;
      } finally {
        this.#notify();
      }
    })();
    entry.saved.catch(() => {});  // the caller decides whom to tell
    this.#unstored.set(id, entry);
    this.#notify();
    return { record: entry.record, saved: entry.saved };
  }

  /**
   * The save of a song this tab is saving (see addInBackground), or null when none runs; with
   * no id, one that settles when every save and change of a record running now has.
   */
  saving(id = null) {
    if (id === null) {
      return Promise.allSettled([...[...this.#unstored.values()].map((entry) => entry.saved), ...this.#updates]);
    }
    const entry = this.#unstored.get(id);
    return entry?.record.saving ? entry.saved : null;
  }

  /**
   * Stores a file and its record, or returns the existing record when the same content is
   * already there. `meta`: {name, format, duration, sampleRate, channels}. `isCancelled` is
   * polled between chunks. Throws StorageFullError when the site's storage cannot hold it.
   * The copy runs outside the library's lock; only the commit (move and record) holds it.
   */
  async add(bytes, id, meta, isCancelled = () => false) {
    const existing = await this.#storedRecord(id);
    if (existing) return { record: existing, added: false };
    await this.checkRoom(bytes.byteLength);
    return withTemporaryFile(this.#layout, async (handle) => {
      try {
        await this.#write(handle, bytes, isCancelled);
      } catch (error) {
        if (error?.name === 'QuotaExceededError') {
          throw new StorageFullError(`the storage filled up while it was being saved (${megabytes(bytes.byteLength)}); delete some songs`);
        }
        throw error;
      }
      return this.#exclusive(() => this.#commit(handle, bytes.byteLength, id, meta));
    });
  }

  /**
   * Throws StorageFullError, with the figures, when the site's storage cannot take a file of
   * `bytes` (as far as the browser's estimate tells: a write may still find it full).
   */
  async checkRoom(bytes) {
    const { usage = 0, quota = Infinity } = await navigator.storage.estimate();
    if (usage + bytes > quota) {
      throw new StorageFullError(`there is not enough storage: it needs ${megabytes(bytes)} and `
        + `${megabytes(Math.max(0, quota - usage))} of ${megabytes(quota)} is free; delete some songs`);
    }
  }

  /** The stored file's bytes (after its save, for a song being saved). */
  async read(id) {
    await this.#settled(id);
    const unsaved = this.#unstored.get(id)?.record.saveError;
    if (unsaved) throw new Error(`it was not saved (${unsaved}); import it again`);
    const handle = await this.#layout.originals.getFileHandle(id);
    return (await handle.getFile()).arrayBuffer();
  }

  /** Deletes a song: its file, its sidecar and its record. Returns false if it was not there. */
  async remove(id) {
    const unstored = this.#unstored.get(id);
    if (unstored) {
      unstored.cancelled = true;  // a save stops at its next chunk and leaves nothing
      await unstored.saved.catch(() => {});
      this.#unstored.delete(id);
    }
    return this.#exclusive(async () => {
      const existing = await this.#storedRecord(id) ?? (unstored ? unstored.record : null);
      await this.#layout.originals.removeEntry(id).catch(() => {});
      await this.#layout.originals.removeEntry(`${id}${SIDECAR_SUFFIX}`).catch(() => {});
      await request(this.#store(TRACKS, 'readwrite').delete(id));
      this.#changed();
      return existing !== null;
    });
  }

  /** Renames a song; its file and everything else stay. */
  async rename(id, name) {
    const trimmed = String(name).trim();
    if (!trimmed) throw new Error('a song needs a name');
    if (trimmed.length > MAX_NAME_CHARACTERS) throw new Error(`a song name can have at most ${MAX_NAME_CHARACTERS} characters`);
    await this.#update(id, (record) => ({ ...record, name: trimmed }));
  }

  /**
   * Keeps one of the settings recalled with a song (the engine's recall table, src/engine/recall.h), inside
   * the lock, so recalls of different settings from two tabs never overwrite each other.
   */
  async setRecall(id, key, value) {
    await this.setRecalls(id, { [key]: value });
  }

  /** Keeps several recalled settings of a song at once ({key: value}), in one update. */
  async setRecalls(id, values) {
    await this.#update(id, (record) => ({ ...record, recall: { ...record.recall, ...values } }));
  }

  /** A song's markers, sorted by time ([] when it has none). */
  async markers(id) {
    const record = await this.get(id);
    if (!record) throw new Error('that song is not in the library');
    return record.markers ?? [];
  }

  /** Adds a marker to a song ({name?, seconds, color?}, checked by markers.js); returns its id. */
  async addMarker(id, spec) {
    const markerId = newMarkerId();
    await this.#update(id, (record) => ({ ...record, markers: withMarkerAdded(record.markers ?? [], spec, record.duration, markerId) }));
    return markerId;
  }

  /** Changes a marker's name, time or colour (found by its id in whichever song has it). */
  async updateMarker(markerId, changes) {
    await this.#updateMarkers(markerId, (markers, record) => withMarkerUpdated(markers, markerId, changes, record.duration));
  }

  /** Deletes a marker. */
  async removeMarker(markerId) {
    await this.#updateMarkers(markerId, (markers) => markers.filter((m) => m.id !== markerId));
  }

  // Finds the song holding a marker and changes its markers, all inside the lock.
  async #updateMarkers(markerId, change) {
    const holder = (await this.list()).find((r) => r.markers?.some((m) => m.id === markerId));
    if (!holder) throw new Error('that marker is not there');
    await this.#update(holder.id, (record) => {
      if (!record.markers?.some((m) => m.id === markerId)) throw new Error('that marker is not there');
      return { ...record, markers: change(record.markers, record) };
    });
  }

  /**
   * Keeps a song's beat grid ({bpm, offsetSeconds, beatsPerBar, source, ...}; beat-grid.js).
   * With `unlessSet`, a grid the song already has (one the user set meanwhile) stays; returns
   * whether this one was kept.
   */
  async setBeatGrid(id, grid, { unlessSet = false } = {}) {
    let kept = true;
    await this.#update(id, (record) => {
      if (unlessSet && record.beatGrid) {
        kept = false;
        return record;
      }
      return { ...record, beatGrid: grid };
    });
    return kept;
  }

  /**
   * Keeps a song's tuning from A440: {offsetCents} (-50..+50), or {offsetCents: null} when the
   * analysis found too few steady partials to tell (so it is not run again).
   */
  async setTuning(id, tuning) {
    await this.#update(id, (record) => ({ ...record, tuning }));
  }

  /** Remembers when a song was last played and where. */
  async notePlayback(id, positionSeconds) {
    await this.#update(id, (record) => ({ ...record, lastPlayed: Date.now(), lastPosition: positionSeconds }), false);
  }

  async setting(key) {
    return (await request(this.#store(SETTINGS, 'readonly').get(key))) ?? null;
  }

  async setSetting(key, value) {
    await request(this.#store(SETTINGS, 'readwrite').put(value, key));
  }

  /** {usedBytes, quotaBytes, persisted}. */
  async storage() {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
    return { usedBytes: usage, quotaBytes: quota, persisted };
  }

  /** Asks the browser to keep the library when it is short of space. */
  async askToPersist() {
    try {
      return navigator.storage.persist ? await navigator.storage.persist() : false;
    } catch {
      return false;
    }
  }

  // Under the lock: moves a complete temporary file into originals/ and records it.
  async #commit(handle, size, id, meta) {
    const existing = await this.#storedRecord(id);
    const originals = this.#layout.originals;
    // Listed since the save began (addInBackground): it keeps the date it was listed with.
    const listed = this.#unstored.get(id)?.record;
    const record = { ...this.#newRecord(id, meta, size), ...(listed ? { dateAdded: listed.dateAdded } : {}) };
    if (existing || (await exists(originals, id))) {
      // Another tab stored the same content meanwhile (or an unrecorded copy is there): one file.
      await this.#layout.tmp.removeEntry(handle.name).catch(() => {});
      if (existing) return { record: existing, added: false };
    } else {
      // The sidecar first: a page closed before the record is written leaves an original that
      // the next start recovers with its name (a sidecar without its original is removed).
      await this.#writeSidecar(id, { name: record.name, dateAdded: record.dateAdded }).catch(() => {});
      await handle.move(originals, id);
    }
    try {
      await this.commitProbe?.();  // tests fail here: the file is in place, its record not yet
      await request(this.#store(TRACKS, 'readwrite').put(record));
    } catch (error) {
      await originals.removeEntry(id).catch(() => {});
      await originals.removeEntry(`${id}${SIDECAR_SUFFIX}`).catch(() => {});
      throw error;
    }
    this.#changed();
    return { record, added: true };
  }

  #newRecord(id, meta, size) {
    return {
      id,
      name: meta.name,
      format: meta.format,
      duration: meta.duration,
      sampleRate: meta.sampleRate,
      channels: meta.channels,
      size,
      hash: id,
      dateAdded: Date.now(),
      lastPlayed: null,
      lastPosition: 0,
    };
  }

  // Waits for a song's save, if this tab is saving it (whatever its outcome).
  async #settled(id) {
    await this.#unstored.get(id)?.saved.catch(() => {});
  }

  async #writeSidecar(id, content) {
    const handle = await this.#layout.originals.getFileHandle(`${id}${SIDECAR_SUFFIX}`, { create: true });
    const writable = await handle.createWritable();
    await writable.write(JSON.stringify(content));
    await writable.close();
  }

  async #readSidecar(id) {
    try {
      const file = await (await this.#layout.originals.getFileHandle(`${id}${SIDECAR_SUFFIX}`)).getFile();
      if (file.size > 64 * 1024) return null;
      return JSON.parse(await file.text());
    } catch {
      return null;  // missing or damaged: the song is recovered without its name
    }
  }

  // Read-modify-write inside the lock, so no tab's update is lost.
  // A song being saved is changed once it is stored (so the change is stored with it); one
  // whose save failed is changed in memory, for this visit.
  #update(id, change, announce = true) {
    const update = this.#applyUpdate(id, change, announce);
    const tracked = update.catch(() => {}).finally(() => this.#updates.delete(tracked));
    this.#updates.add(tracked);
    return update;
  }

  #updates = new Set();  // changes of records running now (saving() waits for them)

  async #applyUpdate(id, change, announce) {
    await this.#settled(id);
    const unsaved = this.#unstored.get(id);
    if (unsaved) {
      unsaved.record = change(unsaved.record);
      if (announce) this.#notify();
      return;
    }
    await this.#exclusive(async () => {
      const record = await this.#storedRecord(id);
      if (!record) throw new Error('that song is not in the library');
      await this.updateProbe?.();  // tests widen the window between the read and the write here
      await request(this.#store(TRACKS, 'readwrite').put(change(record)));
    });
    if (announce) this.#changed();
  }

  async #write(handle, bytes, isCancelled) {
    const writable = await handle.createWritable();
    try {
      const view = new Uint8Array(bytes);
      for (let offset = 0; offset < view.length; offset += WRITE_CHUNK_BYTES) {
        if (isCancelled()) throw new CancelledError();
        const chunk = view.subarray(offset, Math.min(view.length, offset + WRITE_CHUNK_BYTES));
        await writable.write(chunk);
        await this.writeProbe?.(offset + chunk.length);
      }
      await writable.close();
    } catch (error) {
      await writable.abort().catch(() => {});
      throw error;
    }
  }

  async #repair(describe) {
    const repaired = {
      migratedFiles: await migrateLayout(this.#layout),
      temporaryFiles: await removeAbandonedTemporaryFiles(this.#layout),
      recordsWithoutFiles: 0,
      recovered: [],
      unreadable: 0,
    };
    const records = new Map((await this.#storedRecords()).map((record) => [record.id, record]));
    const originals = new Map();
    const sidecars = new Set();
    for await (const [name, handle] of this.#layout.originals.entries()) {
      if (ORIGINAL_NAME.test(name)) originals.set(name, handle);
      else if (name.endsWith(SIDECAR_SUFFIX)) sidecars.add(name.slice(0, -SIDECAR_SUFFIX.length));
    }
    for (const [id, handle] of originals) {
      if (records.has(id)) continue;
      const record = await this.#recover(id, handle, describe);
      await request(this.#store(TRACKS, 'readwrite').put(record));
      await this.#writeSidecar(id, { name: record.name, dateAdded: record.dateAdded }).catch(() => {});
      repaired.recovered.push(record.name);
      if (record.format === null) repaired.unreadable += 1;
    }
    for (const id of records.keys()) {
      if (!originals.has(id)) {
        await request(this.#store(TRACKS, 'readwrite').delete(id));
        repaired.recordsWithoutFiles += 1;
      }
    }
    for (const id of sidecars) {
      if (!originals.has(id)) await this.#layout.originals.removeEntry(`${id}${SIDECAR_SUFFIX}`).catch(() => {});
    }
    return repaired;
  }

  // A record for an original that lost its own: read again from the file and its sidecar.
  async #recover(id, handle, describe) {
    const file = await handle.getFile();
    const sidecar = await this.#readSidecar(id);
    const dateAdded = Number.isFinite(sidecar?.dateAdded) ? sidecar.dateAdded : file.lastModified;
    let facts = { format: null, duration: 0, sampleRate: 0, channels: 0 };
    try {
      facts = await describe(await file.arrayBuffer());
    } catch {
      // Kept and listed all the same: loading it says why it cannot play, and the user decides.
    }
    return {
      id,
      name: nameFromSidecar(sidecar) ?? `Recovered song ${isoDate(dateAdded)}`,
      format: facts.format,
      duration: facts.duration,
      sampleRate: facts.sampleRate,
      channels: facts.channels,
      size: file.size,
      hash: id,
      dateAdded,
      lastPlayed: null,
      lastPosition: 0,
      recovered: true,
    };
  }

  #exclusive(work) {
    return navigator.locks.request(LOCK, work);
  }

  #store(name, mode) {
    if (this.#closedBecause) throw new Error(this.#closedBecause);
    return this.#db.transaction(name, mode).objectStore(name);
  }

  // A newer Woodshed in another tab upgrades the database: let it, and say this tab must reload.
  #closeForUpgrade() {
    this.#db.close();
    this.#closedBecause = 'Woodshed was updated in another tab; reload this page to use the library';
    this.#closedListener?.(this.#closedBecause);
  }

  #changed() {
    this.#channel.postMessage({ type: 'changed' });
    this.#notify();
  }

  #notify() {
    for (const listener of this.#listeners) listener();
  }
}
