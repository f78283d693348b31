// Finding units on the console: what a unit is called on the map (its callsign, else its name),
// and the unit list's search and filters (text over id, name and callsign; kind, status, zone,
// post). Pure functions over the store's units, so the list and its tests share them.
import { unitStatus, type Unit, type UnitStatus } from './model.js'

export interface UnitQuery {
  /** Free text: matches the id, the name or the callsign (case- and accent-insensitive, anywhere). */
  text: string
  kind: string
  status: UnitStatus | ''
  zone: string
  post: string
}

export const NO_QUERY: UnitQuery = { text: '', kind: '', status: '', zone: '', post: '' }

/** The label drawn beside a marker and listed first: the radio callsign, else the name. */
export function unitLabel(u: Pick<Unit, 'id' | 'name' | 'callsign'>): string {
  return u.callsign ?? u.name
}

/** "Bravo 12 · Car 1 (P-1)": every name a supervisor may know the unit by, without repeats. */
export function unitFullName(u: Pick<Unit, 'id' | 'name' | 'callsign'>): string {
  const parts = [u.callsign, u.name === u.id ? null : u.name].filter((p): p is string => p !== null && p !== '')
  return parts.length === 0 ? u.id : `${parts.join(' · ')} (${u.id})`
}

const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()

export function matchesUnit(u: Unit, q: UnitQuery): boolean {
  if (q.kind !== '' && u.kind !== q.kind) return false
  if (q.zone !== '' && u.zone !== q.zone) return false
  if (q.post !== '' && u.post !== q.post) return false
  if (q.status !== '' && unitStatus(u) !== q.status) return false
  const text = fold(q.text.trim())
  if (text === '') return true
  return [u.id, u.name, u.callsign ?? ''].some((s) => fold(s).includes(text))
}

/**
 * The units matching a query, best first: an exact id or callsign, then a match at the start of
 * one of the names, then anywhere; ties by label. At most `limit` (the list stays short to draw).
 */
export function findUnits(units: Iterable<Unit>, q: UnitQuery, limit = 200): Unit[] {
  const text = fold(q.text.trim())
  const rank = (u: Unit): number => {
    if (text === '') return 2
    const names = [u.id, u.callsign ?? '', u.name].map(fold)
    if (names[0] === text || names[1] === text) return 0
    return names.some((n) => n.startsWith(text)) ? 1 : 2
  }
  return [...units].filter((u) => matchesUnit(u, q))
    .map((u) => ({ u, r: rank(u), l: unitLabel(u) }))
    .sort((a, b) => a.r - b.r || a.l.localeCompare(b.l) || (a.u.id < b.u.id ? -1 : 1))
    .slice(0, limit)
    .map((x) => x.u)
}
