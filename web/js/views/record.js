/* views/record.js: the Record page (#/record): people in the field record
 * and sign events on their phone, online or not.
 *
 *   device   on first use the page makes this device's Ed25519 key
 *            (WebCrypto, not extractable, kept in IndexedDB) for the org the
 *            user names (or the enrolment link's ?org=), and shows the key
 *            as text and QR code for the org's administrator to add with
 *            key.add; the device then asks for its own token (sync.js)
 *   forms    the field's events (record/forms.js) for the org's roles, with
 *            choices from what the device last synced; the page checks what
 *            it can (required fields, counts above what is held) in the
 *            user's language before signing
 *   outbox   every signed event is stored before it is sent, with its state
 *            (waiting, sending, accepted with its log index, refused with
 *            the protocol's code and sentence); each accepted event says
 *            whether its proof is kept (record/proofs.js) and offers it as
 *            ID.proof with its envelope ID.json for `cmcc proof verify`; the
 *            export is an archive of the waiting envelopes (for
 *            `cmcc submit`) and the proofs; another device imports it
 *
 * Routes: #/record, #/record?org=ORG (an enrolment link), #/record?form=KEY. */

import { h, replace, id } from '../dom.js';
import { t, tn, num, ordinal, label, timeEl } from '../i18n.js';
import { title, empty } from '../ui.js';
import { newKey, eventBytes, envelope, newId, nowIso, hasEd25519 } from '../record/sign.js';
import * as outbox from '../record/outbox.js';
import * as sync from '../record/sync.js';
import { formsFor, FORMS, keyCode, consignmentOfCode, outboxUse } from '../record/forms.js';

const ORG_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
let unsubscribe = [];

async function qr(text, labelText) {
  try {
    const { qrSvg } = await import('../qr.js');
    return await qrSvg(text, { label: labelText });
  } catch {
    return h('p', { class: 'muted', 'data-qr': 'unavailable' }, t('record.device.no_qr'));
  }
}

/* ---- the device ---------------------------------------------------- */

async function makeDevice(org) {
  const key = await newKey();
  const dev = { name: 'device', ...key, org, token: null, tokenId: null, state: 'new', created: nowIso() };
  await sync.saveDevice(dev);
  return dev;
}

