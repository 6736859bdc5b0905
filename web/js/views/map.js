/* views/map.js: the deconfliction picture on Debian's Leaflet (js/leaflet.js;
 * zoom with the buttons, the wheel or + and -, pan by dragging or with the
 * arrow keys): the outline of the Gaza Strip the project ships
 * (web/data/gaza-strip.json), then zones, movement routes, notified sites,
 * places and incidents from the API's GeoJSON exports and lists. Points are
 * clustered (one cluster group per layer) until zoomed in. Routes that
 * share a path are drawn side by side, each offset from the path by a few
 * pixels at every zoom (completed first, pending last, each status with its
 * colour and dashes), so none hides another. No basemap and nothing fetched
 * from elsewhere, unless the operator set one in cmcc.conf (map.tiles and
 * map.attribution, given by GET /v1/log): then its tiles are drawn under
 * the outline, with their credit. Layers can be switched off; every
 * feature is a focusable element (Tab, then Enter or Space) and opens its
 * details beside the map; the table under the map lists the same features,
 * and choosing one there zooms the map to it (opening its cluster). */

import { h, s, replace, id, entryLink, hashWith } from '../dom.js';
import { t, tn, num, label, dateTime } from '../i18n.js';
import { title, badge, facts, table } from '../ui.js';
import { legend, COLORS } from '../charts.js';
import { loadNames, orgEl, nameOf } from '../names.js';
import { leaflet } from '../leaflet.js';
import { exportsCard } from '../exports.js';

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
const CLUSTERED = ['sites', 'places', 'incidents'];
// routes on one path, bottom to top, and how each is dashed
const MV_ORDER = ['completed', 'cancelled', 'acknowledged', 'impeded', 'aborted', 'pending', 'denied'];
const MV_DASH = { pending: '8 5', denied: '2 5', cancelled: '1 4', aborted: '6 3 1 3' };
const ROUTE_W = 3.5; // a route's width in pixels
const ROUTE_GAP = 4.5; // between the middles of two routes on one path

