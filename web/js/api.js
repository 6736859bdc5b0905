/* api.js: every request the dashboard makes to cmcc's HTTP API, with the
 * participant token, and one error type that says what went wrong in terms
 * a view can show: server unreachable, token missing or rejected, not
 * found, busy, other.
 *
 * The token is kept in sessionStorage (this tab, until it closes), or, when
 * the reader asks to be remembered on this device, in localStorage (every
 * tab, until forgotten); never in both. Forgetting clears both. */

const TOKEN_KEY = 'cmcc.token';
const TIMEOUT_MS = 30000;

const read = (store) => { try { return store.getItem(TOKEN_KEY) || ''; } catch { return ''; } };
const drop = (store) => { try { store.removeItem(TOKEN_KEY); } catch { /* private mode */ } };

export function getToken() {
  return read(sessionStorage) || read(localStorage);
}
/** Whether the token in use is remembered on this device (localStorage). */
export function tokenRemembered() {
  return !read(sessionStorage) && !!read(localStorage);
}
/** Keeps tok for this tab, or on this device when remember is true. */
export function setToken(tok, { remember = false } = {}) {
  drop(sessionStorage);
  drop(localStorage);
  try { (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, tok.trim()); } catch { /* private mode */ }
  window.dispatchEvent(new CustomEvent('cmcc:token'));
}
/** Forgets the token, in this tab and on this device. */
export function clearToken() {
  drop(sessionStorage);
  drop(localStorage);
  window.dispatchEvent(new CustomEvent('cmcc:token'));
}

/**
 * kind: 'network' (no answer), 'timeout', 'token' (none given), 'auth'
 * (401: token unknown, revoked or expired), 'forbidden' (403), 'notfound',
 * 'busy' (429/503, retryAfter seconds), 'http' (any other status), 'format'
 * (an answer the page cannot read).
 */
export class ApiError extends Error {
  constructor(kind, { status = 0, code = '', message = '', retryAfter = 0, path = '' } = {}) {
    super(message || kind);
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.serverMessage = message;
    this.retryAfter = retryAfter;
    this.path = path;
  }
}

function withTimeout(signal) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new DOMException('timeout', 'TimeoutError')), TIMEOUT_MS);
  if (signal) {
    if (signal.aborted) ctl.abort(signal.reason);
    else signal.addEventListener('abort', () => ctl.abort(signal.reason), { once: true });
  }
  return { signal: ctl.signal, done: () => clearTimeout(timer) };
}

/**
 * GET path; auth: send the token (and fail with kind 'token' when there is
 * none); as: 'json', 'text', 'bytes' or 'blob'.
 */
export async function get(path, { auth = false, as = 'json', signal } = {}) {
  const headers = {};
  if (auth) {
    const tok = getToken();
    if (!tok) throw new ApiError('token', { path });
    headers.Authorization = `Bearer ${tok}`;
  }
  if (as === 'json') headers.Accept = 'application/json';
  const t = withTimeout(signal);
  let res;
  try {
    res = await fetch(path, { headers, signal: t.signal, cache: 'no-cache' });
  } catch (e) {
    t.done();
    if (signal && signal.aborted) throw e; // the view was left: nobody is waiting
    if (e && e.name === 'TimeoutError') throw new ApiError('timeout', { path });
    if (t.signal.aborted) throw new ApiError('timeout', { path });
    throw new ApiError('network', { path, message: String(e && e.message || e) });
  }
  try {
    if (!res.ok) {
      let code = '', message = '';
      try {
        const body = await res.json();
        code = body?.error?.code || '';
        message = body?.error?.message || '';
      } catch { /* not JSON */ }
      const retryAfter = Number(res.headers.get('Retry-After')) || 0;
      const info = { status: res.status, code, message, retryAfter, path };
      if (res.status === 401) {
        if (auth) window.dispatchEvent(new CustomEvent('cmcc:rejected'));
        throw new ApiError('auth', info);
      }
      if (res.status === 403) throw new ApiError('forbidden', info);
      if (res.status === 404) throw new ApiError('notfound', info);
      if (res.status === 429 || res.status === 503) throw new ApiError('busy', info);
      throw new ApiError('http', info);
    }
    if (as === 'text') return await res.text();
    if (as === 'bytes') return new Uint8Array(await res.arrayBuffer());
    if (as === 'blob') return await res.blob();
    try {
      return await res.json();
    } catch (e) {
      throw new ApiError('format', { status: res.status, path, message: String(e.message || e) });
    }
  } catch (e) {
    if (signal && signal.aborted && !(e instanceof ApiError)) throw e;
    if (e instanceof ApiError) throw e;
    if (e && e.name === 'TimeoutError') throw new ApiError('timeout', { path });
    throw new ApiError('network', { path, message: String(e && e.message || e) });
  } finally {
    t.done();
  }
}

/** GET with the token. */
export const authed = (path, opts = {}) => get(path, { ...opts, auth: true });
