// Coverage gap (per zone, on tick): opens when, past the zone's grace period, the fresh share is
// below min_ratio or any priority cell is overdue at every tick for rules.coverage_gap.dwell;
// resolves when the share is at least min_ratio + hysteresis and no priority cell is overdue for
// the same dwell (gap-dwell.ts), so a share hovering at the threshold does not flap. The alert lists
// the stale cells a supervisor should send a car to: priority cells first, then oldest first.
import type { AlertEvent, StaleCell } from './alert-event.js'
import type { AlertBook } from './alert-book.js'
import type { CoverageEval, ZoneCoverage } from './coverage.js'
import type { ZoneSpec } from './deployment.js'
import { gapCondition, stepGapDwell, type GapDwellState } from './gap-dwell.js'
import { zoneSubject } from './subject.js'

export const STALE_CELLS_IN_ALERT = 50

/** Up to `limit` stale cells: overdue priority cells first, then the zone's oldest. */
export function staleList(zc: ZoneCoverage, ev: CoverageEval, now: number, limit: number): StaleCell[] {
  const out = ev.stalePriority.slice(0, limit)
  if (out.length >= limit) return out
  const seen = new Set(out.map((c) => c.cell))
  for (const c of zc.staleCells(now, limit + ev.stalePriority.length)) {
    if (out.length >= limit) break
    if (!seen.has(c.cell)) out.push(c)
  }
  return out
}

export function tickCoverageGap(
  book: AlertBook,
  zone: ZoneSpec,
  zc: ZoneCoverage,
  now: number,
  dwell: GapDwellState,
  cfg: { dwellMs: number; hysteresis: number },
): { ev: CoverageEval; event: AlertEvent | null } {
  const ev = zc.evaluate(now)
  const subject = zoneSubject(zone.id)
  const open = book.isOpen('coverage_gap', subject)
  const interval = zone.maxIntervalMs
  const base = { zoneId: zone.id, zoneName: zone.name, ratio: ev.ratio, minRatio: zone.minRatio, cellCount: ev.total }
  const cond = !open && ev.inGrace ? 'band' : gapCondition(ev.ratio, zone.minRatio, cfg.hysteresis, ev.stalePriority.length > 0)
  const step = stepGapDwell(dwell, open, cond, now, cfg.dwellMs)
  if (step === 'open') {
    const staleCells = staleList(zc, ev, now, STALE_CELLS_IN_ALERT)
    const summary = book.texts.coverageOpened(zone.name, ev.ratio, zone.minRatio, ev.total, interval, ev.stalePriority.length)
    return { ev, event: book.openAlert('coverage_gap', subject, now, { ...base, staleCells, summary }) }
  }
  if (step === 'resolve') {
    const summary = book.texts.coverageResolved(zone.name, ev.ratio, ev.total, interval)
    return { ev, event: book.resolve('coverage_gap', subject, now, { ...base, staleCells: [], summary }) }
  }
  return { ev, event: null }
}
