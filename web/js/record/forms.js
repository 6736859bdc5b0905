/* record/forms.js: the field's events as forms: for each, who may use it
 * (roles), its fields (what a person at a crossing, warehouse, distribution
 * point, liaison cell or collection point knows, and nothing else), the
 * checks the device can make on its own, and the event body it makes.
 *
 * A field spec:
 *   {name, kind, required?, ...}
 *   kind 'pick'    a text input with suggestions (datalist) from the synced
 *                  choices (options(ctx, values) -> [{value, label}]); any
 *                  typed identifier is allowed, since the device may not have
 *                  synced it; scan: true adds the camera (consignment labels)
 *   kind 'enum'    a select of a protocol enum (group: its i18n enum group)
 *   kind 'text' | 'textarea' | 'int' | 'datetime' | 'geo' | 'bool'
 *   kind 'lines'   one count per consignment line (lines(ctx, values) ->
 *                  [{line, item, unit, max, held?}]), or, for a consignment
 *                  the device does not know, "line:quantity" pairs typed
 * check(ctx, values) -> [{field, key, vars}] (i18n keys under record.check);
 * body(ctx, values) -> the event's body. ctx: {org, roles (Set), choices,
 * used, answered}: used and answered (outboxUse) are what this device's own
 * events since the last sync took from its holdings and which handovers
 * they answered, so that two distributions recorded offline cannot together
 * spend more than is held. */

import { eventOf } from './sign.js';

export const LABEL_PREFIX = 'cmcc:consignment:';

const rnd = () => {
  const r = new Uint8Array(3);
  crypto.getRandomValues(r);
  return Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('');
};
const stamp = () => new Date().toISOString().slice(2, 16).replace(/[-:]/g, '').replace('T', '');
/** A new identifier for a thing the event creates (a transfer, a loss...). */
export const newThingId = (prefix) => `${prefix}-${stamp()}-${rnd()}`;

const consignment = (ctx, id) => ctx.choices.consignments.find((c) => c.consignment === id) || null;
const heldBy = (l, org) => (l.accounts && l.accounts[`held:${org}`]) || 0;
/* what the org holds of line l of consignment c, less what its own
 * unsynced events took */
const held = (ctx, c, l) => Math.max(0, heldBy(l, ctx.org) - ((ctx.used && ctx.used.get(`${c.consignment}/${l.line}`)) || 0));

const SPEND = new Set(['custody.transfer', 'distribution.record', 'loss.report']);

/**
 * What the device's own events took from its holdings and which handovers
 * and movements they answered, for events not yet in the synced choices:
 * waiting or sending, or accepted after choicesAt.
 * records: the outbox. Returns {used: Map("<consignment>/<line>" -> qty), answered: Set}.
 */
export function outboxUse(records, choicesAt) {
  const used = new Map();
  const answered = new Set();
  for (const r of records) {
    const live = r.state === 'waiting' || r.state === 'sending' || (r.state === 'accepted' && (!choicesAt || (r.accepted || 0) > choicesAt));
    if (!live) continue;
    const ev = eventOf(r.envelope);
    if (!ev || !ev.body) continue;
    const b = ev.body;
    if (SPEND.has(ev.type) && !(ev.type === 'loss.report' && b.from !== 'held')) {
      for (const l of b.lines || []) {
        const k = `${b.consignment}/${l.line}`;
        used.set(k, (used.get(k) || 0) + (l.quantity || 0));
      }
    }
    if (ev.type === 'custody.accept' || ev.type === 'custody.reject') answered.add(`transfer:${b.transfer}`);
    if (ev.type === 'movement.respond') answered.add(`movement:${b.movement}`);
  }
  return { used, answered };
}
const placeOpts = (ctx, kinds) => ctx.choices.places
  .filter((p) => !kinds || kinds.includes(p.kind))
  .map((p) => ({ value: p.place, label: p.name }));
const orgOpts = (ctx, roles) => ctx.choices.orgs
  .filter((o) => o.status === 'active' && o.org !== ctx.org && (!roles || o.roles.some((r) => roles.includes(r))))
  .map((o) => ({ value: o.org, label: o.name }));

/* consignments this org holds something of */
const heldOpts = (ctx) => ctx.choices.consignments
  .filter((c) => c.lines.some((l) => held(ctx, c, l) > 0))
  .map((c) => ({ value: c.consignment, label: `${c.crossing} · ${c.declared_by}` }));

