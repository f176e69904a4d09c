// Budgets of the service worker's runtime cache for songs a host publishes under media/.
// A classic script, so that both the service worker (importScripts) and the page (import)
// can read it. Why these numbers: the precache holds the app (under 1 MB); songs a host
// publishes are typically 3-15 MB (MP3 to FLAC); 200 MB keeps a practice set of a few dozen
// songs offline without pressing on the browser's quota, 60 entries bound the bookkeeping, and
// a month is longer than a practice cycle. One song larger than the whole budget is played but
// not cached.
self.WOODSHED_CACHE_BUDGETS = Object.freeze({
  mediaCacheName: 'woodshed-media',
  mediaMaxEntries: 60,
  mediaMaxBytes: 200 * 1024 * 1024,
  mediaMaxAgeSeconds: 30 * 24 * 60 * 60,
});