function setupCard(ctx, onMade) {
  const input = h('input', {
    id: 'rec-org', name: 'org', dir: 'ltr', autocomplete: 'organization', spellcheck: 'false', required: true,
    value: ctx.query.org || '', 'aria-describedby': 'rec-org-help rec-org-msg', autocapitalize: 'none',
  });
  const msg = h('p', { id: 'rec-org-msg', class: 'field-msg', role: 'alert' });
  const form = h('form', {
    class: 'rec-form', novalidate: true, 'data-form': 'setup', onsubmit: async (e) => {
      e.preventDefault();
      const org = input.value.trim();
      if (!ORG_RE.test(org)) {
        msg.textContent = t('record.device.bad_org');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      btn.disabled = true;
      await makeDevice(org);
      onMade();
    },
  },
  h('label', { for: 'rec-org' }, t('record.device.org')),
  input,
  h('p', { id: 'rec-org-help', class: 'hint' }, t('record.device.org_help')),
  msg);
  const btn = h('button', { type: 'submit', class: 'big' }, t('record.device.create'));
  form.append(btn);
  return h('section', { class: 'card rec-device', 'data-device': 'none' },
    h('h2', {}, t('record.device.title')), h('p', {}, t('record.device.intro')), form);
}

async function deviceCard(dev, st) {
  const code = keyCode(dev.org, dev.publicB64);
  const state = dev.state === 'enrolled' || dev.token ? 'enrolled' : dev.state === 'revoked' ? 'revoked' : 'waiting';
  const cli = `cmcc new key.add --org ${dev.org} --key ADMIN.pem --body-org ${dev.org} --public-key ${dev.publicB64} --out enrol.ndjson`;
  const kids = [
    h('h2', {}, t('record.device.title')),
    h('p', { class: `rec-state s-${state}`, 'data-device-state': state, role: 'status' }, t(`record.device.state_${state}`)),
    h('dl', { class: 'facts' },
      h('dt', {}, t('record.device.org')), h('dd', {}, id(dev.org)),
      h('dt', {}, t('record.device.keyid')), h('dd', {}, id(dev.keyid))),
  ];
  if (state === 'revoked' && dev.refusal) {
    kids.push(h('p', { class: 'error' }, t('record.device.revoked_help'), ' ', h('q', { lang: 'en', dir: 'ltr' }, dev.refusal.message || dev.refusal.code)));
  } else if (state === 'waiting') {
    if (st && st.state === 'token_refused' && st.detail) {
      kids.push(h('p', { class: 'error', 'data-token-refused': st.detail.code }, t(`record.code.${st.detail.code}`) || '', ' ', h('q', { lang: 'en', dir: 'ltr' }, st.detail.message || '')));
    }
    kids.push(
      h('p', {}, t('record.device.enrol_help')),
      h('div', { class: 'qr-box' }, await qr(code, t('record.device.qr_label'))),
      h('label', { for: 'rec-key-code' }, t('record.device.key_code')),
      h('textarea', { id: 'rec-key-code', readonly: true, dir: 'ltr', rows: 3, 'data-key-code': code, onfocus: (e) => e.target.select() }, code),
      h('details', {}, h('summary', {}, t('record.device.cli')), h('pre', { dir: 'ltr', class: 'cli' }, cli)),
      h('button', { type: 'button', class: 'big', 'data-action': 'check-enrolment', onclick: () => sync.kick() }, t('record.device.check')));
  } else {
    const link = `${location.origin}${location.pathname}#/record?org=${encodeURIComponent(dev.org)}`;
    kids.push(h('details', { 'data-enrol-link': link },
      h('summary', {}, t('record.device.share')),
      h('p', {}, t('record.device.share_help')),
      h('div', { class: 'qr-box' }, await qr(link, t('record.device.share'))),
      h('p', { dir: 'ltr', class: 'cli' }, link)));
  }
  return h('section', { class: 'card rec-device', 'data-device': state }, kids);
}

/* ---- the status bar ------------------------------------------------ */

async function statusBar(dev) {
  const waiting = await outbox.waitingCount();
  const online = navigator.onLine;
  const st = sync.syncStatus();
  const notEnrolled = dev && !dev.token && dev.state !== 'revoked';
  let text;
  if (!online) text = t('record.bar.offline', { count: waiting });
  else if (notEnrolled && waiting) text = t('record.bar.not_enrolled', { count: waiting });
  else if (st.state === 'sending' || st.state === 'syncing') text = t('record.bar.sending', { count: waiting });
  else if (waiting) text = t('record.bar.waiting', { count: waiting });
  else text = t('record.bar.all_sent');
  return h('div', {
    class: `rec-bar ${online ? 'on' : 'off'}`, role: 'status', 'aria-live': 'polite',
    'data-online': online ? '1' : '0', 'data-waiting': waiting, 'data-sync': st.state,
  },
  h('span', {}, text),
  dev && dev.state !== 'revoked' ? h('button', { type: 'button', 'data-action': 'sync', onclick: () => sync.kick() }, t('record.bar.send_now')) : null);
}

/* ---- forms --------------------------------------------------------- */

function scanButton(onCode) {
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) return null;
  return h('button', {
    type: 'button', class: 'scan', 'data-action': 'scan', onclick: async (e) => {
      const btn = e.currentTarget;
      const box = h('div', { class: 'scan-box' });
      btn.after(box);
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      } catch {
        replace(box, h('p', { class: 'error' }, t('record.scan.no_camera')));
        return;
      }
      const video = h('video', { playsinline: true, muted: true, 'aria-label': t('record.scan.camera') });
      video.srcObject = stream;
      const stop = () => { stream.getTracks().forEach((x) => x.stop()); box.remove(); };
      replace(box, video, h('button', { type: 'button', onclick: stop }, t('record.scan.stop')));
      await video.play();
      const det = new window.BarcodeDetector({ formats: ['qr_code'] });
      const look = async () => {
        if (!box.isConnected) return;
        try {
          const found = await det.detect(video);
          if (found.length) { stop(); onCode(found[0].rawValue); return; }
        } catch { /* next frame */ }
        setTimeout(look, 250);
      };
      look();
    },
  }, t('record.scan.button'));
}

