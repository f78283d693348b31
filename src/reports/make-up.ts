// Make-up patrols of a period, from the `patrol_tasks` table the make-up stage journals
// (src/store/clickhouse/schema.ts): the tasks assigned in the period, each at its last stored
// state, counted per zone and per unit — assigned, completed, expired (abandoned or past the
// deadline), cancelled, still open; the completion rate (completed of those that ran their course:
// completed + expired; a dispatcher's cancellation counts for neither); the median time from
// assignment to completion; and the cells recovered (visited by the tasks, whatever their end).
// Pure: rows in, report section out.
import type { PatrolTaskRow } from './report-queries.js'

export interface MakeUpFigures {
  assigned: number
  completed: number
  expired: number
  /** Of `expired`: the unit stayed away (patrol_tasks.abandon_after), not the deadline. */
  abandoned: number
  cancelled: number
  /** Neither completed, expired nor cancelled when the report was made. */
  open: number
  /** completed / (completed + expired); null when no task ran its course. */
  completionRate: number | null
  /** Median assignment → completion over the completed tasks. */
  medianTimeToCompleteMs: number | null
  /** Cells the tasks' units visited (each task's last stored count). */
  cellsRecovered: number
  /** Cells the tasks held. */
  cellsAssigned: number
}

export interface MakeUpSection {
  summary: MakeUpFigures
  /** By zone (most tasks first). */
  zones: Array<{ zoneId: string; name: string } & MakeUpFigures>
  /** By unit (most tasks first). */
  units: Array<{ unitId: string } & MakeUpFigures>
}

/** The median of sorted-or-not values (mean of the two middle ones), or null for none. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

function figures(tasks: readonly PatrolTaskRow[]): MakeUpFigures {
  const f: MakeUpFigures = { assigned: tasks.length, completed: 0, expired: 0, abandoned: 0, cancelled: 0, open: 0, completionRate: null, medianTimeToCompleteMs: null, cellsRecovered: 0, cellsAssigned: 0 }
  const times: number[] = []
  for (const t of tasks) {
    f.cellsRecovered += t.visited
    f.cellsAssigned += t.total
    if (t.type === 'patrol_task.completed') {
      f.completed++
      if (t.ended_at !== null) times.push(t.ended_at - t.assigned_at)
    } else if (t.type === 'patrol_task.expired') {
      f.expired++
      if (t.reason === 'abandoned') f.abandoned++
    } else if (t.type === 'patrol_task.cancelled') f.cancelled++
    else f.open++
  }
  const ran = f.completed + f.expired
  f.completionRate = ran === 0 ? null : f.completed / ran
  f.medianTimeToCompleteMs = median(times)
  return f
}

function grouped<K extends string>(tasks: readonly PatrolTaskRow[], key: (t: PatrolTaskRow) => string, name: K): Array<Record<K, string> & MakeUpFigures> {
  const by = new Map<string, PatrolTaskRow[]>()
  for (const t of tasks) {
    const k = key(t)
    const list = by.get(k)
    if (list === undefined) by.set(k, [t])
    else list.push(t)
  }
  return [...by].map(([k, ts]) => ({ [name]: k, ...figures(ts) }) as Record<K, string> & MakeUpFigures)
    .sort((a, b) => b.assigned - a.assigned || (a[name] < b[name] ? -1 : 1))
}

/** `zoneName`: the configured name of a zone (its id when it has none or is no longer configured). */
export function makeUpSection(rows: readonly PatrolTaskRow[], zoneName: (zoneId: string) => string = (z) => z): MakeUpSection {
  // Each task at its last stored event (rows come in time order; an outcome follows the assignment).
  const last = new Map<string, PatrolTaskRow>()
  for (const r of rows) {
    const have = last.get(r.task_id)
    if (have === undefined || r.at > have.at || (r.at === have.at && r.type !== 'patrol_task.assigned')) last.set(r.task_id, r)
  }
  const tasks = [...last.values()]
  return {
    summary: figures(tasks),
    zones: grouped(tasks, (t) => t.zone_id, 'zoneId').map(({ zoneId, ...f }) => ({ zoneId, name: zoneName(zoneId), ...f })),
    units: grouped(tasks, (t) => t.unit_id, 'unitId'),
  }
}
