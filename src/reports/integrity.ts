// The bulletin's "Patrol integrity" section: per unit, the integrity signals (src/integrity/) of
// the period as stored in `integrity_signals`, each a fact with its figures, never a verdict; with
// per unit the count, the time the stretches span and the stationary time that was counted as
// patrol time (stationary_share's evidence). Units with the most signals first. Pure.
import type { IntegritySignalRow } from './report-queries.js'

/** Signals read for one report (a month of a large fleet stays well under it). */
export const MAX_INTEGRITY_SIGNALS = 10_000

export interface IntegrityFact {
  kind: string
  from: number
  to: number
  relatedUnitId: string | null
  evidence: Record<string, number>
}

export interface IntegrityUnit {
  unitId: string
  name: string
  signals: number
  /** Signals per kind. */
  kinds: Record<string, number>
  /** Fix time the signals' stretches span, summed (ms). */
  spanMs: number
  /** Long stationary periods counted as patrol time (stationary_share), summed (ms). */
  stationaryMs: number
  facts: IntegrityFact[]
}

export interface IntegritySection {
  summary: { units: number; signals: number; kinds: Record<string, number> }
  units: IntegrityUnit[]
}

function evidenceOf(json: string): Record<string, number> {
  try {
    const e = JSON.parse(json) as unknown
    if (typeof e !== 'object' || e === null) return {}
    return Object.fromEntries(Object.entries(e).filter((x): x is [string, number] => typeof x[1] === 'number'))
  } catch {
    return {}
  }
}

export function integritySection(rows: readonly IntegritySignalRow[], nameOf: (unitId: string) => string = (id) => id): IntegritySection {
  const units = new Map<string, IntegrityUnit>()
  const kinds: Record<string, number> = {}
  for (const r of rows) {
    let u = units.get(r.unit_id)
    if (u === undefined) units.set(r.unit_id, (u = { unitId: r.unit_id, name: nameOf(r.unit_id), signals: 0, kinds: {}, spanMs: 0, stationaryMs: 0, facts: [] }))
    const evidence = evidenceOf(r.evidence)
    u.signals++
    u.kinds[r.kind] = (u.kinds[r.kind] ?? 0) + 1
    u.spanMs += r.ended_at - r.started_at
    if (r.kind === 'stationary_share') u.stationaryMs += Math.round((evidence.stationaryMinutes ?? 0) * 60_000)
    u.facts.push({ kind: r.kind, from: r.started_at, to: r.ended_at, relatedUnitId: r.related_unit_id === '' ? null : r.related_unit_id, evidence })
    kinds[r.kind] = (kinds[r.kind] ?? 0) + 1
  }
  const list = [...units.values()].sort((a, b) => b.signals - a.signals || a.unitId.localeCompare(b.unitId))
  for (const u of list) u.facts.sort((a, b) => a.from - b.from)
  return { summary: { units: list.length, signals: rows.length, kinds }, units: list }
}

/** One CSV row per signal. */
export function integrityRows(s: IntegritySection | undefined): Array<Record<string, unknown>> {
  return (s?.units ?? []).flatMap((u) => u.facts.map((f) => ({ unitId: u.unitId, name: u.name, kind: f.kind, from: f.from, to: f.to, relatedUnitId: f.relatedUnitId ?? '', evidence: f.evidence })))
}
