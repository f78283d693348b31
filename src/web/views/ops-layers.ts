// Incident-guided patrol on the map: incidents (pins coloured by priority), hotspot cells (shaded
// by score), active plans' checkpoints (coloured by state, with their radius) and dashed lines
// from each responsible unit still on its way to its checkpoint, and each zone's patrol level
// (outline colour by rung, label with the level's name). Canvas renderers, as everywhere; every
// coordinate through the map's datum shift (MapView.at / geoJSON / shift.ring).
import * as L from 'leaflet'
import { t, tOr } from '../i18n.js'
import type { Store } from '../store.js'
import type { CheckpointState, Incident, Operations } from '../operations.js'
import type { MapView } from './map-layers.js'
import { fmtDistance } from '../alert-text.js'
import { textEl as text } from '../dom.js'
import { local } from '../plan-names.js'
import { unitLabel } from '../unit-finder.js'

export const CHECKPOINT_COLOURS: Record<CheckpointState, string> = { pending: '#e3b341', reached: '#2e9e5b', missed: '#d6312b' }
/** Patrol level rung → outline colour (normal, enhanced, high, emergency, beyond). */
export const LEVEL_COLOURS = ['#2f6fbf', '#d4a72c', '#f0883e', '#d6312b', '#8b1a1a']
export const HOTSPOT_COLOUR = '#ff5f00'
export const incidentColour = (priority: number) => (priority <= 2 ? '#b31d28' : '#e36209')

/** A label from the catalogue, or the raw name for what the catalogue does not know (a configured level, a new incident type). */
export function labelOr(prefix: 'incidentType' | 'level', name: string): string {
  return tOr(`${prefix}.${name}`, name)
}

export class OpsLayers {
  private readonly renderer: L.Canvas
  private readonly incidentsLayer = L.layerGroup()
  private readonly hotspotsLayer = L.layerGroup()
  private readonly plansLayer = L.layerGroup()
  private readonly levelsLayer = L.layerGroup()
  private readonly incidentMarkers = new Map<string, L.CircleMarker>()
  private readonly hotspotPolys = new Map<string, L.Polygon>()
  private readonly checkpointMarkers = new Map<string, L.CircleMarker>()
  private readonly levelShapes = new Map<string, L.GeoJSON>()
  private lines = 0

  constructor(private readonly view: MapView, private readonly store: Store, private readonly ops: Operations) {
    const map = view.map
    map.createPane('ops').style.zIndex = '440'
    this.renderer = L.canvas({ pane: 'ops', padding: 0.2, tolerance: 3 })
    for (const l of [this.levelsLayer, this.hotspotsLayer, this.plansLayer, this.incidentsLayer]) l.addTo(map)
    ops.subscribe((e) => {
      if (e.type === 'incidents') this.drawIncidents()
      else if (e.type === 'hotspots') this.drawHotspots()
      else if (e.type === 'plans') this.drawPlans()
      else this.drawLevels()
    })
    store.subscribe((e) => { if (e.type === 'loaded') this.drawLevels() })
  }

  layers(): Record<'incidents' | 'hotspots' | 'plans', L.LayerGroup> {
    return { incidents: this.incidentsLayer, hotspots: this.hotspotsLayer, plans: this.plansLayer }
  }

  private drawIncidents(): void {
    for (const i of this.ops.incidents.values()) {
      if (this.incidentMarkers.has(i.id)) continue
      const m = L.circleMarker(this.view.at(i.lat, i.lon), { renderer: this.renderer, radius: 8, color: '#fff', weight: 2, fillColor: incidentColour(i.priority), fillOpacity: 0.95 })
      m.bindTooltip(() => text(incidentLabel(i, (id, given) => this.unitName(id, given))))
      m.on('click', (e: L.LeafletMouseEvent) => {
        L.DomEvent.stopPropagation(e)
        this.view.focus(i.lat, i.lon)
      })
      m.addTo(this.incidentsLayer)
      this.incidentMarkers.set(i.id, m)
    }
  }

  private drawHotspots(): void {
    this.hotspotsLayer.clearLayers()
    this.hotspotPolys.clear()
    const top = Math.max(1, ...[...this.ops.hotspots.values()].map((h) => h.score))
    for (const h of this.ops.hotspots.values()) {
      const p = L.polygon(this.view.shift.ring(h.ring), { renderer: this.renderer, color: HOTSPOT_COLOUR, weight: 2, fillColor: HOTSPOT_COLOUR, fillOpacity: 0.15 + 0.45 * (h.score / top) })
      p.bindTooltip(() => text(t('ops.hotspot', { score: h.score, n: h.incidents })))
      p.addTo(this.hotspotsLayer)
      this.hotspotPolys.set(h.id, p)
    }
  }

