// Emergency plans with preset positions: activating a plan places its checkpoints (fixed, or
// offsets from the scene), then each tick tracks the responsible units — distance, ETA, whether
// they are closing in — records an arrival once a unit has stayed within the checkpoint radius for
// the dwell (by fix time), raises checkpoint.missed when arrive_within passes first (resolved by
// the arrival), and plan.completed when every checkpoint is manned. Pure and clocked; returns
// OutboundEvents with deterministic ids, the service delivers and persists.
import { haversineM, metresPerDegree } from '../geo/distance.js'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import { DEFAULT_INCIDENT_TEXTS, type IncidentTexts } from '../i18n/incident-texts.js'

export interface CheckpointSpec {
  /** In the engine's locale (name_en with locale: en, else name). */
  name: string
  /** The configured English name (name_en), for the live map in English. */
  nameEn?: string
  lat?: number
  lon?: number
  northM?: number
  eastM?: number
  /** Responsible units, posts already expanded to their units. */
  units: readonly string[]
  /** Also the N nearest available units at activation (picked by the service, recorded in the activation). */
  nearest?: number
  arriveWithinMs: number
  radiusM: number
}

export interface PlanSpec {
  id: string
  /** In the engine's locale (name_en with locale: en, else name, else the id). */
  name: string
  /** The configured English name (name_en), for the live map in English. */
  nameEn?: string
  positions: 'absolute' | 'scene'
  dwellMs: number
  checkpoints: readonly CheckpointSpec[]
}

export interface UnitPosition {
  lat: number
  lon: number
  ts: number
  kind: string
}

type Eta = (distanceM: number, kind: string) => number

interface UnitTrack {
  /** Fix time of the first fix of the current stay within the radius; null when outside. */
  insideSince: number | null
  distanceM: number | null
  /** Distance shrank by more than the noise margin since the previous tick. */
  approaching: boolean | null
}

export interface CheckpointState {
  index: number
  name: string
  /** The spec's nameEn at activation (absent: none configured, or state saved before it was kept). */
  nameEn?: string
  lat: number
  lon: number
  radiusM: number
  deadline: number
  units: string[]
  /** Of `units`, those picked at activation as the nearest available (older state files: none). */
  picked: string[]
  state: 'pending' | 'missed' | 'reached'
  reachedAt: number | null
  reachedBy: string | null
  missedAt: number | null
  tracks: Record<string, UnitTrack>
}

export interface Activation {
  activationId: string
  planId: string
  planName: string
  incidentId: string | null
  centre: { lat: number; lon: number } | null
  activatedAt: number
  by: string
  dwellMs: number
  completedAt: number | null
  checkpoints: CheckpointState[]
}

export class PlanError extends Error {
  constructor(readonly code: 'conflict' | 'bad_request' | 'not_found', message: string) {
    super(message)
  }
}

/** A distance change below this is GPS noise, not movement towards the checkpoint. */
const APPROACH_MARGIN_M = 10

export function placeCheckpoint(cp: CheckpointSpec, centre: { lat: number; lon: number } | null): { lat: number; lon: number } {
  if (cp.lat !== undefined && cp.lon !== undefined) return { lat: cp.lat, lon: cp.lon }
  const c = centre as { lat: number; lon: number }
  const { perLat, perLon } = metresPerDegree(c.lat)
  return { lat: c.lat + (cp.northM ?? 0) / perLat, lon: c.lon + (cp.eastM ?? 0) / perLon }
}

export class PlanBoard {
  private readonly active = new Map<string, Activation>()

  constructor(private readonly eta: Eta, private readonly texts: IncidentTexts = DEFAULT_INCIDENT_TEXTS) {}

  get(planId: string): Activation | undefined {
    return this.active.get(planId)
  }

  list(): Activation[] {
    return [...this.active.values()]
  }

  /** Units responsible for a checkpoint of an active plan: not proposed for new incidents. */
  committedUnits(): Set<string> {
    const out = new Set<string>()
    for (const a of this.active.values()) for (const c of a.checkpoints) for (const u of c.units) out.add(u)
    return out
  }

