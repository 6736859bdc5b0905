/* views/map.js: the deconfliction picture on a map drawn in SVG, with no
 * tile server and nothing fetched from elsewhere: the outline of the Gaza
 * Strip the project ships (web/data/gaza-strip.json), then zones, movement
 * routes, notified sites, places and incidents from the API's GeoJSON
 * exports and lists. Layers can be switched off; every feature can be
 * reached with the keyboard and opens its details beside the map; a table
 * under the map lists the same features. */

import { h, s, replace, id, entryLink, hashWith } from '../dom.js';
import { t, tn, num, label, dateTime } from '../i18n.js';
import { title, badge, table, facts } from '../ui.js';
import { legend, COLORS } from '../charts.js';
import { loadNames, orgEl, nameOf } from '../names.js';

const LAT0 = 31.41;
const K = Math.cos((LAT0 * Math.PI) / 180);
const ZONE_COLOR = { closed: '#dc2626', restricted: '#ea580c', hazard: '#ca8a04' };
const PLACE_STYLE = {
  crossing: { color: '#1e3a8a', shape: 'square' },
  warehouse: { color: '#0e7490', shape: 'square' },
  distribution_point: { color: '#15803d', shape: 'circle' },
  depot: { color: '#6d28d9', shape: 'diamond' },
  collection_point: { color: '#6d28d9', shape: 'diamond' },
  other: { color: '#475569', shape: 'circle' },
};
const LAYERS = ['zones', 'movements', 'sites', 'places', 'incidents'];

function projector(bounds, width) {
  const [minLon, minLat, maxLon, maxLat] = bounds;
  const scale = width / ((maxLon - minLon) * K);
  const height = (maxLat - minLat) * scale;
  const p = ([lon, lat]) => [((lon - minLon) * K) * scale, (maxLat - lat) * scale];
  return { p, height, scale };
}

const path = (proj, ring, close) => ring.map((c, i) => `${i ? 'L' : 'M'}${proj.p(c).map((v) => v.toFixed(1)).join(',')}`).join('') + (close ? 'Z' : '');

