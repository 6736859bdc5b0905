/* views/consignment.js: one consignment (GET /v1/consignments/<id>): its
 * figures; each line with every account of its ledger and the check that
 * the accounts add up to what entered; the custody timeline from its
 * transfers; and each event with its log index and a "verified" mark the
 * page computes itself (verify.js): entry bytes, leaf hash, inclusion
 * proof, checkpoint root, checkpoint signature. A failure is shown in red
 * with the reason. Last, the consignment's label: a QR code of its label
 * text, cmcc:consignment:<id> (docs/protocol.md, "Consignment labels"; the
 * Record page scans it), with the id, crossing, declaring org and lines,
 * and a Print button that prints the label alone (app.css, html.print-label).
 * `cmcc label` prints the same code from the command line. */

import { h, replace, id, entryLink } from '../dom.js';
import { t, tn, num, ordinal, label, dateTime, timeEl } from '../i18n.js';
import { title, figure, figures, facts, badge, section, table, consignmentBadge, outcome, verifyMark, verifyWhy, errorBox } from '../ui.js';
import { proportion, COLORS } from '../charts.js';
import { makeVerifier } from '../checkpoint.js';
import { accountLabel, accountColor, eventSummary } from '../accounts.js';
import { b64encode, hashEngine } from '../verify.js';
import { qrSvg } from '../qr.js';
import { loadNames, orgEl, placeEl } from '../names.js';

/** What a consignment's QR code holds (docs/protocol.md, "Consignment labels"). */
export const labelText = (cid) => `cmcc:consignment:${cid}`;

/** Prints the label alone: app.css hides the rest while html.print-label is set. */
function printLabel() {
  const root = document.documentElement;
  root.classList.add('print-label');
  window.addEventListener('afterprint', () => root.classList.remove('print-label'), { once: true });
  window.print();
}

function labelPart(c) {
  const text = labelText(c.consignment);
  const lines = c.lines || [];
  const qr = h('div', { class: 'label-qr', 'data-qr': 'loading' }, h('p', { class: 'loading' }, t('common.loading')));
  qrSvg(text, { label: t('consignment.label.qr_name', { id: c.consignment }) })
    .then((svg) => { qr.dataset.qr = 'ready'; replace(qr, svg); })
    .catch(() => { qr.dataset.qr = 'unavailable'; replace(qr, h('p', { class: 'muted' }, t('consignment.label.no_qr'))); });
  return h('section', { class: 'card', id: 'label' },
    h('h2', {}, t('consignment.label.title')),
    h('p', { class: 'muted' }, t('consignment.label.help')),
    h('div', { class: 'label-sheet', 'data-label-text': text },
      qr,
      h('div', { class: 'label-body' },
        h('p', { class: 'label-id' }, h('span', { class: 'sr-only' }, t('consignment.label.consignment'), ' '), id(c.consignment)),
        h('dl', { class: 'facts small label-facts' },
          h('dt', {}, t('consignment.crossing')), h('dd', { 'data-field': 'crossing' }, id(c.crossing)),
          h('dt', {}, t('consignment.declared_by')), h('dd', { 'data-field': 'declared_by' }, id(c.declared_by)),
          h('dt', {}, t('consignment.label.lines_head')),
          h('dd', { 'data-field': 'lines', 'data-value': lines.length }, t('consignment.label.lines', { count: lines.length, n: num(lines.length) }))),
        h('ul', { class: 'label-lines' }, lines.map((l) => h('li', { 'data-label-line': l.line },
          tn('consignment.label.line', { line: ordinal(l.line), item: h('bdi', {}, l.item), qty: num(l.declared), unit: label('unit', l.unit) })))),
        h('p', { class: 'label-text' }, h('span', { class: 'sr-only' }, t('consignment.label.text'), ' '), h('code', { dir: 'ltr' }, text)))),
    h('p', {}, h('button', { type: 'button', class: 'print-label-button', onclick: printLabel }, t('consignment.label.print'))));
}

const FIG_KEYS = ['declared', 'approved', 'entered', 'distributed', 'held', 'pending', 'lost', 'unaccounted'];
const TONE = { entered: 'entered', distributed: 'distributed', held: 'held', pending: 'pending', lost: 'lost', unaccounted: 'unaccounted' };

