// Coverage credit: a fix visits its cell (at each zone resolution) in every zone that tracks the
// cell and credits the unit, plus the H3 path from the unit's previous fix when the two are close
// enough in time and space to be a real drive. Zone lookups go through the precomputed
// cell → zones index, so a fix costs O(resolutions) map lookups, not O(zones) polygon tests.
// A fix less accurate than rules.coverage_max_accuracy_m earns nothing, and path fill needs both
// ends accurate: a phone on network location (±1 km) must not paint a zone fresh.
import { latLngToCell } from 'h3-js'
import type { Fix } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'
import { pathCells } from '../geo/cells.js'
import type { Deployment } from './deployment.js'
import type { ZoneCoverage } from './coverage.js'

/**
 * The one way a point maps to a coverage cell: the cell containing the point at the zone's
 * resolution (latLngToCell), as the polyfill (cell centres), priority cells (lat/lon) and the
 * ClickHouse recovery (geoToH3) use. The parent of the ingest cell is NOT the same thing (H3
 * children are not nested exactly in their parent), so it is never used.
 */
export function coverageCell(lat: number, lon: number, resolution: number): string {
  return latLngToCell(lat, lon, resolution)
}

/** The fix's coverage cell at `resolution`, reusing the ingest cell when it is that cell. */
export function cellAt(fix: Fix, resolution: number, ingestResolution: number): string {
  return resolution === ingestResolution && fix.h3 !== '' ? fix.h3 : coverageCell(fix.lat, fix.lon, resolution)
}

/** True when a fix's accuracy allows coverage credit (unknown accuracy counts). */
export function creditable(f: Fix, maxAccuracyM: number): boolean {
  return f.accuracy === null || f.accuracy <= maxAccuracyM
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
    if (!creditable(fix, r.coverageMaxAccuracyM)) return 0
    const usePath =
      prev !== null &&
      creditable(prev, r.coverageMaxAccuracyM) &&
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
