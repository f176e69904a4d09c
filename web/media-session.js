// Media keys, the lock screen and the system's media controls (Media Session API).
//
// Chromium shows a media session only while a media element plays, and Woodshed plays through
// Web Audio, so a silent looping <audio> element plays along while a song plays. It carries no
// sound and sits outside the audio path, so it adds no latency and the worklet's output (and
// its capture) are untouched.

const ACTIONS = ['play', 'pause', 'seekbackward', 'seekforward', 'seekto', 'previoustrack', 'nexttrack', 'stop'];
const SEEK_STEP_SECONDS = 10;
/** The previous-track key starts the song over when it has played longer than this. */
const RESTART_WITHIN_SECONDS = 3;

// Ten seconds of 8 kHz mono 8-bit silence as a WAV (Chromium ignores media shorter than 5 s).
function silentWavUrl() {
  const frames = 80000;
  const view = new DataView(new ArrayBuffer(44 + frames));
  const text = (offset, value) => [...value].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF'); view.setUint32(4, 36 + frames, true); text(8, 'WAVE'); text(12, 'fmt ');
  view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, 8000, true); view.setUint32(28, 8000, true); view.setUint16(32, 1, true);
  view.setUint16(34, 8, true); text(36, 'data'); view.setUint32(40, frames, true);
  for (let i = 0; i < frames; i++) view.setUint8(44 + i, 128);
  return URL.createObjectURL(new Blob([view.buffer], { type: 'audio/wav' }));
}

export class MediaSessionBridge {
  #api;
  #element = null;
  #handlers = new Map();
  #lastTitle = null;

  /** @param api the WoodshedApi (play, pause, seek, state, tracks, load) */
  constructor(api) {
    this.#api = api;
    if (!('mediaSession' in navigator)) return;
    for (const action of ACTIONS) {
      const handler = (details) => this.#act(action, details).catch(() => {});
      this.#handlers.set(action, handler);
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch {
        // This browser does not support the action; the others still work.
      }
    }
  }

  /** Calls the handler registered for `action`, as the system would (for tests). */
  invoke(action, details = {}) {
    const handler = this.#handlers.get(action);
    if (!handler) throw new Error(`no media session handler for ${action}`);
    return this.#act(action, { action, ...details });
  }

  /** Brings the session up to date with the player's state. Call after every change. */
  async update() {
    if (!('mediaSession' in navigator)) return;
    const state = await this.#api.state();
    const track = state.trackId ? (await this.#api.tracks()).find((t) => t.id === state.trackId) : null;
    if (!track) {
      navigator.mediaSession.metadata = null;
      navigator.mediaSession.playbackState = 'none';
      this.#lastTitle = null;
      this.#stopElement();
      return;
    }
    if (this.#lastTitle !== track.name) {
      navigator.mediaSession.metadata = new MediaMetadata({
        title: track.name,
        artist: track.artist ?? track.name,  // browsers expose no tags; the file name stands in
        album: 'Woodshed library',
        artwork: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
        ],
      });
      this.#lastTitle = track.name;
    }
    navigator.mediaSession.playbackState = state.playing ? 'playing' : 'paused';
    try {
      navigator.mediaSession.setPositionState({
        duration: state.durationSeconds,
        playbackRate: 1,
        position: Math.min(state.positionSeconds, state.durationSeconds),
      });
    } catch {
      // An invalid state (duration 0 while loading): the next update fixes it.
    }
    if (state.playing) this.#playElement(); else this.#pauseElement();
  }

  async #act(action, details) {
    const api = this.#api;
    const state = await api.state();
    switch (action) {
      case 'play': await api.play(); break;
      case 'pause': case 'stop': await api.pause(); break;
      case 'seekbackward': await api.seek(Math.max(0, state.positionSeconds - (details.seekOffset ?? SEEK_STEP_SECONDS))); break;
      case 'seekforward':
        await api.seek(Math.min(state.durationSeconds, state.positionSeconds + (details.seekOffset ?? SEEK_STEP_SECONDS)));
        break;
      case 'seekto': await api.seek(Math.min(state.durationSeconds, Math.max(0, details.seekTime ?? 0))); break;
      case 'previoustrack':
        // As in other players: a song playing for a while starts over; near its start, the one before.
        if (state.positionSeconds > RESTART_WITHIN_SECONDS) {
          await api.seek(0);
          break;
        }
        // falls through
      case 'nexttrack': {
        const tracks = await api.tracks();
        const index = tracks.findIndex((t) => t.id === state.trackId);
        const next = tracks[index + (action === 'nexttrack' ? 1 : -1)];
        if (next) {
          await api.load(next.id);
          if (state.playing) await api.play();
        }
        break;
      }
      default: break;
    }
    await this.update();
  }

  #playElement() {
    if (!this.#element) {
      this.#element = new Audio(silentWavUrl());
      this.#element.loop = true;
    }
    if (this.#element.paused) this.#element.play().catch(() => {});  // may need a gesture; harmless
  }

  #pauseElement() {
    this.#element?.pause();
  }

  // The element (and its small silent file) stays for the page's lifetime: revoking its URL
  // while it loads would only log an error.
  #stopElement() {
    this.#element?.pause();
  }
}
