/* views/disarmament.js: disarmament verification (GET /v1/weapons,
 * GET /v1/benchmarks): records by status and category, each benchmark's
 * progress against its target and due date, and the weapon register,
 * searchable and filterable, shown a page at a time. */

import { h, replace, id, entryLink, hashWith } from '../dom.js';
import { t, num, pct, label, date, timeEl } from '../i18n.js';
import { title, figure, figures, badge, section, table, empty } from '../ui.js';
import { hbars, progress, COLORS } from '../charts.js';
import { loadNames, orgEl, placeEl, orgName } from '../names.js';

const STATUSES = ['registered', 'verified', 'destroyed', 'decommissioned'];
const PAGE = 50;

export default async function disarmament(ctx) {
  const [w, bm] = await Promise.all([ctx.authed('/v1/weapons'), ctx.authed('/v1/benchmarks'), loadNames(ctx)]);
  const all = w.weapons || [];
  const benchmarks = bm.benchmarks || [];
  const q = ctx.query;
  const counts = Object.fromEntries(STATUSES.map((k) => [k, all.filter((r) => r.status === k).length]));
  const qty = (k) => all.filter((r) => r.status === k).reduce((a, r) => a + (r.quantity || 0), 0);
  const categories = [...new Set(all.map((r) => r.category))].sort();
  const state = { q: q.q || '', limit: PAGE };
  const results = h('div');
  const count = h('p', { class: 'count', role: 'status', 'aria-live': 'polite' });
  const search = h('input', {
    id: 'w-q', type: 'search', value: state.q, placeholder: t('disarmament.search_ph'),
    oninput: () => { state.q = search.value; state.limit = PAGE; draw(); },
  });

  const match = (r) => {
    if (q.status && r.status !== q.status) return false;
    if (q.category && r.category !== q.category) return false;
    const n = state.q.trim().toLowerCase();
    return !n || [r.record, r.serial, r.make, r.model, r.description, r.place, r.current_place, r.org, r.lot]
      .some((x) => x && String(x).toLowerCase().includes(n));
  };

  function draw() {
    const rows = all.filter(match);
    count.textContent = t('disarmament.count', { shown: num(Math.min(rows.length, state.limit)), total: num(rows.length) });
    count.dataset.total = rows.length;
    replace(results,
      rows.length ? table([
        { key: 'record', label: t('disarmament.col.record'), cell: (r) => id(r.record) },
        { key: 'status', label: t('disarmament.col.status'), cell: (r) => [badge('weapon_status', r.status), r.discrepancy ? [' ', h('span', { class: 'badge b-discrepancy' }, t('disarmament.discrepancy'))] : null] },
        { key: 'item', label: t('disarmament.col.item'), cell: (r) => [h('bdi', {}, r.description), h('br'), h('span', { class: 'muted small' }, label('weapon_category', r.category))] },
        { key: 'quantity', label: t('disarmament.col.quantity'), num: true },
        { key: 'ident', label: t('disarmament.col.ident'), cell: (r) => h('bdi', { dir: 'ltr', class: 'ident' }, [r.make, r.model, r.calibre].filter(Boolean).join(' '),
          r.serial ? [h('br'), `#${r.serial}`] : null, r.lot ? [h('br'), `lot ${r.lot}`] : null) },
        { key: 'place', label: t('disarmament.col.place'), cell: (r) => [placeEl(r.place), r.current_place && r.current_place !== r.place ? [` ${t('common.arrow')} `, placeEl(r.current_place)] : null] },
        { key: 'attest', label: t('disarmament.col.attestations'), cell: (r) => (r.attestations || []).length
          ? (r.attestations || []).map((a) => h('span', { class: `tag ${a.result === 'confirmed' ? 'ok' : 'bad'}`, title: `${label('result', a.result)} · ${orgName(a.org)}` }, a.result === 'confirmed' ? '✓ ' : '✗ ', label('stage', a.stage)))
          : '—' },
        { key: 'handed', label: t('disarmament.col.handed_over'), cell: (r) => [timeEl(h, r.handed_over, true), ' ', entryLink(r.index)] },
      ], rows.slice(0, state.limit), { caption: t('disarmament.register'), cls: 'register', rowAttrs: (r) => ({ 'data-record': r.record, 'data-status': r.status }) })
        : empty(t('disarmament.none')),
      rows.length > state.limit ? h('p', {}, h('button', {
        type: 'button', class: 'secondary', onclick: () => { state.limit += PAGE; draw(); },
      }, t('disarmament.more', { n: num(Math.min(PAGE, rows.length - state.limit)) }))) : null);
  }

  const go = (patch) => { location.hash = hashWith('/disarmament', { ...q, ...patch }); };
  replace(ctx.main,
    title(t('disarmament.title'), t('disarmament.sub')),
    h('section', { class: 'card' },
      figures(
        figure('weapons-records', all.length, t('disarmament.records')),
        ...STATUSES.map((k) => figure(`weapons-${k}`, counts[k], label('weapon_status', k))),
        figure('weapons-decommissioned-qty', qty('decommissioned'), t('disarmament.decommissioned_qty'), { tone: 'good' })),
      h('p', { class: 'muted' }, t('disarmament.status_rule')),
      hbars(STATUSES.map((k) => ({ key: k, label: label('weapon_status', k), value: counts[k], color: COLORS.status[k] })))),
    section(t('disarmament.benchmarks'), benchmarks.length ? h('ul', { class: 'benchmarks big' }, benchmarks.map((b) => h('li', { 'data-benchmark': b.benchmark, 'data-value': b.progress },
      h('div', { class: 'bm-head' }, h('strong', {}, h('bdi', {}, b.description)),
        h('span', { class: 'bm-pct' }, pct(b.progress)),
        b.overdue ? h('span', { class: 'badge b-overdue' }, t('overview.dis.overdue')) : null),
      progress(b.progress, t('overview.dis.progress_of', { name: b.benchmark, pct: pct(b.progress) }), { overdue: b.overdue }),
      h('p', { class: 'muted' }, id(b.benchmark), ' · ',
        t('disarmament.bm_line', { done: num(b.decommissioned), target: num(b.target), due: date(b.due) }), ' · ',
        (b.categories || []).map((c) => label('weapon_category', c)).join(', '), ' · ', entryLink(b.index)),
      (b.assessments || []).length ? h('ul', { class: 'assessments' }, b.assessments.map((a) => h('li', {},
        orgEl(a.org), ' ', h('span', { class: 'muted' }, timeEl(h, a.time, true)), ': ', h('q', {}, h('bdi', {}, a.note))))) : null)))
      : empty(t('disarmament.no_benchmarks'))),
    h('section', { class: 'card' },
      h('h2', {}, t('disarmament.register')),
      h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
        h('div', { class: 'field grow' }, h('label', { for: 'w-q' }, t('disarmament.search')), search),
        h('div', { class: 'field' }, h('label', { for: 'w-status' }, t('disarmament.col.status')),
          h('select', { id: 'w-status', onchange: (e) => go({ status: e.target.value }) },
            h('option', { value: '' }, t('common.all')),
            STATUSES.map((k) => h('option', { value: k, selected: q.status === k ? true : null }, label('weapon_status', k))))),
        h('div', { class: 'field' }, h('label', { for: 'w-cat' }, t('disarmament.col.category')),
          h('select', { id: 'w-cat', onchange: (e) => go({ category: e.target.value }) },
            h('option', { value: '' }, t('common.all')),
            categories.map((k) => h('option', { value: k, selected: q.category === k ? true : null }, label('weapon_category', k)))))),
      count, results));
  draw();
}
