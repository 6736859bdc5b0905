/* app.js: the dashboard's shell. Builds the header (language switch,
 * participant token), the navigation and the hash router (#/, #/consignments,
 * #/consignments/<id>, #/alerts, #/map, #/movements, #/force,
 * #/disarmament, #/incidents, #/entries/<i>, #/proof (check a proof of
 * logging), #/token, #/record: the field's
 * Record page, which uses its device's own key and token), loads each view's
 * module only when it is first needed, and turns a view's failure into
 * something the reader can act on (retry, enter the token again). On every
 * view, trust.js checks that the log's checkpoint extends the one this
 * browser saw before and draws the red banner (#fork-banner) when it does
 * not. Registers
 * the service worker (sw.js) so that the app opens with no network. A
 * view is drawn again when the log grows, told by the live feed, or every
 * `?refresh=N` seconds without it (live.js). */

import { h, replace, hashQuery } from './dom.js';
import { t, setLang, preferredLang, lang, LANGS, LANG_NAMES } from './i18n.js';
import { get, getToken, clearToken, tokenRemembered } from './api.js';
import { errorBox, tokenForm, loading } from './ui.js';
import { follow, liveState } from './live.js';

const ROUTES = [
  { key: 'overview', re: /^\/?$/, mod: 'overview', open: true, nav: '#/' },
  { key: 'consignments', re: /^\/consignments$/, mod: 'consignments', nav: '#/consignments' },
  { key: 'consignments', re: /^\/consignments\/([A-Za-z0-9][A-Za-z0-9._:-]{0,63})$/, mod: 'consignment' },
  { key: 'alerts', re: /^\/alerts$/, mod: 'alerts', nav: '#/alerts' },
  { key: 'map', re: /^\/map$/, mod: 'map', nav: '#/map' },
  { key: 'movements', re: /^\/movements$/, mod: 'movements', nav: '#/movements' },
  { key: 'force', re: /^\/force$/, mod: 'force', nav: '#/force' },
  { key: 'disarmament', re: /^\/disarmament$/, mod: 'disarmament', nav: '#/disarmament' },
  { key: 'incidents', re: /^\/incidents$/, mod: 'incidents', nav: '#/incidents' },
  { key: 'record', re: /^\/record$/, mod: 'record', open: true, nav: '#/record' },
  { key: 'proof', re: /^\/proof$/, mod: 'proof', open: true, nav: '#/proof' },
  { key: 'entry', re: /^\/entries\/(\d{1,15})$/, mod: 'entry' },
  { key: 'token', re: /^\/token$/, open: true },
];

// views not drawn again as the log grows: a form, a proof being checked,
// an entry (it never changes), the map (the reader's pan and zoom)
const STILL = new Set(['record', 'proof', 'entry', 'map']);

const els = {};
let generation = 0;
let controller = null;
let firstRender = true;

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [path, query] = raw.split('?');
  let p = path;
  try { p = decodeURIComponent(path); } catch { /* keep it */ }
  return { path: p || '/', query: hashQuery(query) };
}

function buildShell() {
  const skip = h('a', {
    class: 'skip', href: '#main', onclick: (e) => {
      e.preventDefault();
      (document.getElementById('view-title') || els.main).focus();
    },
  });
  els.skip = skip;
  els.brand = h('a', { href: '#/', class: 'brand-link' });
  els.tagline = h('span', { class: 'tagline' });
  // the language switch: one button per language, each named in itself
  els.langs = h('div', { class: 'langs', role: 'group' }, LANGS.map((l) => h('button', {
    type: 'button', class: 'lang', lang: l, 'data-lang': l, onclick: () => switchLang(l),
  }, LANG_NAMES[l])));
  els.tokenState = h('div', { class: 'token-state' });
  els.live = h('span', { class: 'live-state', role: 'status' });
  els.nav = h('nav', { class: 'nav' });
  els.banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite' });
  els.fork = h('div', { id: 'fork-banner', class: 'fork-banner', role: 'alert' });
  els.main = h('main', { id: 'main', tabindex: '-1' });
  els.footer = h('footer', { class: 'foot' });
  const header = h('header', { class: 'top' },
    h('div', { class: 'brand' }, els.brand, els.tagline),
    h('div', { class: 'tools' }, els.live, els.tokenState, els.langs));
  replace(document.body, skip, header, els.nav, els.fork, els.banner, els.main, els.footer);
}

function renderChrome() {
  els.skip.textContent = t('shell.skip');
  els.brand.textContent = t('shell.brand');
  els.tagline.textContent = t('shell.tagline');
  els.langs.setAttribute('aria-label', t('shell.switch_lang'));
  for (const b of els.langs.querySelectorAll('button.lang')) {
    b.setAttribute('aria-pressed', b.dataset.lang === lang() ? 'true' : 'false');
  }
  renderTokenState();
  renderLive();
  renderNav();
  replace(els.footer,
    h('p', {}, t('shell.footer')),
    h('p', { class: 'muted' }, t('shell.footer_verify')));
}

function renderTokenState() {
  if (getToken()) {
    replace(els.tokenState,
      h('span', { class: 'tok-on', 'data-token': tokenRemembered() ? 'remembered' : 'set' },
        t(tokenRemembered() ? 'token.state_remembered' : 'token.state_set')),
      h('button', {
        type: 'button', class: 'linklike', onclick: () => {
          clearToken();
          route();
        },
      }, t('token.forget')));
  } else {
    replace(els.tokenState,
      h('a', { href: `#/token?next=${encodeURIComponent(location.hash || '#/')}`, class: 'tok-off', 'data-token': 'none' },
        t('token.enter')));
  }
}

