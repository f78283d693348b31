// Automatic make-up mode (coverage.make_up: auto): which proposals the engine assigns without a
// dispatcher. Only once the zone's gap has lasted `afterMs`, only proposals that have a unit, at
// most `maxPerZone` open tasks in the zone (those already open count), and at most one open task
// per unit (proposals never offer a unit that holds one: the caller passes them as busy). Pure.
import type { MakeUpProposal } from './proposals.js'

export interface AutoSettings {
  afterMs: number
  maxPerZone: number
}

export interface ZoneTaskState {
  /** When the zone's coverage gap opened; null when it is not open. */
  gapSince: number | null
  /** Tasks of the zone still open (assigned or started). */
  openTasks: number
}

export function autoAssignments(
  proposals: readonly MakeUpProposal[],
  zone: ZoneTaskState,
  now: number,
  s: AutoSettings,
): MakeUpProposal[] {
  if (zone.gapSince === null || now - zone.gapSince < s.afterMs) return []
  const room = s.maxPerZone - zone.openTasks
  if (room <= 0) return []
  const units = new Set<string>()
  const out: MakeUpProposal[] = []
  for (const p of proposals) {
    if (out.length >= room) break
    if (p.unit === null || units.has(p.unit.id)) continue
    units.add(p.unit.id)
    out.push(p)
  }
  return out
}
