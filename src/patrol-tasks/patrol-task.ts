// One make-up patrol task, tracked from the assigned unit's fixes: a cell counts as visited when a
// fix accurate enough for coverage credit lies in it, or the unit drove through it between two
// such fixes close in time and space (the coverage rule's path fill, with the same bounds). The
// task starts at the first visit, completes when every cell is visited, is abandoned when the
// unit stays farther than `awayM` from every cell still to visit for `abandonAfterMs` (after it
// had time to get there: the ETA plus that bound), and expires at `expireAfterMs` after
// assignment. Pure and clocked: fixes and ticks carry their own times.
import type { Fix } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'
import { pathCells } from '../geo/cells.js'
import { coverageCell, creditable } from '../rules/coverage-credit.js'
import { getResolution } from 'h3-js'

export type TaskStatus = 'assigned' | 'started' | 'completed' | 'abandoned' | 'expired' | 'cancelled'

export interface TaskSettings {
  /** rules.coverage_max_accuracy_m: a less accurate fix visits nothing. */
  maxAccuracyM: number
  /** rules.path_max_gap / path_max_distance_m: the path between two fixes counts within these. */
  pathMaxGapMs: number
  pathMaxDistanceM: number
  awayM: number
  abandonAfterMs: number
  expireAfterMs: number
}

export interface TaskSpec {
  id: string
  zoneId: string
  unitId: string
  /** H3 cells in visit order (one resolution: the zone's). */
  cells: ReadonlyArray<{ cell: string; lat: number; lon: number }>
  assignedAt: number
  /** Seconds the unit was expected to need to reach the first cell. */
  etaS: number
  by: 'dispatcher' | 'auto'
}

export interface TaskProgress {
  status: TaskStatus
  visited: number
  total: number
  startedAt: number | null
  endedAt: number | null
}

export type TaskChange = { to: 'started' | 'completed' | 'abandoned' | 'expired'; at: number }

/** Everything a task needs to go on after a restart (task-state.ts writes and checks it). */
export interface TaskState {
  spec: TaskSpec
  status: TaskStatus
  /** Visited cells and when, in visit order. */
  visits: Array<[string, number]>
  startedAt: number | null
  endedAt: number | null
  awaySince: number | null
  /** The unit's last creditable fix (the path from it to the next one counts). */
  prev: Fix | null
}

export class PatrolTask {
  readonly spec: TaskSpec
  private readonly s: TaskSettings
  private readonly resolution: number
  private readonly todo = new Map<string, { lat: number; lon: number }>()
  readonly visits = new Map<string, number>()
  status: TaskStatus = 'assigned'
  startedAt: number | null = null
  endedAt: number | null = null
  private awaySince: number | null = null
  private prev: Fix | null = null

  constructor(spec: TaskSpec, s: TaskSettings) {
    this.spec = spec
    this.s = s
    const first = spec.cells[0]
    if (first === undefined) throw new Error(`patrol task ${spec.id} has no cells`)
    this.resolution = getResolution(first.cell)
    for (const c of spec.cells) this.todo.set(c.cell, { lat: c.lat, lon: c.lon })
  }

  /** A task as saved (toState), with the current settings. */
  static fromState(st: TaskState, s: TaskSettings): PatrolTask {
    const t = new PatrolTask(st.spec, s)
    for (const [cell, at] of st.visits) {
      if (!t.todo.delete(cell)) continue
      t.visits.set(cell, at)
    }
    t.status = st.status
    t.startedAt = st.startedAt
    t.endedAt = st.endedAt
    t.awaySince = st.awaySince
    t.prev = st.prev
    return t
  }

  toState(): TaskState {
    return { spec: this.spec, status: this.status, visits: [...this.visits], startedAt: this.startedAt, endedAt: this.endedAt, awaySince: this.awaySince, prev: this.prev }
  }

  get open(): boolean {
    return this.status === 'assigned' || this.status === 'started'
  }

  progress(): TaskProgress {
    return { status: this.status, visited: this.visits.size, total: this.spec.cells.length, startedAt: this.startedAt, endedAt: this.endedAt }
  }

  /** Cells a fix (and the path from the previous one) visits, at the task's resolution. */
  private cellsOf(fix: Fix): string[] {
    const cell = coverageCell(fix.lat, fix.lon, this.resolution)
    const p = this.prev
    const usePath = p !== null && creditable(p, this.s.maxAccuracyM) && fix.ts > p.ts
      && fix.ts - p.ts <= this.s.pathMaxGapMs && haversineM(p.lat, p.lon, fix.lat, fix.lon) <= this.s.pathMaxDistanceM
    return usePath ? pathCells(coverageCell(p.lat, p.lon, this.resolution), cell) : [cell]
  }

  /** A fix of the task's unit, in time order. Returns the change it caused, if any. */
  observe(fix: Fix): TaskChange | null {
    if (!this.open || fix.unitId !== this.spec.unitId || fix.ts < this.spec.assignedAt) return null
    // An inaccurate fix says little about where the unit is: it only lets time pass.
    if (!creditable(fix, this.s.maxAccuracyM)) return this.tick(fix.ts)
    let change: TaskChange | null = null
    for (const cell of this.cellsOf(fix)) {
      if (!this.todo.delete(cell)) continue
      this.visits.set(cell, fix.ts)
      if (this.startedAt === null) {
        this.startedAt = fix.ts
        this.status = 'started'
        change = { to: 'started', at: fix.ts }
      }
    }
    this.prev = fix
    if (this.todo.size === 0) return this.end('completed', fix.ts)
    return this.away(fix) ?? change
  }

  /** Tracks how long the unit is away from every cell still to visit; abandons past the bound. */
  private away(fix: Fix): TaskChange | null {
    let near = false
    for (const c of this.todo.values()) {
      if (haversineM(fix.lat, fix.lon, c.lat, c.lon) <= this.s.awayM) {
        near = true
        break
      }
    }
    if (near || fix.ts < this.spec.assignedAt + this.spec.etaS * 1000) {
      this.awaySince = null
      return null
    }
    this.awaySince ??= fix.ts
    return this.tick(fix.ts)
  }

  /** Time passes (rule ticks): abandonment and expiry without a new fix. */
  tick(now: number): TaskChange | null {
    if (!this.open) return null
    if (now >= this.spec.assignedAt + this.s.expireAfterMs) return this.end('expired', now)
    if (this.awaySince !== null && now - this.awaySince >= this.s.abandonAfterMs) return this.end('abandoned', now)
    return null
  }

  /** A dispatcher withdrew it (or the unit was reassigned): no event of its own beyond the caller's. */
  cancel(now: number): void {
    if (this.open) this.end('cancelled', now)
  }

  private end(to: 'completed' | 'abandoned' | 'expired' | 'cancelled', at: number): TaskChange | null {
    this.status = to
    this.endedAt = at
    return to === 'cancelled' ? null : { to, at }
  }
}
