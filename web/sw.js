// Woodshed's service worker: makes the app cross-origin isolated on any static host and lets it
// start offline. Built by tools/lib/build-sw.mjs (workbox-build injectManifest), which fills in
// the precache manifest below and copies Workbox next to this file.
//
// - Isolation: every same-origin response it serves gets Cross-Origin-Opener-Policy:
//   same-origin, Cross-Origin-Embedder-Policy: require-corp and Cross-Origin-Resource-Policy:
//   same-origin, unless the server already set them. Never `cross-origin`. Cross-origin requests
//   are not touched.
// - Offline: the app shell is precached with content revisions; a response is cached only if it
//   is a complete same-origin 200 of the type its file name promises. A version whose files fail
//   that check does not install, and the running version stays.
// - Updates: the very first install takes over at once (the page reloads once to become
//   isolated); later versions wait until every tab of the old one is closed.

importScripts('workbox/workbox-sw.js', 'cache-budgets.js');
workbox.setConfig({ modulePathPrefix: 'workbox/', debug: false });

// Workbox loads modules lazily, which a service worker may only do while it is first evaluated:
// touch every module used here now.
const { precaching, routing, strategies, core } = workbox;
core.setCacheNameDetails({ prefix: 'woodshed' });  // before any cache is named

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// What each kind of file must be served as. A file whose response says otherwise (an HTML
// error page for a .wasm...) is not cached.
const EXPECTED_TYPES = [
  [/\.wasm$/, /^application\/wasm\b/],
  [/\.(m?js)$/, /^(text|application)\/(javascript|ecmascript|x-javascript)\b/],
  [/\.css$/, /^text\/css\b/],
  [/\.webmanifest$/, /^application\/(manifest\+json|json)\b/],
  [/\.json$/, /^application\/json\b/],
  [/\.png$/, /^image\/png\b/],
  [/\.svg$/, /^image\/svg\+xml\b/],
  [/(\.html|\/)$/, /^text\/html\b/],
];

function isSameOrigin(url) {
  return new URL(url, self.location.href).origin === self.location.origin;
}

/**
 * Why `response` to `request` must not be cached, or null when it may be. With readBody false
 * the caller reads the body itself (a body that does not arrive in full fails that read).
 */
async function cacheRefusal(request, response, { readBody = true } = {}) {
  if (!response) return 'no response';
  if (response.type === 'opaque' || response.type === 'opaqueredirect') return `${response.type} response`;
  if (response.redirected || (response.status >= 300 && response.status < 400)) return 'redirected';
  if (response.status !== 200) return `status ${response.status}`;
  if (!isSameOrigin(response.url || request.url)) return 'not same-origin';
  const path = new URL(request.url).pathname;
  const type = response.headers.get('Content-Type') || '';
  for (const [file, expected] of EXPECTED_TYPES) {
    if (file.test(path)) {
      if (!expected.test(type)) return `served as "${type}"`;
      break;
    }
  }
  // Complete means the whole body arrived: the network stack fails the read of a body cut
  // short, and precached files also carry an integrity hash. Content-Length says nothing here:
  // a host that compresses (Content-Encoding: gzip, br) gives the compressed length, and the
  // body Workbox sees is the decoded one.
  if (!readBody) return null;
  try {
    await response.clone().arrayBuffer();
  } catch (error) {
    return `body could not be read completely (${error.message})`;
  }
  return null;
}

/** Refuses to cache anything but a complete same-origin 200 of the expected type. */
const validateBeforeCaching = {
  async cacheWillUpdate({ request, response }) {
    const refusal = await cacheRefusal(request, response);
    if (refusal) {
      console.warn(`Woodshed service worker: not caching ${request.url}: ${refusal}`);
      return null;
    }
    return response;
  },
};

/** Adds the isolation headers to same-origin responses that lack them. */
const addIsolationHeaders = {
  async handlerWillRespond({ request, response }) {
    // A redirect answered to a navigation (redirect mode 'manual') is an opaqueredirect: it
    // must reach the browser as it is, which then navigates to the new address (and comes
    // back through this worker). Rebuilding it would fail (status 0) and break the navigation.
    if (!response || response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0
      || !isSameOrigin(request.url)) return response;
    const missing = Object.entries(ISOLATION_HEADERS).filter(([name]) => !response.headers.has(name));
    if (missing.length === 0) return response;
    const headers = new Headers(response.headers);
    for (const [name, value] of missing) headers.set(name, value);
    // The body as a Blob, not its stream piped through this worker: with piped streams, a
    // waiting version sometimes never took over (Chromium 156), so no update could install.
    const body = [101, 204, 205, 304].includes(response.status) ? null : await response.blob();
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  },
};

precaching.addPlugins([validateBeforeCaching, addIsolationHeaders]);
precaching.precacheAndRoute(self.__WB_MANIFEST, {
  // The app reads its own query (?test...); every URL of a precached file maps to it.
  ignoreURLParametersMatching: [/.*/],
  directoryIndex: 'index.html',
});
precaching.cleanupOutdatedCaches();

