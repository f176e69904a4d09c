// Keeps the screen awake while a song plays (Screen Wake Lock), for a tablet on a music stand.
// The browser drops the lock when the page is hidden; it is taken again when the page shows
// and the song still plays. Where the API is missing or refuses, playing goes on as before, and
// state() says why.

export class WakeLock {
  #sentinel = null;
  #wanted = false;
  #requesting = false;
  /** 'off', 'held', 'unsupported' or 'refused: <reason>'. */
  status = typeof navigator !== 'undefined' && navigator.wakeLock ? 'off' : 'unsupported';

  constructor() {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.#update();
    });
  }

  /** Holds the lock while `playing`, lets it go otherwise. */
  follow(playing) {
    this.#wanted = playing;
    this.#update();
  }

  async #update() {
    if (this.status === 'unsupported' || this.#requesting) return;
    if (this.#wanted && this.#sentinel === null) {
      // One request at a time: a second follow(true) meanwhile must not take a second lock.
      this.#requesting = true;
      try {
        const sentinel = await navigator.wakeLock.request('screen');
        this.#sentinel = sentinel;
        this.status = 'held';
        sentinel.addEventListener('release', () => {
          if (this.#sentinel === sentinel) this.#sentinel = null;
          this.status = 'off';
        });
      } catch (error) {
        this.status = `refused: ${error.message}`;
        return;
      } finally {
        this.#requesting = false;
      }
      if (!this.#wanted) await this.#release();  // paused while the request was on its way
    } else if (!this.#wanted && this.#sentinel !== null) {
      await this.#release();
    }
  }

  async #release() {
    const sentinel = this.#sentinel;
    this.#sentinel = null;
    this.status = 'off';
    await sentinel?.release().catch(() => {});
  }
}
