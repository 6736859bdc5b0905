/* views/movements.js: humanitarian movements (GET /v1/movements): counted
 * by status, filterable; each with its purpose, window, route ends, the
 * answer of every military org (with reasons and conditions), who has not
 * answered yet, the server's warnings (zones crossed, short notice) and the
 * reported outcome. */

import { h, replace, id, entryLink, hashWith } from '../dom.js';
import { t, tn, num, label, hours, timeEl } from '../i18n.js';
import { title, badge, figures, figure, empty } from '../ui.js';
import { loadNames, orgEl, placeEl } from '../names.js';

const STATUSES = ['pending', 'acknowledged', 'denied', 'completed', 'impeded', 'aborted', 'cancelled'];

function warning(w) {
  switch (w.kind) {
    case 'zone': return tn('movements.warn.zone', { kind: label('zone_kind', w.zone_kind), zone: id(w.zone), org: orgEl(w.declared_by) });
    case 'short_notice': return tn('movements.warn.short_notice', { hours: hours(w.notice_hours) });
    default: return [h('bdi', { lang: 'en', dir: 'ltr' }, w.message || w.kind)];
  }
}

function card(m, focus) {
  return h('article', { class: `card movement${focus ? ' focus' : ''}`, id: `mv-${m.movement}`, 'data-movement': m.movement, 'data-status': m.status, tabindex: focus ? '-1' : null },
    h('header', { class: 'mv-head' },
      h('h2', {}, id(m.movement)), badge('movement_status', m.status),
      m.conditional ? h('span', { class: 'badge b-conditional' }, t('movements.conditional')) : null,
      (m.warnings || []).length ? h('span', { class: 'badge b-warn' }, t('movements.n_warnings', { n: num(m.warnings.length) })) : null),
    h('p', { class: 'purpose' }, h('bdi', {}, m.purpose)),
    h('dl', { class: 'facts' },
      h('dt', {}, t('movements.by')), h('dd', {}, orgEl(m.org)),
      h('dt', {}, t('movements.window')), h('dd', {}, timeEl(h, m.window_start), ' – ', timeEl(h, m.window_end)),
      h('dt', {}, t('movements.route')), h('dd', {},
        m.from_place ? placeEl(m.from_place) : t('movements.route_start'), ` ${t('common.arrow')} `, m.to_place ? placeEl(m.to_place) : t('movements.route_end'),
        ' ', h('span', { class: 'muted' }, t('movements.points', { n: num((m.route || []).length) }))),
      h('dt', {}, t('movements.vehicles')), h('dd', {}, num(m.vehicles)),
      h('dt', {}, t('movements.requested')), h('dd', {}, timeEl(h, m.requested), ' · ', entryLink(m.index)),
      m.time_to_acknowledge_s != null ? [h('dt', {}, t('movements.tta')), h('dd', {}, hours(m.time_to_acknowledge_s / 3600))] : null),
    h('h3', {}, t('movements.answers')),
    (m.answers || []).length || (m.waiting_for || []).length ? h('ul', { class: 'answers' },
      (m.answers || []).map((a) => h('li', { 'data-decision': a.decision },
        orgEl(a.org), ': ', badge('decision', a.decision), ' ', h('span', { class: 'muted' }, timeEl(h, a.time)),
        a.reason ? h('p', { class: 'reason' }, t('movements.reason'), ' ', h('q', {}, h('bdi', {}, a.reason))) : null,
        a.conditions ? h('p', { class: 'reason' }, t('movements.conditions'), ' ', h('q', {}, h('bdi', {}, a.conditions))) : null)),
      (m.waiting_for || []).map((o) => h('li', { class: 'waiting', 'data-decision': 'waiting' }, orgEl(o), ': ', h('span', { class: 'badge b-waiting' }, t('movements.waiting')))))
      : h('p', { class: 'empty' }, t('movements.no_answers')),
    (m.warnings || []).length ? [h('h3', {}, t('movements.warnings')),
      h('ul', { class: 'warnings' }, m.warnings.map((w) => h('li', { 'data-warning': w.kind }, '⚠ ', warning(w))))] : null,
    m.report ? [h('h3', {}, t('movements.report')),
      h('p', {}, badge('movement_status', m.report.outcome), ' ', timeEl(h, m.report.time),
        m.report.reason ? [' — ', h('q', {}, h('bdi', {}, m.report.reason))] : null,
        m.report.incident ? [' ', tn('movements.incident', { incident: h('a', { href: '#/incidents' }, id(m.report.incident)) })] : null)] : null,
    h('p', {}, h('a', { href: hashWith('/map', { focus: m.movement }) }, t('movements.on_map'))));
}

export default async function movements(ctx) {
  const [data] = await Promise.all([ctx.authed('/v1/movements'), loadNames(ctx)]);
  const all = data.movements || [];
  const only = ctx.query.status || '';
  const focus = ctx.query.focus || '';
  const counts = Object.fromEntries(STATUSES.map((k) => [k, all.filter((m) => m.status === k).length]));
  const warned = all.filter((m) => (m.warnings || []).length).length;
  const order = (m) => STATUSES.indexOf(m.status);
  const shown = (only ? all.filter((m) => m.status === only) : all)
    .slice().sort((a, b) => order(a) - order(b) || (a.window_start < b.window_start ? 1 : -1));
  replace(ctx.main,
    title(t('movements.title'), t('movements.sub')),
    h('section', { class: 'card' },
      figures(
        figure('movements-total', all.length, t('movements.total')),
        ...STATUSES.filter((k) => counts[k]).map((k) => figure(`movements-${k}`, counts[k], label('movement_status', k))),
        figure('movements-warned', warned, t('movements.with_warnings'), { tone: warned ? 'warn' : '' })),
      h('div', { class: 'chips', role: 'group', 'aria-label': t('movements.filter') },
        h('a', { href: '#/movements', class: `chip${only ? '' : ' on'}`, 'aria-current': only ? null : 'true' }, t('common.all'), ' ', h('span', { class: 'n' }, num(all.length))),
        STATUSES.filter((k) => counts[k]).map((k) => h('a', {
          href: hashWith('/movements', { status: k }), class: `chip${only === k ? ' on' : ''}`, 'aria-current': only === k ? 'true' : null,
        }, label('movement_status', k), ' ', h('span', { class: 'n' }, num(counts[k])))))),
    shown.length ? h('div', { class: 'movement-grid' }, shown.map((m) => card(m, m.movement === focus))) : empty(t('movements.none')));
  if (focus) {
    const el = document.getElementById(`mv-${focus}`);
    if (el) el.scrollIntoView({ block: 'start' });
  }
}
