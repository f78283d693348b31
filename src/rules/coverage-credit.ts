// Coverage credit: a fix visits its cell (at each zone resolution) in every zone that tracks the
// cell and credits the unit, plus the H3 path from the unit's previous fix when the two are close
// enough in time and space to be a real drive. Zone lookups go through the precomputed
// cell → zones index, so a fix costs O(resolutions) map lookups, not O(zones) polygon tests.
import { cellToParent, latLngToCell } from 'h3-js'
import type { Fix } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'
import { pathCells } from '../geo/cells.js'
import type { Deployment } from './deployment.js'
import type { ZoneCoverage } from './coverage.js'

/** The fix's cell at `resolution`, reusing the ingest cell when it can. */
export function cellAt(fix: Fix, resolution: number, ingestResolution: number): string {
  if (fix.h3 === '') return latLngToCell(fix.lat, fix.lon, resolution)
  if (resolution === ingestResolution) return fix.h3
  if (resolution < ingestResolution) return cellToParent(fix.h3, resolution)
  return latLngToCell(fix.lat, fix.lon, resolution)
}

export class CoverageCredit {
  constructor(
    private readonly dep: Deployment,
    /** Indexed like Deployment.zones; read at each visit, so a restored coverage is picked up. */
    private readonly zones: ReadonlyArray<{ coverage: ZoneCoverage }>,
  ) {}

  /**
   * Credits `fix` for a unit whose own zone has index `ownZone` (-1: none). With `prev` (the
   * unit's previous released fix), cells strictly between the two are credited at times
   * interpolated along the path: the unit passed them between prev.ts and fix.ts, and crediting
   * them all at fix.ts would overstate freshness. Returns the number of (zone, cell) credits.
   */
  credit(fix: Fix, ownZone: number, prev: Fix | null): number {
    const dep = this.dep
    const r = dep.rules
    const usePath =
      prev !== null &&
      fix.ts > prev.ts &&
      fix.ts - prev.ts <= r.pathMaxGapMs &&
      haversineM(prev.lat, prev.lon, fix.lat, fix.lon) <= r.pathMaxDistanceM
    let n = 0
    for (const { resolution, zonesOfCell } of dep.cellIndex) {
      const cell = cellAt(fix, resolution, dep.ingestResolution)
      n += this.visit(zonesOfCell, cell, fix.ts, ownZone)
      if (!usePath) continue
      const from = cellAt(prev as Fix, resolution, dep.ingestResolution)
      if (from === cell) continue
      const path = pathCells(from, cell)
      const last = path.length - 1
      for (let i = 1; i < last; i++) {
        const ts = Math.round((prev as Fix).ts + ((fix.ts - (prev as Fix).ts) * i) / last)
        n += this.visit(zonesOfCell, path[i] as string, ts, ownZone)
      }
    }
    return n
  }

  private visit(zonesOfCell: ReadonlyMap<string, readonly number[]>, cell: string, ts: number, ownZone: number): number {
    const zs = zonesOfCell.get(cell)
    if (zs === undefined) return 0
    let n = 0
    for (const zi of zs) {
      if (zi !== ownZone && this.dep.zones[zi]?.credit !== 'any') continue
      ;(this.zones[zi] as { coverage: ZoneCoverage }).coverage.visit(cell, ts)
      n++
    }
    return n
  }
}
