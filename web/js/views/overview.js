/* views/overview.js: the public overview (no token), from GET /v1/stats:
 * supply figures by commodity and unit (stats.supply.by_unit: bags are
 * never added to kits), one row each; per day and crossing, quantity
 * entered, distributed, lost and unaccounted of one commodity and unit at a
 * time (by_day_unit, chosen in a list kept in the hash: #/?unit=food|bag)
 * as charts and as a table; movements by outcome; force generation and
 * disarmament figures with benchmark progress; then the log's current
 * checkpoint, its signature and its witnesses. Figures are drawn as soon
 * as /v1/stats answers; the checkpoint follows. A log with only its first
 * entry shows what to do next instead (firstrun.js), not empty charts. */

import { h, replace, id, hashWith } from '../dom.js';
import { t, num, pct, day, date, dateTime, hours, label } from '../i18n.js';
import { title, figure, figures, section, table } from '../ui.js';
import { stackedDays, responsive, hbars, progress, legend, proportion, COLORS } from '../charts.js';
import { placeName, loadNames } from '../names.js';
import { firstRun } from './firstrun.js';

const MEASURES = ['entered', 'distributed', 'lost', 'unaccounted'];

/** The key of a commodity and unit, as the hash and data attributes write it. */
const unitKey = (r) => `${r.category}|${r.unit}`;
/** "food (bags)": a commodity and its unit, in the page's language. */
export const unitName = (r) => t('overview.commodity', { category: label('category', r.category), unit: label('unit', r.unit) });

const UNIT_COLS = ['entered', 'distributed', 'held', 'pending', 'lost', 'unaccounted'];

/** The headline: one row per commodity and unit, its balances and where they are. */
function unitTable(byUnit) {
  return table([
    { key: 'commodity', label: t('overview.col.commodity'), cell: (r) => [h('strong', {}, label('category', r.category)), ' ', h('span', { class: 'muted' }, label('unit', r.unit))] },
    ...UNIT_COLS.map((m) => ({ key: m, label: t(`overview.fig.${m}`), num: true })),
    { key: 'split', label: t('overview.col.split'), cell: (r) => proportion(
      ['distributed', 'held', 'pending', 'lost', 'unaccounted'].map((k) => ({ label: t(`acct.${k}`), value: r[k], color: COLORS[k] })),
      r.entered, t('overview.split_of', { what: unitName(r) })) },
  ], byUnit, { caption: t('overview.by_unit_caption'), cls: 'by-unit', rowAttrs: (r) => ({ 'data-unit': unitKey(r) }) });
}

function supplyCharts(ctx, byDayUnit, byUnit) {
  const flowing = byUnit.filter((u) => byDayUnit.some((r) => unitKey(r) === unitKey(u)));
  if (!flowing.length) return h('p', { class: 'empty' }, t('overview.no_flows'));
  // the commodity in the most consignments first, unless the hash chose one
  const chosen = flowing.find((u) => unitKey(u) === ctx.query.unit) || [...flowing].sort((a, b) => b.consignments - a.consignments)[0];
  const byDay = byDayUnit.filter((r) => unitKey(r) === unitKey(chosen));
  const days = [...new Set(byDay.map((r) => r.day))].sort();
  const crossings = [...new Set(byDayUnit.map((r) => r.crossing))].sort();
  const color = (c) => COLORS.crossings[crossings.indexOf(c) % COLORS.crossings.length];
  const at = new Map(byDay.map((r) => [`${r.day}|${r.crossing}`, r]));
  const here = [...new Set(byDay.map((r) => r.crossing))].sort();
  const charts = MEASURES.map((m) => {
    const series = here.map((c) => ({
      label: placeName(c), color: color(c), values: days.map((d) => at.get(`${d}|${c}`)?.[m] || 0),
    }));
    const total = byDay.reduce((a, r) => a + (r[m] || 0), 0);
    const box = h('div', { class: 'chart-box' });
    const fig = h('figure', { class: 'chart-fig', 'data-chart': m, 'data-unit': unitKey(chosen) },
      h('figcaption', {}, h('strong', {}, t(`overview.measure.${m}`)), ' ',
        h('span', { class: 'muted' }, t('overview.in_period_unit', { n: num(total), unit: label('unit', chosen.unit) }))),
      box);
    queueMicrotask(() => responsive(box, (w) => stackedDays({
      days, series, width: w, label: t('overview.chart_label_unit', { measure: t(`overview.measure.${m}`), what: unitName(chosen) }),
    })));
    return fig;
  });
  const rows = [...byDay].sort((a, b) => (a.day === b.day ? a.crossing.localeCompare(b.crossing) : a.day < b.day ? -1 : 1));
  const pick = h('select', {
    id: 'f-unit', name: 'unit',
    onchange: (e) => { location.hash = hashWith('/', { ...ctx.query, unit: e.target.value }); },
  }, flowing.map((u) => h('option', { value: unitKey(u), selected: u === chosen ? true : null }, unitName(u))));
  return [
    h('div', { class: 'field unit-pick' }, h('label', { for: 'f-unit' }, t('overview.pick_unit')), pick),
    legend(here.map((c) => ({ label: placeName(c), color: color(c) }))),
    h('div', { class: 'chart-grid' }, charts),
    h('details', { class: 'data-table' },
      h('summary', {}, t('overview.as_table')),
      table([
        { key: 'day', label: t('overview.col.day'), cell: (r) => h('time', { datetime: r.day }, day(r.day)) },
        { key: 'crossing', label: t('overview.col.crossing'), cell: (r) => h('bdi', {}, placeName(r.crossing)) },
        ...MEASURES.map((m) => ({ key: m, label: t(`overview.measure.${m}`), num: true })),
      ], rows, { caption: t('overview.table_caption_unit', { what: unitName(chosen) }), rowAttrs: (r) => ({ 'data-row': `${r.day}|${r.crossing}` }) })),
  ];
}

