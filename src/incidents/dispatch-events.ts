// The outbound events of dispatch: incident.assigned (the units added, with distance and ETA when
// assigned) and incident.closed (the outcome). Ids are deterministic (a replay of the log yields
// the same ones): an assignment is numbered by how many units the incident had before it. `data.units`
// lets the MQTT publisher also send each to the units' own topics (delivery/topics.ts). Pure.
import type { OutboundEvent } from '../delivery/outbound-event.js'
import { DEFAULT_INCIDENT_TEXTS, type IncidentTexts } from '../i18n/incident-texts.js'
import type { Assignment, DispatchState } from './dispatch.js'

/** What dispatch needs of an incident (cluster mode: the command carries it, so every engine agrees). */
export interface DispatchTarget { id: string; lat: number; lon: number; zone: string | null }

const zoneOf = (i: DispatchTarget) => (i.zone === null ? {} : { zoneId: i.zone })

/** `added`: the units this call assigned (by `o.by`, with `o.note`), the last ones of `state.assignments`. */
export function assignedEvent(i: DispatchTarget, state: DispatchState, added: readonly Assignment[], o: { by: string; note: string }, now: number, texts: IncidentTexts = DEFAULT_INCIDENT_TEXTS): OutboundEvent {
  const before = state.assignments.length - added.length
  const by = o.by
  return {
    id: `incident.${i.id}.assigned.${before}`,
    type: 'incident.assigned',
    at: now,
    subject: `incident:${i.id}`,
    summary: texts.incidentAssigned(i.id, added, by),
    data: {
      incidentId: i.id,
      ...zoneOf(i),
      scene: { lat: i.lat, lon: i.lon },
      units: added.map((a) => ({ unitId: a.unitId, distanceM: a.distanceM, etaS: a.etaS })),
      by,
      note: o.note,
      assignments: state.assignments.map((a) => a.unitId),
    },
  }
}

export function closedEvent(i: DispatchTarget, state: DispatchState, o: { outcome: string; by: string }, now: number, texts: IncidentTexts = DEFAULT_INCIDENT_TEXTS): OutboundEvent {
  return {
    id: `incident.${i.id}.closed`,
    type: 'incident.closed',
    at: now,
    subject: `incident:${i.id}`,
    summary: texts.incidentClosed(i.id, o.outcome, o.by),
    data: {
      incidentId: i.id,
      ...zoneOf(i),
      outcome: o.outcome,
      by: o.by,
      units: state.assignments.map((a) => ({ unitId: a.unitId })),
    },
  }
}
