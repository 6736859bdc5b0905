/* views/alerts.js: the current alerts (GET /v1/alerts): transfers pending
 * too long, unaccounted balances, idle holdings and orgs losing too much,
 * counted by kind, filterable, each said in the reader's language from its
 * fields, with the thresholds the server applied. */

import { h, replace, id, hashWith } from '../dom.js';
import { t, tn, num, ordinal, pct, hours, label, timeEl } from '../i18n.js';
import { title, figure, figures, empty } from '../ui.js';
import { loadNames, orgEl } from '../names.js';

const KINDS = ['transfer_pending', 'unaccounted', 'idle_holding', 'loss_rate'];

function sentence(a) {
  const c = a.consignment ? h('a', { href: `#/consignments/${encodeURIComponent(a.consignment)}` }, id(a.consignment)) : '';
  switch (a.kind) {
    case 'transfer_pending':
      return tn('alerts.msg.transfer_pending', { transfer: id(a.transfer), from: orgEl(a.from), to: orgEl(a.to), c, hours: hours(a.hours) });
    case 'unaccounted':
      return tn('alerts.msg.unaccounted', { qty: num(a.quantity), line: ordinal(a.line), c, org: orgEl(a.org) });
    case 'idle_holding':
      return tn('alerts.msg.idle_holding', { org: orgEl(a.org), qty: num(a.quantity), line: ordinal(a.line), c, hours: hours(a.hours) });
    case 'loss_rate':
      return tn('alerts.msg.loss_rate', { org: orgEl(a.org), lost: num(a.lost), received: num(a.received), pct: pct((a.percent || 0) / 100) });
    default:
      return [h('span', { lang: 'en', dir: 'ltr' }, a.message || a.kind)];
  }
}

export default async function alerts(ctx) {
  const [data] = await Promise.all([ctx.authed('/v1/alerts'), loadNames(ctx)]);
  const list = data.alerts || [];
  const th = data.thresholds || {};
  const only = ctx.query.kind || '';
  const counts = Object.fromEntries(KINDS.map((k) => [k, list.filter((a) => a.kind === k).length]));
  const shown = only ? list.filter((a) => a.kind === only) : list;
  replace(ctx.main,
    title(t('alerts.title'), tn('alerts.sub', { time: timeEl(h, data.as_of) })),
    h('section', { class: 'card' },
      figures(
        figure('alerts-total', list.length, t('alerts.total'), { tone: list.length ? 'bad' : 'good' }),
        ...KINDS.map((k) => figure(`alerts-${k}`, counts[k], label('alert_kind', k)))),
      h('p', { class: 'muted' }, t('alerts.thresholds', {
        pending: hours(th.pending_hours), idle: hours(th.idle_hours),
        loss: pct((th.loss_percent || 0) / 100), days: num(th.loss_window_days),
      })),
      h('div', { class: 'chips', role: 'group', 'aria-label': t('alerts.filter') },
        h('a', { href: '#/alerts', class: `chip${only ? '' : ' on'}`, 'aria-current': only ? null : 'true' }, t('common.all'), ' ', h('span', { class: 'n' }, num(list.length))),
        KINDS.map((k) => h('a', {
          href: hashWith('/alerts', { kind: k }), class: `chip${only === k ? ' on' : ''}`, 'aria-current': only === k ? 'true' : null,
        }, label('alert_kind', k), ' ', h('span', { class: 'n' }, num(counts[k])))))),
    h('section', { class: 'card' },
      h('h2', {}, only ? label('alert_kind', only) : t('alerts.all')),
      shown.length ? h('ul', { class: 'alerts' }, shown.map((a) => h('li', { class: `alert a-${a.kind}`, 'data-kind': a.kind },
        h('span', { class: `badge b-alert-${a.kind}` }, label('alert_kind', a.kind)),
        h('p', {}, sentence(a)),
        a.since ? h('p', { class: 'muted' }, t('alerts.since'), ' ', timeEl(h, a.since)) : null)))
        : empty(t('alerts.none'))));
}
