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
const { precaching, routing, strategies, core, expiration } = workbox;
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

/** Why `response` to `request` must not be cached, or null when it may be. */
async function cacheRefusal(request, response) {
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
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
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

/** Caches only complete same-origin 200 responses of an audio type. */
const audioOnly = {
  async cacheWillUpdate({ request, response }) {
    const refusal = await cacheRefusal(request, response);
    const type = response?.headers.get('Content-Type') || '';
    if (refusal || !/^(audio\/|application\/ogg\b)/.test(type)) return null;
    return response;
  },
};

// What the byte budget knows of each cached song, {bytes, lastUsed}, kept in a small cache of
// its own (one JSON entry per song). Not IndexedDB: in Chromium a service worker that had
// deleted IndexedDB records never let a waiting version take over, so no update could install.
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

/**
 * Workbox limits entries and age but not bytes: this plugin keeps the media cache's total
 * size within BUDGETS.mediaMaxBytes, evicting the least recently used entries first, and
 * refuses an entry larger than the whole budget (it still plays). Each eviction removes one
 * entry, and there are finitely many, so it cannot loop.
 */
const byteBudget = {
  // Sizes are the bytes of the (decoded) body, never Content-Length, which a compressing host
  // gives for the compressed body.
  async cacheWillUpdate({ response }) {
    if (!response) return null;
    const bytes = (await response.clone().blob()).size;
    return bytes > BUDGETS.mediaMaxBytes ? null : response;
  },
  async cacheDidUpdate({ cacheName, request, newResponse }) {
    const bytes = (await newResponse.clone().blob()).size;
    await usage.put(request.url, { bytes, lastUsed: Date.now() });
    await enforceByteBudget(cacheName, request.url);
  },
  async cachedResponseWillBeUsed({ request, cachedResponse }) {
    if (cachedResponse) {
      const record = await usage.get(request.url);
      if (record) await usage.put(request.url, { ...record, lastUsed: Date.now() });
    }
    return cachedResponse;
  },
};

async function enforceByteBudget(cacheName, keep) {
  const cache = await caches.open(cacheName);
  const cached = new Set((await cache.keys()).map((r) => r.url));
  const entries = await usage.all();
  const live = entries.filter((e) => cached.has(e.url)).sort((a, b) => a.lastUsed - b.lastUsed);
  let total = live.reduce((sum, e) => sum + e.bytes, 0);
  const forgotten = entries.filter((e) => !cached.has(e.url)).map((e) => e.url);
  for (const entry of live) {
    if (total <= BUDGETS.mediaMaxBytes) break;
    if (entry.url === keep) continue;
    await cache.delete(entry.url);
    forgotten.push(entry.url);
    total -= entry.bytes;
  }
  for (const url of forgotten) await usage.forget(url);
}

routing.registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith(MEDIA_PATH),
  new strategies.CacheFirst({
    cacheName: BUDGETS.mediaCacheName,
    plugins: [
      audioOnly,
      byteBudget,
      new expiration.ExpirationPlugin({
        maxEntries: BUDGETS.mediaMaxEntries,
        maxAgeSeconds: BUDGETS.mediaMaxAgeSeconds,
        purgeOnQuotaError: true,
      }),
      addIsolationHeaders,
    ],
  }),
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
    const response = await cache.match(request);
    const sharedAt = Number(response?.headers.get('X-Shared-At'));
    const size = Number(response?.headers.get('X-File-Size'));
    if (!response || !Number.isFinite(sharedAt) || !Number.isFinite(size)
      || Date.now() - sharedAt > BUDGETS.sharedMaxAgeSeconds * 1000) {
      await cache.delete(request);
    } else {
      entries.push({ request, size });
    }
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
