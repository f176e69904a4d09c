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
  const declared = response.headers.get('Content-Length');
  if (declared !== null) {
    let body;
    try {
      body = await response.clone().arrayBuffer();
    } catch (error) {
      return `body could not be read (${error.message})`;
    }
    if (body.byteLength !== Number(declared)) return `truncated: ${body.byteLength} of ${declared} bytes`;
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
    if (!response || response.type === 'opaque' || !isSameOrigin(request.url)) return response;
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
const USAGE_DB = 'woodshed-media-usage';

/** Caches only complete same-origin 200 responses of an audio type. */
const audioOnly = {
  async cacheWillUpdate({ request, response }) {
    const refusal = await cacheRefusal(request, response);
    const type = response?.headers.get('Content-Type') || '';
    if (refusal || !/^(audio\/|application\/ogg\b)/.test(type)) return null;
    return response;
  },
};

function usageDatabase() {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(USAGE_DB, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore('entries', { keyPath: 'url' });
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

function withStore(mode, work) {
  return usageDatabase().then((db) => new Promise((resolve, reject) => {
    const transaction = db.transaction('entries', mode);
    const result = work(transaction.objectStore('entries'));
    transaction.oncomplete = () => { db.close(); resolve(result); };
    transaction.onerror = () => { db.close(); reject(transaction.error); };
  }));
}

/**
 * Workbox limits entries and age but not bytes: this plugin keeps the media cache's total
 * size within BUDGETS.mediaMaxBytes, evicting the least recently used entries first, and
 * refuses an entry larger than the whole budget (it still plays). Each eviction removes one
 * entry, and there are finitely many, so it cannot loop.
 */
const byteBudget = {
  async cacheWillUpdate({ response }) {
    if (!response) return null;
    const bytes = Number(response.headers.get('Content-Length') ?? (await response.clone().arrayBuffer()).byteLength);
    return bytes > BUDGETS.mediaMaxBytes ? null : response;
  },
  async cacheDidUpdate({ cacheName, request, newResponse }) {
    const bytes = (await newResponse.clone().arrayBuffer()).byteLength;
    await withStore('readwrite', (store) => store.put({ url: request.url, bytes, lastUsed: Date.now() }));
    await enforceByteBudget(cacheName, request.url);
  },
  async cachedResponseWillBeUsed({ request, cachedResponse }) {
    if (cachedResponse) {
      await withStore('readwrite', (store) => {
        const reading = store.get(request.url);
        reading.onsuccess = () => {
          if (reading.result) store.put({ ...reading.result, lastUsed: Date.now() });
        };
      });
    }
    return cachedResponse;
  },
};

async function enforceByteBudget(cacheName, keep) {
  const cache = await caches.open(cacheName);
  const cached = new Set((await cache.keys()).map((r) => r.url));
  const entries = await withStore('readonly', (store) => {
    const all = store.getAll();
    return new Promise((resolve) => { all.onsuccess = () => resolve(all.result); });
  });
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
  if (forgotten.length > 0) await withStore('readwrite', (store) => forgotten.forEach((url) => store.delete(url)));
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

// Files shared with the installed app (manifest share_target): the worker keeps them in a
// cache for the page, which imports them and empties it, then sends the page there.
const SHARED_CACHE = 'woodshed-shared';
const SHARE_PATH = new URL('share-target', self.registration.scope).pathname;
/** Limit: files taken from one share. */
const MAX_SHARED_FILES = 20;

routing.registerRoute(
  ({ url, request }) => request.method === 'POST' && url.pathname === SHARE_PATH,
  async ({ request }) => {
    const form = await request.formData();
    const files = form.getAll('audio').filter((file) => file instanceof File).slice(0, MAX_SHARED_FILES);
    const cache = await caches.open(SHARED_CACHE);
    await Promise.all(files.map((file, i) => cache.put(
      new Request(`shared/${Date.now()}-${i}`, { method: 'GET' }),
      new Response(file, { headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name) } }),
    )));
    return Response.redirect(new URL('./?shared', self.registration.scope).href, 303);
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
});