/** The consignment's lines summed per unit: [{unit, declared, ..., unaccounted}]. */
function byUnit(lines) {
  const out = new Map();
  for (const l of lines) {
    const u = out.get(l.unit) || Object.fromEntries([['unit', l.unit], ...FIG_KEYS.map((k) => [k, 0])]);
    u.declared += l.declared || 0;
    u.approved += l.approved || 0;
    u.entered += l.entered || 0;
    for (const [a, q] of Object.entries(l.accounts || {})) {
      const k = a === 'distributed' ? a : a.slice(0, a.indexOf(':'));
      if (k in u && k !== 'unit') u[k] += q;
    }
    out.set(l.unit, u);
  }
  return [...out.values()];
}

/** The consignment's figures, in its unit; one row per unit when its lines have several (never added together). */
function unitFigures(c) {
  const units = byUnit(c.lines || []);
  if (units.length <= 1) {
    const unit = units[0] ? label('unit', units[0].unit) : '';
    return figures(FIG_KEYS.map((k) => figure(`c-${k}`, c[k], t(`acct.${k}`), { tone: TONE[k] || '', hint: unit })));
  }
  return table([
    { key: 'unit', label: t('consignment.unit'), cell: (u) => label('unit', u.unit) },
    ...FIG_KEYS.map((k) => ({ key: k, label: t(`acct.${k}`), num: true })),
  ], units, { caption: t('consignment.by_unit'), cls: 'c-units', rowAttrs: (u) => ({ 'data-unit': u.unit }) });
}

function lineCard(l) {
  const accts = Object.entries(l.accounts || {}).sort((a, b) => b[1] - a[1]);
  const sum = accts.reduce((a, [, q]) => a + q, 0);
  const holds = sum === l.entered;
  return h('article', { class: 'cline', 'data-line': l.line },
    h('h3', {}, tn('consignment.line_head', { line: ordinal(l.line), item: h('bdi', {}, l.item) })),
    h('p', { class: 'muted' }, label('category', l.category), ' · ', label('unit', l.unit),
      l.weight_kg != null ? [' · ', t('consignment.weight', { kg: num(l.weight_kg) })] : null),
    h('dl', { class: 'line-nums' },
      h('div', {}, h('dt', {}, t('acct.declared')), h('dd', { 'data-value': l.declared }, num(l.declared))),
      h('div', {}, h('dt', {}, t('acct.approved')), h('dd', { 'data-value': l.approved }, num(l.approved),
        l.reason ? h('span', { class: 'reason' }, ' (', label('screen_reason', l.reason), ')') : null)),
      h('div', {}, h('dt', {}, t('acct.entered')), h('dd', { 'data-value': l.entered }, num(l.entered)))),
    proportion(accts.map(([a, q]) => ({ label: a, value: q, color: accountColor(a) })), l.entered,
      t('consignment.accounts_of', { line: l.line })),
    accts.length ? h('table', { class: 'accounts' },
      h('caption', { class: 'sr-only' }, t('consignment.accounts_of', { line: l.line })),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('consignment.account')), h('th', { scope: 'col', class: 'num' }, t('consignment.quantity')))),
      h('tbody', {}, accts.map(([a, q]) => h('tr', { 'data-account': a },
        h('th', { scope: 'row' }, h('span', { class: 'swatch', style: { background: accountColor(a) } }), accountLabel(a)),
        h('td', { class: 'num', 'data-value': q }, num(q))))))
      : h('p', { class: 'empty' }, t('consignment.no_accounts')),
    h('p', { class: holds ? 'invariant ok' : 'invariant bad', 'data-invariant': holds ? 'holds' : 'broken' },
      holds ? t('consignment.invariant_ok', { sum: num(sum) }) : t('consignment.invariant_bad', { sum: num(sum), entered: num(l.entered) })));
}

