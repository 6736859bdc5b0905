/* views/entry.js: one log entry (#/entries/<i>): the page reads the
 * entry's exact bytes from its entry bundle, checks them into the signed
 * checkpoint (verify.js) and shows the event those bytes hold, so what is
 * shown is what was verified. */

import { h, replace, id, entryLink } from '../dom.js';
import { t, tn, num, ordinal, label, dateTime } from '../i18n.js';
import { title, facts, verifyMark, verifyWhy, section } from '../ui.js';
import { renderCheckpoint } from '../checkpoint.js';
import { eventSummary } from '../accounts.js';
import { b64encode } from '../verify.js';
import { loadNames, orgEl } from '../names.js';

export default async function entry(ctx) {
  const index = Number(ctx.params[0]);
  const [server] = await Promise.all([ctx.authed(`/v1/entries/${index}`), loadNames(ctx)]);
  const markSlot = h('span', { class: 'mark-slot' }, verifyMark('checking'));
  const body = h('div', { class: 'entry-body' }, h('p', { class: 'loading' }, t('verify.loading_checkpoint')));
  const cpEl = h('div');
  replace(ctx.main,
    title(tn('entry.title', { n: ordinal(index) })),
    h('p', { class: 'crumbs' },
      index > 0 ? entryLink(index - 1, t('entry.prev')) : null, ' · ',
      entryLink(index + 1, t('entry.next'))),
    h('section', { class: 'card' },
      h('div', { class: 'ev-head' }, h('span', { class: 'ev-type' }, label('event_type', server.event?.type)),
        h('code', { class: 'muted', dir: 'ltr' }, server.event?.type), markSlot),
      facts([
        [t('entry.received'), dateTime(server.received)],
        [t('entry.org'), orgEl(server.event?.org)],
        [t('entry.event_id'), id(server.event?.id)],
        [t('entry.time'), dateTime(server.event?.time)],
      ]),
      body),
    section(t('checkpoint.title'), cpEl));
  const v = await renderCheckpoint(ctx, cpEl);
  if (!v || ctx.signal.aborted) {
    replace(markSlot, verifyMark('failed', t('verify.no_checkpoint')));
    replace(body, h('p', { class: 'why bad' }, t('verify.no_checkpoint')));
    return;
  }
  const res = await v.entry(index, server.event ? { type: server.event.type, org: server.event.org, id: server.event.id } : null);
  if (ctx.signal.aborted) return;
  const why = res.state === 'failed' ? verifyWhy(res.reason) : '';
  replace(markSlot, verifyMark(res.state, why));
  replace(body,
    res.state === 'failed' ? h('p', { class: 'why bad', role: 'alert' }, t('verify.failed_because'), ' ', why) : null,
    res.state === 'chain' ? h('p', { class: 'why warn' }, t('verify.chain_only')) : null,
    res.event ? h('p', {}, eventSummary(res.event)) : null,
    res.leaf ? facts([
      [t('verify.leaf'), h('code', { class: 'hash', dir: 'ltr' }, b64encode(res.leaf))],
      res.pathLength != null ? [t('verify.path'), num(res.pathLength)] : null,
      res.root ? [t('verify.root'), h('code', { class: 'hash', dir: 'ltr' }, b64encode(res.root))] : null,
    ]) : null,
    res.event ? h('details', { class: 'raw' }, h('summary', {}, t('entry.raw')),
      h('pre', { dir: 'ltr', lang: 'en' }, JSON.stringify(res.event, null, 2))) : null);
}
