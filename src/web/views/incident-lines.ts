// Assigned units on the map: for each open incident, a line from each assigned unit's current
// position to the scene (solid, the incident's priority colour). Redrawn when the incidents
// change and when an assigned unit moves; canvas renderer in the operations pane, every
// coordinate through the map's datum shift (MapView.at), as ops-layers.ts draws.
import * as L from 'leaflet'
import type { Store } from '../store.js'
import type { Operations } from '../operations.js'
import type { MapView } from './map-layers.js'
import { incidentColour } from './ops-layers.js'

export class IncidentLines {
  private readonly layer = L.layerGroup()
  private readonly renderer: L.Canvas
  private drawn = new Map<string, number>()

  constructor(private readonly view: MapView, private readonly store: Store, private readonly ops: Operations) {
    this.renderer = L.canvas({ pane: 'ops', padding: 0.2 })
    this.layer.addTo(view.map)
    ops.subscribe((e) => { if (e.type === 'incidents') this.draw() })
    store.subscribe((e) => {
      if (e.type !== 'units') return
      for (const i of this.ops.incidents.values()) {
        if (i.status === 'open' && i.assignments.some((a) => e.ids.has(a.unitId))) return this.draw()
      }
    })
  }

  private draw(): void {
    this.layer.clearLayers()
    this.drawn = new Map()
    for (const i of this.ops.incidents.values()) {
      if (i.status !== 'open' || i.assignments.length === 0) continue
      const scene = this.view.at(i.lat, i.lon)
      let n = 0
      for (const a of i.assignments) {
        const u = this.store.units.get(a.unitId)
        if (u?.lat == null || u.lon == null) continue
        L.polyline([this.view.at(u.lat, u.lon), scene], { renderer: this.renderer, color: incidentColour(i.priority), weight: 3, opacity: 0.85, interactive: false }).addTo(this.layer)
        n++
      }
      this.drawn.set(i.id, n)
    }
  }

  /** Probe for tests: lines drawn to an incident's scene (0 when none). */
  linesTo(incidentId: string): number {
    return this.drawn.get(incidentId) ?? 0
  }
}