function fieldId(name) { return `rec-f-${name.replace(/[^a-z0-9_]/gi, '-')}`; }

function control(f, ctx, values, rerender) {
  const fid = fieldId(f.name);
  const lab = t(`record.field.${f.name}`);
  const wrap = (input, extra = []) => h('div', { class: 'field', 'data-field': f.name },
    h('label', { for: fid }, lab, f.required ? null : h('span', { class: 'opt' }, ` ${t('record.optional')}`)),
    input, extra, h('p', { class: 'field-msg', id: `${fid}-msg` }));
  const set = (v) => { values[f.name] = v; };
  switch (f.kind) {
    case 'pick': {
      const opts = f.options(ctx, values);
      const list = h('datalist', { id: `${fid}-list` }, opts.map((o) => h('option', { value: o.value }, o.label)));
      const input = h('input', {
        id: fid, name: f.name, dir: 'ltr', list: `${fid}-list`, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
        value: values[f.name] ?? '', 'aria-describedby': `${fid}-msg`,
        oninput: (e) => { set(f.name === 'consignment' ? consignmentOfCode(e.target.value) : e.target.value.trim()); },
        onchange: (e) => {
          if (f.name === 'consignment') e.target.value = consignmentOfCode(e.target.value);
          set(e.target.value.trim());
          if (f.drives) rerender();
        },
      });
      const sel = opts.length && opts.length <= 40 ? h('select', {
        'aria-label': `${lab}: ${t('record.choose')}`, class: 'pick-list',
        onchange: (e) => { if (e.target.value) { input.value = e.target.value; set(e.target.value); if (f.drives) rerender(); } },
      }, h('option', { value: '' }, t('record.choose')), opts.map((o) => h('option', { value: o.value, selected: o.value === values[f.name] }, `${o.value} · ${o.label}`))) : null;
      const scan = f.scan || f.scanKey ? scanButton((code) => {
        const v = f.scan ? consignmentOfCode(code) : code;
        input.value = v;
        set(v);
        if (f.drives) rerender();
      }) : null;
      return wrap(input, [list, sel, scan]);
    }
    case 'enum': {
      const sel = h('select', {
        id: fid, name: f.name, 'aria-describedby': `${fid}-msg`, onchange: (e) => set(e.target.value),
      }, h('option', { value: '' }, t('record.choose')), f.values.map((v) => h('option', { value: v, selected: values[f.name] === v }, label(f.group, v))));
      return wrap(sel);
    }
    case 'text': case 'int': {
      const attrs = f.kind === 'int' ? { type: 'number', inputmode: 'numeric', min: f.min ?? 0, step: 1 } : { type: 'text' };
      return wrap(h('input', {
        id: fid, name: f.name, ...attrs, value: values[f.name] ?? '', 'aria-describedby': `${fid}-msg`,
        oninput: (e) => set(e.target.value), dir: f.kind === 'int' ? 'ltr' : 'auto',
      }), f.scanKey ? [scanButton((code) => { set(code); rerender(); })] : []);
    }
    case 'textarea':
      return wrap(h('textarea', { id: fid, name: f.name, rows: 3, dir: 'auto', 'aria-describedby': `${fid}-msg`, oninput: (e) => set(e.target.value) }, values[f.name] ?? ''));
    case 'datetime': {
      const local = (iso) => { const d = new Date(iso); return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); };
      if (!values[f.name]) values[f.name] = nowIso();
      return wrap(h('input', {
        id: fid, name: f.name, type: 'datetime-local', value: local(values[f.name]), 'aria-describedby': `${fid}-msg`, dir: 'ltr',
        oninput: (e) => { const d = new Date(e.target.value); set(Number.isNaN(d.getTime()) ? '' : nowIso(d)); },
      }));
    }
    case 'geo': {
      const pos = values[f.name] || (values[f.name] = { lat: '', lon: '' });
      const lat = h('input', { id: fid, name: 'lat', type: 'number', step: 'any', inputmode: 'decimal', dir: 'ltr', value: pos.lat, oninput: (e) => { pos.lat = e.target.value; } });
      const lon = h('input', { id: `${fid}-lon`, name: 'lon', type: 'number', step: 'any', inputmode: 'decimal', dir: 'ltr', value: pos.lon, oninput: (e) => { pos.lon = e.target.value; } });
      const here = navigator.geolocation ? h('button', {
        type: 'button', 'data-action': 'locate', onclick: () => navigator.geolocation.getCurrentPosition((p) => {
          pos.lat = lat.value = p.coords.latitude.toFixed(5);
          pos.lon = lon.value = p.coords.longitude.toFixed(5);
        }, () => {}, { timeout: 15000 }),
      }, t('record.geo.here')) : null;
      return h('fieldset', { class: 'field geo', 'data-field': f.name },
        h('legend', {}, t(`record.field.${f.name}`), h('span', { class: 'opt' }, ` ${t('record.optional')}`)),
        h('label', { for: fid }, t('record.geo.lat')), lat,
        h('label', { for: `${fid}-lon` }, t('record.geo.lon')), lon, here,
        h('p', { class: 'field-msg', id: `${fid}-msg` }));
    }
    case 'lines': return linesControl(f, ctx, values);
    case 'screen': return screenControl(f, ctx, values);
    default: return null;
  }
}