  private drawPlans(): void {
    this.plansLayer.clearLayers()
    this.checkpointMarkers.clear()
    this.lines = 0
    for (const plan of this.ops.plans.values()) {
      for (const c of plan.checkpoints) {
        const colour = CHECKPOINT_COLOURS[c.state]
        const at = this.view.at(c.lat, c.lon)
        L.circle(at, { renderer: this.renderer, radius: c.radiusM, color: colour, weight: 1, fillOpacity: 0.1, interactive: false }).addTo(this.plansLayer)
        const m = L.circleMarker(at, { renderer: this.renderer, radius: 7, color: '#000', weight: 2, fillColor: colour, fillOpacity: 1 })
        m.bindTooltip(text(`${local(c)} · ${t(`checkpoint.${c.state}`)}`), { permanent: true, direction: 'right', className: 'cp-label' })
        m.addTo(this.plansLayer)
        this.checkpointMarkers.set(`${plan.id}/${c.index}`, m)
        if (c.state === 'reached') continue
        // Units still on their way: a dashed line from where the unit is now to its checkpoint.
        for (const cu of c.units) {
          const u = this.store.units.get(cu.unitId)
          if (u?.lat == null || u.lon == null) continue
          L.polyline([this.view.at(u.lat, u.lon), at], { renderer: this.renderer, color: colour, weight: 2, dashArray: '6 5', interactive: false }).addTo(this.plansLayer)
          this.lines++
        }
      }
    }
  }

  private drawLevels(): void {
    this.levelsLayer.clearLayers()
    this.levelShapes.clear()
    for (const lv of this.ops.levels.values()) {
      const z = this.store.zones.get(lv.zone)
      if (z === undefined) continue
      const colour = LEVEL_COLOURS[Math.min(lv.rung, LEVEL_COLOURS.length - 1)]!
      const g = this.view.geoJSON(z.geometry as GeoJSON.GeoJsonObject, { style: { color: colour, weight: lv.rung === 0 ? 2 : 4, fill: false }, interactive: false })
      g.addTo(this.levelsLayer)
      const b = g.getBounds()
      if (b.isValid()) {
        L.tooltip({ permanent: true, direction: 'top', className: `level-label rung-${Math.min(lv.rung, 4)}`, interactive: false })
          .setLatLng([b.getNorth(), b.getCenter().lng]).setContent(text(`${z.info.name} · ${labelOr('level', lv.level)}`)).addTo(this.levelsLayer)
      }
      this.levelShapes.set(lv.zone, g)
    }
  }

  /** Probes for tests. */
  probe() {
    const colourOf = (l: L.Path | undefined) => (l === undefined ? null : String(l.options.fillColor ?? l.options.color))
    return {
      incident: (id: string) => colourOf(this.incidentMarkers.get(id)),
      /** Where the incident's pin is drawn (in the basemap's datum). */
      incidentAt: (id: string) => this.incidentMarkers.get(id)?.getLatLng() ?? null,
      hotspot: (id: string) => colourOf(this.hotspotPolys.get(id)),
      hotspotCount: () => this.hotspotPolys.size,
      checkpoint: (plan: string, index: number) => colourOf(this.checkpointMarkers.get(`${plan}/${index}`)),
      lines: () => this.lines,
      levelColour: (zone: string) => {
        const g = this.levelShapes.get(zone)
        return g === undefined ? null : String((g.options.style as L.PathOptions).color)
      },
    }
  }

  /** A unit as the page calls it (callsign, else its name in the page's language), else the name the engine sent. */
  private unitName(id: string, given?: string): string {
    const u = this.store.units.get(id)
    return u === undefined ? given ?? id : unitLabel(u)
  }

  /** Labels follow the language switch. */
  relabel(): void {
    this.drawLevels()
    this.drawPlans()
  }
}

/** `nameOf`: a unit's name on the page (by id; `given`, the engine's, for one it does not know). */
export function incidentLabel(i: Incident, nameOf: (unitId: string, given?: string) => string = (id, given) => given ?? id): string {
  const near = i.resources[0]
  return `${labelOr('incidentType', i.type)} · ${t('ops.priority', { p: i.priority })}${i.address === '' ? '' : ` · ${i.address}`}${near === undefined ? '' : ` · ${t('ops.nearest', { unit: nameOf(near.unitId, near.name), distance: fmtDistance(near.distanceM), eta: Math.ceil(near.etaS / 60) })}`}`
}
