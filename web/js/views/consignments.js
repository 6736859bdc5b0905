/* views/consignments.js: the consignments a participant may read
 * (GET /v1/consignments with the status, crossing and org filters the API
 * offers), searched in the page by id, donor, reference, org or crossing.
 * Filters live in the hash (#/consignments?status=…&q=…) so a view can be
 * shared and the back button works. */

import { h, replace, id, hashWith } from '../dom.js';
import { t, num, date, label } from '../i18n.js';
import { title, table, empty, consignmentBadge } from '../ui.js';
import { proportion, legend, COLORS } from '../charts.js';
import { exportsCard } from '../exports.js';
import { loadNames, orgEl, placeEl, orgName, placeName, nameOf } from '../names.js';

const STATUSES = ['declared', 'refused', 'screened', 'entering', 'in_transit', 'in_custody', 'completed'];

function select(name, text, options, value, onchange) {
  const sid = `f-${name}`;
  return h('div', { class: 'field' },
    h('label', { for: sid }, text),
    h('select', { id: sid, name, onchange },
      h('option', { value: '' }, t('common.all')),
      options.map(([v, l]) => h('option', { value: v, selected: v === value ? true : null }, l))));
}

export default async function consignments(ctx) {
  const q = ctx.query;
  const params = new URLSearchParams();
  for (const k of ['status', 'crossing', 'org']) if (q[k]) params.set(k, q[k]);
  const qs = params.toString();
  const [list, places, orgs] = await Promise.all([
    ctx.authed(`/v1/consignments${qs ? '?' + qs : ''}`),
    ctx.authed('/v1/places').catch(() => ({ places: [] })),
    ctx.authed('/v1/orgs').catch(() => ({ orgs: [] })),
  ]);
  await loadNames(ctx);
  const all = list.consignments || [];
  const crossings = (places.places || []).filter((p) => p.kind === 'crossing');
  const state = { q: q.q || '' };
  const go = (patch) => { location.hash = hashWith('/consignments', { ...q, ...patch }); };

  const tbodyHolder = h('div', { class: 'results' });
  const count = h('p', { class: 'count', role: 'status', 'aria-live': 'polite' });
  const search = h('input', {
    id: 'f-q', type: 'search', value: state.q, placeholder: t('consignments.search_ph'),
    oninput: () => { state.q = search.value; draw(); },
    onchange: () => history.replaceState(null, '', hashWith('/consignments', { ...q, q: search.value })),
  });

  function matches(c) {
    const needle = state.q.trim().toLowerCase();
    if (!needle) return true;
    return [c.consignment, c.donor, c.reference, c.declared_by, c.consignee, c.crossing, orgName(c.declared_by), placeName(c.crossing)]
      .some((x) => x && String(x).toLowerCase().includes(needle));
  }

  function draw() {
    const rows = all.filter(matches);
    count.textContent = t('consignments.count', { shown: num(rows.length), total: num(all.length) });
    count.dataset.shown = rows.length;
    replace(tbodyHolder, rows.length ? table([
      { key: 'consignment', label: t('consignments.col.id'), cell: (c) => h('a', { href: `#/consignments/${encodeURIComponent(c.consignment)}` }, id(c.consignment)) },
      { key: 'status', label: t('consignments.col.status'), cell: (c) => consignmentBadge(c) },
      { key: 'split', label: t('consignments.col.where'), cell: (c) => proportion([
        { label: t('acct.distributed'), value: c.distributed, color: COLORS.distributed },
        { label: t('acct.held'), value: c.held, color: COLORS.held },
        { label: t('acct.pending'), value: c.pending, color: COLORS.pending },
        { label: t('acct.lost'), value: c.lost, color: COLORS.lost },
        { label: t('acct.unaccounted'), value: c.unaccounted, color: COLORS.unaccounted },
      ], c.entered, t('consignments.where_label', { id: c.consignment })) },
      { key: 'entered', label: t('acct.entered'), num: true },
      { key: 'distributed', label: t('acct.distributed'), num: true },
      { key: 'held', label: t('acct.held'), num: true },
      { key: 'pending', label: t('acct.pending'), num: true },
      { key: 'lost', label: t('acct.lost'), num: true },
      { key: 'unaccounted', label: t('acct.unaccounted'), num: true },
      { key: 'declared_by', label: t('consignments.col.declared_by'), cell: (c) => orgEl(c.declared_by) },
      { key: 'crossing', label: t('consignments.col.crossing'), cell: (c) => placeEl(c.crossing) },
      { key: 'time', label: t('consignments.col.date'), cell: (c) => h('time', { datetime: c.time }, date(c.time)) },
    ], rows, { caption: t('consignments.caption'), cls: 'consignments', rowAttrs: (c) => ({ 'data-id': c.consignment }) })
      : empty(t('consignments.none')));
  }

  replace(ctx.main,
    title(t('consignments.title'), t('consignments.sub')),
    h('section', { class: 'card' },
      h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
        h('div', { class: 'field grow' }, h('label', { for: 'f-q' }, t('consignments.search')), search),
        select('status', t('consignments.f_status'), STATUSES.map((s) => [s, label('consignment_status', s)]), q.status,
          (e) => go({ status: e.target.value })),
        select('crossing', t('consignments.f_crossing'), crossings.map((p) => [p.place, nameOf(p, p.place)]), q.crossing,
          (e) => go({ crossing: e.target.value })),
        select('org', t('consignments.f_org'), (orgs.orgs || []).filter((o) => o.roles.some((r) => ['humanitarian', 'transporter', 'inspector'].includes(r)))
          .map((o) => [o.org, nameOf(o, o.org)]), q.org, (e) => go({ org: e.target.value })),
        (q.status || q.crossing || q.org || q.q)
          ? h('a', { href: '#/consignments', class: 'button secondary' }, t('consignments.clear')) : null),
      (q.org ? h('p', { class: 'muted' }, t('consignments.org_note')) : null),
      // no sum over consignments: their lines are in different units (the
      // overview has the figures by commodity and unit)
      h('p', { class: 'muted' }, t('consignments.units_note'), ' ', h('a', { href: '#/' }, t('consignments.units_link'))),
      legend(['distributed', 'held', 'pending', 'lost', 'unaccounted'].map((k) => ({ label: t(`acct.${k}`), color: COLORS[k] }))),
      count,
      tbodyHolder),
    exportsCard(['consignments.csv', 'reconciliation.csv']));
  draw();
}
