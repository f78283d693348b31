// The map and its layers: zone polygons, coverage cells (own canvas, so unit updates never redraw
// 20,000 cells), posts with their radius, units (shape by kind, colour by status) with trails,
// search highlights, and labels (callsign, else name) beside the units in view from a street-level
// zoom on. Leaflet's canvas renderers only: no WebGL, no tiles unless configured. Every coordinate
// drawn goes through the datum shift (src/web/datum.ts), and a click comes back through it.
import * as L from 'leaflet'
import { NO_SHIFT, type Datum, type DatumShift } from '../datum.js'
import type { Store } from '../store.js'
import { FRESHNESS_COLOURS, STATUS_COLOURS, freshness, kindIcon, unitStatus, type Cell, type KindIcon, type Unit } from '../model.js'
import { t } from '../i18n.js'
import { escapeHtml, textEl } from '../dom.js'
import { unitFullName, unitLabel } from '../unit-finder.js'

type Basemap = { attribution: string; maxZoom: number; maxNativeZoom?: number } & ({ url: string; overlayUrl?: string; subdomains?: string } | { pmtiles: string })
/** From the engine (src/api/web.ts pageSettings): the basemap, and the datum its tiles are drawn in. */
export interface PageSettings { tiles: Basemap | null; datum?: Datum }
/** The wall screen has no zoom buttons: nothing on it is meant to be pressed. */
export interface MapOptions { controls: boolean }

/** Cells are recoloured this often as they age (and at once on coverage events). */
const RECOLOUR_MS = 10_000
const MARKER_RADIUS = 7
/** Unit updates are applied at most this often: each unit reports about once a second, so
 * batching them costs ≤ 200 ms of latency and saves a full canvas redraw on most frames. */
const FLUSH_MS = 200
/** Trails are drawn from this zoom on: at district scale 5,000 trails are clutter and cost. */
const TRAIL_MIN_ZOOM = 13
/** Units are labelled from this zoom on (a few streets in view); below it labels would overlap. */
export const LABEL_MIN_ZOOM = 15
/** Labels are DOM elements: at most this many (the ones in view), however dense the fleet. */
const MAX_LABELS = 300

/** A circle marker that draws a shape per unit kind on the canvas (car: rounded square, officer: circle, …). */
// Leaflet's canvas internals (_renderer, _point, _fillStroke) are stable across 1.x but untyped.
const UnitMarker: any = (L.CircleMarker as any).extend({
  _updatePath(this: any) {
    const r = this._renderer
    if (!r._drawing || this._empty()) return
    const ctx: CanvasRenderingContext2D = r._ctx
    const p = this._point
    const s = this._radius
    const shape: KindIcon = this.options.shape
    ctx.beginPath()
    if (shape === 'officer') {
      ctx.arc(p.x, p.y, s * 0.8, 0, Math.PI * 2)
    } else if (shape === 'armoured') {
      for (let i = 0; i < 6; i++) {
        const a = Math.PI / 6 + (i * Math.PI) / 3
        ctx[i === 0 ? 'moveTo' : 'lineTo'](p.x + s * Math.cos(a), p.y + s * Math.sin(a))
      }
      ctx.closePath()
    } else if (shape === 'motorcycle') {
      ctx.moveTo(p.x, p.y - s)
      ctx.lineTo(p.x + s, p.y + s * 0.8)
      ctx.lineTo(p.x - s, p.y + s * 0.8)
      ctx.closePath()
    } else if (shape === 'vehicle') {
      ctx.roundRect(p.x - s, p.y - s * 0.7, s * 2, s * 1.4, 3)
    } else {
      ctx.moveTo(p.x, p.y - s)
      ctx.lineTo(p.x + s, p.y)
      ctx.lineTo(p.x, p.y + s)
      ctx.lineTo(p.x - s, p.y)
      ctx.closePath()
    }
    r._fillStroke(ctx, this)
  },
})

export class MapView {
  readonly map: L.Map
  /** What "now" is for cell ages: the wall clock, or the replay clock while replaying. */
  now: () => number = () => Date.now()
  onUnitClick: (id: string) => void = () => undefined
  onMapClick: (lat: number, lon: number) => void = () => undefined
  /** Called with (unit id, fix time) each time a marker is placed or moves (the latency benchmark listens). */
  onMarkerMoved: ((id: string, ts: number | null) => void) | null = null
  private readonly unitRenderer: L.Canvas
  private readonly cellRenderer: L.Canvas
  private readonly markers = new Map<string, any>()
  private readonly trails = new Map<string, L.Polyline>()
  private readonly cellPolys = new Map<string, L.Polygon>()
  private readonly unitsLayer = L.layerGroup()
  private readonly trailsLayer = L.layerGroup()
  private readonly zonesLayer = L.layerGroup()
  private readonly cellsLayer = L.layerGroup()
  private readonly postsLayer = L.layerGroup()
  private readonly highlightLayer = L.layerGroup()
  private readonly trackLayer = L.layerGroup()
  private readonly labelsLayer = L.layerGroup()
  private readonly labels = new Map<string, L.Tooltip>()
  /** The view (padded) as of the last move: where labels are placed, computed once per move. */
  private labelBounds: L.LatLngBounds | null = null
  private readonly pending = new Set<string>()
  private scheduled = false
  private lastFlush = 0
  private trailsWanted = true

