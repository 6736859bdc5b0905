/* views/alerts.js: the current alerts (GET /v1/alerts): transfers pending
 * too long, unaccounted balances, idle holdings and orgs losing too much,
 * counted by kind, filterable, each said in the reader's language from its
 * fields, with the thresholds the server applied.
 *
 * Each alert shows its follow-up (docs/protocol.md, "Alert follow-up"):
 * open, acknowledged, assigned or resolved, by whom, when, with what note,
 * and its history. With this browser's Record device enrolled (#/record),
 * the org's user acknowledges, assigns or resolves it here: the event is
 * signed by the device's key and kept in the Record outbox before it is
 * sent (record/outbox.js keep, record/sync.js kick), as the Record page's
 * forms are; the page is drawn again once the server has it. Without a
 * device, it shows the `cmcc new` command that writes the same event. */

import { h, replace, id, hashWith } from '../dom.js';
import { t, tn, num, ordinal, pct, hours, label, timeEl } from '../i18n.js';
import { title, figure, figures, empty } from '../ui.js';
import { loadNames, orgEl, orgName } from '../names.js';

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

const ACTIONS = ['acknowledge', 'assign', 'resolve'];

/** The enrolled Record device of this browser, or null (no device, no
 * IndexedDB, or not enrolled yet). */
async function enrolledDevice() {
  try {
    const sync = await import('../record/sync.js');
    const dev = await sync.device();
    return dev && dev.token && dev.state !== 'revoked' ? dev : null;
  } catch {
    return null;
  }
}

/** The orgs an alert concerns (docs/protocol.md 3, "Alert follow-up"). */
function concerned(a) {
  const fu = a.follow_up || {};
  return [a.from, a.to, a.org, fu.assigned_to].filter(Boolean);
}

/** What org (with its roles) may do about alert a. */
function allowed(a, org, roles) {
  const staff = roles.includes('coordinator') || roles.includes('monitor');
  const status = (a.follow_up || {}).status || 'open';
  const mine = staff || concerned(a).includes(org);
  return ACTIONS.filter((act) => {
    if (act === 'assign') return staff;
    if (act === 'acknowledge') return mine && status !== 'acknowledged';
    return mine && status !== 'resolved';
  });
}

/** The follow-up as text: status, by whom and when, the note, the assignee, the history. */
function followUpPart(a) {
  const fu = a.follow_up || { status: 'open', history: [] };
  const st = fu.status || 'open';
  const hist = fu.history || [];
  return h('div', { class: 'follow-up', 'data-follow-up': st },
    h('p', {},
      h('span', { class: `badge fu-${st}` }, t(`alerts.follow.status.${st}`)),
      st !== 'open' ? [' ', tn('alerts.follow.by', { org: orgEl(fu.by), time: timeEl(h, fu.time) })] : null,
      fu.assigned_to ? [' · ', tn('alerts.follow.assigned_to', { org: orgEl(fu.assigned_to) })] : null),
    fu.note ? h('p', { class: 'fu-note' }, h('bdi', { dir: 'auto' }, fu.note)) : null,
    hist.length > 1 ? h('details', { class: 'fu-history' },
      h('summary', {}, t('alerts.follow.history', { n: num(hist.length) })),
      h('ol', {}, hist.map((x) => h('li', { 'data-index': x.index },
        x.action === 'assign' ? tn('alerts.follow.did.assign', { to: orgEl(x.to) }) : t(`alerts.follow.did.${x.action}`),
        ' · ', orgEl(x.org), ' · ', timeEl(h, x.time),
        x.note ? [' · ', h('bdi', { dir: 'auto' }, x.note)] : null)))) : null);
}

/** The `cmcc new` command that writes the follow-up, for a terminal. */
function commandPart(a) {
  const cmd = `cmcc new alert.acknowledge --org ORG --key ORG.pem --alert '${a.alert}' --out follow-up.ndjson\n`
    + 'cmcc submit --server URL --token TOKEN follow-up.ndjson';
  return h('details', { class: 'fu-cmd' },
    h('summary', {}, t('alerts.follow.cmd_title')),
    h('p', { class: 'hint' }, t('alerts.follow.no_device')),
    h('pre', { dir: 'ltr', lang: 'en' }, h('code', {}, cmd)));
}

/** Signs the follow-up with the device, keeps it in the outbox, sends it;
 * resolves with the outbox record as the sync left it. */
