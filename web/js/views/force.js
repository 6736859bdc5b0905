/* views/force.js: force generation (GET /v1/requirements with the server's
 * gap analysis, GET /v1/pledges): each requirement with what is pledged,
 * eligible by readiness level, deployed and the gap; the pledges counted;
 * each pledge excluded and why (which caveat excludes which task or
 * sector); a pledge-by-requirement matrix; and the pledges themselves. */

import { h, replace, id, entryLink } from '../dom.js';
import { t, tn, num, label, date } from '../i18n.js';
import { title, figure, figures, badge, section, table } from '../ui.js';
import { progress } from '../charts.js';
import { loadNames, orgEl } from '../names.js';

const LEVELS = ['level1', 'level2', 'level3', 'rapid'];

/** Why a pledge is excluded (an element of `excluded`: its cause and
 * particulars), as a sentence in the reader's language; the server's
 * English `reason` for a cause this page does not know. */
export function exclusionText(x) {
  switch (x.cause) {
    case 'withdrawn': return [t('force.why.withdrawn')];
    case 'caveat':
      if (x.task) return tn('force.why.caveat_task', { caveat: h('strong', {}, label('caveat', x.caveat)), task: label('task', x.task) });
      if (x.sector) return tn('force.why.sector', { caveat: h('strong', {}, label('caveat', x.caveat)), sector: label('sector', x.sector) });
      break;
    case 'available_from': return tn('force.why.from', { date: date(x.date) });
    case 'available_until': return tn('force.why.until', { date: date(x.date) });
    default: break;
  }
  return [h('bdi', { lang: 'en', dir: 'ltr' }, x.reason)];
}

function reqCard(r) {
  const covered = r.quantity - r.gap;
  return h('article', { class: 'card requirement', 'data-requirement': r.requirement, 'data-gap': r.gap },
    h('header', { class: 'mv-head' },
      h('h3', {}, label('capability', r.capability), ' × ', num(r.quantity)),
      r.gap > 0 ? h('span', { class: 'badge b-gap' }, t('force.gap_of', { n: num(r.gap) }))
        : h('span', { class: 'badge b-covered' }, t('force.covered'))),
    h('p', { class: 'muted' }, id(r.requirement), ' · ', t('force.sector_is', { sector: label('sector', r.sector) }),
      ' · ', t('force.needed_by', { date: date(r.needed_by) }), ' · ', entryLink(r.index)),
    h('p', {}, t('force.tasks'), ' ', (r.tasks || []).map((k) => [h('span', { class: 'tag' }, label('task', k)), ' '])),
    progress(covered / Math.max(1, r.quantity), t('force.coverage', { covered: num(covered), required: num(r.quantity) }), { overdue: r.gap > 0 }),
    h('dl', { class: 'line-nums' },
      h('div', {}, h('dt', {}, t('force.required')), h('dd', { 'data-value': r.quantity }, num(r.quantity))),
      h('div', {}, h('dt', {}, t('force.pledged')), h('dd', { 'data-value': r.pledged }, num(r.pledged))),
      h('div', {}, h('dt', {}, t('force.eligible_l2')), h('dd', { 'data-value': r.eligible_level2_or_above }, num(r.eligible_level2_or_above))),
      h('div', {}, h('dt', {}, t('force.deployed')), h('dd', { 'data-value': r.deployed }, num(r.deployed))),
      h('div', { class: r.gap > 0 ? 'bad' : 'good' }, h('dt', {}, t('force.gap')), h('dd', { 'data-value': r.gap, 'data-col': 'gap' }, num(r.gap)))),
    h('p', { class: 'muted small' }, t('force.by_level'), ' ', LEVELS.map((l) => `${label('readiness', l)}: ${num(r.eligible?.[l] || 0)}`).join(' · ')),
    h('h4', {}, t('force.counted')),
    (r.counted || []).length ? h('ul', { class: 'counted' }, r.counted.map((p) => h('li', { 'data-pledge': p }, '✓ ', id(p))))
      : h('p', { class: 'empty' }, t('force.none_counted')),
    (r.excluded || []).length ? [h('h4', {}, t('force.excluded')),
      h('ul', { class: 'excluded' }, r.excluded.map((x) => h('li', { 'data-pledge': x.pledge },
        '✗ ', id(x.pledge), ' (', orgEl(x.org), '): ', exclusionText(x))))] : null);
}