function linesControl(f, ctx, values) {
  const lines = f.lines(ctx, values);
  const counts = values[f.name] || (values[f.name] = {});
  const fid = fieldId(f.name);
  if (!lines) {
    // a consignment or transfer this device has not synced: "line:quantity" typed
    const input = h('input', {
      id: fid, name: f.name, dir: 'ltr', placeholder: '1:40, 2:10', 'aria-describedby': `${fid}-help ${fid}-msg`,
      oninput: (e) => {
        for (const k of Object.keys(counts)) delete counts[k];
        for (const part of e.target.value.split(/[,\s]+/)) {
          const m = part.match(/^(\d+):(\d+)$/);
          if (m) counts[m[1]] = m[2];
        }
      },
    });
    return h('div', { class: 'field', 'data-field': f.name },
      h('label', { for: fid }, t(`record.field.${f.name}`)), input,
      h('p', { class: 'hint', id: `${fid}-help` }, t('record.lines.typed')),
      h('p', { class: 'field-msg', id: `${fid}-msg` }));
  }
  if (!lines.length) return h('p', { class: 'empty', 'data-field': f.name }, t('record.lines.none'));
  return h('fieldset', { class: 'field lines', 'data-field': f.name },
    h('legend', {}, t(`record.field.${f.name}`)),
    lines.map((l) => {
      const lid = `${fid}-${l.line}`;
      if (counts[l.line] === undefined && l.preset !== undefined) counts[l.line] = String(l.preset);
      return h('div', { class: 'line', 'data-line': l.line },
        h('label', { for: lid },
          t('record.lines.line', { line: ordinal(l.line) }), ' · ', h('bdi', {}, l.item || '—'),
          h('span', { class: 'max' }, ' ', t(l.held ? 'record.lines.held' : 'record.lines.max', { max: num(l.max), unit: label('unit', l.unit) }))),
        h('input', {
          id: lid, name: `${f.name}.${l.line}`, type: 'number', inputmode: 'numeric', min: 0, step: 1, dir: 'ltr',
          value: counts[l.line] ?? '', 'aria-describedby': `${lid}-msg`, oninput: (e) => { counts[l.line] = e.target.value; },
        }),
        h('p', { class: 'field-msg', id: `${lid}-msg` }));
    }),
    h('p', { class: 'field-msg', id: `${fid}-msg` }));
}

