/* exports.js: buttons that download the API's exports, which need the read
 * token: each fetches its export with the Authorization header (api.js),
 * makes the answer a Blob, and clicks a temporary link to it with a
 * `download` file name, so the browser saves it as a file. A failure is
 * said beside the buttons, in the page's language.
 *
 *   exportsCard(['consignments.csv', 'reconciliation.csv'])
 *
 * The exports (docs/protocol.md): consignments.csv and reconciliation.csv
 * (a header row, then the HXL hashtag row, then a row per figure of each
 * consignment line), sites.geojson,
 * zones.geojson, movements.geojson (RFC 7946 FeatureCollections). */

import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { get } from './api.js';
import { errorText } from './ui.js';

const EXPORTS = {
  'consignments.csv': { path: '/v1/consignments.csv', type: 'text/csv' },
  'reconciliation.csv': { path: '/v1/reconciliation.csv', type: 'text/csv' },
  'sites.geojson': { path: '/v1/sites.geojson', type: 'application/geo+json' },
  'zones.geojson': { path: '/v1/zones.geojson', type: 'application/geo+json' },
  'movements.geojson': { path: '/v1/movements.geojson', type: 'application/geo+json' },
};

/** Fetches one export with the token and has the browser save it as name. */
export async function download(name) {
  const e = EXPORTS[name];
  const blob = await get(e.path, { auth: true, as: 'blob' });
  const url = URL.createObjectURL(new Blob([blob], { type: e.type }));
  const a = h('a', { href: url, download: `cmcc-${name}`, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** A card of download buttons, one per export named. */
export function exportsCard(names) {
  const status = h('p', { class: 'muted small', role: 'status', 'aria-live': 'polite' });
  const button = (name) => h('button', {
    type: 'button', class: 'secondary', 'data-export': name,
    onclick: async (ev) => {
      const b = ev.currentTarget;
      b.disabled = true;
      status.className = 'muted small';
      replace(status, t('exports.fetching', { file: name }));
      try {
        await download(name);
        replace(status, t('exports.done', { file: `cmcc-${name}` }));
      } catch (err) {
        status.className = 'error small';
        replace(status, errorText(err));
      } finally {
        b.disabled = false;
      }
    },
  }, t(`exports.file.${name.replace('.', '_')}`));
  return h('section', { class: 'card exports', 'aria-labelledby': 'exports-title' },
    h('h2', { id: 'exports-title' }, t('exports.title')),
    h('p', { class: 'muted' }, t('exports.note')),
    h('div', { class: 'row' }, names.map(button)),
    status);
}