function matrix(reqs, pledges) {
  const cols = reqs;
  const rows = pledges.filter((p) => reqs.some((r) => r.capability === p.capability));
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('force.matrix') },
    h('table', { class: 'matrix' },
      h('caption', { class: 'sr-only' }, t('force.matrix')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('force.pledge')), cols.map((r) => h('th', { scope: 'col' }, id(r.requirement))))),
      h('tbody', {}, rows.map((p) => h('tr', {},
        h('th', { scope: 'row' }, id(p.pledge), h('br'), h('span', { class: 'muted small' }, label('capability', p.capability))),
        cols.map((r) => {
          if (r.capability !== p.capability) return h('td', { class: 'na' }, h('span', { 'aria-label': t('force.cell_other') }, '·'));
          if ((r.counted || []).includes(p.pledge)) return h('td', { class: 'yes' }, '✓ ', t('force.cell_counted'));
          const x = (r.excluded || []).find((e) => e.pledge === p.pledge);
          return h('td', { class: 'no' }, '✗ ', x ? exclusionText(x) : t('force.cell_excluded'));
        }))))));
}

export default async function force(ctx) {
  const [rq, pl] = await Promise.all([ctx.authed('/v1/requirements'), ctx.authed('/v1/pledges'), loadNames(ctx)]);
  const reqs = rq.requirements || [];
  const pledges = pl.pledges || [];
  const sum = (k) => reqs.reduce((a, r) => a + (r[k] || 0), 0);
  replace(ctx.main,
    title(t('force.title'), t('force.sub')),
    h('section', { class: 'card' }, figures(
      figure('force-requirements', reqs.length, t('force.requirements_n')),
      figure('force-required', sum('quantity'), t('force.required_units')),
      figure('force-eligible', sum('eligible_level2_or_above'), t('force.eligible_l2')),
      figure('force-gap', sum('gap'), t('force.gap_units'), { tone: sum('gap') ? 'bad' : 'good' }),
      figure('force-pledges', pledges.length, t('force.pledges_n')),
      figure('force-deployed', sum('deployed'), t('force.deployed_units'))),
    h('p', { class: 'muted' }, t('force.rule'))),
    h('h2', { class: 'group-head' }, t('force.requirements')),
    h('div', { class: 'req-grid' }, reqs.map(reqCard)),
    section(t('force.matrix'), h('p', { class: 'muted' }, t('force.matrix_help')), matrix(reqs, pledges)),
    section(t('force.pledges'), table([
      { key: 'pledge', label: t('force.pledge'), cell: (p) => id(p.pledge) },
      { key: 'org', label: t('force.org'), cell: (p) => orgEl(p.org) },
      { key: 'status', label: t('force.status'), cell: (p) => badge('pledge_status', p.status) },
      { key: 'capability', label: t('force.capability'), cell: (p) => label('capability', p.capability) },
      { key: 'quantity', label: t('force.quantity'), num: true },
      { key: 'personnel', label: t('force.personnel'), num: true },
      { key: 'readiness', label: t('force.readiness'), cell: (p) => label('readiness', p.readiness) },
      { key: 'caveats', label: t('force.caveats'), cell: (p) => (p.caveats || []).length ? (p.caveats || []).map((c) => h('span', { class: 'tag' }, label('caveat', c))) : '—' },
      { key: 'sectors', label: t('force.sectors'), cell: (p) => (p.sectors || []).map((x) => label('sector', x)).join(', ') || t('force.any_sector') },
      { key: 'available', label: t('force.available'), cell: (p) => [date(p.available_from), p.available_until ? ` – ${date(p.available_until)}` : ''] },
      { key: 'deployed', label: t('force.deployed'), num: true, value: (p) => p.deployment?.deployed ?? 0, cell: (p) => p.deployment ? [num(p.deployment.deployed), ' ', h('span', { class: 'muted' }, label('sector', p.deployment.sector))] : num(0) },
      { key: 'withdrawal', label: t('force.withdrawal'), cell: (p) => p.withdrawal ? h('bdi', {}, p.withdrawal.reason) : '—' },
    ], pledges, { caption: t('force.pledges'), rowAttrs: (p) => ({ 'data-pledge': p.pledge }) })));
}
