// What an operator asks of the incidents stage (create incidents, change a zone's patrol level,
// accept or dismiss a suggested level, activate or end a plan, define or delete one, assign units to
// an incident or close it) as a value: cluster mode appends it to the log and every engine applies
// it, in the log's order and with the record's clock, to its own levels, suggestions, plans and
// incidents.
// The engine whose API took the request parses it first (bad rows are refused there), so every
// engine applies the same thing. Pure: the shapes, a check of a decoded one (the log may hold a
// newer engine's record), and the outcome the API waits for.
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { AlertEvent } from '../rules/alert-event.js'
import type { Hotspot } from './hotspots.js'
import type { Incident } from './incident.js'
import type { IncidentRecord } from './incident-journal.js'
import { isPlanSpec } from './plan-catalogue.js'
import type { PlanSpec } from './plans.js'
import type { DispatchTarget } from './dispatch-events.js'

/** A parsed incident and the zone it fell in (null: in none). */
export type ZonedIncident = Incident & { zone: string | null }

export type IncidentCommand =
  | { op: 'create'; incidents: ZonedIncident[]; source: string; search: boolean; by: string }
  | { op: 'level'; zoneId: string; level: string; reason: string; by: string; expiresAt: number | null }
  | { op: 'plan_on'; planId: string; by: string; incidentId: string | null; centre: { lat: number; lon: number } | null; picked?: string[][] }
  | { op: 'plan_off'; planId: string; by: string }
  | { op: 'suggestion_accept'; id: string; by: string; expiresAt: number | null }
  | { op: 'suggestion_dismiss'; id: string; by: string; reason: string | null }
  // A plan created or replaced through the API (compiled where the request came in), or deleted.
  | { op: 'plan_define'; mode: 'create' | 'replace'; spec: PlanSpec; source: Record<string, unknown>; by: string }
  | { op: 'plan_delete'; planId: string; by: string }
  | { op: 'assign'; incident: DispatchTarget; units: string[]; by: string; note: string }
  | { op: 'close'; incident: DispatchTarget; outcome: string; by: string }

/** What applying a command gave: its value (per op), or the refusal every engine reached alike. */
export type IncidentOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: 'level' | 'plan_conflict' | 'plan_bad_request' | 'plan_not_found' | 'suggestion_not_found' | 'suggestion_closed' | 'dispatch_conflict' | 'dispatch_bad_request'; message: string }

/** Hotspots per zone as a record carries them (a Map is not JSON). */
export type HotspotZones = Array<[string, Hotspot[]]>

/**
 * What applying a command or a tick caused, for someone else to carry out once: outbound events
 * (incident.opened, patrol_level.*, plan.*), `incidents` rows and `plan_events` rows (plan events
 * are both an event and a row), and checkpoint_missed alert transitions.
 */
export interface IncidentEffects {
  events: OutboundEvent[]
  incidents: IncidentRecord[]
  planEvents: OutboundEvent[]
  /** Alert transitions (checkpoint_missed), delivered through the alert path like the rules' own. */
  alerts: AlertEvent[]
}

export function noEffects(): IncidentEffects {
  return { events: [], incidents: [], planEvents: [], alerts: [] }
}

const str = (v: unknown): v is string => typeof v === 'string'
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const orNull = <T>(v: unknown, is: (x: unknown) => x is T): boolean => v === null || is(v)

function isPoint(v: unknown): v is { lat: number; lon: number } {
  const p = v as { lat?: unknown; lon?: unknown } | null
  return typeof p === 'object' && p !== null && num(p.lat) && num(p.lon)
}

function isPicked(v: unknown): boolean {
  return Array.isArray(v) && v.every((units) => Array.isArray(units) && units.every(str))
}

function isZonedIncident(v: unknown): boolean {
  const i = v as Record<string, unknown> | null
  return typeof i === 'object' && i !== null && str(i.id) && str(i.type) && num(i.priority) && num(i.ts) && num(i.lat) && num(i.lon) &&
    str(i.address) && str(i.description) && orNull(i.zone, str)
}

function isTarget(v: unknown): boolean {
  const i = v as Record<string, unknown> | null
  return isPoint(v) && str(i?.id) && orNull(i?.zone, str)
}

/** Null when `v` is a command this version applies, else why not. */
export function commandProblem(v: unknown): string | null {
  const c = v as Record<string, unknown> | null
  if (typeof c !== 'object' || c === null) return 'not an object'
  switch (c.op) {
    case 'create':
      return Array.isArray(c.incidents) && c.incidents.every(isZonedIncident) && str(c.source) && typeof c.search === 'boolean' && str(c.by) ? null : 'a create without valid incidents/source/search/by'
    case 'level':
      return str(c.zoneId) && str(c.level) && str(c.reason) && str(c.by) && orNull(c.expiresAt, num) ? null : 'a level change without zoneId/level/reason/by/expiresAt'
    case 'plan_on':
      return str(c.planId) && str(c.by) && orNull(c.incidentId, str) && orNull(c.centre, isPoint) && (c.picked === undefined || isPicked(c.picked)) ? null : 'a plan activation without planId/by/incidentId/centre'
    case 'plan_off':
      return str(c.planId) && str(c.by) ? null : 'a plan deactivation without planId/by'
    case 'suggestion_accept':
      return str(c.id) && str(c.by) && orNull(c.expiresAt, num) ? null : 'a suggestion acceptance without id/by/expiresAt'
    case 'suggestion_dismiss':
      return str(c.id) && str(c.by) && orNull(c.reason, str) ? null : 'a suggestion dismissal without id/by/reason'
    case 'plan_define':
      return (c.mode === 'create' || c.mode === 'replace') && isPlanSpec(c.spec) && typeof c.source === 'object' && c.source !== null && str(c.by) ? null : 'a plan definition without mode/spec/source/by'
    case 'plan_delete':
      return str(c.planId) && str(c.by) ? null : 'a plan deletion without planId/by'
    case 'assign':
      return isTarget(c.incident) && Array.isArray(c.units) && c.units.every(str) && str(c.by) && str(c.note) ? null : 'an assignment without incident/units/by/note'
    case 'close':
      return isTarget(c.incident) && str(c.outcome) && str(c.by) ? null : 'a close without incident/outcome/by'
    default:
      return `unknown incident command ${JSON.stringify(c.op)?.slice(0, 20)}`
  }
}

/** Null when `v` is a hotspot list a record may carry, else why not. */
export function hotspotsProblem(v: unknown): string | null {
  if (!Array.isArray(v)) return 'hotspots not a list'
  for (const z of v) {
    if (!Array.isArray(z) || !str(z[0]) || !Array.isArray(z[1])) return 'a hotspot zone entry is not [zoneId, hotspots]'
    for (const h of z[1] as unknown[]) {
      const x = h as Record<string, unknown> | null
      if (typeof x !== 'object' || x === null || !str(x.cell) || !num(x.score) || !num(x.count) || !str(x.zoneId) || !str(x.zoneCell)) return 'a hotspot without cell/score/count/zoneId/zoneCell'
    }
  }
  return null
}