  /** `shift`: WGS-84 → the basemap's datum and back (loadDatumShift(settings.datum); none on a WGS-84 basemap). */
  constructor(el: HTMLElement, private readonly store: Store, settings: PageSettings, readonly shift: DatumShift = NO_SHIFT, options: MapOptions = { controls: true }) {
    this.map = L.map(el, { preferCanvas: true, zoomControl: options.controls, attributionControl: true, worldCopyJump: false })
    // Three canvases: cells (redrawn when coverage changes), zones and posts (default overlay
    // pane), units and trails on top (redrawn every frame units move, without the 20,000 cells).
    this.map.createPane('cells').style.zIndex = '350'
    this.map.createPane('units').style.zIndex = '450'
    this.cellRenderer = L.canvas({ pane: 'cells', padding: 0.2 })
    this.unitRenderer = L.canvas({ pane: 'units', padding: 0.2, tolerance: 4 })
    if (settings.tiles !== null) void this.addBasemap(settings.tiles)
    this.map.attributionControl.setPrefix('hexpatrol · Leaflet')
    for (const l of [this.cellsLayer, this.zonesLayer, this.postsLayer, this.trailsLayer, this.trackLayer, this.unitsLayer, this.highlightLayer, this.labelsLayer]) l.addTo(this.map)
    this.map.setView([0, 0], 2)
    this.map.on('click', (e: L.LeafletMouseEvent) => this.onMapClick(...this.shift.fromMap(e.latlng.lat, e.latlng.lng)))
    this.map.on('zoomend', () => this.showTrails())
    this.map.on('moveend', () => this.refreshLabels())
    store.subscribe((e) => {
      if (e.type === 'loaded') this.drawStatic()
      else if (e.type === 'units') this.queueUnits(e.ids)
      else if (e.type === 'coverage') this.recolourCells(e.cells)
    })
    setInterval(() => this.recolourCells(), RECOLOUR_MS)
  }

  /** An XYZ template, or the engine's PMTiles archive read by byte ranges (the reader is loaded
   * only then: a map without that basemap never downloads it). Drawn below every other pane. */
  private async addBasemap(b: Basemap): Promise<void> {
    // The control sets attributions as innerHTML: the configured text is escaped to stay text.
    const o = { attribution: escapeHtml(b.attribution), maxZoom: b.maxZoom, pane: 'tilePane', ...(b.maxNativeZoom === undefined ? {} : { maxNativeZoom: b.maxNativeZoom }) }
    if ('url' in b) {
      const s = b.subdomains === undefined ? {} : { subdomains: b.subdomains }
      L.tileLayer(b.url, { ...o, ...s }).addTo(this.map)
      // A labels layer over it (Tianditu's cva_w): same provider, so one attribution.
      if (b.overlayUrl !== undefined) L.tileLayer(b.overlayUrl, { ...o, ...s, attribution: '' }).addTo(this.map)
      return
    }
    const { PMTiles, leafletRasterLayer } = await import('pmtiles')
    leafletRasterLayer(new PMTiles(b.pmtiles), o).addTo(this.map)
  }

  /** A WGS-84 point where the basemap draws it. */
  at(lat: number, lon: number): L.LatLngTuple {
    return this.shift.toMap(lat, lon)
  }

  /** A GeoJSON layer of WGS-84 geometry, drawn shifted point by point into the basemap's datum. */
  geoJSON(data: GeoJSON.GeoJsonObject, options: L.GeoJSONOptions = {}): L.GeoJSON {
    return L.geoJSON(data, { ...options, coordsToLatLng: (c) => L.latLng(this.at(c[1]!, c[0]!)) })
  }

  layers(): Record<'units' | 'trails' | 'zones' | 'cells' | 'posts', L.LayerGroup> {
    return { units: this.unitsLayer, trails: this.trailsLayer, zones: this.zonesLayer, cells: this.cellsLayer, posts: this.postsLayer }
  }

  setLayerVisible(name: keyof ReturnType<MapView['layers']>, on: boolean): void {
    if (name === 'trails') {
      this.trailsWanted = on
      this.showTrails()
      return
    }
    const l = this.layers()[name]
    if (on) l.addTo(this.map)
    else l.remove()
    if (name === 'units') this.refreshLabels()
  }