/* transfers waiting for this org's answer */
export function pendingTo(ctx) {
  const out = [];
  for (const c of ctx.choices.consignments) {
    for (const t of c.transfers || []) {
      if (t.status === 'pending' && t.to === ctx.org && !(ctx.answered && ctx.answered.has(`transfer:${t.transfer}`))) {
        out.push({ ...t, consignment: c.consignment, item: c });
      }
    }
  }
  return out;
}
const transferOf = (ctx, id) => pendingTo(ctx).find((t) => t.transfer === id) || null;
const itemOf = (c, no) => (c ? c.lines.find((l) => l.line === no) : null);

/* lines of a consignment the org holds, with the held quantity as maximum */
function heldLines(ctx, v) {
  const c = consignment(ctx, v.consignment);
  if (!c) return null;
  return c.lines.filter((l) => held(ctx, c, l) > 0)
    .map((l) => ({ line: l.line, item: l.item, unit: l.unit, max: held(ctx, c, l), held: true }));
}

/* the counts entered on a lines field, as [{line, quantity}] with quantity > 0 */
const counted = (v, name = 'lines') => Object.entries(v[name] || {})
  .map(([line, q]) => ({ line: Number(line), quantity: q }))
  .filter((x) => x.quantity !== '' && x.quantity !== null && x.quantity !== undefined && Number(x.quantity) > 0)
  .map((x) => ({ line: x.line, quantity: Number(x.quantity) }));

function overHeld(ctx, v, lines) {
  const out = [];
  if (!lines) return out;
  for (const x of counted(v)) {
    const l = lines.find((y) => y.line === x.line);
    if (l && x.quantity > l.max) {
      out.push({ field: `lines.${x.line}`, key: l.held ? 'over_held' : 'over_max', vars: { line: x.line, qty: x.quantity, max: l.max } });
    }
  }
  return out;
}

function needLines(v) {
  return counted(v).length ? [] : [{ field: 'lines', key: 'no_lines' }];
}