function marker(shape, x, y, r, color, extra = {}) {
  if (shape === 'square') return s('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: color, stroke: '#fff', 'stroke-width': 1.5, ...extra });
  if (shape === 'diamond') return s('path', { d: `M${x},${y - r * 1.3}L${x + r * 1.3},${y}L${x},${y + r * 1.3}L${x - r * 1.3},${y}Z`, fill: color, stroke: '#fff', 'stroke-width': 1.5, ...extra });
  if (shape === 'triangle') return s('path', { d: `M${x},${y - r * 1.4}L${x + r * 1.3},${y + r}L${x - r * 1.3},${y + r}Z`, fill: color, stroke: '#fff', 'stroke-width': 1.5, ...extra });
  return s('circle', { cx: x, cy: y, r, fill: color, stroke: '#fff', 'stroke-width': 1.5, ...extra });
}

export default async function map(ctx) {
  const [outline, places, sites, zones, movements, incidents] = await Promise.all([
    ctx.get('data/gaza-strip.json'),
    ctx.authed('/v1/places'),
    ctx.authed('/v1/sites.geojson'),
    ctx.authed('/v1/zones.geojson'),
    ctx.authed('/v1/movements.geojson'),
    ctx.authed('/v1/incidents'),
  ]);
  await loadNames(ctx);
  const strip = outline.features.find((f) => f.id === 'gaza-strip');
  const sea = outline.features.find((f) => f.id === 'sea');
  const feats = {
    zones: zones.features || [],
    movements: movements.features || [],
    sites: sites.features || [],
    places: (places.places || []).map((p) => ({ id: p.place, geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: p })),
    incidents: (incidents.incidents || []).filter((i) => i.lat != null && i.lon != null)
      .map((i) => ({ id: i.incident, geometry: { type: 'Point', coordinates: [i.lon, i.lat] }, properties: i })),
  };
  // bounds: the strip and every feature, with a margin
  let b = [180, 90, -180, -90];
  const grow = ([lon, lat]) => { b = [Math.min(b[0], lon), Math.min(b[1], lat), Math.max(b[2], lon), Math.max(b[3], lat)]; };
  strip.geometry.coordinates[0].forEach(grow);
  for (const l of LAYERS) {
    for (const f of feats[l]) {
      const g = f.geometry;
      if (g.type === 'Point') grow(g.coordinates);
      else if (g.type === 'LineString') g.coordinates.forEach(grow);
      else if (g.type === 'Polygon') g.coordinates[0].forEach(grow);
    }
  }
  const m = 0.015;
  b = [b[0] - m, b[1] - m, b[2] + m, b[3] + m];

  const on = Object.fromEntries(LAYERS.map((l) => [l, true]));
  let showCompleted = true;
  let selected = ctx.query.focus || '';
  const detail = h('aside', { class: 'map-detail card', 'aria-live': 'polite', id: 'map-detail' });
  const holder = h('div', { class: 'map-holder' });
  const byId = new Map();
  for (const l of LAYERS) for (const f of feats[l]) byId.set(`${l}:${f.id}`, { layer: l, f });

  function describe(layer, f) {
    const p = f.properties || {};
    switch (layer) {
      case 'zones': return [h('h2', {}, label('zone_kind', p.kind), ': ', id(f.id)), facts([
        [t('map.declared_by'), orgEl(p.org)], [t('map.status'), label('zone_status', p.status)],
        [t('map.from'), dateTime(p.from)], [t('map.until'), p.until ? dateTime(p.until) : t('map.open_ended')],
        [t('map.log_index'), entryLink(p.index)]])];
      case 'movements': return [h('h2', {}, t('map.movement'), ' ', id(f.id)),
        h('p', {}, badge('movement_status', p.status)), h('p', {}, h('bdi', { dir: 'auto' }, p.purpose)), facts([
          [t('map.by'), orgEl(p.org)], [t('map.window'), [dateTime(p.window_start), ' – ', dateTime(p.window_end)]],
          [t('map.vehicles'), num(p.vehicles)], [t('map.warnings'), num((p.warnings || []).length)],
          [t('map.log_index'), entryLink(p.index)]]),
        h('p', {}, h('a', { href: hashWith('/movements', { focus: f.id }) }, t('map.open_movement')))];
      case 'sites': return [h('h2', {}, h('bdi', {}, p.name)), facts([
        [t('map.kind'), label('site_kind', p.kind)], [t('map.notified_by'), orgEl(p.org)],
        [t('map.radius'), p.radius_m != null ? t('map.metres', { n: num(p.radius_m) }) : '—'],
        [t('map.status'), label('site_status', p.status)],
        [t('map.warnings'), (p.warnings || []).length ? h('span', { class: 'bad-text' }, (p.warnings || []).map((w) => tn('map.site_in_zone', { zone: id(w.zone) }))) : t('map.none')],
        [t('map.log_index'), entryLink(p.index)]])];
      case 'places': return [h('h2', {}, h('bdi', {}, nameOf(p, p.place))), facts([
        [t('map.kind'), label('place_kind', p.kind)], [t('map.sector'), p.sector ? label('sector', p.sector) : '—'],
        [t('map.status'), label('place_status', p.status)], p.reason ? [t('map.reason'), h('bdi', {}, p.reason)] : null,
        [t('map.log_index'), entryLink(p.defined)]])];
      case 'incidents': return [h('h2', {}, label('incident_category', p.category)),
        h('p', {}, badge('severity', p.severity), ' ', badge('incident_status', p.status)),
        h('p', {}, h('bdi', { dir: 'auto' }, p.description)), facts([
          [t('map.occurred'), dateTime(p.occurred)], [t('map.reported_by'), orgEl(p.org)],
          [t('map.log_index'), entryLink(p.index)]]),
        h('p', {}, h('a', { href: '#/incidents' }, t('map.open_incidents')))];
      default: return [];
    }
  }

  function select(key) {
    selected = key;
    const it = byId.get(key);
    if (!it) { replace(detail, h('p', { class: 'muted' }, t('map.pick'))); return; }
    replace(detail, describe(it.layer, it.f));
    for (const el of holder.querySelectorAll('.feat.sel')) el.classList.remove('sel');
    const el = holder.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (el) el.classList.add('sel');
  }

  function featureGroup(layer, f, name, kids) {
    const key = `${layer}:${f.id}`;
    return s('g', {
      class: `feat${key === selected ? ' sel' : ''}`, tabindex: '0', role: 'button', 'data-feature': f.id, 'data-key': key,
      'aria-label': name, onclick: () => select(key),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(key); } },
    }, s('title', {}, name), kids);
  }

  function draw(width) {
    const maxH = Math.max(360, Math.min(window.innerHeight * 0.8, 1100));
    let proj = projector(b, width);
    if (proj.height > maxH) proj = projector(b, (width * maxH) / proj.height);
    const W = ((b[2] - b[0]) * K) * proj.scale;
    const H = proj.height;
    const svg = s('svg', {
      width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'map', role: 'group', dir: 'ltr',
      'aria-label': t('map.aria'),
    });
    svg.appendChild(s('defs', {},
      s('pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: ZONE_COLOR.closed, 'stroke-width': 2, 'stroke-opacity': 0.5 })),
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 7, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0L10,5L0,10Z', fill: 'context-stroke' }))));
    svg.appendChild(s('rect', { x: 0, y: 0, width: W, height: H, class: 'land-out' }));
    if (sea) svg.appendChild(s('path', { d: path(proj, sea.geometry.coordinates[0], true), class: 'sea' }));
    svg.appendChild(s('path', { d: path(proj, strip.geometry.coordinates[0], true), class: 'strip' }, s('title', {}, t('map.strip'))));
    // the sea's name, along the coast and offshore
    const c1 = proj.p([34.2195, 31.3245]), c2 = proj.p([34.49, 31.5945]);
    const dx = c2[0] - c1[0], dy = c2[1] - c1[1], len = Math.hypot(dx, dy);
    const off = Math.min(45, W * 0.08);
    const lx = (c1[0] + c2[0]) / 2 + (dy / len) * off, ly = (c1[1] + c2[1]) / 2 - (dx / len) * off;
    const ang = (Math.atan2(dy, dx) * 180) / Math.PI;
    svg.appendChild(s('text', {
      x: lx, y: ly, class: 'sea-label', 'text-anchor': 'middle', transform: `rotate(${ang.toFixed(1)} ${lx.toFixed(1)} ${ly.toFixed(1)})`,
    }, t('map.sea')));

    const layerG = {};
    for (const l of LAYERS) {
      layerG[l] = s('g', { 'data-layer': l, class: `layer layer-${l}`, style: on[l] ? null : { display: 'none' } });
    }
    for (const f of feats.zones) {
      const p = f.properties;
      const color = p.status === 'active' ? ZONE_COLOR[p.kind] || '#64748b' : '#94a3b8';
      layerG.zones.appendChild(featureGroup('zones', f, `${label('zone_kind', p.kind)} ${f.id}`,
        [s('path', { d: path(proj, f.geometry.coordinates[0], true), fill: p.kind === 'closed' && p.status === 'active' ? 'url(#hatch)' : color, 'fill-opacity': p.kind === 'closed' ? 1 : 0.22, stroke: color, 'stroke-width': 2, 'stroke-dasharray': p.status === 'active' ? null : '4 3' }),
          p.kind === 'closed' ? s('path', { d: path(proj, f.geometry.coordinates[0], true), fill: color, 'fill-opacity': 0.12, stroke: 'none' }) : null]));
    }
    const mvOrder = ['completed', 'cancelled', 'acknowledged', 'impeded', 'aborted', 'pending', 'denied'];
    const mvs = [...feats.movements].sort((a, c) => mvOrder.indexOf(a.properties.status) - mvOrder.indexOf(c.properties.status));
    for (const f of mvs) {
      const p = f.properties;
      if (!showCompleted && p.status === 'completed') continue;
      const d = path(proj, f.geometry.coordinates, false);
      const color = COLORS.status[p.status] || '#475569';
      layerG.movements.appendChild(featureGroup('movements', f, `${t('map.movement')} ${f.id}: ${label('movement_status', p.status)}`, [
        s('path', { d, class: 'route-casing' }),
        s('path', { d, class: 'route', stroke: color, 'stroke-dasharray': p.status === 'pending' ? '7 5' : p.status === 'denied' ? '3 4' : null, 'marker-end': 'url(#arrow)' })]));
    }
    for (const f of feats.sites) {
      const p = f.properties;
      const [x, y] = proj.p(f.geometry.coordinates);
      const rr = p.radius_m ? Math.max(0, (p.radius_m / 111320) * proj.scale) : 0;
      const warn = (p.warnings || []).length > 0;
      layerG.sites.appendChild(featureGroup('sites', f, `${label('site_kind', p.kind)}: ${p.name}`, [
        rr > 3 ? s('circle', { cx: x, cy: y, r: rr, class: 'site-radius' }) : null,
        s('circle', { cx: x, cy: y, r: 5.5, class: `site${warn ? ' site-warn' : ''}` }),
        s('path', { d: `M${x - 3},${y}H${x + 3}M${x},${y - 3}V${y + 3}`, class: 'site-cross' })]));
    }
    for (const f of feats.places) {
      const p = f.properties;
      const st = PLACE_STYLE[p.kind] || PLACE_STYLE.other;
      const [x, y] = proj.p(f.geometry.coordinates);
      const kids = [marker(st.shape, x, y, p.kind === 'crossing' ? 6 : 4.5, st.color)];
      if (p.status === 'closed') kids.push(s('path', { d: `M${x - 6},${y - 6}L${x + 6},${y + 6}M${x + 6},${y - 6}L${x - 6},${y + 6}`, class: 'closed-x' }));
      if (p.kind === 'crossing') kids.push(s('text', { x: x + 9, y: y + 4, class: 'place-label' }, nameOf(p, p.place).replace(/ crossing$/i, '')));
      layerG.places.appendChild(featureGroup('places', f, `${label('place_kind', p.kind)}: ${nameOf(p, p.place)}`, kids));
    }
    for (const f of feats.incidents) {
      const p = f.properties;
      const [x, y] = proj.p(f.geometry.coordinates);
      layerG.incidents.appendChild(featureGroup('incidents', f, `${label('incident_category', p.category)} (${label('severity', p.severity)})`, [
        marker('triangle', x, y, 6, '#b91c1c'),
        s('text', { x, y: y + 4, class: 'inc-mark', 'text-anchor': 'middle' }, '!')]));
    }
    for (const l of LAYERS) svg.appendChild(layerG[l]);
    // north arrow and a 5 km scale bar
    const sb = (5 / 111.32) * proj.scale;
    svg.appendChild(s('g', { class: 'map-furniture' },
      s('path', { d: `M${W - 24},18l7,18h-14z`, class: 'north' }),
      s('text', { x: W - 24, y: 50, 'text-anchor': 'middle', class: 'north-label' }, t('map.north')),
      s('path', { d: `M16,${H - 18}h${sb}`, class: 'scalebar' }),
      s('path', { d: `M16,${H - 23}v10M${16 + sb},${H - 23}v10`, class: 'scalebar' }),
      s('text', { x: 16 + sb / 2, y: H - 27, 'text-anchor': 'middle', class: 'scale-label' }, t('map.km', { n: num(5) }))));
    svg.dataset.counts = JSON.stringify(Object.fromEntries(LAYERS.map((l) => [l, layerG[l].childNodes.length])));
    return svg;
  }

  let lastW = 0;
  const redraw = (force) => {
    const w = Math.floor(holder.clientWidth) || 600;
    if (!force && Math.abs(w - lastW) < 8) return;
    lastW = w;
    replace(holder, draw(w));
  };

  const toggles = h('fieldset', { class: 'layers' },
    h('legend', {}, t('map.layers')),
    LAYERS.map((l) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', checked: true, 'data-layer-toggle': l, onchange: (e) => { on[l] = e.target.checked; redraw(true); } }),
      ' ', t(`map.layer.${l}`), ' ', h('span', { class: 'n' }, num(feats[l].length)))),
    h('label', { class: 'check' },
      h('input', { type: 'checkbox', checked: true, onchange: (e) => { showCompleted = e.target.checked; redraw(true); } }),
      ' ', t('map.show_completed')));

  const leg = h('div', { class: 'map-legend' },
    h('h3', {}, t('map.legend')),
    legend([
      { label: label('zone_kind', 'closed'), color: ZONE_COLOR.closed },
      { label: label('zone_kind', 'restricted'), color: ZONE_COLOR.restricted },
      { label: label('zone_kind', 'hazard'), color: ZONE_COLOR.hazard },
    ]),
    legend(['pending', 'acknowledged', 'denied', 'completed', 'impeded'].map((k) => ({ label: `${t('map.route')}: ${label('movement_status', k)}`, color: COLORS.status[k], shape: 'line' }))),
    legend([
      { label: t('map.layer.sites'), color: '#fff', border: '#0f766e', shape: 'ring' },
      ...['crossing', 'warehouse', 'distribution_point', 'collection_point'].map((k) => ({ label: label('place_kind', k), color: PLACE_STYLE[k].color, shape: PLACE_STYLE[k].shape })),
      { label: t('map.layer.incidents'), color: '#b91c1c', shape: 'triangle' },
    ]));

  const rows = LAYERS.flatMap((l) => feats[l].map((f) => ({ l, f })));
  replace(ctx.main,
    title(t('map.title'), t('map.sub')),
    h('div', { class: 'map-wrap' },
      h('div', { class: 'card map-card' }, toggles, holder, h('p', { class: 'muted small' }, t('map.outline_note'))),
      h('div', { class: 'map-side' }, detail, h('div', { class: 'card' }, leg))),
    h('details', { class: 'card feature-list' },
      h('summary', {}, t('map.features_n', { n: num(rows.length) })),
      table([
        { key: 'layer', label: t('map.col.layer'), cell: (r) => t(`map.layer.${r.l}`) },
        { key: 'id', label: t('map.col.name'), cell: (r) => h('button', { type: 'button', class: 'linklike', onclick: () => { select(`${r.l}:${r.f.id}`); holder.scrollIntoView({ block: 'nearest' }); } }, h('bdi', {}, r.l === 'places' ? nameOf(r.f.properties, r.f.id) : r.f.properties.name || r.f.id)) },
        { key: 'kind', label: t('map.col.kind'), cell: (r) => {
          const p = r.f.properties;
          return r.l === 'zones' ? label('zone_kind', p.kind) : r.l === 'movements' ? label('movement_status', p.status)
            : r.l === 'sites' ? label('site_kind', p.kind) : r.l === 'places' ? label('place_kind', p.kind) : label('incident_category', p.category);
        } },
        { key: 'where', label: t('map.col.where'), cell: (r) => {
          const g = r.f.geometry;
          const c = g.type === 'Point' ? g.coordinates : g.type === 'LineString' ? g.coordinates[0] : g.coordinates[0][0];
          return h('span', { dir: 'ltr', class: 'coord' }, `${c[1].toFixed(4)}, ${c[0].toFixed(4)}`);
        } },
      ], rows, { caption: t('map.features') })));
  if ('ResizeObserver' in window) new ResizeObserver(() => redraw(false)).observe(holder);
  redraw(true);
  select(selected ? [...byId.keys()].find((k) => k.endsWith(`:${selected}`)) || '' : '');
}
