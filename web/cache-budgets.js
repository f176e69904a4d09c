// Budgets of the service worker's runtime caches: songs a host publishes under media/, and
// files shared with the app that wait for the user's answer.
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
  // Files shared with the app wait here until the user accepts or declines them. A genuine
  // share is answered within seconds; a forged one must not sit on the user's storage: at
  // most 20 files and 1 GB (the largest file an import reads), for at most an hour.
  sharedCacheName: 'woodshed-shared',
  sharedMaxFiles: 20,
  sharedMaxBytes: 1024 * 1024 * 1024,
  sharedMaxAgeSeconds: 60 * 60,
});

/**
 * What a file waiting in the share quarantine says of itself, {sharedAt, size}, or null when
 * it has expired or its record is damaged (then it is to be dropped). Read by the worker, which
 * fills the quarantine, and by the page, which offers it.
 */
self.woodshedFreshSharedEntry = (response, now = Date.now()) => {
  const sharedAt = Number(response?.headers.get('X-Shared-At'));
  const size = Number(response?.headers.get('X-File-Size'));
  if (!response || !Number.isFinite(sharedAt) || !Number.isFinite(size)) return null;
  return now - sharedAt > self.WOODSHED_CACHE_BUDGETS.sharedMaxAgeSeconds * 1000 ? null : { sharedAt, size };
};