/** The header's word on how the view is kept current (live.js). */
function renderLive() {
  const { state, every } = liveState();
  els.live.dataset.live = state;
  els.live.textContent = state === 'feed' ? t('live.feed') : state === 'poll' ? t('live.poll', { n: every }) : '';
}

function renderNav() {
  const cur = currentRoute()?.key;
  replace(els.nav, h('ul', {}, ROUTES.filter((r) => r.nav).map((r) => h('li', {},
    h('a', {
      href: r.nav, 'aria-current': r.key === cur ? 'page' : null, 'data-nav': r.key,
    }, t(`nav.${r.key}`), r.open || getToken() ? null : h('span', { class: 'lock', title: t('nav.needs_token') }, h('span', { class: 'sr-only' }, t('nav.needs_token'))))))));
  els.nav.setAttribute('aria-label', t('nav.label'));
  // on a phone the navigation scrolls sideways: keep the current view in sight
  const here = els.nav.querySelector('[aria-current="page"]');
  const ul = els.nav.firstChild;
  if (here && ul.scrollWidth > ul.clientWidth) {
    const a = here.getBoundingClientRect(), b = ul.getBoundingClientRect();
    if (a.left < b.left || a.right > b.right) ul.scrollBy({ left: (a.left + a.right) / 2 - (b.left + b.right) / 2 });
  }
}

function currentRoute() {
  const { path } = parseHash();
  for (const r of ROUTES) {
    const m = path.match(r.re);
    if (m) return { ...r, params: m.slice(1) };
  }
  return null;
}

/** The reader chose language l: shown, and kept as their choice. */
async function switchLang(l) {
  await setLang(l);
  renderChrome();
  await route({ keepFocus: true });
  const b = els.langs.querySelector(`[data-lang="${l}"]`);
  if (b) b.focus();
}

export function banner(kind, text) {
  if (!text) { replace(els.banner); els.banner.className = 'banner'; return; }
  els.banner.className = `banner ${kind}`;
  replace(els.banner, text);
}

async function route({ keepFocus = false } = {}) {
  const gen = ++generation;
  if (controller) controller.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const r = currentRoute();
  const { query } = parseHash();
  renderNav();
  renderTokenState();
  banner();
  // the log's history against the one this browser saw before (never blocks the view)
  import('./trust.js').then((m) => m.showTrust()).catch((e) => console.warn('trust:', e && e.message));
  const main = els.main;
  const focusTitle = () => {
    if (firstRender || keepFocus) return;
    const t1 = document.getElementById('view-title');
    if (t1) t1.focus({ preventScroll: false });
  };
  if (!r) {
    replace(main, h('section', { class: 'card' },
      h('h1', { tabindex: '-1', id: 'view-title' }, t('error.no_page')),
      h('p', {}, h('a', { href: '#/' }, t('nav.overview')))));
    document.title = `${t('error.no_page')} — ${t('shell.brand')}`;
    focusTitle();
    firstRender = false;
    return;
  }
  document.title = `${t(`nav.${r.key}`)} — ${t('shell.brand')}`;
  main.dataset.view = r.mod || r.key;
  main.dataset.state = 'loading';
  if (r.key === 'token') {
    main.dataset.state = 'token';
    replace(main, tokenForm(query.reason || 'needed', () => {
      location.hash = query.next && query.next.startsWith('#/') && !query.next.startsWith('#/token') ? query.next : '#/consignments';
    }));
    focusTitle();
    firstRender = false;
    return;
  }
  if (!r.open && !getToken()) {
    main.dataset.state = 'token';
    replace(main, tokenForm('needed', () => route()));
    focusTitle();
    firstRender = false;
    return;
  }
  replace(main, loading());
  const ctx = {
    main, params: r.params, query, signal,
    isCurrent: () => gen === generation,
    rerender: () => route({ keepFocus: true }),
    get: (path, opts = {}) => get(path, { ...opts, signal }),
    authed: (path, opts = {}) => get(path, { ...opts, auth: true, signal }),
    banner,
  };
  try {
    const mod = await import(`./views/${r.mod}.js`);
    if (gen !== generation) return;
    await mod.default(ctx);
    if (gen === generation) main.dataset.state = 'ready';
  } catch (err) {
    if (gen !== generation || signal.aborted) return;
    main.dataset.state = showError(err);
  }
  if (gen === generation) {
    focusTitle();
    firstRender = false;
    // drawn again as the log grows (the live feed), or every ?refresh=N s
    const again = () => { if (gen === generation) route({ keepFocus: true }); };
    follow(main.dataset.state === 'ready' && !STILL.has(r.mod) ? again : null, { refresh: Number(query.refresh) });
  }
}

function showError(err) {
  const main = els.main;
  if (err && (err.kind === 'auth' || err.kind === 'token')) {
    if (err.kind === 'auth') clearToken();
    renderTokenState();
    replace(main, tokenForm(err.kind === 'auth' ? 'rejected' : 'needed', () => route()));
    return 'token';
  }
  if (err && err.kind === 'forbidden') {
    replace(main, tokenForm('forbidden', () => route()));
    return 'token';
  }
  if (!err || !err.kind) console.error(err);
  replace(main, h('section', { class: 'card' },
    h('h1', { tabindex: '-1', id: 'view-title' }, t('error.title')),
    errorBox(err, () => route({ keepFocus: true }))));
  return 'error';
}

async function start() {
  await setLang(preferredLang(), { keep: false });
  buildShell();
  renderChrome();
  window.addEventListener('hashchange', () => route());
  window.addEventListener('cmcc:token', renderTokenState);
  window.addEventListener('cmcc:live', renderLive);
  window.addEventListener('online', () => banner());
  window.addEventListener('offline', () => banner('warn', t('error.offline')));
  await route();
  document.documentElement.dataset.ready = '1';
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker:', e && e.message));
  }
}

start();