function screenControl(f, ctx, values) {
  const c = ctx.choices.consignments.find((x) => x.consignment === values.consignment);
  const dec = values[f.name] || (values[f.name] = {});
  if (!c) return h('p', { class: 'hint', 'data-field': f.name }, t('record.screen.pick_first'));
  return h('fieldset', { class: 'field lines', 'data-field': f.name },
    h('legend', {}, t('record.field.decisions')),
    c.lines.map((l) => {
      const d = dec[l.line] || (dec[l.line] = { approved: String(l.declared), reason: '' });
      const lid = `rec-f-decisions-${l.line}`;
      return h('div', { class: 'line', 'data-line': l.line },
        h('label', { for: lid }, t('record.lines.line', { line: ordinal(l.line) }), ' · ', h('bdi', {}, l.item),
          h('span', { class: 'max' }, ' ', t('record.screen.declared', { max: num(l.declared), unit: label('unit', l.unit) }))),
        h('input', { id: lid, name: `decisions.${l.line}`, type: 'number', inputmode: 'numeric', min: 0, dir: 'ltr', value: d.approved, oninput: (e) => { d.approved = e.target.value; } }),
        h('label', { for: `${lid}-reason` }, t('record.screen.reason')),
        h('select', { id: `${lid}-reason`, onchange: (e) => { d.reason = e.target.value; } },
          h('option', { value: '' }, t('record.screen.no_reason')),
          ['dual_use', 'damaged', 'expired', 'documentation', 'other'].map((r) => h('option', { value: r, selected: d.reason === r }, label('screen_reason', r)))),
        h('p', { class: 'field-msg', id: `${lid}-msg` }));
    }));
}

