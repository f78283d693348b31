// Emergency plan activations of a period, from the `plan_events` table the incidents stage writes
// (src/store/clickhouse/schema.ts): per activation and checkpoint, who was responsible, who manned it and
// the time from activation to arrival — or that it was missed (arrive_within passed first) or
// never manned before the plan ended. Pure: rows in, report section out.
import type { PlanEventRow } from './report-queries.js'

export interface CheckpointFigures {
  index: number
  name: string
  responsible: string[]
  arriveWithinMs: number
  /** 'on_time': reached within arrive_within; 'late': reached after a miss; 'missed': never reached. */
  status: 'on_time' | 'late' | 'missed' | 'pending'
  mannedBy: string | null
  reachedAt: number | null
  /** Activation to arrival (the first fix of the dwell inside the radius). */
  timeToManMs: number | null
  missedAt: number | null
}

export interface PlanActivationFigures {
  activationId: string
  planId: string
  planName: string
  incidentId: string | null
  activatedAt: number
  completedAt: number | null
  deactivatedAt: number | null
  manned: number
  /** Time until the last checkpoint was manned (plan.completed), else null. */
  allMannedMs: number | null
  checkpoints: CheckpointFigures[]
}

export interface PlanSummary {
  activations: number
  checkpoints: number
  onTime: number
  late: number
  missed: number
  /** Mean and longest time to man over the checkpoints that were manned. */
  meanTimeToManMs: number | null
  maxTimeToManMs: number | null
}

export interface PlansSection { summary: PlanSummary; activations: PlanActivationFigures[] }

interface ActivatedData { planName?: string; checkpoints?: Array<{ index: number; name: string; deadline: number; responsible?: string[] }> }
interface CheckpointData { checkpoint?: { index?: number } }

export function planSection(rows: readonly PlanEventRow[], planId?: string): PlansSection {
  const byActivation = new Map<string, PlanEventRow[]>()
  for (const r of rows) {
    if (planId !== undefined && r.plan_id !== planId) continue
    const list = byActivation.get(r.activation_id)
    if (list === undefined) byActivation.set(r.activation_id, [r])
    else list.push(r)
  }
  const activations: PlanActivationFigures[] = []
  for (const [activationId, evs] of byActivation) {
    const start = evs.find((e) => e.type === 'plan.activated')
    if (start === undefined) continue
    const d = parse<ActivatedData>(start.data)
    const cps: CheckpointFigures[] = (d.checkpoints ?? []).map((c) => ({
      index: c.index,
      name: c.name,
      responsible: c.responsible ?? [],
      arriveWithinMs: c.deadline - start.at,
      status: 'pending',
      mannedBy: null,
      reachedAt: null,
      timeToManMs: null,
      missedAt: null,
    }))
    const cpOf = (e: PlanEventRow): CheckpointFigures | undefined => {
      const i = parse<CheckpointData>(e.data).checkpoint?.index
      return cps.find((c) => (i === undefined ? c.name === e.checkpoint : c.index === i))
    }
    let completedAt: number | null = null
    let deactivatedAt: number | null = null
    for (const e of evs) {
      if (e.type === 'plan.completed') completedAt = e.at
      else if (e.type === 'plan.deactivated') deactivatedAt = e.at
      else if (e.type === 'checkpoint.missed') {
        const c = cpOf(e)
        if (c !== undefined) c.missedAt = e.at
      } else if (e.type === 'checkpoint.reached') {
        const c = cpOf(e)
        if (c !== undefined && c.reachedAt === null) {
          c.mannedBy = e.unit_id
          c.timeToManMs = e.elapsed_ms ?? null
          c.reachedAt = c.timeToManMs === null ? e.at : start.at + c.timeToManMs
        }
      }
    }
    const ended = deactivatedAt !== null
    for (const c of cps) c.status = c.reachedAt !== null ? (c.missedAt === null ? 'on_time' : 'late') : c.missedAt !== null || ended ? 'missed' : 'pending'
    activations.push({
      activationId,
      planId: start.plan_id,
      planName: d.planName ?? start.plan_id,
      incidentId: start.incident_id === '' ? null : start.incident_id,
      activatedAt: start.at,
      completedAt,
      deactivatedAt,
      manned: cps.filter((c) => c.reachedAt !== null).length,
      allMannedMs: completedAt === null ? null : Math.max(0, ...cps.map((c) => c.timeToManMs ?? 0)),
      checkpoints: cps,
    })
  }
  activations.sort((a, b) => a.activatedAt - b.activatedAt || (a.activationId < b.activationId ? -1 : 1))
  const all = activations.flatMap((a) => a.checkpoints)
  const times = all.flatMap((c) => (c.timeToManMs === null ? [] : [c.timeToManMs]))
  return {
    summary: {
      activations: activations.length,
      checkpoints: all.length,
      onTime: all.filter((c) => c.status === 'on_time').length,
      late: all.filter((c) => c.status === 'late').length,
      missed: all.filter((c) => c.status === 'missed').length,
      meanTimeToManMs: times.length === 0 ? null : Math.round(times.reduce((a, b) => a + b, 0) / times.length),
      maxTimeToManMs: times.length === 0 ? null : Math.max(...times),
    },
    activations,
  }
}

/** One row per checkpoint of every activation (the CSV shape). */
export function planRows(s: PlansSection): Array<Record<string, unknown>> {
  return s.activations.flatMap((a) => a.checkpoints.map((c) => ({
    activationId: a.activationId,
    planId: a.planId,
    planName: a.planName,
    incidentId: a.incidentId,
    activatedAt: a.activatedAt,
    checkpoint: c.name,
    responsible: c.responsible.join(' '),
    arriveWithinMs: c.arriveWithinMs,
    status: c.status,
    mannedBy: c.mannedBy,
    timeToManMs: c.timeToManMs,
    missedAt: c.missedAt,
  })))
}

function parse<T>(s: string): T {
  try {
    return JSON.parse(s) as T
  } catch {
    return {} as T
  }
}
