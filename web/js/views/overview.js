/* views/overview.js: the public overview (no token), from GET /v1/stats:
 * supply totals; per day and crossing, quantity entered, distributed, lost
 * and unaccounted as charts (and as a table); movements by outcome; force
 * generation and disarmament figures with benchmark progress; then the
 * log's current checkpoint, its signature and its witnesses. Figures are
 * drawn as soon as /v1/stats answers; the checkpoint follows. */

import { h, replace, id } from '../dom.js';
import { t, num, pct, day, date, dateTime, hours, label } from '../i18n.js';
import { title, figure, figures, section, table } from '../ui.js';
import { stackedDays, responsive, hbars, progress, legend, COLORS } from '../charts.js';

const MEASURES = ['entered', 'distributed', 'lost', 'unaccounted'];

function supplyCharts(byDay) {
  const days = [...new Set(byDay.map((r) => r.day))].sort();
  const crossings = [...new Set(byDay.map((r) => r.crossing))].sort();
  const color = (c) => COLORS.crossings[crossings.indexOf(c) % COLORS.crossings.length];
  const at = new Map(byDay.map((r) => [`${r.day}|${r.crossing}`, r]));
  const charts = MEASURES.map((m) => {
    const series = crossings.map((c) => ({
      label: c, color: color(c), values: days.map((d) => at.get(`${d}|${c}`)?.[m] || 0),
    }));
    const total = byDay.reduce((a, r) => a + (r[m] || 0), 0);
    const box = h('div', { class: 'chart-box' });
    const fig = h('figure', { class: 'chart-fig', 'data-chart': m },
      h('figcaption', {}, h('strong', {}, t(`overview.measure.${m}`)), ' ',
        h('span', { class: 'muted' }, t('overview.in_period', { n: num(total) }))),
      box);
    queueMicrotask(() => responsive(box, (w) => stackedDays({
      days, series, width: w, label: t('overview.chart_label', { measure: t(`overview.measure.${m}`) }),
    })));
    return fig;
  });
  const rows = [...byDay].sort((a, b) => (a.day === b.day ? a.crossing.localeCompare(b.crossing) : a.day < b.day ? -1 : 1));
  return [
    legend(crossings.map((c) => ({ label: c, color: color(c) }))),
    h('div', { class: 'chart-grid' }, charts),
    h('details', { class: 'data-table' },
      h('summary', {}, t('overview.as_table')),
      table([
        { key: 'day', label: t('overview.col.day'), cell: (r) => h('time', { datetime: r.day }, day(r.day)) },
        { key: 'crossing', label: t('overview.col.crossing'), cell: (r) => id(r.crossing) },
        { key: 'consignments', label: t('overview.col.consignments'), num: true },
        ...MEASURES.map((m) => ({ key: m, label: t(`overview.measure.${m}`), num: true })),
      ], rows, { caption: t('overview.table_caption'), rowAttrs: (r) => ({ 'data-row': `${r.day}|${r.crossing}` }) })),
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
  const s = stats.supply || {};
  const tot = s.totals || {};
  replace(main,
    title(t('overview.title'), t('overview.sub', { count: stats.size, time: dateTime(stats.as_of), size: num(stats.size) })),
    h('section', { class: 'card', 'aria-labelledby': 'h-supply' },
      h('h2', { id: 'h-supply' }, t('overview.supply')),
      figures(
        figure('consignments', tot.consignments, t('overview.fig.consignments')),
        figure('entered', tot.entered, t('overview.fig.entered'), { tone: 'entered' }),
        figure('distributed', tot.distributed, t('overview.fig.distributed'), { tone: 'distributed' }),
        figure('held', tot.held, t('overview.fig.held'), { tone: 'held' }),
        figure('pending', tot.pending, t('overview.fig.pending'), { tone: 'pending' }),
        figure('lost', tot.lost, t('overview.fig.lost'), { tone: 'lost' }),
        figure('unaccounted', tot.unaccounted, t('overview.fig.unaccounted'), { tone: 'unaccounted' })),
      h('p', { class: 'muted' }, t('overview.totals_note', {
        declared: num(tot.declared), approved: num(tot.approved),
      })),
      h('h3', {}, t('overview.per_day')),
      (s.by_day || []).length ? supplyCharts(s.by_day) : h('p', { class: 'empty' }, t('overview.no_flows')),
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