// Songs a host publishes beside the app, under media/: cached (if they are audio and complete)
// within an entry, age and byte budget. Tests may lower the budgets through the worker's URL.
const workerParameters = new URL(self.location.href).searchParams;
const BUDGETS = {
  ...self.WOODSHED_CACHE_BUDGETS,
  ...(workerParameters.has('mediaMaxBytes') ? { mediaMaxBytes: Number(workerParameters.get('mediaMaxBytes')) } : {}),
  ...(workerParameters.has('mediaMaxEntries') ? { mediaMaxEntries: Number(workerParameters.get('mediaMaxEntries')) } : {}),
};
const MEDIA_PATH = new URL('media/', self.registration.scope).pathname;
const USAGE_CACHE = 'woodshed-media-usage';
/** Where versions before the usage cache kept the same records; removed on activation. */
const OLD_USAGE_DB = 'woodshed-media-usage';

// Songs a host publishes under media/ are served and budgeted by hand, with no IndexedDB in
// this worker: in Chromium 156, once the worker had deleted IndexedDB records (Workbox's
// expiration does when entries run out, and this budget's own records did), a waiting version
// never took over when asked (skipWaiting), so no update could install. The body is read once
// into a Blob and each Response is made from it, rather than split with clone().

// What the budgets know of each cached song, {bytes, lastUsed, cachedAt}, one JSON entry per
// song in a small cache of its own.
const usage = {
  key: (url) => new Request(`${MEDIA_PATH}.usage?url=${encodeURIComponent(url)}`),
  async put(url, record) {
    const cache = await caches.open(USAGE_CACHE);
    await cache.put(this.key(url), new Response(JSON.stringify(record), { headers: { 'Content-Type': 'application/json' } }));
  },
  async get(url) {
    const response = await (await caches.open(USAGE_CACHE)).match(this.key(url));
    return response ? response.json() : null;
  },
  async forget(url) {
    await (await caches.open(USAGE_CACHE)).delete(this.key(url));
  },
  /** Every record: [{url, bytes, lastUsed}]. */
  async all() {
    const cache = await caches.open(USAGE_CACHE);
    const records = [];
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const url = new URL(request.url).searchParams.get('url');
      if (response && url) records.push({ url, ...(await response.json()) });
    }
    return records;
  },
};

/** A Response made from `body`, with `response`'s status and headers plus the isolation headers. */
function responseFrom(response, body) {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) {
    if (!headers.has(name)) headers.set(name, value);
  }
  // The body is the decoded one: the host's Content-Encoding and Content-Length no longer apply.
  headers.delete('Content-Encoding');
  headers.set('Content-Length', String(body.size));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * Serves a published song: from the cache when it holds it, else from the network. A complete
 * same-origin 200 of an audio type is kept, within the entry, age and byte budgets (Workbox
 * limits entries and age but not bytes): the least recently used songs are evicted first, and a
 * song larger than the whole byte budget is played but not kept.
 */
async function serveMedia({ request }) {
  const cache = await caches.open(BUDGETS.mediaCacheName);
  const cached = await cache.match(request);
  const record = cached ? await usage.get(request.url) : null;
  if (cached && !(record && isExpired(record))) {
    noteMediaUse(request.url, record).catch(() => {});
    return cached;
  }
  const response = await fetch(request);
  const type = response.headers.get('Content-Type') || '';
  const refusal = await cacheRefusal(request, response, { readBody: false });
  if (refusal || !/^(audio\/|application\/ogg\b)/.test(type)) return response;
  // Throws, and so fails the page's fetch, when the body does not arrive in full.
  const body = await response.blob();
  // The bookkeeping runs beside the response, not in the event's waitUntil: with it there, a
  // waiting version often never took over. A worker stopped half-way leaves at most a song
  // without its record, which the next makeRoom counts from its stored body.
  if (body.size <= BUDGETS.mediaMaxBytes) keepMedia(cache, request, response, body).catch(() => {});
  return responseFrom(response, body);
}

// Songs are kept one at a time: the budget's bookkeeping reads the cache and the records and
// then changes them, which two songs arriving at once must not interleave.
let mediaBookkeeping = Promise.resolve();

function keepMedia(cache, request, response, body) {
  const work = () => keepMediaNow(cache, request, response, body);
  const done = mediaBookkeeping.then(work, work);
  mediaBookkeeping = done.catch(() => {});
  return done;
}

// Makes room first, then stores: the cache never holds more than its budgets, not even for a
// moment.
async function keepMediaNow(cache, request, response, body) {
  await makeRoom(cache, request.url, body.size);
  try {
    await cache.put(request, responseFrom(response, body));
  } catch (error) {
    console.warn(`Woodshed service worker: not caching ${request.url}: ${error.message}`);
    return;
  }
  const now = Date.now();
  await usage.put(request.url, { bytes: body.size, lastUsed: now, cachedAt: now });
}

