// A non-blocking area for errors and notices, used by every feature: a message appears at the
// bottom of the page, is read out by screen readers, and goes away by itself or on a click.

const SHOW_MS = { error: 9000, notice: 5000 };
/** Limit: messages on screen at once; the oldest goes first. */
const MAX_TOASTS = 4;

let area = null;

function ensureArea() {
  if (area) return area;
  area = document.getElementById('toasts');
  return area;
}

/**
 * Shows `message`. kind: 'error' or 'notice'. Repeating the message on screen only restarts
 * its timer.
 */
export function toast(message, kind = 'notice') {
  const container = ensureArea();
  if (!container || !message) return;
  for (const existing of container.children) {
    if (existing.textContent === message) {
      existing.remove();
      break;
    }
  }
  const item = document.createElement('div');
  item.className = `toast ${kind}`;
  item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  item.textContent = message;
  item.addEventListener('click', () => item.remove());
  container.append(item);
  while (container.children.length > MAX_TOASTS) container.firstElementChild.remove();
  setTimeout(() => item.remove(), SHOW_MS[kind] ?? SHOW_MS.notice);
}

/** The messages on screen, oldest first (for tests). */
export function visibleToasts() {
  return Array.from(ensureArea()?.children ?? [], (item) => item.textContent);
}