function movementsPart(mv) {
  const by = mv.by_status || {};
  const order = ['pending', 'acknowledged', 'denied', 'completed', 'impeded', 'aborted', 'cancelled'];
  const keys = [...order.filter((k) => k in by), ...Object.keys(by).filter((k) => !order.includes(k))];
  return [
    figures(
      figure('movements-requested', mv.requested, t('overview.mv_requested')),
      figure('movements-median-ack', mv.median_time_to_acknowledge_s, t('overview.mv_median_ack'),
        { format: (s) => (s === null || s === undefined ? '—' : hours(s / 3600)) })),
    h('div', { 'data-chart': 'movements' }, hbars(keys.map((k) => ({
      key: k, label: label('movement_status', k), value: by[k], color: COLORS.status[k],
    })))),
  ];
}

function forcePart(f) {
  return figures(
    figure('force-requirements', f.requirements, t('overview.force.requirements')),
    figure('force-covered', f.covered, t('overview.force.covered'), { tone: 'good' }),
    figure('force-required', f.required, t('overview.force.required')),
    figure('force-gap', f.gap, t('overview.force.gap'), { tone: f.gap > 0 ? 'bad' : 'good' }),
    figure('force-pledges', f.pledges, t('overview.force.pledges')),
    figure('force-deployed', f.deployed, t('overview.force.deployed')));
}

function disarmamentPart(d) {
  const by = d.by_status || {};
  const order = ['registered', 'verified', 'destroyed', 'decommissioned'];
  return [
    figures(
      figure('weapons-records', d.records, t('overview.dis.records')),
      figure('weapons-decommissioned-qty', d.decommissioned_quantity, t('overview.dis.decommissioned_qty'), { tone: 'good' })),
    h('div', { 'data-chart': 'weapons' }, hbars(order.filter((k) => k in by).map((k) => ({
      key: k, label: label('weapon_status', k), value: by[k], color: COLORS.status[k],
    })))),
    h('h3', {}, t('overview.dis.benchmarks')),
    h('ul', { class: 'benchmarks' }, (d.benchmarks || []).map((b) => h('li', { 'data-benchmark': b.benchmark, 'data-value': b.progress },
      h('div', { class: 'bm-head' }, id(b.benchmark),
        h('span', { class: 'bm-pct' }, pct(b.progress)),
        b.overdue ? h('span', { class: 'badge b-overdue' }, t('overview.dis.overdue')) : null),
      progress(b.progress, t('overview.dis.progress_of', { name: b.benchmark, pct: pct(b.progress) }), { overdue: b.overdue }),
      h('p', { class: 'muted' }, t('overview.dis.due', { date: date(b.due) }))))),
  ];
}

export default async function overview(ctx) {
  const { main } = ctx;
  const cpEl = h('div', { id: 'checkpoint' });
  const stats = await ctx.get('/v1/stats');
  await loadNames(ctx);
  const s = stats.supply || {};
  const tot = s.totals || {};
  const byUnit = s.by_unit || [];
  if (stats.size <= 1) {
    replace(main,
      title(t('first.title'), t('first.sub')),
      firstRun(location.origin),
      h('section', { class: 'card', 'aria-labelledby': 'h-log' },
        h('h2', { id: 'h-log' }, t('checkpoint.title')),
        h('p', { class: 'muted' }, t('checkpoint.explain')),
        cpEl));
    import('../checkpoint.js').then((m) => m.renderCheckpoint(ctx, cpEl));
    return;
  }
  replace(main,
    title(t('overview.title'), t('overview.sub', { count: stats.size, time: dateTime(stats.as_of), size: num(stats.size) })),
    h('section', { class: 'card', 'aria-labelledby': 'h-supply' },
      h('h2', { id: 'h-supply' }, t('overview.supply')),
      figures(
        figure('consignments', tot.consignments, t('overview.fig.consignments')),
        figure('commodities', byUnit.length, t('overview.fig.commodities'))),
      h('h3', {}, t('overview.by_unit')),
      byUnit.length ? unitTable(byUnit) : h('p', { class: 'empty' }, t('overview.no_flows')),
      h('p', { class: 'muted' }, t('overview.by_unit_note')),
      legend(['distributed', 'held', 'pending', 'lost', 'unaccounted'].map((k) => ({ label: t(`acct.${k}`), color: COLORS[k] }))),
      h('h3', {}, t('overview.per_day')),
      supplyCharts(ctx, s.by_day_unit || [], byUnit),
      h('p', { class: 'muted small' }, t('overview.flows_note'))),
    h('div', { class: 'cols' },
      stats.movements ? section(t('overview.movements'), movementsPart(stats.movements)) : null,
      stats.force ? section(t('overview.force.title'), forcePart(stats.force)) : null),
    stats.disarmament ? section(t('overview.dis.title'), disarmamentPart(stats.disarmament)) : null,
    h('section', { class: 'card', 'aria-labelledby': 'h-log' },
      h('h2', { id: 'h-log' }, t('checkpoint.title')),
      h('p', { class: 'muted' }, t('checkpoint.explain')),
      cpEl),
    h('p', { class: 'muted' }, t('overview.participants_hint'), ' ', h('a', { href: '#/consignments' }, t('nav.consignments'))));
  // the figures are on the page; the checkpoint and the code that checks it come next
  import('../checkpoint.js').then((m) => m.renderCheckpoint(ctx, cpEl));
}

