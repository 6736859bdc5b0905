/* names.js: the names of orgs and places, for every place the page would
 * otherwise show an id. loadNames(ctx) reads /v1/orgs and /v1/places once
 * per token (not at all without one: the public overview then shows ids);
 * orgName(id) and placeName(id) answer the name in the page's language
 * (the optional `names` object of org.admit and place.define, e.g.
 * {"ar": "...", "he": "..."}), else the English `name`, else the id. */

import { lang } from './i18n.js';
import { h } from './dom.js';
import { getToken } from './api.js';

let loadedFor = null;
let orgs = new Map();
let places = new Map();

/** Reads the registry once for the current token; never fails (ids are shown instead). */
export async function loadNames(ctx) {
  const tok = getToken();
  if (!tok) { orgs = new Map(); places = new Map(); loadedFor = null; return; }
  if (loadedFor === tok) return;
  const [o, p] = await Promise.all([
    ctx.authed('/v1/orgs').catch(() => ({ orgs: [] })),
    ctx.authed('/v1/places').catch(() => ({ places: [] })),
  ]);
  orgs = new Map((o.orgs || []).map((x) => [x.org, x]));
  places = new Map((p.places || []).map((x) => [x.place, x]));
  loadedFor = tok;
}

/** The name of a registry entry {name, names} in the page's language. */
export function nameOf(entry, fallback) {
  if (!entry) return fallback;
  const local = entry.names && typeof entry.names[lang()] === 'string' ? entry.names[lang()] : '';
  return local || entry.name || fallback;
}

export const orgName = (id) => nameOf(orgs.get(id), id);
export const placeName = (id) => nameOf(places.get(id), id);

/** An org's name as a node, isolated from the text's direction (<bdi>), its id in the title. */
export const orgEl = (id) => (id ? h('bdi', { class: 'name', title: id, 'data-org': id }, orgName(id)) : '—');
/** A place's name as a node, likewise. */
export const placeEl = (id) => (id ? h('bdi', { class: 'name', title: id, 'data-place': id }, placeName(id)) : '—');
