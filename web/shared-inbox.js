// Files shared with Woodshed (the manifest's share_target) wait in the service worker's
// quarantine (sw.js) until the user answers "import them?": any website can post a form to the
// share target, so nothing shared reaches the library, or changes the current song, by itself.
// Expired entries are dropped here too, and an empty quarantine leaves no cache behind.

import './cache-budgets.js';

const BUDGETS = globalThis.WOODSHED_CACHE_BUDGETS;

export class SharedInbox {
  /** Calls `listener()` whenever the files waiting change. */
  onChange = null;

  /** The files waiting for the user's answer: [{name, type, size, sharedAt}], oldest first. */
  async list() {
    return (await this.#entries()).map(({ name, type, size, sharedAt }) => ({ name, type, size, sharedAt }));
  }

  /** The waiting files as File objects, removed from the quarantine. */
  async take() {
    const entries = await this.#entries();
    const files = [];
    for (const entry of entries) {
      const response = await entry.cache.match(entry.request);
      if (response) files.push(new File([await response.blob()], entry.name, { type: entry.type }));
    }
    await this.discard();
    return files;
  }

  /** Drops every waiting file. */
  async discard() {
    if (typeof caches !== 'undefined') await caches.delete(BUDGETS.sharedCacheName);
    this.onChange?.();
  }

  async #entries() {
    if (typeof caches === 'undefined' || !(await caches.has(BUDGETS.sharedCacheName))) return [];
    const cache = await caches.open(BUDGETS.sharedCacheName);
    const entries = [];
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const fresh = globalThis.woodshedFreshSharedEntry(response);
      if (!fresh) {
        await cache.delete(request);
        continue;
      }
      const { sharedAt, size } = fresh;
      let name = 'shared audio';
      try {
        name = decodeURIComponent(response.headers.get('X-File-Name') ?? name) || name;
      } catch { /* a malformed name: keep the default */ }
      entries.push({ cache, request, name, type: response.headers.get('Content-Type') ?? '', size, sharedAt });
    }
    if (entries.length === 0) await caches.delete(BUDGETS.sharedCacheName);
    return entries.sort((a, b) => a.sharedAt - b.sharedAt);
  }
}

/**
 * Shows the "N files were shared with Woodshed: import them?" banner while files wait, and
 * calls `accept()` or the inbox's discard on the user's click.
 */
export async function offerSharedFiles(inbox, accept) {
  const banner = document.getElementById('shared');
  const files = await inbox.list();
  if (files.length === 0) {
    banner.hidden = true;
    return;
  }
  const names = files.slice(0, 3).map((file) => `"${file.name}"`).join(', ') + (files.length > 3 ? ', \u2026' : '');
  document.getElementById('shared-text').textContent = files.length === 1
    ? `A file was shared with Woodshed (${names}): import it?`
    : `${files.length} files were shared with Woodshed (${names}): import them?`;
  banner.hidden = false;
  const answer = (work) => () => {
    banner.hidden = true;
    work().catch(() => {});
  };
  document.getElementById('shared-import').onclick = answer(accept);
  document.getElementById('shared-discard').onclick = answer(() => inbox.discard());
}
