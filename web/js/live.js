/* live.js: keeps the shown view current.
 *
 * With a token, it follows the log's live feed (GET /v1/feed, Server-Sent
 * Events) through an EventSource, which cannot send headers, so the token
 * goes as ?token=; the browser reconnects by itself with Last-Event-ID.
 * Each new entry asks for the view to be drawn again: at most once every
 * MIN_GAP_MS, not while the page is hidden (it is drawn on coming back),
 * and not while the reader is typing in a field of it (it waits).
 *
 * When the feed cannot be had (no token, the server refused it, the
 * connection is down), it polls instead: the view is drawn again every
 * `?refresh=N` seconds of the hash (N at least 15), else every POLL_S, and
 * it tries the feed again every RETRY_MS. The state is on <html
 * data-live="feed|poll"> and, with the index of the last entry heard of, in
 * data-live-index; the header shows it (app.js, on the cmcc:live event). */

import { getToken } from './api.js';

const MIN_GAP_MS = 2000;
const POLL_S = 60;
const RETRY_MS = 60000;

let source = null;     // the EventSource, or null
let sourceToken = '';  // the token it was opened with
let redraw = null;     // what draws the view again
let every = POLL_S;    // seconds between two polls
let pollTimer = null;
let retryTimer = null;
let due = null;        // a drawing scheduled
let lastDrawn = 0;
let stale = false;     // an entry came while the page was hidden

let shown = '';         // the state and period last told

function setState(state) {
  const root = document.documentElement;
  if (shown === `${state} ${every}`) return;
  shown = `${state} ${every}`;
  root.dataset.live = state;
  window.dispatchEvent(new CustomEvent('cmcc:live', { detail: { state, every } }));
}

/** The state shown: 'feed', 'poll' (with its period in seconds), or ''. */
export function liveState() {
  return { state: document.documentElement.dataset.live || '', every };
}

function typing() {
  const a = document.activeElement;
  return !!(a && a.closest && a.closest('main') && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName));
}

function changed() {
  if (document.hidden) { stale = true; return; }
  if (due || !redraw) return;
  const wait = Math.max(0, lastDrawn + MIN_GAP_MS - Date.now());
  due = setTimeout(function draw() {
    if (typing()) { due = setTimeout(draw, MIN_GAP_MS); return; }
    due = null;
    lastDrawn = Date.now();
    if (redraw) redraw();
  }, wait);
}

function stopPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
}

function poll() {
  setState('poll');
  if (pollTimer) return;
  pollTimer = setInterval(() => { if (!document.hidden) changed(); }, every * 1000);
}

function close() {
  if (source) source.close();
  source = null;
  sourceToken = '';
}

function connect() {
  const tok = getToken();
  if (source && sourceToken === tok && source.readyState !== 2) return;
  close();
  if (!tok || typeof EventSource === 'undefined') { poll(); return; }
  sourceToken = tok;
  const es = new EventSource(`/v1/feed?token=${encodeURIComponent(tok)}`);
  source = es;
  es.onopen = () => { stopPolling(); setState('feed'); };
  es.onmessage = (e) => {
    document.documentElement.dataset.liveIndex = e.lastEventId;
    changed();
  };
  es.onerror = () => {
    if (source !== es) return;
    poll(); // reconnecting by itself, or refused for good (closed)
    if (es.readyState === 2 && !retryTimer) {
      close();
      retryTimer = setTimeout(() => { retryTimer = null; connect(); }, RETRY_MS);
    }
  };
}

/**
 * Draws the view again with draw() whenever the log grows (or, without the
 * feed, every refresh seconds when given, else POLL_S); follow(null) stops.
 */
export function follow(draw, { refresh = 0 } = {}) {
  redraw = draw;
  if (due) { clearTimeout(due); due = null; }
  lastDrawn = Date.now();
  const want = refresh >= 15 ? refresh : POLL_S;
  if (want !== every) { every = want; stopPolling(); }
  if (!draw) { stopPolling(); return; }
  connect();
  if (!source) poll();
  else if (source.readyState !== 1) poll();
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && stale) { stale = false; changed(); }
});
window.addEventListener('cmcc:token', () => { if (redraw) connect(); });