function timeline(transfers) {
  const sorted = [...transfers].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return h('ol', { class: 'timeline' }, sorted.map((tr) => {
    const short = (tr.lines || []).filter((l) => l.received != null && l.received < l.sent);
    return h('li', { class: `tl tl-${tr.status}`, 'data-transfer': tr.transfer },
      h('div', { class: 'tl-when' }, timeEl(h, tr.time)),
      h('div', { class: 'tl-what' },
        h('p', {}, h('strong', {}, label('transfer_kind', tr.kind)), ' ',
          tn('consignment.transfer_from_to', { from: orgEl(tr.from), to: orgEl(tr.to) }),
          tr.place ? [' ', tn('consignment.at_place', { place: placeEl(tr.place) })] : null, ' ',
          badge('transfer_status', tr.status)),
        h('p', { class: 'muted' }, t('consignment.transfer_id'), ' ', id(tr.transfer),
          tr.closed ? [' · ', t(`consignment.closed_${tr.status}`, {}), ' ', timeEl(h, tr.closed)] : null),
        tr.reason ? h('p', {}, t('consignment.reject_reason'), ' ', h('q', {}, h('bdi', {}, tr.reason))) : null,
        h('ul', { class: 'tl-lines' }, (tr.lines || []).map((l) => h('li', {},
          tn('consignment.tl_line', {
            line: ordinal(l.line), sent: num(l.sent),
            received: l.received != null ? num(l.received) : tr.status === 'rejected' ? t('consignment.returned') : t('consignment.not_yet'),
          }),
          l.received != null && l.received < l.sent
            ? h('span', { class: 'short' }, ' ', t('consignment.shortfall', { n: num(l.sent - l.received) })) : null))),
        short.length ? h('p', { class: 'note' }, tn('consignment.shortfall_note', { from: orgEl(tr.from) })) : null));
  }));
}

