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

importScripts('workbox/workbox-sw.js');
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

// Same-origin requests outside the precache (none today; songs a host publishes later) still
// need the isolation headers; they go to the network and are not cached here.
routing.registerRoute(
  ({ url }) => url.origin === self.location.origin,
  new strategies.NetworkOnly({ plugins: [addIsolationHeaders] }),
);

self.addEventListener('install', () => {
  // The first version takes over at once so the page can become isolated; later versions wait.
  if (!self.registration.active) self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});