  /** Labels the units in view (callsign, else name) from LABEL_MIN_ZOOM on; none below it. */
  private refreshLabels(): void {
    this.labelsLayer.clearLayers()
    this.labels.clear()
    this.labelBounds = null
    if (this.map.getZoom() < LABEL_MIN_ZOOM || !this.map.hasLayer(this.unitsLayer)) return
    this.labelBounds = this.map.getBounds().pad(0.2)
    for (const u of this.store.units.values()) this.placeLabel(u)
  }

  private placeLabel(u: Unit): void {
    if (u.lat === null || u.lon === null || this.labelBounds === null || this.labels.size >= MAX_LABELS) return
    if (!this.labelBounds.contains(this.at(u.lat, u.lon))) return
    const tip = L.tooltip({ permanent: true, direction: 'right', offset: [8, 0], className: 'unit-label', interactive: false })
      .setLatLng(this.at(u.lat, u.lon)).setContent(textEl(unitLabel(u)))
    tip.addTo(this.labelsLayer)
    this.labels.set(u.id, tip)
  }

  /** The label drawn beside a unit, or null when it has none (zoomed out, out of view). */
  labelOf(id: string): string | null {
    const tip = this.labels.get(id)
    return tip === undefined ? null : (tip.getElement()?.textContent ?? null)
  }

  private showTrails(): void {
    const on = this.trailsWanted && this.map.getZoom() >= TRAIL_MIN_ZOOM
    if (on && !this.map.hasLayer(this.trailsLayer)) {
      this.trailsLayer.addTo(this.map)
      for (const u of this.store.units.values()) this.drawTrail(u.id, STATUS_COLOURS[unitStatus(u)])
    }
    else if (!on && this.map.hasLayer(this.trailsLayer)) this.trailsLayer.remove()
  }