  /**
   * `picked[i]`: the units the service picked at activation for checkpoint i (`nearest: N`), added
   * to its fixed ones and kept in the activation (state file, snapshot), so a restart keeps them.
   */
  activate(spec: PlanSpec, o: { by: string; incidentId: string | null; centre: { lat: number; lon: number } | null; picked?: ReadonlyArray<readonly string[]> }, now: number): { activation: Activation; events: OutboundEvent[] } {
    if (this.active.has(spec.id)) throw new PlanError('conflict', `plan ${spec.id} is already active`)
    const needsCentre = spec.checkpoints.some((c) => c.lat === undefined || c.lon === undefined)
    if (needsCentre && o.centre === null) throw new PlanError('bad_request', `plan ${spec.id} is placed relative to the scene: give an incident or a position`)
    const activationId = `${spec.id}.${now}`
    const a: Activation = {
      activationId,
      planId: spec.id,
      planName: spec.name,
      incidentId: o.incidentId,
      centre: o.centre,
      activatedAt: now,
      by: o.by,
      dwellMs: spec.dwellMs,
      completedAt: null,
      checkpoints: spec.checkpoints.map((cp, index) => {
        const picked = (o.picked?.[index] ?? []).filter((u) => !cp.units.includes(u))
        const units = [...cp.units, ...picked]
        return {
          index,
          name: cp.name,
          ...(cp.nameEn === undefined ? {} : { nameEn: cp.nameEn }),
          ...placeCheckpoint(cp, o.centre),
          radiusM: cp.radiusM,
          deadline: now + cp.arriveWithinMs,
          units,
          picked,
          state: 'pending' as const,
          reachedAt: null,
          reachedBy: null,
          missedAt: null,
          tracks: Object.fromEntries(units.map((u) => [u, { insideSince: null, distanceM: null, approaching: null }])),
        }
      }),
    }
    this.active.set(spec.id, a)
    const summary = this.texts.planActivated(spec.name, o.by, o.incidentId, a.checkpoints.length)
    return { activation: a, events: [event(a, 'plan.activated', now, `${activationId}.activated`, summary, { checkpoints: a.checkpoints.map(cpData) })] }
  }

  deactivate(planId: string, by: string, now: number): { activation: Activation; events: OutboundEvent[] } {
    const a = this.active.get(planId)
    if (a === undefined) throw new PlanError('conflict', `plan ${planId} is not active`)
    this.active.delete(planId)
    const manned = a.checkpoints.filter((c) => c.state === 'reached').length
    const summary = this.texts.planDeactivated(a.planName, by, manned, a.checkpoints.length)
    return { activation: a, events: [event(a, 'plan.deactivated', now, `${a.activationId}.deactivated`, summary, { by, manned })] }
  }

  /** One evaluation at clock `now` over the live units' latest positions. */
  tick(now: number, positions: ReadonlyMap<string, UnitPosition>): OutboundEvent[] {
    const out: OutboundEvent[] = []
    for (const a of this.active.values()) {
      for (const c of a.checkpoints) {
        if (c.state !== 'reached') this.track(a, c, positions, out)
        if (c.state === 'pending' && now > c.deadline) {
          c.state = 'missed'
          c.missedAt = now
          const summary = this.texts.checkpointMissed(c.name, a.planName, Math.round((c.deadline - a.activatedAt) / 60_000), c.units)
          out.push(event(a, 'checkpoint.missed', now, `${a.activationId}.${c.index}.missed`, summary, { checkpoint: cpData(c), state: 'opened', units: this.unitData(c, positions) }))
        }
      }
      if (a.completedAt === null && a.checkpoints.every((c) => c.state === 'reached')) {
        a.completedAt = now
        const slowest = Math.max(...a.checkpoints.map((c) => (c.reachedAt as number) - a.activatedAt))
        out.push(event(a, 'plan.completed', now, `${a.activationId}.completed`, this.texts.planCompleted(a.planName, a.checkpoints.length, Math.round(slowest / 1000)), { slowestMs: slowest }))
      }
    }
    return out
  }

