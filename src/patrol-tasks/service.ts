// The make-up patrol stage in the running engine (in cluster mode, in every engine's replica): feeds the task board from the rule
// engine's views and publishes what it returns. A zone takes part (when its coverage.make_up is not
// off) while its coverage_gap is open (gapSince = the alert's openedAt; overdue cells = its overdue
// priority cells, then the zone's stale cells) or, without a gap, while one of its priority cells
// (hotspots) is overdue: then only the clusters holding an overdue priority cell are proposed and
// automatic mode waits for the gap. Candidates are the live (configured, reporting, not silent)
// units, busy are the units committed to an active plan. Refreshed every refresh_every and at the
// first tick after a gap opens or closes or the set of overdue priority cells changes; fixes and
// ticks go to the board as they come. The board is handed to `save` (single
// node: the engine's state file, state-file.ts) at once when a task is assigned, ends or is
// cancelled and on a dismissal, and at the next tick when a fix only visited cells; `restored`
// is what was saved last, taken back at construction. No I/O besides the callbacks.
import type { TaskWire } from '../wire/patrol-tasks.js'
import type { Fix } from '../decode/fix.js'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { Candidate } from '../incidents/resource-search.js'
import type { StaleCell } from '../rules/alert-event.js'
import type { RuleEngine } from '../rules/engine.js'
import type { OverdueCell } from './cell-clusters.js'
import type { PatrolTasksSetup } from './compile.js'
import type { PatrolTask } from './patrol-task.js'
import type { MakeUpProposal } from './proposals.js'
import { TaskBoard, type BoardError, type BoardState, type ZoneGap } from './task-board.js'

/** At most this many of a zone's stale cells (oldest first) feed its proposals. */
export const STALE_CELLS_LIMIT = 1000

export interface PatrolTaskDeps {
  setup: PatrolTasksSetup
  /** The rule engine's views: open alerts, zone coverage, units. */
  rules: Pick<RuleEngine, 'openAlerts' | 'zoneCoverage' | 'units' | 'overduePriority'>
  /** Units committed to an active plan (the incidents stage's plan board). */
  busy: () => ReadonlySet<string>
  /** The engine's one publish path (webhooks, MQTT, stream). */
  publish: (e: OutboundEvent) => void
  /**
   * Journals task events (the `patrol_tasks` rows the bulletin counts) before they are published;
   * settles once durable. Absent: published at once, not stored.
   */
  journal?: ((events: readonly OutboundEvent[]) => void | Promise<void>) | undefined
  /** A journal append failed: the events are published all the same. */
  journalFailed?: ((err: unknown, events: readonly OutboundEvent[]) => void) | undefined
  /** Keeps the board across a restart (single node); absent: in memory only. */
  save?: ((state: BoardState) => void) | undefined
  /** What save() kept last (null or absent: nothing). */
  restored?: unknown
}

/** A task as the API sends it (the wire schema's shape). */
export type TaskView = TaskWire

/**
 * The board as the API drives it: a single engine's service, or in cluster mode the replica's
 * board with its changes sent through the log (src/cluster/replicated-tasks.ts), so they may settle later.
 */
export interface PatrolTaskDesk {
  proposals(): MakeUpProposal[]
  tasks(): TaskView[]
  accept(proposalId: string, now: number, unitId?: string): PatrolTask | BoardError | Promise<PatrolTask | BoardError>
  dismiss(proposalId: string, now: number): true | BoardError | Promise<true | BoardError>
  cancel(taskId: string, now: number): PatrolTask | BoardError | Promise<PatrolTask | BoardError>
}

export class PatrolTaskService implements PatrolTaskDesk {
  readonly board: TaskBoard
  private readonly d: PatrolTaskDeps
  private lastRefresh = -Infinity
  /** What made each zone take part at the last refresh (triggerKey): a change refreshes at once. */
  private triggers = new Map<string, string>()
  /** A fix visited cells since the last save: saved at the next tick. */
  private dirty = false
  /** Tasks taken back from the saved board at construction. */
  readonly restoredTasks: number

  constructor(d: PatrolTaskDeps) {
    this.d = d
    this.board = new TaskBoard(d.setup.board)
    this.restoredTasks = d.restored == null ? 0 : this.board.restore(d.restored, (z) => d.setup.zones.has(z))
  }

  /** Saves visits not yet saved (the engine's stop). */
  flush(): void {
    if (this.dirty) this.save()
  }

  private save(): void {
    this.dirty = false
    this.d.save?.(this.board.toJSON())
  }

  /**
   * The zones that take part and why: an open coverage gap (gapSince = its openedAt), else overdue
   * priority cells (gapSince null, priorityOnly). Zones with neither are left out.
   */
  private zoneTriggers(now: number): Map<string, ZoneTrigger> {
    const out = new Map<string, ZoneTrigger>()
    for (const a of this.d.rules.openAlerts()) {
      if (a.kind !== 'coverage_gap') continue
      const zoneId = a.subject.replace(/^zone:/, '')
      if (this.d.setup.zones.has(zoneId)) out.set(zoneId, { gapSince: a.openedAt, priority: this.d.rules.overduePriority(zoneId, now) })
    }
    for (const zoneId of this.d.setup.zones) {
      if (out.has(zoneId)) continue
      const priority = this.d.rules.overduePriority(zoneId, now)
      if (priority.length > 0) out.set(zoneId, { gapSince: null, priority })
    }
    return out
  }

