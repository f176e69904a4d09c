// Where Woodshed keeps files in the Origin Private File System. The layout is defined here and
// nowhere else, so that stems, exports or caches are never mistaken for songs:
//
//   library/originals/<sha-256>        a song as the user imported it (named by its content)
//   library/originals/<sha-256>.json   what the song was called and when it came, for recovery
//   library/stems/                     separated stems (reserved for the stems feature)
//   library/exports/                   renders waiting to be handed over (reserved for export)
//   library/tmp/<uuid>                 a file being written; it moves into place when complete
//
// Only originals are songs: start-up repair re-indexes an original that lost its record, and
// never touches the other folders' files as songs. A temporary file is held under a Web Lock of
// its own for as long as it is written, so a repair in another tab removes only temporary files
// nobody holds (left by a crash or a closed tab).

export const LIBRARY_DIRECTORY = 'library';
export const FOLDERS = Object.freeze({ originals: 'originals', stems: 'stems', exports: 'exports', tmp: 'tmp' });
/** A stored original's name: the SHA-256 of its content, in lowercase hex. */
export const ORIGINAL_NAME = /^[0-9a-f]{64}$/;
/** The sidecar of an original: `<sha-256>.json`. */
export const SIDECAR_SUFFIX = '.json';
/** Names temporary files had before this layout (they lay beside the songs). */
const OLD_TEMPORARY_PREFIX = 'incoming-';
const TEMPORARY_LOCK_PREFIX = 'woodshed-tmp:';

/** Opens (creating as needed) every folder of the layout: {library, originals, stems, exports, tmp}. */
export async function openLayout() {
  const root = await navigator.storage.getDirectory();
  const library = await root.getDirectoryHandle(LIBRARY_DIRECTORY, { create: true });
  const layout = { library };
  for (const [key, name] of Object.entries(FOLDERS)) {
    layout[key] = await library.getDirectoryHandle(name, { create: true });
  }
  return layout;
}

/**
 * Moves files of the layout before this one (songs and temporary files directly in library/)
 * into their folders. Never deletes a file. Returns how many it moved.
 */
export async function migrateLayout(layout) {
  let moved = 0;
  const files = [];
  for await (const [name, handle] of layout.library.entries()) {
    if (handle.kind === 'file') files.push([name, handle]);
  }
  for (const [name, handle] of files) {
    if (ORIGINAL_NAME.test(name)) {
      if (await exists(layout.originals, name)) continue;  // cannot happen (each move is atomic); keep both
      await handle.move(layout.originals, name);
      moved += 1;
    } else if (name.startsWith(OLD_TEMPORARY_PREFIX)) {
      await handle.move(layout.tmp, name);
      moved += 1;
    }
  }
  return moved;
}

/**
 * Runs `work(handle, name)` with a new temporary file that stays locked (a Web Lock of its own)
 * until `work` settles. `work` moves the file into place or removes it; if it throws, the file
 * is removed here.
 */
export async function withTemporaryFile(layout, work) {
  const name = crypto.randomUUID();
  return navigator.locks.request(`${TEMPORARY_LOCK_PREFIX}${name}`, async () => {
    const handle = await layout.tmp.getFileHandle(name, { create: true });
    try {
      return await work(handle, name);
    } catch (error) {
      await layout.tmp.removeEntry(name).catch(() => {});
      throw error;
    }
  });
}

/**
 * Opens a new temporary file for writing and holds its lock until it is finished or discarded,
 * for work that cannot run inside one callback (an export written chunk by chunk):
 * {handle, writable, moveTo(directory, name) (after closing: moves it, releases the lock),
 * discard() (removes it, releases the lock)}.
 */
export async function openTemporaryFile(layout) {
  const name = crypto.randomUUID();
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await new Promise((granted) => {
    navigator.locks.request(`${TEMPORARY_LOCK_PREFIX}${name}`, () => { granted(); return held; });
  });
  try {
    const handle = await layout.tmp.getFileHandle(name, { create: true });
    const writable = await handle.createWritable();
    return {
      handle,
      writable,
      async moveTo(directory, finalName) {
        try {
          await handle.move(directory, finalName);
        } finally {
          release();
        }
      },
      async discard() {
        await layout.tmp.removeEntry(name).catch(() => {});
        release();
      },
    };
  } catch (error) {
    await layout.tmp.removeEntry(name).catch(() => {});
    release();
    throw error;
  }
}

/**
 * Removes temporary files that no tab is writing (their lock is free). Returns how many.
 */
export async function removeAbandonedTemporaryFiles(layout) {
  const names = [];
  for await (const [name] of layout.tmp.entries()) names.push(name);
  let removed = 0;
  for (const name of names) {
    await navigator.locks.request(`${TEMPORARY_LOCK_PREFIX}${name}`, { ifAvailable: true }, async (lock) => {
      if (!lock) return;  // another tab is writing it
      await layout.tmp.removeEntry(name).catch(() => {});
      removed += 1;
    });
  }
  return removed;
}

/** Whether `directory` holds a file called `name`. */
export async function exists(directory, name) {
  try {
    await directory.getFileHandle(name);
    return true;
  } catch {
    return false;
  }
}
