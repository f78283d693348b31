// Response gap (per zone with response_radius_m, on tick): the share of the zone's cells within
// the response radius of a live unit; opens below min_ratio, resolves at or above min_ratio +
// hysteresis, each only after holding at every tick for rules.response_gap.dwell. Units are
// pre-filtered by the zone's bounding box grown by the radius, so 1,000 zones stay cheap.
import type { AlertEvent } from './alert-event.js'
import { metresPerDegree } from '../geo/distance.js'
import type { AlertBook } from './alert-book.js'
import type { ZoneSpec } from './deployment.js'
import { gapCondition, stepGapDwell, type GapDwellState } from './gap-dwell.js'
import type { ResponseCoverage } from './response-coverage.js'
import { zoneSubject } from './subject.js'

export interface Position {
  lat: number
  lon: number
}

/** Positions that could reach some point of the zone's bounding box within `radiusM`. */
export function nearZone(zone: ZoneSpec, radiusM: number, positions: readonly Position[]): Position[] {
  const b = zone.polygon.bbox
  const { perLat, perLon } = metresPerDegree(Math.max(Math.abs(b.minLat), Math.abs(b.maxLat)))
  const dLat = radiusM / perLat
  const dLon = radiusM / perLon
  return positions.filter((p) => p.lat >= b.minLat - dLat && p.lat <= b.maxLat + dLat && p.lon >= b.minLon - dLon && p.lon <= b.maxLon + dLon)
}

/**
 * Evaluates one zone and drives its alert. `mayOpen` is false during the start-up grace, when
 * units have not had silent_after to report yet and a gap would be an artefact of the restart.
 */
export function tickResponseGap(
  book: AlertBook,
  zone: ZoneSpec,
  rc: ResponseCoverage,
  positions: readonly Position[],
  now: number,
  mayOpen: boolean,
  dwell: GapDwellState,
  cfg: { dwellMs: number; hysteresis: number },
): { ratio: number; event: AlertEvent | null } {
  const { ratio, total } = rc.evaluate(nearZone(zone, rc.radiusM, positions))
  const subject = zoneSubject(zone.id)
  const open = book.isOpen('response_gap', subject)
  const base = { zoneId: zone.id, zoneName: zone.name, ratio, minRatio: zone.minRatio, cellCount: total, radiusM: rc.radiusM }
  const cond = !open && !mayOpen ? 'band' : gapCondition(ratio, zone.minRatio, cfg.hysteresis)
  const step = stepGapDwell(dwell, open, cond, now, cfg.dwellMs)
  if (step === 'open') {
    return { ratio, event: book.openAlert('response_gap', subject, now, { ...base, summary: book.texts.responseOpened(zone.name, ratio, zone.minRatio, rc.radiusM) }) }
  }
  if (step === 'resolve') {
    return { ratio, event: book.resolve('response_gap', subject, now, { ...base, summary: book.texts.responseResolved(zone.name, ratio, rc.radiusM) }) }
  }
  return { ratio, event: null }
}