  private track(a: Activation, c: CheckpointState, positions: ReadonlyMap<string, UnitPosition>, out: OutboundEvent[]): void {
    for (const unitId of c.units) {
      const t = c.tracks[unitId] as UnitTrack
      const p = positions.get(unitId)
      if (p === undefined) continue
      const d = haversineM(c.lat, c.lon, p.lat, p.lon)
      t.approaching = t.distanceM === null ? null : d < t.distanceM - APPROACH_MARGIN_M ? true : d > t.distanceM + APPROACH_MARGIN_M ? false : t.approaching
      t.distanceM = d
      // Only fixes taken after the activation prove an arrival.
      if (d > c.radiusM || p.ts < a.activatedAt) {
        t.insideSince = null
        continue
      }
      t.insideSince ??= p.ts
      if (p.ts - t.insideSince < a.dwellMs) continue
      const wasMissed = c.state === 'missed'
      c.state = 'reached'
      c.reachedAt = t.insideSince
      c.reachedBy = unitId
      const elapsed = t.insideSince - a.activatedAt
      const summary = this.texts.checkpointReached(c.name, a.planName, unitId, Math.round(elapsed / 1000), wasMissed)
      out.push(event(a, 'checkpoint.reached', p.ts, `${a.activationId}.${c.index}.reached`, summary, {
        checkpoint: cpData(c),
        unitId,
        elapsedMs: elapsed,
        late: wasMissed,
        // The checkpoint.missed alert this arrival resolves, if any.
        resolves: wasMissed ? `${a.activationId}.${c.index}.missed` : null,
      }))
      return
    }
  }

  private unitData(c: CheckpointState, positions: ReadonlyMap<string, UnitPosition>) {
    return c.units.map((unitId) => {
      const t = c.tracks[unitId] as UnitTrack
      const p = positions.get(unitId)
      const d = p === undefined ? null : haversineM(c.lat, c.lon, p.lat, p.lon)
      return {
        unitId,
        live: p !== undefined,
        distanceM: d === null ? null : Math.round(d),
        etaS: d === null || p === undefined ? null : this.eta(Math.max(0, d - c.radiusM), p.kind),
        approaching: t.approaching,
        inside: t.insideSince !== null,
      }
    })
  }

  /** The status document of GET /api/v1/plans/{id} for an active plan. */
  status(planId: string, now: number, positions: ReadonlyMap<string, UnitPosition>) {
    const a = this.active.get(planId)
    if (a === undefined) return null
    return {
      activationId: a.activationId,
      incidentId: a.incidentId,
      centre: a.centre,
      activatedAt: a.activatedAt,
      by: a.by,
      completedAt: a.completedAt,
      elapsedMs: now - a.activatedAt,
      // nameEn for the live map only: the events' checkpoint data (cpData) stay as they were.
      checkpoints: a.checkpoints.map((c) => ({ ...cpData(c), ...(c.nameEn === undefined ? {} : { nameEn: c.nameEn }), units: this.unitData(c, positions) })),
    }
  }

  toJSON(): { version: 1; active: Activation[] } {
    return { version: 1, active: this.list() }
  }

  /** Restores active plans; those whose plan is no longer configured are dropped. */
  restore(json: unknown, known: (planId: string) => boolean): void {
    const j = json as { version?: unknown; active?: unknown } | null
    if (j?.version !== 1 || !Array.isArray(j.active)) return
    for (const a of j.active as Activation[]) {
      if (typeof a?.planId !== 'string' || !known(a.planId) || !Array.isArray(a.checkpoints)) continue
      // State saved before checkpoints could have units picked at activation.
      for (const c of a.checkpoints) c.picked = Array.isArray(c.picked) ? c.picked : []
      this.active.set(a.planId, a)
    }
  }
}

function cpData(c: CheckpointState) {
  return { index: c.index, name: c.name, lat: c.lat, lon: c.lon, radiusM: c.radiusM, deadline: c.deadline, state: c.state, reachedAt: c.reachedAt, reachedBy: c.reachedBy, missedAt: c.missedAt, responsible: c.units, picked: c.picked }
}

function event(a: Activation, type: string, at: number, id: string, summary: string, extra: Record<string, unknown>): OutboundEvent {
  return {
    id,
    type,
    at,
    subject: `plan:${a.planId}`,
    summary,
    data: { activationId: a.activationId, planId: a.planId, planName: a.planName, incidentId: a.incidentId, activatedAt: a.activatedAt, ...extra },
  }
}
