/* charts.js: the few charts the dashboard draws, by hand in SVG and HTML
 * (no library): stacked bars per day, horizontal bars, progress bars and a
 * proportion bar. Every chart has a text equivalent (title on each mark, a
 * table next to it in the views); in right-to-left languages time runs from
 * right to left. Charts follow their container's width. */

import { h, s, clear } from './dom.js';
import { num, day, dir } from './i18n.js';

/** Draws draw(width) into container now and again whenever its width changes. */
export function responsive(container, draw) {
  let last = 0;
  const redraw = () => {
    const w = Math.floor(container.clientWidth);
    if (!w || Math.abs(w - last) < 8) return;
    last = w;
    clear(container).appendChild(draw(w));
  };
  if ('ResizeObserver' in window) new ResizeObserver(redraw).observe(container);
  else window.addEventListener('resize', redraw);
  redraw();
  if (!last) clear(container).appendChild(draw(600));
}

function niceStep(max, ticks) {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/**
 * Stacked bars, one per day: days ['YYYY-MM-DD'...], series [{label, color,
 * values (one per day)}]. Answers an <svg> width wide.
 */
export function stackedDays({ days, series, width, height, label }) {
  height = height || Math.max(190, Math.round(parseFloat(getComputedStyle(document.documentElement).fontSize) * 12));
  const rtl = dir() === 'rtl';
  const totals = days.map((_, i) => series.reduce((a, sr) => a + (sr.values[i] || 0), 0));
  const max = Math.max(1, ...totals);
  const step = Math.max(1, niceStep(max, 4)); // quantities are whole: no 0.25 steps
  const top = Math.ceil(max / step) * step;
  const fs = Math.round(parseFloat(getComputedStyle(document.documentElement).fontSize) * 0.7) || 11;
  const padY = 8, padBottom = fs * 2;
  const axisW = Math.max(34, String(num(top)).length * fs * 0.62 + 8);
  const plotW = Math.max(40, width - axisW - 6);
  const plotH = height - padY - padBottom;
  const x0 = rtl ? 6 : axisW;
  const band = plotW / Math.max(1, days.length);
  const barW = Math.max(2, Math.min(28, band * 0.7));
  const y = (v) => padY + plotH - (v / top) * plotH;
  const svg = s('svg', {
    width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart',
  });
  for (let v = 0; v <= top + 1e-9; v += step) {
    svg.appendChild(s('line', { x1: x0, x2: x0 + plotW, y1: y(v), y2: y(v), class: v ? 'grid' : 'axis' }));
    svg.appendChild(s('text', {
      x: rtl ? x0 + plotW + 4 : x0 - 4, y: y(v) + fs * 0.35, 'text-anchor': rtl ? 'start' : 'end', class: 'tick',
    }, num(v)));
  }
  const every = Math.max(1, Math.ceil((fs * 3.1) / band));
  days.forEach((d, i) => {
    const slot = rtl ? days.length - 1 - i : i;
    const cx = x0 + band * slot + band / 2;
    let acc = 0;
    for (const sr of series) {
      const v = sr.values[i] || 0;
      if (!v) continue;
      const y1 = y(acc + v), y2 = y(acc);
      svg.appendChild(s('rect', {
        x: cx - barW / 2, y: y1, width: barW, height: Math.max(1, y2 - y1), fill: sr.color,
      }, s('title', {}, `${day(d)} · ${sr.label}: ${num(v)}`)));
      acc += v;
    }
    if (i % every === 0) {
      svg.appendChild(s('text', { x: cx, y: height - fs * 0.5, 'text-anchor': 'middle', class: 'tick', direction: rtl ? 'rtl' : null }, day(d, true)));
    }
  });
  return svg;
}

/** Horizontal bars: rows [{label, value, color, href?}] (HTML, follows the text direction). */
export function hbars(rows, { max } = {}) {
  const top = max ?? Math.max(1, ...rows.map((r) => r.value));
  return h('ul', { class: 'hbars' }, rows.map((r) => h('li', { 'data-key': r.key ?? null },
    h('span', { class: 'hb-label' }, r.href ? h('a', { href: r.href }, r.label) : r.label),
    h('span', { class: 'hb-track' },
      h('span', { class: 'hb-bar', style: { width: `${(100 * r.value) / top}%`, background: r.color || '' } })),
    h('span', { class: 'hb-value', 'data-value': r.value }, num(r.value)))));
}

/** A progress bar for a share 0..1 (may exceed 1). */
export function progress(share, text, { overdue = false } = {}) {
  const p = Math.max(0, Math.min(1, share || 0));
  return h('div', {
    class: `progress${overdue ? ' overdue' : ''}`, role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100,
    'aria-valuenow': Math.round(p * 100), 'aria-label': text,
  }, h('span', { style: { width: `${p * 100}%` } }));
}

/** One bar split into parts [{label, value, color}] of a total. */
export function proportion(parts, total, label) {
  const sum = total || parts.reduce((a, p) => a + p.value, 0) || 1;
  return h('div', { class: 'proportion', role: 'img', 'aria-label': label },
    parts.filter((p) => p.value > 0).map((p) => h('span', {
      style: { width: `${(100 * p.value) / sum}%`, background: p.color }, title: `${p.label}: ${num(p.value)}`,
    })));
}

/** A legend: [{label, color}] */
export function legend(items) {
  return h('ul', { class: 'legend' }, items.map((it) => h('li', {},
    h('span', { class: `swatch${it.shape ? ' sw-' + it.shape : ''}`, style: { background: it.color, borderColor: it.border || '' } }), it.label)));
}

/** Colours shared by the views. */
export const COLORS = {
  entered: '#2563eb',
  distributed: '#15803d',
  held: '#0e7490',
  pending: '#d97706',
  lost: '#dc2626',
  unaccounted: '#7c3aed',
  crossings: ['#2563eb', '#0d9488', '#d97706', '#9333ea', '#db2777', '#65a30d', '#475569'],
  status: {
    completed: '#15803d', acknowledged: '#2563eb', pending: '#d97706', denied: '#dc2626',
    impeded: '#b45309', aborted: '#991b1b', cancelled: '#64748b',
    registered: '#64748b', verified: '#2563eb', destroyed: '#d97706', decommissioned: '#15803d',
  },
};
