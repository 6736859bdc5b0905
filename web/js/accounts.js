/* accounts.js: how the page names a consignment line's ledger accounts
 * (held:<org>, pending:<transfer>, distributed, lost:<cause>,
 * unaccounted:<org>) and summarises a logged event in one line, in the
 * reader's language. Shared by the consignment and entry views. */

import { h, id } from './dom.js';
import { t, tn, num, label } from './i18n.js';
import { COLORS } from './charts.js';
import { orgEl, placeEl } from './names.js';

export function accountKind(acct) {
  return acct.split(':')[0];
}

export function accountLabel(acct) {
  const i = acct.indexOf(':');
  const kind = i < 0 ? acct : acct.slice(0, i);
  const what = i < 0 ? '' : acct.slice(i + 1);
  switch (kind) {
    case 'held': return tn('acct.named.held', { org: orgEl(what) });
    case 'pending': return tn('acct.named.pending', { transfer: id(what) });
    case 'lost': return tn('acct.named.lost', { cause: label('loss_cause', what) });
    case 'unaccounted': return tn('acct.named.unaccounted', { org: orgEl(what) });
    case 'distributed': return [t('acct.distributed')];
    default: return [id(acct)];
  }
}

export const accountColor = (acct) => COLORS[accountKind(acct)] || '#64748b';

const qty = (lines, f = 'quantity') => (lines || []).reduce((a, l) => a + (l[f] || 0), 0);

/** One line saying what a logged event did (from the event's own bytes). */
export function eventSummary(ev) {
  const b = ev.body || {};
  switch (ev.type) {
    case 'consignment.declare':
      return tn('event.declare', { count: (b.lines || []).length, n: num((b.lines || []).length), qty: num(qty(b.lines)), crossing: placeEl(b.crossing) });
    case 'consignment.screen': {
      const refused = (b.decisions || []).filter((d) => d.reason).length;
      return tn('event.screen', { count: (b.decisions || []).length, n: num((b.decisions || []).length), reduced: num(refused) });
    }
    case 'consignment.enter':
      return tn('event.enter', { qty: num(qty(b.lines)), to: orgEl(b.to), crossing: placeEl(b.crossing) });
    case 'custody.transfer':
      return tn('event.transfer', { qty: num(qty(b.lines)), to: orgEl(b.to), transfer: id(b.transfer) });
    case 'custody.accept':
      return tn('event.accept', { qty: num(qty(b.lines, 'received')), transfer: id(b.transfer) });
    case 'custody.reject':
      return tn('event.reject', { transfer: id(b.transfer) });
    case 'distribution.record':
      return tn('event.distribute', {
        qty: num(qty(b.lines)), place: placeEl(b.place),
        households: b.households != null ? num(b.households) : '—',
      });
    case 'loss.report':
      return tn('event.loss', { qty: num(qty(b.lines)), cause: label('loss_cause', b.cause), from: label('loss_from', b.from) });
    case 'alert.acknowledge':
    case 'alert.assign':
    case 'alert.resolve':
      // a follow-up of one of the consignment's alerts: its key, whom to, the note
      return [label('event_type', ev.type), ' ', id(b.alert), b.to ? [' → ', id(b.to)] : '',
        b.note ? [' — ', h('bdi', { dir: 'auto' }, b.note)] : ''];
    default:
      return [label('event_type', ev.type)];
  }
}