function marker(shape, x, y, r, color, extra = {}) {
  if (shape === 'square') return s('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: color, stroke: '#fff', 'stroke-width': 1.5, ...extra });
  if (shape === 'diamond') return s('path', { d: `M${x},${y - r * 1.3}L${x + r * 1.3},${y}L${x},${y + r * 1.3}L${x - r * 1.3},${y}Z`, fill: color, stroke: '#fff', 'stroke-width': 1.5, ...extra });
  if (shape === 'triangle') return s('path', { d: `M${x},${y - r * 1.4}L${x + r * 1.3},${y + r}L${x - r * 1.3},${y + r}Z`, fill: color, stroke: '#fff', 'stroke-width': 1.5, ...extra });
  return s('circle', { cx: x, cy: y, r, fill: color, stroke: '#fff', 'stroke-width': 1.5, ...extra });
}

/** Text for Leaflet's attribution control, which sets it as HTML: escaped. */
const escapeHtml = (x) => String(x).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const swap = ([lon, lat]) => [lat, lon];

let live = null; // the Leaflet map last drawn: removed when the view is drawn again

/** Removes the map drawn last (its listeners on the window go with it). */
function forget() {
  if (live && !live.getContainer().isConnected) {
    const m = live;
    live = null;
    // not during a zoom: Leaflet's and the clusters' animations end on
    // timers that would find the map gone
    const drop = () => { try { m.remove(); } catch { /* already gone */ } };
    if (m._animatingZoom) m.once('zoomend', () => setTimeout(drop, 400));
    else setTimeout(drop, 400);
  }
}

/**
 * latlngs moved sideways by off pixels at zoom z (left of the direction of
 * travel when off > 0): each vertex along the mean of its segments' normals,
 * lengthened at a bend so that both segments stay off pixels away.
 */
function offsetLine(L, lmap, latlngs, off, z) {
  const p = latlngs.map((ll) => lmap.project(ll, z));
  const normal = (a, b) => {
    const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
    return [-dy / len, dx / len];
  };
  return p.map((pt, i) => {
    const n1 = i > 0 ? normal(p[i - 1], pt) : null;
    const n2 = i < p.length - 1 ? normal(pt, p[i + 1]) : null;
    let [nx, ny] = n1 && n2 ? [n1[0] + n2[0], n1[1] + n2[1]] : n1 || n2;
    const len = Math.hypot(nx, ny) || 1;
    nx /= len; ny /= len;
    const cos = n1 && n2 ? Math.max(0.35, nx * n1[0] + ny * n1[1]) : 1;
    return lmap.unproject(L.point(pt.x + (nx * off) / cos, pt.y + (ny * off) / cos), z);
  });
}

export default async function map(ctx) {
  const [outline, places, sites, zones, movements, incidents, info] = await Promise.all([
    ctx.get('data/gaza-strip.json'),
    ctx.authed('/v1/places'),
    ctx.authed('/v1/sites.geojson'),
    ctx.authed('/v1/zones.geojson'),
    ctx.authed('/v1/movements.geojson'),
    ctx.authed('/v1/incidents'),
    ctx.get('/v1/log'),
  ]);
  await loadNames(ctx);
  let L = null, libError = null;
  try {
    L = await leaflet();
  } catch (e) {
    if (e.kind !== 'map_library') throw e;
    libError = e;
  }
  if (!ctx.isCurrent()) return;
  const basemap = info && info.map && typeof info.map.tiles === 'string' ? info.map : null;
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

  const on = Object.fromEntries(LAYERS.map((l) => [l, true]));
  let showCompleted = true;
  let selected = '';
  const detail = h('aside', { class: 'map-detail card', 'aria-live': 'polite', id: 'map-detail' });
  const mapEl = h('div', { id: 'map', class: 'map', dir: 'ltr', role: 'region', 'aria-label': t('map.aria'), 'data-basemap': basemap ? 'tiles' : 'none' });
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
    detail.dataset.key = key;
    for (const el of mapEl.querySelectorAll('.feat.sel')) el.classList.remove('sel');
    const el = mapEl.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (el) el.classList.add('sel');
  }

  const toggles = h('fieldset', { class: 'layers' },
    h('legend', {}, t('map.layers')),
    LAYERS.map((l) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', checked: true, 'data-layer-toggle': l, onchange: (e) => { on[l] = e.target.checked; if (draw) draw.layers(); } }),
      ' ', t(`map.layer.${l}`), ' ', h('span', { class: 'n' }, num(feats[l].length)))),
    h('label', { class: 'check' },
      h('input', { type: 'checkbox', checked: true, 'data-completed-toggle': '', onchange: (e) => { showCompleted = e.target.checked; if (draw) draw.layers(); } }),
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
    ]),
    h('p', { class: 'muted small' }, t('map.routes_side_by_side')));

  let draw = null;
  const rows = LAYERS.flatMap((l) => feats[l].map((f) => ({ l, f })));
  const note = basemap
    ? tn('map.basemap_note', { host: h('bdi', { dir: 'ltr' }, (() => { try { return new URL(basemap.tiles.replace(/\{[a-z]\}/g, 'x')).host; } catch { return basemap.tiles; } })()) })
    : t('map.no_basemap');
  replace(ctx.main,
    title(t('map.title'), t('map.sub')),
    h('div', { class: 'map-wrap' },
      h('div', { class: 'card map-card' }, toggles,
        libError ? h('div', { class: 'error-box', role: 'alert', 'data-error': 'map_library' },
          h('p', { class: 'error-title' }, t('map.no_library', { pkg: libError.pkg }))) : mapEl,
        h('p', { class: 'muted small' }, t('map.outline_note'), ' ', note)),
      h('div', { class: 'map-side' }, detail, h('div', { class: 'card' }, leg))),
    h('details', { class: 'card feature-list' },
      h('summary', {}, t('map.features_n', { n: num(rows.length) })),
      table([
        { key: 'layer', label: t('map.col.layer'), cell: (r) => t(`map.layer.${r.l}`) },
        { key: 'id', label: t('map.col.name'), cell: (r) => h('button', { type: 'button', class: 'linklike', 'data-show': `${r.l}:${r.f.id}`, onclick: () => { if (draw) draw.show(`${r.l}:${r.f.id}`); else select(`${r.l}:${r.f.id}`); } }, h('bdi', {}, r.l === 'places' ? nameOf(r.f.properties, r.f.id) : r.f.properties.name || r.f.id)) },
        { key: 'kind', label: t('map.col.kind'), cell: (r) => {
          const p = r.f.properties;
          return r.l === 'zones' ? label('zone_kind', p.kind) : r.l === 'movements' ? label('movement_status', p.status)
            : r.l === 'sites' ? label('site_kind', p.kind) : r.l === 'places' ? label('place_kind', p.kind) : label('incident_category', p.category);
        } },
        { key: 'where', label: t('map.col.where'), cell: (r) => {
          const g = r.f.geometry;
          const c = g.type === 'Point' ? g.coordinates : g.type === 'LineString' ? g.coordinates[0] : g.coordinates[0][0];
          return h('bdi', { dir: 'ltr', class: 'coord' }, `${c[1].toFixed(4)}, ${c[0].toFixed(4)}`);
        } },
      ], rows, { caption: t('map.features') })),
    exportsCard(['sites.geojson', 'zones.geojson', 'movements.geojson']));
  const focus = ctx.query.focus ? [...byId.keys()].find((k) => k.endsWith(`:${ctx.query.focus}`)) || '' : '';
  if (L) draw = drawMap(L);
  if (focus && draw) draw.show(focus, { scroll: false });
  else select(focus);

  /* ---- the Leaflet map ---- */
  function drawMap(L) {
    forget();
    const lmap = L.map(mapEl, {
      zoomControl: false, attributionControl: false, zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 8, maxZoom: 18,
      renderer: L.svg({ padding: 0.5 }), keyboard: true,
    });
    L.control.zoom({ position: 'topleft', zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(lmap);
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(lmap);
    for (const [sel, key] of [['.leaflet-control-zoom-in', 'map.zoom_in'], ['.leaflet-control-zoom-out', 'map.zoom_out']]) {
      const b = mapEl.querySelector(sel);
      if (b) b.setAttribute('aria-label', t(key));
    }
    if (basemap) {
      L.control.attribution({ prefix: false, position: 'bottomright' }).addTo(lmap);
      L.tileLayer(basemap.tiles, {
        attribution: basemap.attribution ? escapeHtml(basemap.attribution) : '', className: 'basemap', maxZoom: 19,
      }).addTo(lmap);
    }
    const style = (cls, extra) => ({ className: cls, interactive: false, ...extra });
    if (sea) L.geoJSON(sea, { style: () => style('sea', { color: '#9cc3e0', weight: 1, fillColor: '#cfe3f3', fillOpacity: basemap ? 0 : 1 }) }).addTo(lmap);
    L.geoJSON(strip, { style: () => style('strip', { color: '#7c5a10', weight: 1.6, fillColor: '#fbf3dc', fillOpacity: basemap ? 0.1 : 1 }) }).addTo(lmap);
    L.marker([31.47, 34.29], {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'sea-label', html: h('span', { lang: document.documentElement.lang }, t('map.sea')), iconSize: null }),
    }).addTo(lmap);

    const groups = {};
    for (const l of LAYERS) {
      groups[l] = CLUSTERED.includes(l)
        ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 36, spiderfyOnMaxZoom: true, clusterPane: 'markerPane' })
        : L.featureGroup();
    }
    const radii = L.featureGroup(); // the notified radius of each site, with the sites
    const items = new Map(); // key -> {layer, obj}
    const counts = Object.fromEntries(LAYERS.map((l) => [l, 0]));

    /** The feature's element: focusable, named, and opened by Enter or Space. */
    function decorate(el, layer, f, name) {
      if (!el) return;
      const key = `${layer}:${f.id}`;
      el.classList.add('feat');
      el.classList.toggle('sel', key === selected);
      el.setAttribute('tabindex', '0');
      el.setAttribute('role', 'button');
      el.setAttribute('aria-label', name);
      el.dataset.feature = f.id;
      el.dataset.key = key;
      el.dataset.layer = layer;
      if (!el.dataset.wired) {
        el.dataset.wired = '1';
        el.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); e.stopPropagation(); select(key); }
        });
      }
    }
    function add(layer, f, obj, name) {
      const key = `${layer}:${f.id}`;
      obj.on('add', () => decorate(obj.getElement(), layer, f, name));
      obj.on('click', (e) => { if (e.originalEvent) L.DomEvent.stopPropagation(e); select(key); });
      items.set(key, { layer, obj });
      groups[layer].addLayer(obj);
      counts[layer]++;
    }
    const pointIcon = (cls, size, kids) => L.divIcon({
      className: `map-icon ${cls}`, iconSize: [size, size],
      html: s('svg', { width: size, height: size, viewBox: `0 0 ${size} ${size}`, 'aria-hidden': 'true', focusable: 'false' }, kids),
    });

    for (const f of feats.zones) {
      const p = f.properties;
      const color = p.status === 'active' ? ZONE_COLOR[p.kind] || '#64748b' : '#94a3b8';
      add('zones', f, L.polygon(f.geometry.coordinates[0].map(swap), {
        className: `zone zone-${p.kind}`, color, weight: 2, fillColor: color,
        fillOpacity: p.kind === 'closed' && p.status === 'active' ? 0.32 : 0.18, dashArray: p.status === 'active' ? null : '4 3',
      }), `${label('zone_kind', p.kind)} ${f.id}`);
    }
    // routes: those on one path side by side, offset again at every zoom
    const paths = new Map();
    for (const f of feats.movements) {
      const k = JSON.stringify(f.geometry.coordinates);
      if (!paths.has(k)) paths.set(k, []);
      paths.get(k).push(f);
    }
    const routes = [];
    for (const group of paths.values()) {
      group.sort((a, b) => MV_ORDER.indexOf(a.properties.status) - MV_ORDER.indexOf(b.properties.status) || (a.id < b.id ? -1 : 1));
      group.forEach((f, i) => {
        const p = f.properties;
        const latlngs = f.geometry.coordinates.map(swap);
        const line = L.polyline(latlngs, {
          className: `route route-${p.status}`, color: COLORS.status[p.status] || '#475569', weight: ROUTE_W, opacity: 1,
          dashArray: MV_DASH[p.status] || null, lineCap: MV_DASH[p.status] ? 'butt' : 'round',
        });
        routes.push({ f, line, latlngs, off: (i - (group.length - 1) / 2) * ROUTE_GAP });
        add('movements', f, line, `${t('map.movement')} ${f.id}: ${label('movement_status', p.status)}`);
      });
    }
    const placeRoutes = () => {
      const z = lmap.getZoom();
      for (const r of routes) r.line.setLatLngs(r.off ? offsetLine(L, lmap, r.latlngs, r.off, z) : r.latlngs);
    };
    for (const f of feats.sites) {
      const p = f.properties;
      const warn = (p.warnings || []).length > 0;
      if (p.radius_m) radii.addLayer(L.circle(swap(f.geometry.coordinates), { radius: p.radius_m, className: 'site-radius', interactive: false, color: '#0f766e', opacity: 0.4, weight: 1, fillOpacity: 0.12 }));
      add('sites', f, L.marker(swap(f.geometry.coordinates), {
        keyboard: false, title: '',
        icon: pointIcon(`site${warn ? ' site-warn' : ''}`, 16, [
          s('circle', { cx: 8, cy: 8, r: 5.5, class: 'site-dot', fill: '#fff', stroke: warn ? '#dc2626' : '#0f766e', 'stroke-width': 2.5 }),
          s('path', { d: 'M5,8H11M8,5V11', stroke: '#0f766e', 'stroke-width': 1.8 })]),
      }), `${label('site_kind', p.kind)}: ${p.name}`);
    }
    for (const f of feats.places) {
      const p = f.properties;
      const st = PLACE_STYLE[p.kind] || PLACE_STYLE.other;
      const r = p.kind === 'crossing' ? 6 : 4.5;
      const kids = [marker(st.shape, 9, 9, r, st.color)];
      if (p.status === 'closed') kids.push(s('path', { d: 'M3,3L15,15M15,3L3,15', stroke: '#dc2626', 'stroke-width': 2.5 }));
      const m = L.marker(swap(f.geometry.coordinates), { keyboard: false, icon: pointIcon(`place place-${p.kind}`, 18, kids) });
      if (p.kind === 'crossing') {
        // a node, never a string: Leaflet sets a string as HTML
        m.bindTooltip(h('span', { dir: 'auto' }, nameOf(p, p.place).replace(/ crossing$/i, '')), { permanent: true, direction: 'right', className: 'place-label', offset: [8, 0] });
      }
      add('places', f, m, `${label('place_kind', p.kind)}: ${nameOf(p, p.place)}`);
    }
    for (const f of feats.incidents) {
      const p = f.properties;
      add('incidents', f, L.marker(swap(f.geometry.coordinates), {
        keyboard: false,
        icon: pointIcon('incident', 18, [marker('triangle', 9, 10, 6, '#b91c1c'),
          s('text', { x: 9, y: 13.5, class: 'inc-mark', 'text-anchor': 'middle', fill: '#fff' }, '!')]),
      }), `${label('incident_category', p.category)} (${label('severity', p.severity)})`);
    }

    // the view: the strip and every feature
    let bounds = L.geoJSON(strip).getBounds();
    for (const l of LAYERS) if (groups[l].getLayers().length) bounds = bounds.extend(groups[l].getBounds());
    lmap.fitBounds(bounds.pad(0.03));
    lmap.setMaxBounds(bounds.pad(1.5));
    const report = () => {
      const c = lmap.getCenter();
      mapEl.dataset.zoom = String(lmap.getZoom());
      mapEl.dataset.center = `${c.lat.toFixed(5)},${c.lng.toFixed(5)}`;
    };
    lmap.on('zoomend', placeRoutes);
    lmap.on('moveend zoomend', report);
    placeRoutes();
    report();

    function layers() {
      for (const l of LAYERS) {
        const want = on[l];
        if (want && !lmap.hasLayer(groups[l])) lmap.addLayer(groups[l]);
        if (!want && lmap.hasLayer(groups[l])) lmap.removeLayer(groups[l]);
      }
      if (on.sites && !lmap.hasLayer(radii)) radii.addTo(lmap);
      if (!on.sites && lmap.hasLayer(radii)) lmap.removeLayer(radii);
      for (const r of routes) {
        const want = showCompleted || r.f.properties.status !== 'completed';
        if (want && !groups.movements.hasLayer(r.line)) groups.movements.addLayer(r.line);
        if (!want && groups.movements.hasLayer(r.line)) groups.movements.removeLayer(r.line);
      }
      const drawn = Object.fromEntries(LAYERS.map((l) => [l, lmap.hasLayer(groups[l]) ? groups[l].getLayers().length : 0]));
      mapEl.dataset.drawn = JSON.stringify(drawn);
    }
    radii.addTo(lmap);
    for (const l of LAYERS) groups[l].addTo(lmap);
    layers();
    mapEl.dataset.counts = JSON.stringify(counts);

    /** Zooms to a feature (opening its cluster), then selects it. */
    function show(key, { scroll = true } = {}) {
      const it = items.get(key);
      if (!it) { select(key); return; }
      if (!on[it.layer]) {
        on[it.layer] = true;
        const box = document.querySelector(`[data-layer-toggle="${it.layer}"]`);
        if (box) box.checked = true;
      }
      if (it.layer === 'movements' && !showCompleted) {
        showCompleted = true;
        const box = document.querySelector('[data-completed-toggle]');
        if (box) box.checked = true;
      }
      layers();
      if (scroll) mapEl.scrollIntoView({ block: 'nearest' });
      if (CLUSTERED.includes(it.layer)) {
        const el = it.obj.getElement();
        if (el && el.isConnected) {
          // drawn already (perhaps just off the view): brought into it
          if (!lmap.getBounds().contains(it.obj.getLatLng())) lmap.panTo(it.obj.getLatLng());
          select(key);
          return;
        }
        // inside a cluster: the plugin zooms to it (or spiderfies it); should
        // the map not move for it, the point is shown at the closest zoom
        let done = false;
        const finish = () => { if (!done) { done = true; select(key); } };
        groups[it.layer].zoomToShowLayer(it.obj, finish);
        setTimeout(() => {
          if (done) return;
          lmap.once('moveend', finish);
          lmap.setView(it.obj.getLatLng(), lmap.getMaxZoom());
        }, 1500);
      } else {
        lmap.fitBounds(it.obj.getBounds().pad(0.2), { maxZoom: 15 });
        select(key);
      }
    }

    if ('ResizeObserver' in window) {
      // it also sees the map taken off the page (the view left): the map is
      // then removed with its listeners, and nothing calls it again
      const ro = new ResizeObserver(() => {
        if (!mapEl.isConnected) { ro.disconnect(); forget(); return; }
        lmap.invalidateSize();
      });
      ro.observe(mapEl);
      lmap.on('unload', () => ro.disconnect());
    }
    mapEl.dataset.ready = '1';
    live = lmap;
    return { show, layers, map: lmap };
  }
}
