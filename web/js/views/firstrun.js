/* views/firstrun.js: what the overview shows while the log holds only its
 * first entry (the coordination cell's own org.admit, written by `cmcc
 * init`): no empty charts, but the next steps in order, each with the
 * commands that do it (shown as typed, left to right, whatever the page's
 * language): admit the organizations, define the places, give each its
 * read token, record from the field with the Record page (#/record). */

import { h } from '../dom.js';
import { t, tn } from '../i18n.js';

const cmd = (...lines) => h('pre', { class: 'cmd', dir: 'ltr', lang: 'en', translate: 'no' }, h('code', {}, lines.join('\n')));

/** The first-run card; origin is the server's URL, for the commands. */
export function firstRun(origin) {
  const step = (key, ...rest) => h('li', { 'data-step': key },
    h('h3', {}, t(`first.${key}.title`)), h('p', {}, t(`first.${key}.text`)), rest);
  return h('section', { class: 'card first-run', 'data-first-run': '', 'aria-labelledby': 'h-first' },
    h('h2', { id: 'h-first' }, t('first.heading')),
    h('p', {}, t('first.intro')),
    h('ol', { class: 'steps' },
      step('admit',
        cmd('cmcc keygen relief-a.pem',
          'cmcc new org.admit --org CELL --key DIR/coordinator.pem \\',
          '    --body-org relief-a --name "Relief A" --roles humanitarian \\',
          '    --public-key "$(cmcc keygen --show relief-a.pem | sed -n \'s/^public_key //p\')" \\',
          '    --out outbox.ndjson')),
      step('places',
        cmd('cmcc new place.define --org CELL --key DIR/coordinator.pem \\',
          '    --place kerem-shalom --kind crossing --name "Kerem Shalom crossing" \\',
          '    --lat 31.2281 --lon 34.2836 --out outbox.ndjson',
          `cmcc submit --server ${origin} --token TOKEN outbox.ndjson`)),
      step('tokens',
        cmd('cmcc token create DIR --org relief-a')),
      step('record',
        h('p', {}, tn('first.record.open', { link: h('a', { href: '#/record', 'data-record-link': '' }, t('first.record.link')) })),
        cmd('cmcc new key.add --org relief-a --key relief-a.pem \\',
          '    --body-org relief-a --public-key DEVICE-KEY --out outbox.ndjson',
          `cmcc submit --server ${origin} --token RELIEF-A-TOKEN outbox.ndjson`))),
    h('p', { class: 'muted' }, t('first.docs')));
}