function isExpired(record) {
  return Date.now() - (record.cachedAt ?? 0) > BUDGETS.mediaMaxAgeSeconds * 1000;
}

async function noteMediaUse(url, record) {
  if (record) await usage.put(url, { ...record, lastUsed: Date.now() });
}

/**
 * Evicts what a new song of `bytes` for `url` needs: songs older than the age budget, then the
 * least recently used until the song fits both the entry and the byte budget. Each step
 * removes one entry, and there are finitely many, so it cannot loop.
 */
async function makeRoom(cache, url, bytes) {
  const cached = new Set((await cache.keys()).map((r) => r.url));
  cached.delete(url);  // a new copy of the same song replaces it
  const entries = await usage.all();
  // A song without a record (a worker stopped mid-way) is counted from its stored body.
  const recorded = new Set(entries.map((e) => e.url));
  for (const cachedUrl of cached) {
    if (recorded.has(cachedUrl)) continue;
    const stored = await cache.match(cachedUrl);
    if (!stored) continue;
    const record = { bytes: (await stored.blob()).size, lastUsed: 0, cachedAt: Date.now() };
    await usage.put(cachedUrl, record);
    entries.push({ url: cachedUrl, ...record });
  }
  const live = entries.filter((e) => cached.has(e.url)).sort((a, b) => a.lastUsed - b.lastUsed);
  let total = live.reduce((sum, e) => sum + e.bytes, 0) + bytes;
  let count = live.length + 1;
  const forgotten = entries.filter((e) => !cached.has(e.url) && e.url !== url).map((e) => e.url);
  for (const entry of live) {
    const over = total > BUDGETS.mediaMaxBytes || count > BUDGETS.mediaMaxEntries;
    if (!over && !isExpired(entry)) continue;
    await cache.delete(entry.url);
    forgotten.push(entry.url);
    total -= entry.bytes;
    count -= 1;
  }
  for (const forgottenUrl of forgotten) await usage.forget(forgottenUrl);
}

routing.registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith(MEDIA_PATH),
  serveMedia,
);

// Files shared with the installed app (manifest share_target). A service worker cannot tell a
// genuine share from a form any website posts here (Origin, Sec-Fetch-* and the referrer are
// not to be trusted), so shared files wait in a quarantine: the page asks the user whether to
// import them, and nothing is imported without that click. The quarantine is bounded in files,
// bytes and age (cache-budgets.js); files beyond a bound are refused, and the page says how many.
const SHARE_PATH = new URL('share-target', self.registration.scope).pathname;

/** The quarantine's entries that are still fresh, dropping expired or damaged ones. */
async function freshSharedEntries(cache) {
  const entries = [];
  for (const request of await cache.keys()) {
    const fresh = self.woodshedFreshSharedEntry(await cache.match(request));
    if (fresh) entries.push({ request, size: fresh.size });
    else await cache.delete(request);
  }
  return entries;
}

routing.registerRoute(
  ({ url, request }) => request.method === 'POST' && url.pathname === SHARE_PATH,
  async ({ request }) => {
    let files = [];
    try {
      const form = await request.formData();
      files = form.getAll('audio').filter((file) => file instanceof File && file.size > 0);
    } catch {
      // Not a form: nothing to hold.
    }
    const cache = await caches.open(BUDGETS.sharedCacheName);
    const held = await freshSharedEntries(cache);
    let count = held.length;
    let bytes = held.reduce((sum, entry) => sum + entry.size, 0);
    let refused = 0;
    const now = Date.now();
    for (const [i, file] of files.entries()) {
      if (count >= BUDGETS.sharedMaxFiles || bytes + file.size > BUDGETS.sharedMaxBytes) {
        refused += 1;
        continue;
      }
      await cache.put(new Request(`shared/${now}-${i}-${crypto.randomUUID()}`, { method: 'GET' }), new Response(file, {
        headers: {
          'Content-Type': file.type || 'application/octet-stream',
          'X-File-Name': encodeURIComponent(file.name.slice(0, 500)),
          'X-File-Size': String(file.size),
          'X-Shared-At': String(now),
        },
      }));
      count += 1;
      bytes += file.size;
    }
    if (count === 0) await caches.delete(BUDGETS.sharedCacheName);
    const page = new URL('./', self.registration.scope);
    page.search = refused > 0 ? `shared&refused=${refused}` : 'shared';
    return Response.redirect(page.href, 303);
  },
  'POST',
);

// Other same-origin requests outside the precache still need the isolation headers; they go
// to the network and are not cached here.
routing.registerRoute(
  ({ url }) => url.origin === self.location.origin,
  new strategies.NetworkOnly({ plugins: [addIsolationHeaders] }),
);

self.addEventListener('install', () => {
  // The first version takes over at once so the page can become isolated; later versions wait.
  if (!self.registration.active) self.skipWaiting();
});

// The page asks a waiting version to take over once the user accepts the update.
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
  try {
    indexedDB.deleteDatabase(OLD_USAGE_DB);  // not waited for: nothing depends on it
  } catch { /* no IndexedDB here */ }
});
