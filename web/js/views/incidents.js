/* views/incidents.js: incidents (GET /v1/incidents): counted by severity
 * and status, newest first, each with what happened, where, what it
 * concerns (consignment, movement, site, place) and its assessments. */

import { h, replace, id, entryLink, hashWith } from '../dom.js';
import { t, label, timeEl } from '../i18n.js';
import { title, figure, figures, badge, empty, facts } from '../ui.js';
import { loadNames, orgEl, placeEl } from '../names.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low'];

export default async function incidents(ctx) {
  const [data] = await Promise.all([ctx.authed('/v1/incidents'), loadNames(ctx)]);
  const all = (data.incidents || []).slice().sort((a, b) => (a.occurred < b.occurred ? 1 : -1));
  const count = (k) => all.filter((i) => i.severity === k).length;
  const unassessed = all.filter((i) => !(i.assessments || []).length).length;
  replace(ctx.main,
    title(t('incidents.title'), t('incidents.sub')),
    h('section', { class: 'card' }, figures(
      figure('incidents-total', all.length, t('incidents.total')),
      ...SEVERITIES.filter(count).map((k) => figure(`incidents-${k}`, count(k), label('severity', k), { tone: k === 'critical' || k === 'high' ? 'bad' : '' })),
      figure('incidents-unassessed', unassessed, t('incidents.unassessed'), { tone: unassessed ? 'warn' : '' }))),
    all.length ? h('div', { class: 'incident-list' }, all.map((i) => h('article', { class: `card incident sev-${i.severity}`, 'data-incident': i.incident },
      h('header', { class: 'mv-head' },
        h('h2', {}, label('incident_category', i.category)),
        badge('severity', i.severity), badge('incident_status', i.status)),
      h('p', {}, h('bdi', {}, i.description)),
      facts([
        [t('incidents.occurred'), timeEl(h, i.occurred)],
        [t('incidents.reported'), [timeEl(h, i.reported), ' · ', orgEl(i.org), ' · ', entryLink(i.index)]],
        i.lat != null ? [t('incidents.where'), [h('bdi', { dir: 'ltr', class: 'coord' }, `${i.lat}, ${i.lon}`), ' ',
          h('a', { href: hashWith('/map', { focus: i.incident }) }, t('incidents.on_map'))]] : null,
        i.place ? [t('incidents.place'), placeEl(i.place)] : null,
        i.consignment ? [t('incidents.consignment'), h('a', { href: `#/consignments/${encodeURIComponent(i.consignment)}` }, id(i.consignment))] : null,
        i.movement ? [t('incidents.movement'), h('a', { href: hashWith('/movements', { focus: i.movement }) }, id(i.movement))] : null,
        i.site ? [t('incidents.site'), id(i.site)] : null,
        [t('incidents.id'), id(i.incident)],
      ]),
      h('h3', {}, t('incidents.assessments')),
      (i.assessments || []).length ? h('ul', { class: 'assessments' }, i.assessments.map((a) => h('li', {},
        badge('incident_status', a.status), ' ', orgEl(a.org), ' ', h('span', { class: 'muted' }, timeEl(h, a.time)),
        a.note ? [': ', h('q', {}, h('bdi', {}, a.note))] : null)))
        : h('p', { class: 'empty' }, t('incidents.not_assessed')))))
      : empty(t('incidents.none')));
}