export const FORMS = [
  {
    key: 'screen', type: 'consignment.screen', roles: ['inspector'],
    fields: [
      { name: 'consignment', kind: 'pick', required: true, scan: true, drives: true,
        options: (ctx) => ctx.choices.consignments.filter((c) => c.status === 'declared')
          .map((c) => ({ value: c.consignment, label: `${c.crossing} · ${c.declared_by}` })) },
      { name: 'decisions', kind: 'screen' },
    ],
    check(ctx, v) {
      const c = consignment(ctx, v.consignment);
      if (!c) return [{ field: 'consignment', key: 'unknown_consignment', vars: { id: v.consignment } }];
      const out = [];
      for (const l of c.lines) {
        const d = (v.decisions || {})[l.line] || {};
        if (d.approved === '' || d.approved === undefined) out.push({ field: `decisions.${l.line}`, key: 'need_count', vars: { line: l.line } });
        else if (Number(d.approved) > l.declared) out.push({ field: `decisions.${l.line}`, key: 'over_max', vars: { line: l.line, qty: d.approved, max: l.declared } });
        else if (Number(d.approved) < l.declared && !d.reason) out.push({ field: `decisions.${l.line}`, key: 'need_reason', vars: { line: l.line } });
      }
      return out;
    },
    body(ctx, v) {
      const c = consignment(ctx, v.consignment);
      return {
        consignment: v.consignment,
        decisions: c.lines.map((l) => {
          const d = v.decisions[l.line];
          const x = { line: l.line, approved: Number(d.approved) };
          if (Number(d.approved) < l.declared) x.reason = d.reason;
          return x;
        }),
      };
    },
  },
  {
    key: 'enter', type: 'consignment.enter', roles: ['inspector'],
    fields: [
      { name: 'consignment', kind: 'pick', required: true, scan: true, drives: true,
        options: (ctx) => ctx.choices.consignments.filter((c) => c.screened && c.lines.some((l) => l.approved > l.entered))
          .map((c) => ({ value: c.consignment, label: `${c.crossing} · ${c.declared_by}` })) },
      { name: 'to', kind: 'pick', required: true, options: (ctx) => orgOpts(ctx, ['humanitarian', 'transporter']) },
      { name: 'lines', kind: 'lines', lines: (ctx, v) => {
        const c = consignment(ctx, v.consignment);
        return c ? c.lines.filter((l) => l.approved > l.entered)
          .map((l) => ({ line: l.line, item: l.item, unit: l.unit, max: l.approved - l.entered })) : null;
      } },
    ],
    check(ctx, v) {
      if (!consignment(ctx, v.consignment)) return [{ field: 'consignment', key: 'unknown_consignment', vars: { id: v.consignment } }];
      return [...needLines(v), ...overHeld(ctx, v, this.fields[2].lines(ctx, v))];
    },
    body(ctx, v) {
      const c = consignment(ctx, v.consignment);
      return { consignment: v.consignment, transfer: newThingId('t'), crossing: c.crossing, to: v.to, lines: counted(v) };
    },
  },
  {
    key: 'transfer', type: 'custody.transfer', roles: ['humanitarian', 'transporter'],
    fields: [
      { name: 'consignment', kind: 'pick', required: true, scan: true, drives: true, options: heldOpts },
      { name: 'to', kind: 'pick', required: true, options: (ctx) => orgOpts(ctx, ['humanitarian', 'transporter']) },
      { name: 'place', kind: 'pick', options: (ctx) => placeOpts(ctx, ['warehouse', 'crossing', 'distribution_point', 'other']) },
      { name: 'lines', kind: 'lines', lines: heldLines },
    ],
    check(ctx, v) { return [...needLines(v), ...overHeld(ctx, v, heldLines(ctx, v))]; },
    body(ctx, v) {
      const b = { transfer: newThingId('t'), consignment: v.consignment, to: v.to };
      if (v.place) b.place = v.place;
      b.lines = counted(v);
      return b;
    },
  },
  {
    key: 'accept', type: 'custody.accept', roles: ['humanitarian', 'transporter'],
    fields: [
      { name: 'transfer', kind: 'pick', required: true, drives: true,
        options: (ctx) => pendingTo(ctx).map((t) => ({ value: t.transfer, label: `${t.consignment} · ${t.from}` })) },
      { name: 'received', kind: 'lines', lines: (ctx, v) => {
        const t = transferOf(ctx, v.transfer);
        return t ? t.lines.map((l) => {
          const it = itemOf(t.item, l.line) || {};
          return { line: l.line, item: it.item, unit: it.unit, max: l.sent, preset: l.sent };
        }) : null;
      } },
      { name: 'reason', kind: 'textarea' },
    ],
    check(ctx, v) {
      const t = transferOf(ctx, v.transfer);
      if (!t) return [{ field: 'transfer', key: 'unknown_transfer', vars: { id: v.transfer } }];
      const out = [];
      let short = false;
      for (const l of t.lines) {
        const q = (v.received || {})[l.line];
        if (q === '' || q === undefined || q === null) out.push({ field: `received.${l.line}`, key: 'need_count', vars: { line: l.line } });
        else if (Number(q) > l.sent) out.push({ field: `received.${l.line}`, key: 'over_sent', vars: { line: l.line, qty: q, max: l.sent } });
        else if (Number(q) < l.sent) short = true;
      }
      if (short && !(v.reason || '').trim()) out.push({ field: 'reason', key: 'need_shortfall_reason' });
      return out;
    },
    body(ctx, v) {
      const t = transferOf(ctx, v.transfer);
      const b = { transfer: v.transfer, lines: t.lines.map((l) => ({ line: l.line, received: Number(v.received[l.line]) })) };
      if ((v.reason || '').trim()) b.reason = v.reason.trim();
      return b;
    },
  },
  {
    key: 'reject', type: 'custody.reject', roles: ['humanitarian', 'transporter'],
    fields: [
      { name: 'transfer', kind: 'pick', required: true,
        options: (ctx) => pendingTo(ctx).map((t) => ({ value: t.transfer, label: `${t.consignment} · ${t.from}` })) },
      { name: 'reason', kind: 'textarea', required: true },
    ],
    body: (ctx, v) => ({ transfer: v.transfer, reason: v.reason.trim() }),
  },
  {
    key: 'distribute', type: 'distribution.record', roles: ['humanitarian'],
    fields: [
      { name: 'consignment', kind: 'pick', required: true, scan: true, drives: true, options: heldOpts },
      { name: 'place', kind: 'pick', required: true, options: (ctx) => placeOpts(ctx, ['distribution_point']) },
      { name: 'lines', kind: 'lines', lines: heldLines },
      { name: 'households', kind: 'int', min: 0 },
      { name: 'individuals', kind: 'int', min: 0 },
    ],
    check(ctx, v) { return [...needLines(v), ...overHeld(ctx, v, heldLines(ctx, v))]; },
    body(ctx, v) {
      const b = { distribution: newThingId('dist'), consignment: v.consignment, place: v.place, lines: counted(v) };
      if (v.households !== '' && v.households != null) b.households = Number(v.households);
      if (v.individuals !== '' && v.individuals != null) b.individuals = Number(v.individuals);
      return b;
    },
  },
  {
    key: 'loss', type: 'loss.report', roles: ['humanitarian', 'transporter'],
    fields: [
      { name: 'consignment', kind: 'pick', required: true, scan: true, drives: true, options: heldOpts },
      { name: 'cause', kind: 'enum', group: 'loss_cause', required: true,
        values: ['looted', 'intercepted', 'damaged', 'spoiled', 'expired', 'returned', 'other'] },
      { name: 'lines', kind: 'lines', lines: heldLines },
    ],
    check(ctx, v) { return [...needLines(v), ...overHeld(ctx, v, heldLines(ctx, v))]; },
    body: (ctx, v) => ({ loss: newThingId('loss'), consignment: v.consignment, cause: v.cause, from: 'held', lines: counted(v) }),
  },
  {
    key: 'respond', type: 'movement.respond', roles: ['military'],
    fields: [
      { name: 'movement', kind: 'pick', required: true,
        options: (ctx) => ctx.choices.movements
          .filter((m) => !m.report && (m.waiting_for || []).includes(ctx.org) && !(ctx.answered && ctx.answered.has(`movement:${m.movement}`)))
          .map((m) => ({ value: m.movement, label: `${m.org} · ${m.purpose}` })) },
      { name: 'decision', kind: 'enum', group: 'decision', required: true, values: ['acknowledged', 'denied', 'conditional'] },
      { name: 'reason', kind: 'textarea' },
      { name: 'conditions', kind: 'textarea' },
    ],
    check(ctx, v) {
      const out = [];
      if (v.decision === 'denied' && !(v.reason || '').trim()) out.push({ field: 'reason', key: 'need_denial_reason' });
      if (v.decision === 'conditional' && !(v.conditions || '').trim()) out.push({ field: 'conditions', key: 'need_conditions' });
      return out;
    },
    body(ctx, v) {
      const b = { movement: v.movement, decision: v.decision };
      if ((v.reason || '').trim()) b.reason = v.reason.trim();
      if ((v.conditions || '').trim()) b.conditions = v.conditions.trim();
      return b;
    },
  },
  {
    key: 'incident', type: 'incident.report', roles: null,
    fields: [
      { name: 'category', kind: 'enum', group: 'incident_category', required: true,
        values: ['convoy_attack', 'looting', 'interception', 'access_denial', 'ceasefire_violation', 'uxo', 'attack_on_site', 'other'] },
      { name: 'severity', kind: 'enum', group: 'severity', required: true, values: ['low', 'medium', 'high', 'critical'] },
      { name: 'occurred', kind: 'datetime', required: true },
      { name: 'description', kind: 'textarea', required: true },
      { name: 'place', kind: 'pick', options: (ctx) => placeOpts(ctx) },
      { name: 'consignment', kind: 'pick', scan: true, options: (ctx) => ctx.choices.consignments.map((c) => ({ value: c.consignment, label: c.crossing })) },
      { name: 'position', kind: 'geo' },
    ],
    body(ctx, v) {
      const b = { incident: newThingId('inc'), category: v.category, occurred: v.occurred, severity: v.severity, description: v.description.trim() };
      if (v.position && v.position.lat !== '' && v.position.lon !== '' && v.position.lat != null) {
        b.lat = Number(v.position.lat);
        b.lon = Number(v.position.lon);
      }
      if (v.place) b.place = v.place;
      if (v.consignment) b.consignment = v.consignment;
      return b;
    },
  },
  {
    key: 'weapon', type: 'weapon.handover', roles: ['verifier'],
    fields: [
      { name: 'category', kind: 'enum', group: 'weapon_category', required: true,
        values: ['small_arm', 'light_weapon', 'heavy_weapon', 'ammunition', 'explosive', 'rocket', 'launcher', 'uav', 'other'] },
      { name: 'description', kind: 'text', required: true },
      { name: 'quantity', kind: 'int', min: 1, required: true, preset: 1 },
      { name: 'place', kind: 'pick', required: true, options: (ctx) => placeOpts(ctx, ['collection_point', 'depot']) },
      { name: 'make', kind: 'text' },
      { name: 'model', kind: 'text' },
      { name: 'calibre', kind: 'text' },
      { name: 'serial', kind: 'text' },
      { name: 'lot', kind: 'text' },
    ],
    check(ctx, v) {
      return v.serial && Number(v.quantity) !== 1 ? [{ field: 'quantity', key: 'serial_one' }] : [];
    },
    body(ctx, v) {
      const b = { record: newThingId('wr'), category: v.category, description: v.description.trim(), quantity: Number(v.quantity), place: v.place };
      for (const k of ['make', 'model', 'calibre', 'serial', 'lot']) if ((v[k] || '').trim()) b[k] = v[k].trim();
      return b;
    },
  },
  {
    key: 'attest', type: 'weapon.attest', roles: ['verifier'],
    fields: [
      { name: 'record', kind: 'pick', required: true,
        options: (ctx) => ctx.choices.weapons.filter((w) => w.org !== ctx.org && (w.status === 'registered' || w.status === 'destroyed'))
          .map((w) => ({ value: w.record, label: `${w.description} · ${w.place}` })) },
      { name: 'stage', kind: 'enum', group: 'stage', required: true, values: ['handover', 'destruction'] },
      { name: 'result', kind: 'enum', group: 'result', required: true, values: ['confirmed', 'discrepancy'] },
      { name: 'note', kind: 'textarea' },
    ],
    check(ctx, v) {
      const w = ctx.choices.weapons.find((x) => x.record === v.record);
      return w && w.org === ctx.org ? [{ field: 'record', key: 'own_record' }] : [];
    },
    body(ctx, v) {
      const b = { record: v.record, stage: v.stage, result: v.result };
      if ((v.note || '').trim()) b.note = v.note.trim();
      return b;
    },
  },
  {
    key: 'keyadd', type: 'key.add', roles: null,
    fields: [
      { name: 'org', kind: 'pick', required: true, preset: (ctx) => ctx.org,
        options: (ctx) => ctx.choices.orgs.map((o) => ({ value: o.org, label: o.name })) },
      { name: 'public_key', kind: 'text', required: true, scanKey: true },
    ],
    check(ctx, v) {
      const out = [];
      if (v.org !== ctx.org && !ctx.roles.has('coordinator')) out.push({ field: 'org', key: 'own_org_only', vars: { org: ctx.org } });
      const k = parseKeyCode(v.public_key);
      if (!k) out.push({ field: 'public_key', key: 'bad_public_key' });
      else if (k.org && k.org !== v.org) out.push({ field: 'public_key', key: 'key_other_org', vars: { org: k.org } });
      return out;
    },
    body: (ctx, v) => ({ org: v.org, public_key: parseKeyCode(v.public_key).key }),
  },
];

/** The text a device shows for enrolment: "cmcc:key:<org>:<base64 key>". */
export const keyCode = (org, b64) => `cmcc:key:${org}:${b64}`;

/** {org, key} from a device's enrolment code, or a bare base64 key; null if neither. */
export function parseKeyCode(text) {
  const s = String(text || '').trim();
  const m = s.match(/^cmcc:key:([A-Za-z0-9][A-Za-z0-9._:-]{0,63}):([A-Za-z0-9+/]{43}=)$/);
  if (m) return { org: m[1], key: m[2] };
  return /^[A-Za-z0-9+/]{43}=$/.test(s) ? { org: null, key: s } : null;
}

/** The consignment id in a scanned or typed label code. */
export function consignmentOfCode(text) {
  const s = String(text || '').trim();
  return s.startsWith(LABEL_PREFIX) ? s.slice(LABEL_PREFIX.length) : s;
}

/** The forms this org may use: its roles' (every one while the roles are unknown). */
export function formsFor(roles) {
  if (!roles || !roles.size) return FORMS;
  return FORMS.filter((f) => !f.roles || f.roles.some((r) => roles.has(r)));
}
