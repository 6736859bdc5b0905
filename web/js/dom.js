/* dom.js: small helpers that build DOM nodes (no innerHTML anywhere, so
 * nothing the server sends is ever parsed as markup): h() for HTML, s() for
 * SVG, and a few shared pieces (an id shown left-to-right inside any text
 * direction, a link to a log entry). */

import { ordinal } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, kids) {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else if (k instanceof Node) el.appendChild(k);
    else el.appendChild(document.createTextNode(String(k)));
  }
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' && 'checked' in el) el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** h('a', {href: '#/x', class: 'c'}, 'text', child, [more]) */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, kids);
  return el;
}

/** An SVG element, like h(). */
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, kids);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...kids) {
  clear(el);
  append(el, kids);
  return el;
}

/** An identifier or other Latin data kept in its own direction inside Arabic text. */
export const id = (text) => h('bdi', { class: 'id' }, text);

/** A link to the page of one log entry. */
export const entryLink = (index, label) =>
  h('a', { href: `#/entries/${index}`, class: 'logidx' }, label ?? `#${ordinal(index)}`);

/** Query string of the hash route, as an object. */
export function hashQuery(q) {
  return Object.fromEntries(new URLSearchParams(q || ''));
}

/** A hash route with query parameters (empty values left out). */
export function hashWith(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) q.set(k, v);
  const qs = q.toString();
  return qs ? `#${path}?${qs}` : `#${path}`;
}
