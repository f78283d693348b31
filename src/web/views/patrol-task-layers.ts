// Make-up patrols on the map: each proposal's cells outlined (dashed violet) with its visit order
// (a dashed line from the proposed unit through the cells' centres, the first cell numbered), each
// task's cells filled (visited green, still to visit violet) with its route from the unit, and
// ended tasks fading out (ENDED_SHOWN_MS). Cells are drawn from the zone's own cell rings (the
// store's coverage cells); a cell the page does not hold is drawn as a dot. Canvas renderer, every
// coordinate through the map's datum shift.
import * as L from 'leaflet'
import { textEl as text } from '../dom.js'
import { t } from '../i18n.js'
import { taskOpacity, type PatrolTaskBoard, type Proposal, type Task } from '../patrol-task-board.js'
import type { Store } from '../store.js'
import { unitLabel } from '../unit-finder.js'
import type { MapView } from './map-layers.js'

export const PROPOSAL_COLOUR = '#8250df'
export const VISITED_COLOUR = '#2e9e5b'

export class PatrolTaskLayers {
  private readonly renderer: L.Canvas
  readonly layer = L.layerGroup()
  private readonly drawn = new Map<string, { kind: 'proposal' | 'task'; opacity: number; cells: number; status: string | null }>()

  constructor(private readonly view: MapView, private readonly store: Store, private readonly board: PatrolTaskBoard) {
    view.map.createPane('tasks').style.zIndex = '445'
    this.renderer = L.canvas({ pane: 'tasks', padding: 0.2, tolerance: 3 })
    this.layer.addTo(view.map)
    board.subscribe(() => this.draw())
  }

  private nameOf(id: string): string {
    const u = this.store.units.get(id)
    return u === undefined ? id : unitLabel(u)
  }

  draw(now = Date.now()): void {
    this.layer.clearLayers()
    this.drawn.clear()
    for (const x of this.board.shown(now)) this.drawTask(x, taskOpacity(x, now))
    for (const p of this.board.proposals) this.drawProposal(p)
  }

  private cell(c: { cell: string; lat: number; lon: number }, style: L.PathOptions, tip: string): void {
    const ring = this.store.cells.get(c.cell)?.ring
    const shape = ring === undefined
      ? L.circleMarker(this.view.at(c.lat, c.lon), { renderer: this.renderer, radius: 5, ...style })
      : L.polygon(this.view.shift.ring(ring), { renderer: this.renderer, ...style })
    shape.bindTooltip(() => text(tip))
    shape.addTo(this.layer)
  }

  /** unit position (if known) → cells in order. */
  private route(unitId: string | null, cells: ReadonlyArray<{ lat: number; lon: number }>, style: L.PolylineOptions): void {
    const u = unitId === null ? undefined : this.store.units.get(unitId)
    const pts: L.LatLngTuple[] = []
    if (u?.lat != null && u.lon != null) pts.push(this.view.at(u.lat, u.lon))
    for (const c of cells) pts.push(this.view.at(c.lat, c.lon))
    if (pts.length > 1) L.polyline(pts, { renderer: this.renderer, interactive: false, ...style }).addTo(this.layer)
  }

  private drawProposal(p: Proposal): void {
    const tip = p.unit === null
      ? t('task.mapProposalNoUnit', { n: p.cells.length })
      : t('task.mapProposal', { n: p.cells.length, unit: this.nameOf(p.unit.id), eta: Math.ceil(p.unit.etaS / 60) })
    p.cells.forEach((c, i) => this.cell(c, { color: PROPOSAL_COLOUR, weight: 2, dashArray: '4 4', fillColor: PROPOSAL_COLOUR, fillOpacity: c.priority ? 0.25 : 0.08 }, `${tip} · #${i + 1}`))
    this.route(p.unit?.id ?? null, p.cells, { color: PROPOSAL_COLOUR, weight: 2, dashArray: '6 6', opacity: 0.9 })
    const first = p.cells[0]
    if (first !== undefined) {
      L.tooltip({ permanent: true, direction: 'center', className: 'task-order', interactive: false })
        .setLatLng(this.view.at(first.lat, first.lon)).setContent(text('1')).addTo(this.layer)
    }
    this.drawn.set(p.id, { kind: 'proposal', opacity: 1, cells: p.cells.length, status: null })
  }

  private drawTask(x: Task, opacity: number): void {
    const tip = t('task.mapTask', { unit: this.nameOf(x.unitId), visited: x.visited, total: x.total })
    for (const c of x.cells) {
      const colour = c.visitedAt === null ? PROPOSAL_COLOUR : VISITED_COLOUR
      this.cell(c, { color: colour, weight: 2, opacity, fillColor: colour, fillOpacity: 0.35 * opacity }, tip)
    }
    const todo = x.cells.filter((c) => c.visitedAt === null)
    if (todo.length > 0 && opacity === 1) this.route(x.unitId, todo, { color: PROPOSAL_COLOUR, weight: 3, opacity: 0.9 })
    this.drawn.set(x.id, { kind: 'task', opacity, cells: x.cells.length, status: x.status })
  }

  /** Probes for tests: what is drawn for a proposal or task id. */
  probe() {
    return {
      drawn: (id: string) => this.drawn.get(id) ?? null,
      ids: () => [...this.drawn.keys()],
    }
  }
}