function eventsPart(ctx, events) {
  const summary = h('div', { class: 'verify-summary', role: 'status', 'aria-live': 'polite' });
  const rows = new Map();
  const list = h('ol', { class: 'events' }, events.map((e) => {
    const mark = h('span', { class: 'mark-slot' }, verifyMark('checking'));
    const what = h('div', { class: 'ev-what' });
    const why = h('div', { class: 'ev-why' });
    const li = h('li', { class: 'event', 'data-index': e.index, 'data-type': e.type },
      h('div', { class: 'ev-head' },
        entryLink(e.index, t('consignment.log_index', { n: ordinal(e.index) })),
        h('span', { class: 'ev-type' }, label('event_type', e.type)),
        h('span', { class: 'muted' }, tn('consignment.by_org', { org: orgEl(e.org) })),
        mark),
      what, why);
    rows.set(e.index, { li, mark, what, why, e });
    return li;
  }));
  const again = h('button', { type: 'button', class: 'secondary', onclick: () => run() }, t('verify.again'));

  async function run() {
    again.disabled = true;
    for (const r of rows.values()) {
      replace(r.mark, verifyMark('checking'));
      replace(r.why);
    }
    replace(summary, h('p', { class: 'loading' }, t('verify.loading_checkpoint')));
    summary.dataset.state = 'checking';
    let v;
    try {
      v = await makeVerifier(ctx).init();
    } catch (err) {
      if (ctx.signal.aborted) return;
      summary.dataset.state = 'error';
      replace(summary, h('div', { class: 'error-box', role: 'alert' },
        h('p', { class: 'error-title' }, t('verify.no_checkpoint')), h('p', {}, verifyWhy(err))));
      for (const r of rows.values()) replace(r.mark, verifyMark('failed', verifyWhy(err)));
      again.disabled = false;
      return;
    }
    const keyNote = v.keySource === 'pasted' ? t('verify.key_pasted') : t('verify.key_server');
    const sigNote = v.signature.state === 'verified' ? t('verify.sig_ok')
      : v.signature.state === 'unsupported' ? t('verify.sig_unsupported')
        : [t('verify.sig_failed'), ' ', verifyWhy(v.signature.reason)];
    const counts = { verified: 0, chain: 0, failed: 0 };
    const head = h('p', {}, tn('verify.against', { count: v.checkpoint.size, size: num(v.checkpoint.size), origin: id(v.checkpoint.origin) }));
    const progressP = h('p', { class: 'verify-count' });
    replace(summary,
      head,
      h('p', { class: v.signature.state === 'failed' ? 'sig bad' : v.signature.state === 'verified' ? 'sig ok' : 'sig warn' }, sigNote),
      h('p', { class: 'muted' }, keyNote, ' ', h('code', { class: 'hash', dir: 'ltr' }, v.key.vkey)),
      hashEngine === 'javascript' ? h('p', { class: 'muted' }, t('checkpoint.js_hash')) : null,
      progressP);
    const queue = [...rows.values()];
    const worker = async () => {
      while (queue.length) {
        const r = queue.shift();
        const res = await v.entry(r.e.index, { type: r.e.type, org: r.e.org, id: r.e.id });
        if (ctx.signal.aborted) return;
        counts[res.state]++;
        const why = res.state === 'failed' ? verifyWhy(res.reason) : '';
        replace(r.mark, verifyMark(res.state, why));
        r.li.dataset.verify = res.state;
        if (res.event) {
          replace(r.what, h('p', {}, timeEl(h, res.event.time), ' — ', eventSummary(res.event)));
        }
        replace(r.why,
          res.state === 'failed' ? h('p', { class: 'why bad', role: 'alert' }, t('verify.failed_because'), ' ', why) : null,
          res.leaf ? h('details', { class: 'proof-details' },
            h('summary', {}, t('verify.details')),
            h('dl', { class: 'facts small' },
              h('dt', {}, t('verify.leaf')), h('dd', {}, h('code', { class: 'hash', dir: 'ltr' }, b64encode(res.leaf))),
              res.pathLength != null ? [h('dt', {}, t('verify.path')), h('dd', {}, num(res.pathLength))] : null,
              res.root ? [h('dt', {}, t('verify.root')), h('dd', {}, h('code', { class: 'hash', dir: 'ltr' }, b64encode(res.root)))] : null,
              h('dt', {}, t('verify.cp_root')), h('dd', {}, h('code', { class: 'hash', dir: 'ltr' }, v.checkpoint.rootB64)))) : null);
        progressP.textContent = counts.chain
          ? t('verify.progress_chain', { chain: num(counts.chain), verified: num(counts.verified), failed: num(counts.failed), total: num(rows.size) })
          : t('verify.progress', { verified: num(counts.verified), failed: num(counts.failed), total: num(rows.size) });
        progressP.className = `verify-count${counts.failed ? ' bad' : ''}`;
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    if (ctx.signal.aborted) return;
    summary.dataset.state = counts.failed ? 'failed' : 'done';
    again.disabled = false;
  }

  queueMicrotask(run);
  return [summary, list, h('p', {}, again)];
}

export default async function consignment(ctx) {
  const cid = ctx.params[0];
  let c;
  try {
    c = await ctx.authed(`/v1/consignments/${encodeURIComponent(cid)}`);
  } catch (err) {
    if (err.kind !== 'notfound') throw err;
    replace(ctx.main, title(t('consignment.not_found', { id: cid })),
      errorBox(err), h('p', {}, h('a', { href: '#/consignments' }, t('consignment.back'))));
    return;
  }
  await loadNames(ctx);
  replace(ctx.main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/consignments' }, t('consignment.back'))),
    title(tn('consignment.title', { id: id(c.consignment) })),
    h('div', { class: 'status-line' }, consignmentBadge(c),
      ' ', h('span', { class: 'muted' }, outcome(c) === 'open' || outcome(c) === 'refused'
        ? t(`consignment.status_help.${c.status}`) : t(`consignment.outcome_help.${outcome(c)}`, {
          entered: num(c.entered), distributed: num(c.distributed), lost: num(c.lost), unaccounted: num(c.unaccounted),
        }))),
    h('section', { class: 'card' },
      facts([
        [t('consignment.declared_by'), orgEl(c.declared_by)],
        [t('consignment.consignee'), orgEl(c.consignee)],
        [t('consignment.crossing'), placeEl(c.crossing)],
        [t('consignment.donor'), c.donor ? h('bdi', {}, c.donor) : null],
        [t('consignment.reference'), c.reference ? h('bdi', {}, c.reference) : null],
        [t('consignment.declared_on'), dateTime(c.time)],
        [t('consignment.screened'), c.screened ? t('common.yes') : t('common.no')],
      ]),
      unitFigures(c),
      proportion([
        { label: t('acct.distributed'), value: c.distributed, color: COLORS.distributed },
        { label: t('acct.held'), value: c.held, color: COLORS.held },
        { label: t('acct.pending'), value: c.pending, color: COLORS.pending },
        { label: t('acct.lost'), value: c.lost, color: COLORS.lost },
        { label: t('acct.unaccounted'), value: c.unaccounted, color: COLORS.unaccounted },
      ], c.entered, t('consignment.where_label'))),
    section(t('consignment.lines'), h('p', { class: 'muted' }, t('consignment.lines_help')),
      h('div', { class: 'lines' }, (c.lines || []).map(lineCard))),
    h('div', { class: 'cols' },
      section(t('consignment.custody'), (c.transfers || []).length ? timeline(c.transfers) : h('p', { class: 'empty' }, t('consignment.no_transfers'))),
      h('section', { class: 'card', id: 'events' },
        h('h2', {}, t('consignment.events')),
        h('p', { class: 'muted' }, t('consignment.events_help')),
        eventsPart(ctx, c.events || []))),
    labelPart(c));
}