function showErrors(formEl, errors) {
  for (const m of formEl.querySelectorAll('.field-msg')) m.textContent = '';
  for (const i of formEl.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  const summary = formEl.querySelector('.form-errors');
  replace(summary);
  if (!errors.length) return;
  const items = errors.map((e) => {
    const text = t(`record.check.${e.key}`, e.vars);
    const [name, line] = e.field.split('.');
    const fid = line ? `${fieldId(name)}-${line}` : fieldId(name);
    const input = formEl.querySelector(`#${fid}`);
    const msg = formEl.querySelector(`#${fid}-msg`);
    if (input) input.setAttribute('aria-invalid', 'true');
    if (msg) msg.textContent = text;
    return h('li', { 'data-check': e.key }, input ? h('a', { href: `#${fid}`, onclick: (ev) => { ev.preventDefault(); input.focus(); } }, text) : text);
  });
  replace(summary, h('p', {}, t('record.check.title')), h('ul', {}, items));
  summary.focus();
}

function requiredErrors(form, values) {
  const out = [];
  for (const f of form.fields) {
    if (!f.required) continue;
    const v = values[f.name];
    if (v === undefined || v === null || String(v).trim() === '') out.push({ field: f.name, key: 'required', vars: { field: t(`record.field.${f.name}`) } });
  }
  return out;
}

/* What the forms choose from and check against: the synced choices, the
 * org's roles, and what the device's own unsynced events already took. */
async function formContext(dev) {
  const choices = await sync.choices();
  const me = choices.orgs.find((o) => o.org === dev.org);
  return { org: dev.org, roles: new Set(me ? me.roles : []), choices, ...outboxUse(await outbox.list(), choices.at) };
}

function formCard(form, ctx, dev, onSaved) {
  const values = {};
  for (const f of form.fields) if (f.preset !== undefined) values[f.name] = typeof f.preset === 'function' ? f.preset(ctx) : String(f.preset);
  const card = h('section', { class: 'card rec-form-card', 'data-form': form.key });
  // drawn again when a field that others depend on changes; never from
  // inside the change event itself, which a blur fires while the old form
  // is being taken down
  const redraw = () => setTimeout(() => { if (card.isConnected) draw(); });
  const draw = () => {
    const el = h('form', { class: 'rec-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); submit(el); } },
      h('h2', { tabindex: '-1' }, t(`record.form.${form.key}`)),
      h('p', { class: 'hint' }, t(`record.help.${form.key}`)),
      h('div', { class: 'form-errors', role: 'alert', tabindex: '-1' }),
      form.fields.map((f) => control(f, ctx, values, redraw)),
      h('button', { type: 'submit', class: 'big primary' }, t('record.sign')));
    replace(card, el);
  };
  let busy = false;
  async function submit(el) {
    // one signature per form: a second tap while the first is signed and
    // kept would record the event twice, under another id
    if (busy) return;
    busy = true;
    const button = el.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await sign(el);
    } finally {
      busy = false;
      button.disabled = false;
    }
  }
  async function sign(el) {
    // checked against the choices and outbox as they are now: a sync may
    // have brought new ones since the form was drawn
    Object.assign(ctx, await formContext(dev));
    let errors = requiredErrors(form, values);
    if (!errors.length && form.check) errors = form.check(ctx, values);
    showErrors(el, errors);
    if (errors.length) return;
    const time = nowIso();
    const ev = { type: form.type, id: newId(form.type), org: dev.org, time, body: form.body(ctx, values) };
    const line = await envelope(dev, eventBytes(ev));
    const ref = values.consignment || values.transfer || values.movement || values.record || ev.body.incident || values.org || '';
    await outbox.keep(line, ev, { form: form.key, ref });
    onSaved(ev);
  }
  draw();
  return card;
}

/* ---- the outbox ---------------------------------------------------- */

function outboxItem(r, dev) {
  const state = r.state === 'sending' ? 'sending' : r.state;
  const kids = [
    h('div', { class: 'ob-head' },
      h('span', { class: `badge ob-${state}` }, t(`record.state.${state}`)),
      h('strong', {}, label('event_type', r.type)),
      r.summary && r.summary.ref ? [' ', id(r.summary.ref)] : null),
    h('p', { class: 'muted' }, timeEl(h, r.time), ' · ', id(r.id)),
  ];
  if (state === 'waiting' && dev && !dev.token && dev.state !== 'revoked') kids.push(h('p', { class: 'note', 'data-note': 'not_enrolled' }, t('record.device.not_enrolled_note')));
  if (state === 'accepted') {
    kids.push(h('p', {}, tn(r.duplicate ? 'record.accepted_dup' : 'record.accepted', { index: h('a', { href: `#/entries/${r.index}` }, `#${ordinal(r.index)}`) })));
    kids.push(proofLine(r));
  }
  if (state === 'refused') {
    const local = t(`record.code.${r.code}`);
    kids.push(
      h('p', { class: 'error', 'data-code': r.code }, h('code', { dir: 'ltr' }, r.code), ' ', local.startsWith('⟦') ? '' : local),
      r.message ? h('p', { class: 'error-detail' }, t('error.server_said'), ' ', h('q', { lang: 'en', dir: 'ltr' }, r.message), r.field ? [' (', h('code', { dir: 'ltr' }, r.field), ')'] : null) : null);
  }
  if (state === 'refused' || (state === 'accepted' && !outbox.keepsEvidence(r))) {
    kids.push(h('button', { type: 'button', class: 'linklike', 'data-action': 'dismiss', onclick: async () => { await outbox.dismiss(r.key); } }, t('record.dismiss')));
  }
  return h('li', { class: `ob-item ob-${state}`, 'data-key': r.key, 'data-state': state, 'data-type': r.type }, kids);
}

/* An accepted event's proof: kept (and the two files that check it),
 * still to come, or the log's answer that it no longer holds the event. */
function proofLine(r) {
  if (r.proof) {
    const name = outbox.fileName(r.id);
    return h('div', { class: 'ob-proof', 'data-proof': 'kept' },
      h('p', { class: 'ok-text' }, t('record.proof.kept')),
      h('details', {},
        h('summary', {}, t('record.proof.save')),
        h('p', { class: 'hint' }, t('record.proof.save_help')),
        h('div', { class: 'row wrap' },
          h('button', { type: 'button', 'data-action': 'save-proof', onclick: () => download(`${name}.proof`, r.proof, 'text/plain') }, h('bdi', { dir: 'ltr' }, `${name}.proof`)),
          h('button', { type: 'button', 'data-action': 'save-envelope', onclick: () => download(`${name}.json`, `${r.envelope}\n`, 'application/json') }, h('bdi', { dir: 'ltr' }, `${name}.json`))),
        h('pre', { dir: 'ltr', class: 'cli' }, `cmcc proof verify ${name}.proof ${name}.json --vkey KEY`)));
  }
  if (r.dropped) {
    return h('div', { class: 'ob-proof', 'data-proof': 'dropped', 'data-entry': r.dropped.entry },
      h('p', { class: 'error', role: 'alert' }, t(`record.proof.dropped_${r.dropped.entry === 'other' ? 'other' : 'absent'}`, { index: `#${ordinal(r.index)}` })),
      r.dropped.message ? h('p', { class: 'error-detail' }, t('error.server_said'), ' ', h('q', { lang: 'en', dir: 'ltr' }, r.dropped.message)) : null);
  }
  return h('p', { class: 'muted ob-proof', 'data-proof': 'waiting' }, t('record.proof.waiting'));
}

function download(name, data, type = 'application/x-ndjson') {
  const a = h('a', { href: URL.createObjectURL(new Blob([data], { type })), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

const SHOWN = 30;
let showAll = false;

/* msg: the import's report, one node kept across redraws of the card;
 * redraw draws the card again. Refused events are always listed (they need
 * the user), then the newest others up to SHOWN unless all are asked for. */
async function outboxCard(dev, msg, redraw) {
  const recs = await outbox.list();
  const file = h('input', {
    id: 'rec-import', type: 'file', accept: '.tar,.ndjson,.jsonl,.json,.txt,application/x-tar,application/x-ndjson', onchange: async (e) => {
      const f = e.target.files && e.target.files[0];
      if (!f) return;
      let r;
      try {
        r = await outbox.importFile(new Uint8Array(await f.arrayBuffer()));
      } catch (err) {
        msg.dataset.import = 'broken';
        msg.textContent = t('record.import_broken', { message: String(err.message || err) });
        return;
      }
      msg.dataset.import = `${r.added}/${r.present}/${r.bad.length}`;
      msg.textContent = t('record.import_done', { added: r.added, present: r.present, bad: r.bad.length });
      if (r.added) sync.kick();
    },
  });
  const counts = {};
  for (const r of recs) counts[r.state] = (counts[r.state] || 0) + 1;
  const newest = recs.slice().reverse();
  const refused = newest.filter((r) => r.state === 'refused');
  const others = newest.filter((r) => r.state !== 'refused');
  const shown = showAll ? newest : [...refused, ...others.slice(0, Math.max(0, SHOWN - refused.length))];
  const more = recs.length - shown.length;
  return h('section', { class: 'card rec-outbox', 'data-outbox': recs.length },
    h('h2', {}, t('record.outbox.title'), ' ', h('span', { class: 'n' }, num(recs.length))),
    recs.length ? h('p', { class: 'muted', 'data-counts': JSON.stringify(counts) },
      ['waiting', 'sending', 'accepted', 'refused'].filter((k) => counts[k])
        .map((k) => `${t(`record.state.${k}`)}: ${num(counts[k])}`).join(' · ')) : null,
    recs.length ? h('ul', { class: 'outbox' }, shown.map((r) => outboxItem(r, dev))) : empty(t('record.outbox.empty')),
    more > 0 || showAll ? h('button', {
      type: 'button', class: 'linklike', 'data-action': 'show-all', onclick: () => { showAll = !showAll; redraw(); },
    }, showAll ? t('record.outbox.show_fewer') : t('record.outbox.show_all', { count: recs.length })) : null,
    h('div', { class: 'row wrap' },
      h('button', {
        type: 'button', 'data-action': 'export', disabled: !recs.some((r) => r.state !== 'accepted' || r.proof),
        onclick: async () => download(`cmcc-outbox-${nowIso().replace(/[:]/g, '')}.tar`, await outbox.exportTar(), 'application/x-tar'),
      }, t('record.outbox.export')),
      h('label', { for: 'rec-import', class: 'button-like' }, t('record.outbox.import')), file),
    h('p', { class: 'hint' }, t('record.outbox.help')),
    msg);
}

/* ---- the page ------------------------------------------------------ */

export default async function record(ctx) {
  for (const u of unsubscribe) u();
  unsubscribe = [];
  if (!(await hasEd25519())) {
    replace(ctx.main, title(t('record.title')), h('section', { class: 'card' }, h('p', { class: 'error', 'data-record': 'no-crypto' }, t(window.isSecureContext ? 'record.no_ed25519' : 'record.insecure'))));
    return;
  }
  const main = ctx.main;
  const barSlot = h('div', { class: 'rec-bar-slot' });
  const devSlot = h('div');
  const pickSlot = h('div');
  const formSlot = h('div');
  const boxSlot = h('div');
  replace(main, title(t('record.title'), t('record.sub')), barSlot, devSlot, pickSlot, formSlot, boxSlot);

  let dev = await sync.device();
  const redrawBar = async () => { if (ctx.isCurrent()) replace(barSlot, await statusBar(dev)); };
  // nodes kept across redraws: the import's report, the last save's message
  const importMsg = h('p', { class: 'note', role: 'status', 'data-import': '' });
  const saved = h('p', { class: 'ok-box', role: 'status', 'data-saved': '' });
  const redrawBox = async () => { if (ctx.isCurrent()) replace(boxSlot, await outboxCard(dev, importMsg, redrawBox)); };
  const redrawDev = async () => {
    dev = await sync.device();
    if (!ctx.isCurrent()) return;
    if (!dev) { replace(devSlot, setupCard(ctx, () => { sync.auto(); redrawAll(); })); return; }
    replace(devSlot, await deviceCard(dev, sync.syncStatus()));
  };
  const redrawForms = async () => {
    if (!ctx.isCurrent()) return;
    if (!dev) { replace(pickSlot); replace(formSlot); return; }
    const fctx = await formContext(dev);
    const { choices, roles } = fctx;
    const forms = formsFor(roles);
    const chosen = forms.find((f) => f.key === ctx.query.form) || null;
    replace(pickSlot, h('nav', { class: 'card rec-pick', 'aria-label': t('record.pick') },
      h('h2', {}, t('record.pick')),
      choices.at ? h('p', { class: 'hint' }, t('record.synced'), ' ', timeEl(h, new Date(choices.at).toISOString())) : h('p', { class: 'hint' }, t('record.never_synced')),
      h('ul', { class: 'pick-grid' }, forms.map((f) => h('li', {},
        h('a', { href: `#/record?form=${f.key}`, class: `pick${chosen === f ? ' on' : ''}`, 'data-pick': f.key, 'aria-current': chosen === f ? 'true' : null }, t(`record.form.${f.key}`)))))));
    if (!chosen) { replace(formSlot); return; }
    replace(formSlot, saved, formCard(chosen, fctx, dev, async (ev) => {
      // a fresh form first, then the message: once it says saved, the
      // next event can be entered
      await redrawForms();
      saved.dataset.saved = ev.id;
      saved.textContent = t('record.saved', { type: label('event_type', ev.type) });
      sync.kick();
    }));
    if (FORMS.indexOf(chosen) >= 0 && ctx.query.form) formSlot.querySelector('h2')?.focus();
  };
  const redrawAll = async () => { await redrawDev(); await redrawBar(); await redrawForms(); await redrawBox(); };

  await redrawAll();
  const stateOf = (d) => (d ? (d.token ? 'enrolled' : d.state) : 'none');
  let lastState = stateOf(dev);
  let synced = (await sync.choices()).at;
  // a sync changes many records in a row: the list is drawn once they settle
  const settled = (f) => { let timer = null; return () => { clearTimeout(timer); timer = setTimeout(f, 150); }; };
  unsubscribe.push(outbox.onChange(settled(() => { redrawBar(); redrawBox(); })));
  unsubscribe.push(sync.onStatus(async () => {
    redrawBar();
    const d = await sync.device();
    const now = stateOf(d);
    const at = (await sync.choices()).at;
    // the forms are drawn again only when what they offer changed in kind
    // (enrolled: the org's roles are known; first choices synced), never
    // under a person's half-filled form
    const redraw = now !== lastState || (at && !synced);
    if (now !== lastState || sync.syncStatus().state === 'token_refused') redrawDev();
    lastState = now;
    synced = at;
    if (redraw) redrawForms();
  }));
  const net = () => redrawBar();
  window.addEventListener('online', net);
  window.addEventListener('offline', net);
  unsubscribe.push(() => { window.removeEventListener('online', net); window.removeEventListener('offline', net); });
  if (dev) sync.auto();
}
