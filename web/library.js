// The song library that survives reloads: original files in the Origin Private File System,
// their metadata in IndexedDB.
//
// - Files are named by the SHA-256 of their content, so the same song imported twice is one
//   entry.
// - Adding is all-or-nothing: the file is written under a temporary name, moved to its final
//   name when complete, and only then gets its record. A failure or cancel removes the
//   temporary file; at start-up, stray temporary files, files without records and records
//   without files are removed, and what was repaired is reported.
// - Every change happens inside one Web Lock shared by all tabs, so two tabs cannot interleave
//   a read-modify-write; after a change the tab tells the others on a BroadcastChannel.

const DB_NAME = 'woodshed';
const DB_VERSION = 1;
const TRACKS = 'tracks';
const SETTINGS = 'settings';
const LOCK = 'woodshed-library';
const CHANNEL = 'woodshed-library';
const DIRECTORY = 'library';
const TEMPORARY_PREFIX = 'incoming-';
const WRITE_CHUNK_BYTES = 1 << 20;

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
  opening.onupgradeneeded = () => {
    const db = opening.result;
    if (!db.objectStoreNames.contains(TRACKS)) db.createObjectStore(TRACKS, { keyPath: 'id' });
    if (!db.objectStoreNames.contains(SETTINGS)) db.createObjectStore(SETTINGS);
  };
  return request(opening);
}

/** SHA-256 of `bytes` as lowercase hex. */
export async function contentHash(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export class Library {
  #db;
  #directory;
  #channel;
  #listeners = new Set();
  /** Test hook: a function called with the bytes written so far, which may throw. */
  writeProbe = null;

  /**
   * Opens the library and repairs it (under the lock). `repaired` on the result says what was
   * removed: {temporaryFiles, filesWithoutRecords, recordsWithoutFiles}.
   */
  static async open() {
    const library = new Library();
    library.#db = await openDatabase();
    const root = await navigator.storage.getDirectory();
    library.#directory = await root.getDirectoryHandle(DIRECTORY, { create: true });
    library.#channel = new BroadcastChannel(CHANNEL);
    library.#channel.onmessage = () => library.#notify();
    library.repaired = await library.#exclusive(() => library.#repair());
    return library;
  }

  /** Calls `listener` after any change, in this tab or another. Returns the unsubscribe. */
  onChange(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every record, oldest first. */
  async list() {
    const records = await request(this.#store(TRACKS, 'readonly').getAll());
    return records.sort((a, b) => a.dateAdded - b.dateAdded);
  }

  async get(id) {
    return (await request(this.#store(TRACKS, 'readonly').get(id))) ?? null;
  }

  /**
   * Stores a file and its record, or returns the existing record when the same content is
   * already there. `meta`: {name, format, duration, sampleRate, channels}. `isCancelled` is
   * polled between chunks. Throws StorageFullError when the site's storage cannot hold it.
   */
  async add(bytes, id, meta, isCancelled = () => false) {
    return this.#exclusive(async () => {
      const existing = await this.get(id);
      if (existing) return { record: existing, added: false };
      const { usage = 0, quota = Infinity } = await navigator.storage.estimate();
      if (usage + bytes.byteLength > quota) {
        throw new StorageFullError(`there is not enough storage: it needs ${megabytes(bytes.byteLength)} and `
          + `${megabytes(Math.max(0, quota - usage))} of ${megabytes(quota)} is free; delete some songs`);
      }
      const temporaryName = `${TEMPORARY_PREFIX}${crypto.randomUUID()}`;
      const handle = await this.#directory.getFileHandle(temporaryName, { create: true });
      try {
        await this.#write(handle, bytes, isCancelled);
        await handle.move(this.#directory, id);
      } catch (error) {
        await this.#directory.removeEntry(temporaryName).catch(() => {});
        if (error?.name === 'QuotaExceededError') {
          throw new StorageFullError(`the storage filled up while it was being saved (${megabytes(bytes.byteLength)}); delete some songs`);
        }
        throw error;
      }
      const record = {
        id,
        name: meta.name,
        format: meta.format,
        duration: meta.duration,
        sampleRate: meta.sampleRate,
        channels: meta.channels,
        size: bytes.byteLength,
        hash: id,
        dateAdded: Date.now(),
        lastPlayed: null,
        lastPosition: 0,
      };
      try {
        await request(this.#store(TRACKS, 'readwrite').put(record));
      } catch (error) {
        await this.#directory.removeEntry(id).catch(() => {});
        throw error;
      }
      this.#changed();
      return { record, added: true };
    });
  }

  /** The stored file's bytes. */
  async read(id) {
    const handle = await this.#directory.getFileHandle(id);
    return (await handle.getFile()).arrayBuffer();
  }

  /** Deletes a song: its file and its record. Returns false if it was not there. */
  async remove(id) {
    return this.#exclusive(async () => {
      const existing = await this.get(id);
      await this.#directory.removeEntry(id).catch(() => {});
      if (existing) await request(this.#store(TRACKS, 'readwrite').delete(id));
      this.#changed();
      return existing !== null;
    });
  }

  /** Renames a song; its file and everything else stay. */
  async rename(id, name) {
    const trimmed = String(name).trim();
    if (!trimmed) throw new Error('a song needs a name');
    if (trimmed.length > 500) throw new Error('a song name can have at most 500 characters');
    await this.#update(id, (record) => ({ ...record, name: trimmed }));
  }

  /** Keeps a song's playback gain (from loudness normalization). */
  async setTrackGain(id, gainDb) {
    await this.#update(id, (record) => ({ ...record, gainDb }));
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

  // Read-modify-write inside the lock, so no tab's update is lost.
  async #update(id, change, announce = true) {
    await this.#exclusive(async () => {
      const record = await this.get(id);
      if (!record) throw new Error('that song is not in the library');
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
        this.writeProbe?.(offset + chunk.length);
      }
      await writable.close();
    } catch (error) {
      await writable.abort().catch(() => {});
      throw error;
    }
  }

  async #repair() {
    const records = new Map((await this.list()).map((record) => [record.id, record]));
    const repaired = { temporaryFiles: 0, filesWithoutRecords: 0, recordsWithoutFiles: 0 };
    const files = new Set();
    for await (const [name] of this.#directory.entries()) files.add(name);
    for (const name of files) {
      if (name.startsWith(TEMPORARY_PREFIX)) {
        await this.#directory.removeEntry(name);
        repaired.temporaryFiles += 1;
      } else if (!records.has(name)) {
        await this.#directory.removeEntry(name);
        repaired.filesWithoutRecords += 1;
      }
    }
    for (const id of records.keys()) {
      if (!files.has(id)) {
        await request(this.#store(TRACKS, 'readwrite').delete(id));
        repaired.recordsWithoutFiles += 1;
      }
    }
    return repaired;
  }

  #exclusive(work) {
    return navigator.locks.request(LOCK, work);
  }

  #store(name, mode) {
    return this.#db.transaction(name, mode).objectStore(name);
  }

  #changed() {
    this.#channel.postMessage({ type: 'changed' });
    this.#notify();
  }

  #notify() {
    for (const listener of this.#listeners) listener();
  }
}
