/* i18n.js: the language of the page. Strings live in one file per language
 * (web/i18n/en.js, ar.js, he.js; adding a language is adding its file and
 * its code to LANGS); t() looks a key up, tn() builds a sentence whose parts
 * may be links; a string may have plural forms ({one, other}, Arabic's
 * zero, two, few, many, Hebrew's two) chosen by vars.count; numbers,
 * percentages, dates and durations go through Intl for the language's
 * locale (en-GB, ar, he-IL). A missing key shows as ⟦key⟧ so that tests
 * and readers notice.
 *
 * The page's language: the reader's choice when there is one (kept in
 * localStorage), else the first of the browser's languages
 * (navigator.languages, in the reader's order) that the page has, else
 * English. */

const LANG_KEY = 'cmcc.lang';
export const LANGS = ['en', 'ar', 'he'];
/** Each language named in itself, for the language switch. */
export const LANG_NAMES = { en: 'English', ar: 'العربية', he: 'עברית' };

let current = 'en';
let dict = {};
let nf, nfPlain, pf, dtf, df, dayf, dayShort, hourf, plural;

function lookup(d, key) {
  let v = d;
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object' || !(part in v)) return undefined;
    v = v[part];
  }
  return v;
}

export function preferredLang() {
  let l = '';
  try { l = localStorage.getItem(LANG_KEY) || ''; } catch { /* private mode */ }
  if (LANGS.includes(l)) return l;
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''];
  for (const tag of wanted) {
    const primary = String(tag).toLowerCase().split('-')[0];
    // "iw" is Hebrew's old code, still sent by some systems
    const code = primary === 'iw' ? 'he' : primary;
    if (LANGS.includes(code)) return code;
  }
  return 'en';
}

/** Shows the page in l; keep: remember it as the reader's choice. */
export async function setLang(l, { keep = true } = {}) {
  if (!LANGS.includes(l)) l = 'en';
  // only the language shown is loaded: the tests check that both files
  // have every key, so there is no need to fetch English as a fallback
  dict = (await import(`../i18n/${l}.js`)).default;
  current = l;
  if (keep) { try { localStorage.setItem(LANG_KEY, l); } catch { /* private mode */ } }
  const loc = dict.meta.locale;
  nf = new Intl.NumberFormat(loc);
  plural = new Intl.PluralRules(loc);
  nfPlain = new Intl.NumberFormat(loc, { useGrouping: false });
  pf = new Intl.NumberFormat(loc, { style: 'percent', maximumFractionDigits: 1 });
  dtf = new Intl.DateTimeFormat(loc, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    timeZone: 'UTC', timeZoneName: 'short', hourCycle: 'h23',
  });
  df = new Intl.DateTimeFormat(loc, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
  dayf = new Intl.DateTimeFormat(loc, { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });
  dayShort = new Intl.DateTimeFormat(loc, { month: 'numeric', day: 'numeric', timeZone: 'UTC' });
  hourf = new Intl.NumberFormat(loc, { style: 'unit', unit: 'hour', unitDisplay: 'long', maximumFractionDigits: 1 });
  const root = document.documentElement;
  root.lang = dict.meta.lang;
  root.dir = dict.meta.dir;
  return l;
}

export const lang = () => current;
export const dir = () => dict.meta.dir;
export const locale = () => dict.meta.locale;

const FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'];

/** Whether v is a string with plural forms: an object of only {zero, one, two, few, many, other}. */
export const isPlural = (v) => !!v && typeof v === 'object' && typeof v.other === 'string'
  && Object.keys(v).every((k) => FORMS.includes(k));

/** A string with plural forms is an object {one, few, ..., other}: vars.count chooses. */
function plurals(v, vars) {
  if (isPlural(v)) {
    const n = vars && typeof vars.count === 'number' ? vars.count : NaN;
    return v[Number.isNaN(n) ? 'other' : plural.select(n)] ?? v.other;
  }
  return v;
}

export function t(key, vars) {
  let v = plurals(lookup(dict, key), vars);
  if (typeof v !== 'string') return `⟦${key}⟧`;
  if (vars) v = v.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return v;
}

/** Like t(), as a list of nodes and strings: vars may be DOM nodes (links, ids). */
export function tn(key, vars = {}) {
  const out = [];
  const text = t(key, typeof vars.count === 'number' ? { count: vars.count } : undefined);
  let last = 0;
  text.replace(/\{(\w+)\}/g, (m, k, at) => {
    out.push(text.slice(last, at));
    out.push(k in vars ? vars[k] : m);
    last = at + m.length;
    return m;
  });
  out.push(text.slice(last));
  return out.filter((x) => x !== '');
}

/** The label of an enumerated value (a status, a kind, a category...), or the value itself. */
export function label(group, value) {
  if (value === null || value === undefined) return '';
  const pick = (d) => { const g = d.enum && d.enum[group]; return g ? g[value] : undefined; };
  const v = pick(dict);
  return typeof v === 'string' ? v : String(value).replace(/_/g, ' ');
}

export const num = (n) => (n === null || n === undefined || n === '' ? '—' : nf.format(n));
/** A number that names something (a log index, a line): no thousands separator. */
export const ordinal = (n) => (n === null || n === undefined ? '—' : nfPlain.format(n));
export const pct = (x) => (x === null || x === undefined ? '—' : pf.format(x));
export const hours = (n) => (n === null || n === undefined ? '—' : hourf.format(n));

function asDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}
export function dateTime(iso) {
  const d = iso && asDate(iso);
  return d ? dtf.format(d) : '—';
}
export function date(iso) {
  const d = iso && asDate(iso);
  return d ? df.format(d) : '—';
}
/** A UTC day 'YYYY-MM-DD', long (weekday, month, day) or short (numbers). */
export function day(d, short = false) {
  const x = asDate(`${d}T00:00:00Z`);
  return x ? (short ? dayShort : dayf).format(x) : d;
}

/** A <time> element for an RFC 3339 time. */
export function timeEl(h, iso, short = false) {
  if (!iso) return '—';
  return h('time', { datetime: iso }, short ? date(iso) : dateTime(iso));
}