async function signAndSend(dev, type, body) {
  const [{ envelope, eventBytes, newId, nowIso }, outbox, sync] = await Promise.all([
    import('../record/sign.js'), import('../record/outbox.js'), import('../record/sync.js')]);
  const ev = { type, id: newId(type), org: dev.org, time: nowIso(), body };
  const line = await envelope(dev, eventBytes(ev));
  const rec = await outbox.keep(line, ev, { form: type, ref: body.alert });
  await sync.kick();
  return (await outbox.list()).find((r) => r.key === rec.key) || rec;
}

/** The buttons, and the form of the one chosen: a note (needed to resolve), and the org to assign to. */
function actionsPart(ctx, a, dev, orgs, roles, n) {
  const acts = allowed(a, dev.org, roles);
  if (!acts.length) return null;
  const box = h('div', { class: 'fu-actions', 'data-alert': a.alert });
  const msg = h('p', { class: 'field-msg', role: 'status' });
  const open = (act) => {
    const noteId = `fu-note-${n}`;
    const toId = `fu-to-${n}`;
    const note = h('textarea', { id: noteId, name: 'note', rows: 2, maxlength: 1000, dir: 'auto', required: act === 'resolve' });
    const to = act === 'assign' ? h('select', { id: toId, name: 'to', required: true },
      h('option', { value: '' }, '—'),
      orgs.filter((o) => o.status !== 'suspended').map((o) => h('option', { value: o.org }, orgName(o.org)))) : null;
    const btn = h('button', { type: 'submit', class: 'primary' }, t('alerts.follow.sign'));
    const form = h('form', {
      class: 'rec-form fu-form', novalidate: true, 'data-action': act, onsubmit: async (e) => {
        e.preventDefault();
        const text = note.value.trim();
        if (act === 'resolve' && !text) { msg.textContent = t('alerts.follow.note_required'); note.focus(); return; }
        if (act === 'assign' && !to.value) { msg.textContent = t('alerts.follow.to_required'); to.focus(); return; }
        const body = { alert: a.alert };
        if (act === 'assign') body.to = to.value;
        if (text) body.note = text;
        btn.disabled = true;
        msg.textContent = t('alerts.follow.saved');
        const rec = await signAndSend(dev, `alert.${act}`, body);
        if (rec.state === 'accepted') { ctx.rerender(); return; }
        btn.disabled = false;
        msg.textContent = rec.state === 'refused'
          ? t('alerts.follow.refused', { message: rec.message || rec.code })
          : t('alerts.follow.waiting');
      },
    },
    to ? [h('label', { for: toId }, t('alerts.follow.to')), to] : null,
    h('label', { for: noteId }, t(act === 'resolve' ? 'alerts.follow.note_resolve' : 'alerts.follow.note')),
    note, btn);
    replace(slot, form);
    (to || note).focus();
  };
  const slot = h('div', {});
  box.append(
    h('div', { class: 'chips', role: 'group', 'aria-label': t('alerts.follow.actions') },
      acts.map((act) => h('button', { type: 'button', class: 'chip', 'data-act': act, onclick: () => open(act) }, t(`alerts.follow.do.${act}`)))),
    slot, msg);
  return box;
}

export default async function alerts(ctx) {
  const [data, , dev, reg] = await Promise.all([ctx.authed('/v1/alerts'), loadNames(ctx), enrolledDevice(),
    ctx.authed('/v1/orgs').catch(() => ({ orgs: [] }))]);
  const orgs = reg.orgs || [];
  const me = dev ? orgs.find((o) => o.org === dev.org) : null;
  const roles = me ? me.roles || [] : [];
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
      dev ? h('p', { class: 'hint', 'data-device-org': dev.org }, tn('alerts.follow.device', { org: orgEl(dev.org) })) : null,
      shown.length ? h('ul', { class: 'alerts' }, shown.map((a, n) => h('li', {
        class: `alert a-${a.kind}`, 'data-kind': a.kind, 'data-alert': a.alert, 'data-status': (a.follow_up || {}).status || 'open',
      },
      h('span', { class: `badge b-alert-${a.kind}` }, label('alert_kind', a.kind)),
      h('p', {}, sentence(a)),
      a.since ? h('p', { class: 'muted' }, t('alerts.since'), ' ', timeEl(h, a.since)) : null,
      followUpPart(a),
      dev ? actionsPart(ctx, a, dev, orgs, roles, n) : commandPart(a))))
        : empty(t('alerts.none'))));
}