  private drawStatic(): void {
    this.zonesLayer.clearLayers()
    const bounds = L.latLngBounds([])
    for (const z of this.store.zones.values()) {
      const g = this.geoJSON(z.geometry as GeoJSON.GeoJsonObject, { style: { color: '#2f6fbf', weight: 2, fill: false }, interactive: false })
      g.addTo(this.zonesLayer)
      bounds.extend(g.getBounds())
    }
    this.postsLayer.clearLayers()
    for (const p of this.store.posts.values()) {
      const at = this.at(p.lat, p.lon)
      L.circle(at, { radius: p.radiusM, color: '#7b5ea7', weight: 1, dashArray: '4 4', fillOpacity: 0.03, interactive: false }).addTo(this.postsLayer)
      L.circleMarker(at, { radius: 4, color: '#7b5ea7', fillColor: '#fff', fillOpacity: 1, weight: 2 }).bindTooltip(textEl(p.name)).addTo(this.postsLayer)
      bounds.extend(at)
    }
    this.cellsLayer.clearLayers()
    this.cellPolys.clear()
    const now = this.now()
    for (const c of this.store.cells.values()) {
      // H3 outlines are computed in WGS-84 (by the engine) and shifted vertex by vertex.
      const poly = L.polygon(this.shift.ring(c.ring), { renderer: this.cellRenderer, interactive: false, ...this.cellStyle(c, now) })
      this.cellPolys.set(c.id, poly)
      poly.addTo(this.cellsLayer)
    }
    this.queueUnits(new Set(this.store.units.keys()))
    for (const u of this.store.units.values()) if (u.lat !== null && u.lon !== null) bounds.extend(this.at(u.lat, u.lon))
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [20, 20] })
    this.showTrails()
  }

  private cellStyle(c: Cell, now: number): L.PathOptions {
    const colour = FRESHNESS_COLOURS[freshness(c.lastVisit, c.maxIntervalMs, now)]
    return c.priority
      ? { color: '#111', weight: 2, fillColor: colour, fillOpacity: 0.55 }
      : { color: colour, weight: 0.5, opacity: 0.6, fillColor: colour, fillOpacity: 0.35 }
  }

  recolourCells(ids?: Iterable<string>): void {
    const now = this.now()
    for (const id of ids ?? this.cellPolys.keys()) {
      const c = this.store.cells.get(id)
      const poly = this.cellPolys.get(id)
      if (c === undefined || poly === undefined) continue
      // setStyle schedules a redraw of the cells canvas: only when the colour really changes.
      const style = this.cellStyle(c, now)
      if (style.fillColor !== poly.options.fillColor) poly.setStyle(style)
    }
  }

  cellColour(id: string): string | null {
    const poly = this.cellPolys.get(id)
    return poly === undefined ? null : String(poly.options.fillColor)
  }

  private queueUnits(ids: Iterable<string>): void {
    for (const id of ids) this.pending.add(id)
    if (this.scheduled) return
    this.scheduled = true
    const wait = Math.max(0, this.lastFlush + FLUSH_MS - performance.now())
    setTimeout(() => requestAnimationFrame(() => this.flushUnits()), wait)
  }

  /** Applies every unit changed since the last frame: one redraw per frame, whatever the rate. */
  private flushUnits(): void {
    this.scheduled = false
    this.lastFlush = performance.now()
    for (const id of this.pending) {
      const u = this.store.units.get(id)
      if (u !== undefined) this.drawUnit(u)
    }
    this.pending.clear()
  }

  private drawUnit(u: Unit): void {
    if (u.lat === null || u.lon === null) return
    const colour = STATUS_COLOURS[unitStatus(u)]
    const at = this.at(u.lat, u.lon)
    let m = this.markers.get(u.id)
    let moved = true
    if (m === undefined) {
      m = new UnitMarker(at, { renderer: this.unitRenderer, radius: MARKER_RADIUS, shape: kindIcon(u.kind), color: '#fff', weight: 1.5, fillColor: colour, fillOpacity: 1 })
      m.on('click', (e: L.LeafletMouseEvent) => {
        L.DomEvent.stopPropagation(e)
        this.onUnitClick(u.id)
      })
      m.bindTooltip(() => textEl(`${unitFullName(this.store.units.get(u.id) ?? u)} · ${t(`status.${unitStatus(this.store.units.get(u.id) ?? u)}`)}`))
      m.addTo(this.unitsLayer)
      this.markers.set(u.id, m)
    } else {
      const ll = m.getLatLng()
      moved = ll.lat !== at[0] || ll.lng !== at[1]
      if (moved) m.setLatLng(at)
      if (m.options.fillColor !== colour) m.setStyle({ fillColor: colour })
    }
    if (this.map.hasLayer(this.trailsLayer)) this.drawTrail(u.id, colour)
    if (this.labelBounds !== null) {
      const tip = this.labels.get(u.id)
      if (tip === undefined) this.placeLabel(u)
      else if (moved) tip.setLatLng(this.at(u.lat, u.lon))
    }
    if (moved) this.onMarkerMoved?.(u.id, u.ts)
  }

  /** Trails are only built while shown (projecting 5,000 hidden polylines would cost for nothing). */
  private drawTrail(id: string, colour: string): void {
    const pts = this.shift.ring(this.store.trails.get(id) ?? [])
    let tr = this.trails.get(id)
    if (tr === undefined) {
      tr = L.polyline(pts, { renderer: this.unitRenderer, color: colour, weight: 2, opacity: 0.45, interactive: false })
      tr.addTo(this.trailsLayer)
      this.trails.set(id, tr)
    } else {
      tr.setLatLngs(pts)
      if (tr.options.color !== colour) tr.setStyle({ color: colour })
    }
  }

  /** Where the marker is drawn (in the basemap's datum), its colour and shape. */
  markerOf(id: string): { lat: number; lon: number; colour: string; shape: KindIcon } | null {
    const m = this.markers.get(id)
    if (m === undefined) return null
    const ll = m.getLatLng()
    return { lat: ll.lat, lon: ll.lng, colour: m.options.fillColor, shape: m.options.shape }
  }

  /** Rings around the given units and a pin at the searched point. */
  highlight(point: [number, number] | null, unitIds: string[]): void {
    this.highlightLayer.clearLayers()
    if (point !== null) L.circleMarker(this.at(point[0], point[1]), { radius: 6, color: '#000', weight: 2, fillColor: '#ffd33d', fillOpacity: 1, interactive: false }).addTo(this.highlightLayer)
    for (const id of unitIds) {
      const u = this.store.units.get(id)
      if (u?.lat == null || u.lon == null) continue
      L.circleMarker(this.at(u.lat, u.lon), { renderer: this.unitRenderer, radius: 13, color: '#ffb000', weight: 3, fill: false, interactive: false }).addTo(this.highlightLayer)
    }
  }

  showTrack(geojson: GeoJSON.GeoJsonObject | null): void {
    this.trackLayer.clearLayers()
    if (geojson === null) return
    const g = this.geoJSON(geojson, { style: { color: '#e36209', weight: 3, dashArray: '6 4' }, pointToLayer: (_f, ll) => L.circleMarker(ll, { radius: 2, color: '#e36209' }) })
    g.addTo(this.trackLayer)
    if (g.getBounds().isValid()) this.map.fitBounds(g.getBounds(), { padding: [40, 40], maxZoom: 16 })
  }

  /** Centres the map on a WGS-84 point. */
  focus(lat: number, lon: number, zoom = 15): void {
    this.map.setView(this.at(lat, lon), Math.max(this.map.getZoom(), zoom))
  }

  focusZone(id: string): void {
    const z = this.store.zones.get(id)
    if (z === undefined) return
    const b = this.geoJSON(z.geometry as GeoJSON.GeoJsonObject).getBounds()
    if (b.isValid()) this.map.fitBounds(b)
  }
}