  private candidates(now: number): Candidate[] {
    const out: Candidate[] = []
    for (const u of this.d.rules.units(now)) {
      // Registered (configured) units only: an unknown device is nobody to send.
      if (u.lastFix === null || u.silent || !u.known) continue
      out.push({ id: u.id, name: u.name, kind: u.kind, lat: u.lastFix.lat, lon: u.lastFix.lon, ts: u.lastFix.ts, post: u.post, zone: u.zone })
    }
    return out
  }

  /** Recomputes the proposals (and automatic assignments) from the open gaps and overdue priority cells. */
  refresh(now: number): void {
    const triggers = this.zoneTriggers(now)
    const zones: ZoneGap[] = []
    for (const [zoneId, tr] of triggers) {
      const stale = this.d.rules.zoneCoverage(zoneId, now, STALE_CELLS_LIMIT)?.staleCells ?? []
      // Overdue priority cells first: the oldest-first stale list may stop before them.
      const overdue: OverdueCell[] = [...tr.priority, ...stale].map((c) => ({ cell: c.cell, lat: c.lat, lon: c.lon, lastVisit: c.lastVisit, priority: c.priority === true }))
      zones.push({ zoneId, gapSince: tr.gapSince, overdue, ...(tr.gapSince === null ? { priorityOnly: true } : {}) })
    }
    this.triggers = new Map([...triggers].map(([z, tr]) => [z, triggerKey(tr)]))
    this.lastRefresh = now
    if (this.emit(this.board.refresh(now, zones, this.candidates(now), this.d.busy()))) this.save()
  }

  /**
   * A rule tick: abandonment and expiry; a refresh when due or when a gap opened or closed or the
   * overdue priority cells changed since the last.
   */
  tick(now: number): void {
    if (this.emit(this.board.tick(now)) || this.dirty) this.save()
    if (now - this.lastRefresh >= this.d.setup.refreshEveryMs || this.triggersChanged(now)) this.refresh(now)
  }

  private triggersChanged(now: number): boolean {
    const current = this.zoneTriggers(now)
    if (current.size !== this.triggers.size) return true
    for (const [z, tr] of current) if (this.triggers.get(z) !== triggerKey(tr)) return true
    return false
  }

  /** An accepted fix, after the rules saw it. */
  observe(fix: Fix): void {
    const t = this.board.taskOf(fix.unitId)
    if (t === undefined) return
    const visited = t.visits.size
    if (this.emit(this.board.observe(fix))) this.save()
    else if (t.visits.size !== visited) this.dirty = true
  }

  accept(proposalId: string, now: number, unitId?: string): PatrolTask | BoardError {
    const r = this.board.accept(proposalId, now, unitId)
    if (typeof r === 'string') return r
    this.save()
    this.emit([r])
    return this.board.tasks.get(r.data.taskId as string) as PatrolTask
  }

  dismiss(proposalId: string, now: number): true | BoardError {
    const r = this.board.dismiss(proposalId, now)
    if (r === true) this.save()
    return r
  }

  cancel(taskId: string, now: number): PatrolTask | BoardError {
    const r = this.board.cancel(taskId, now)
    if (typeof r === 'string') return r
    this.save()
    this.emit([r])
    return this.board.tasks.get(taskId) as PatrolTask
  }

  proposals(): MakeUpProposal[] {
    return this.board.list()
  }

  /** Open tasks first, then ended ones, newest first within each. */
  tasks(): TaskView[] {
    const all = [...this.board.tasks.values()]
    all.sort((a, b) => Number(b.open) - Number(a.open) || b.spec.assignedAt - a.spec.assignedAt || (a.spec.id < b.spec.id ? -1 : 1))
    return all.map(taskView)
  }

  /**
   * Journals the events, then publishes them (at once when the append did not have to wait); a
   * journal failure is reported and the events delivered all the same. True when there were any
   * (the board changed).
   */
  private emit(events: readonly OutboundEvent[]): boolean {
    if (events.length === 0) return false
    const publish = () => { for (const e of events) this.d.publish(e) }
    const failed = (err: unknown) => this.d.journalFailed?.(err, events)
    let done: void | Promise<void>
    try {
      done = this.d.journal?.(events)
    } catch (err) {
      failed(err)
      done = undefined
    }
    if (done === undefined) publish()
    else done.then(publish, (err: unknown) => { failed(err); publish() })
    return true
  }
}

interface ZoneTrigger {
  /** The coverage gap's openedAt; null: no gap, overdue priority cells only. */
  gapSince: number | null
  /** The zone's overdue priority cells. */
  priority: StaleCell[]
}

/** Equal keys: the same reason to take part (the same gap, or the same overdue priority cells). */
function triggerKey(tr: ZoneTrigger): string {
  return tr.gapSince !== null ? `gap:${tr.gapSince}` : `priority:${tr.priority.map((c) => c.cell).sort().join(',')}`
}

export function taskView(t: PatrolTask): TaskView {
  const s = t.spec
  const p = t.progress()
  return {
    id: s.id, zoneId: s.zoneId, unitId: s.unitId, by: s.by, assignedAt: s.assignedAt, etaS: s.etaS,
    status: p.status, visited: p.visited, total: p.total, startedAt: p.startedAt, endedAt: p.endedAt,
    cells: s.cells.map((c) => ({ cell: c.cell, lat: c.lat, lon: c.lon, visitedAt: t.visits.get(c.cell) ?? null })),
  }
}
