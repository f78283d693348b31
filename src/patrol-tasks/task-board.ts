// The make-up patrol board: what the dispatcher sees and what the engine tracks. refresh() turns
// each zone's overdue cells (those no open task covers) into proposals and, in zones set to
// automatic mode, assigns the best of them within the bounds; accept()/dismiss()/cancel() are the
// dispatcher's hands; observe()/tick() follow the assigned units. Every change an operator or a
// device causes comes back as an OutboundEvent (patrol_task.assigned, .completed, .expired,
// .cancelled) with a deterministic id, so a replay gives the same webhook-ids. Pure and clocked.
import { isValidCell } from 'h3-js'
import type { Fix } from '../decode/fix.js'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import { etaSeconds, type Candidate } from '../incidents/resource-search.js'
import { haversineM } from '../geo/distance.js'
import { autoAssignments, type AutoSettings } from './auto-assign.js'
import { clusterCells, type ClusterSettings, type OverdueCell } from './cell-clusters.js'
import { PatrolTask, type TaskChange, type TaskSettings, type TaskState } from './patrol-task.js'
import { proposeMakeUps, type MakeUpProposal, type ProposalSettings } from './proposals.js'
import { visitOrder } from './visit-order.js'

export interface BoardSettings {
  cluster: ClusterSettings
  proposal: ProposalSettings
  task: TaskSettings
  /** Zones in automatic mode and their bounds; zones not listed are manual. */
  auto: ReadonlyMap<string, AutoSettings>
  /** How long a dismissed proposal stays hidden (while its cluster keeps its id). */
  dismissMs: number
  /** Ended tasks kept for the API and the map (oldest dropped first). */
  keepEnded: number
}

export interface ZoneGap {
  zoneId: string
  /** When the zone's coverage gap opened; null when none is open. */
  gapSince: number | null
  overdue: readonly OverdueCell[]
  /**
   * No gap open, overdue priority cells only: just the clusters that hold one of them (with the
   * overdue neighbours the clustering links to it) are proposed.
   */
  priorityOnly?: boolean
}

export interface BoardState {
  version: 1
  tasks: TaskState[]
  dismissed: Array<[string, number]>
}

const STATUSES = new Set(['assigned', 'started', 'completed', 'abandoned', 'expired', 'cancelled'])

/** The shape a saved task must have to be taken back (the file is ours, but may be old or cut). */
function readable(st: TaskState | null | undefined): st is TaskState {
  const s = st?.spec
  return typeof s?.id === 'string' && typeof s.zoneId === 'string' && typeof s.unitId === 'string' && typeof s.assignedAt === 'number'
    && typeof s.etaS === 'number' && (s.by === 'dispatcher' || s.by === 'auto') && Array.isArray(s.cells) && s.cells.length > 0
    && s.cells.every((c) => typeof c?.cell === 'string' && isValidCell(c.cell) && typeof c.lat === 'number' && typeof c.lon === 'number')
    && STATUSES.has(st!.status) && Array.isArray(st!.visits)
    && st!.visits.every((v) => Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number')
}

export type BoardError = 'unknown_proposal' | 'no_unit' | 'unit_busy' | 'unknown_task'

export class TaskBoard {
  private readonly s: BoardSettings
  private proposals: MakeUpProposal[] = []
  private candidates = new Map<string, Candidate>()
  private busy: ReadonlySet<string> = new Set()
  readonly tasks = new Map<string, PatrolTask>()
  private readonly openByUnit = new Map<string, PatrolTask>()
  private readonly dismissed = new Map<string, number>()

  constructor(s: BoardSettings) {
    this.s = s
  }

  /** Current proposals, most urgent first (optionally of one zone). */
  list(zoneId?: string): MakeUpProposal[] {
    return zoneId === undefined ? [...this.proposals] : this.proposals.filter((p) => p.zoneId === zoneId)
  }

  /** Recomputes the proposals from the zones' overdue cells; returns the automatic assignments' events. */
  refresh(now: number, zones: readonly ZoneGap[], candidates: readonly Candidate[], busy: ReadonlySet<string>): OutboundEvent[] {
    this.candidates = new Map(candidates.map((c) => [c.id, c]))
    this.busy = busy
    for (const [id, until] of this.dismissed) if (until <= now) this.dismissed.delete(id)
    const covered = new Set<string>()
    for (const t of this.openByUnit.values()) for (const c of t.spec.cells) covered.add(c.cell)
    const taken = new Set([...busy, ...this.openByUnit.keys()])
    const load = this.load(now)
    const out: OutboundEvent[] = []
    const proposals: MakeUpProposal[] = []
    for (const z of zones) {
      const cells = z.overdue.filter((c) => !covered.has(c.cell))
      const clusters = clusterCells(z.zoneId, cells, this.s.cluster)
        .filter((c) => !this.dismissed.has(`makeup:${c.id}`) && (z.priorityOnly !== true || c.priorityCells > 0))
      let zoneProposals = proposeMakeUps(clusters, candidates, taken, this.s.proposal, load)
      const auto = this.s.auto.get(z.zoneId)
      if (auto !== undefined) {
        const open = [...this.openByUnit.values()].filter((t) => t.spec.zoneId === z.zoneId).length
        const picks = autoAssignments(zoneProposals, { gapSince: z.gapSince, openTasks: open }, now, auto)
        for (const p of picks) {
          const u = p.unit as NonNullable<MakeUpProposal['unit']>
          out.push(this.assign(p, u.id, u.etaS, now, 'auto'))
          taken.add(u.id)
        }
        const assigned = new Set(picks.map((p) => p.id))
        zoneProposals = zoneProposals.filter((p) => !assigned.has(p.id))
      }
      for (const p of zoneProposals) if (p.unit !== null) taken.add(p.unit.id)
      proposals.push(...zoneProposals)
    }
    this.proposals = proposals
    return out
  }

  /** The dispatcher accepts a proposal, for its unit or (reassign) another free one. */
  accept(proposalId: string, now: number, unitId?: string): OutboundEvent | BoardError {
    const p = this.proposals.find((x) => x.id === proposalId)
    if (p === undefined) return 'unknown_proposal'
    const id = unitId ?? p.unit?.id
    if (id === undefined) return 'no_unit'
    const c = this.candidates.get(id)
    if (c === undefined) return 'no_unit'
    if (this.busy.has(id) || this.openByUnit.has(id)) return 'unit_busy'
    let d = Infinity
    for (const cell of p.cells) d = Math.min(d, haversineM(c.lat, c.lon, cell.lat, cell.lon))
    const cells = visitOrder({ lat: c.lat, lon: c.lon }, p.cells)
    const e = this.assign({ ...p, cells }, id, etaSeconds(d, c.kind, this.s.proposal), now, 'dispatcher')
    this.proposals = this.proposals.filter((x) => x.id !== proposalId && x.unit?.id !== id)
    return e
  }

  /** Hides a proposal for dismissMs (the next refresh would offer it again otherwise). */
  dismiss(proposalId: string, now: number): true | BoardError {
    if (!this.proposals.some((p) => p.id === proposalId)) return 'unknown_proposal'
    this.dismissed.set(proposalId, now + this.s.dismissMs)
    this.proposals = this.proposals.filter((p) => p.id !== proposalId)
    return true
  }

  /** The dispatcher withdraws an open task. */
  cancel(taskId: string, now: number): OutboundEvent | BoardError {
    const t = this.tasks.get(taskId)
    if (t === undefined || !t.open) return 'unknown_task'
    t.cancel(now)
    this.close(t)
    return this.event(t, 'cancelled', now)
  }

  /** A fix of any unit, in time order per unit. */
  observe(fix: Fix): OutboundEvent[] {
    const t = this.openByUnit.get(fix.unitId)
    if (t === undefined) return []
    return this.changed(t, t.observe(fix))
  }

  /** Time passes: abandonment and expiry. */
  tick(now: number): OutboundEvent[] {
    return [...this.openByUnit.values()].flatMap((t) => this.changed(t, t.tick(now)))
  }

  /** Per unit, the make-up tasks it was given within the load window (those the board still holds). */
  load(now: number): Map<string, number> {
    const out = new Map<string, number>()
    const since = now - (this.s.proposal.loadWindowMs ?? 0)
    for (const t of this.tasks.values()) if (t.spec.assignedAt > since) out.set(t.spec.unitId, (out.get(t.spec.unitId) ?? 0) + 1)
    return out
  }

  /** The board as saved across a restart: every task kept (open and ended) and the dismissals. */
  toJSON(): BoardState {
    return { version: 1, tasks: [...this.tasks.values()].map((t) => t.toState()), dismissed: [...this.dismissed] }
  }

  /**
   * Takes back what toJSON saved (before the first refresh). A task of a zone no longer taking
   * part, or one that does not read as a task, is dropped; an open task whose deadline passed
   * meanwhile expires at the first tick (patrol_task.expired, as if the engine had run).
   */
  restore(json: unknown, known: (zoneId: string) => boolean): number {
    const j = json as { version?: unknown; tasks?: unknown; dismissed?: unknown } | null
    if (j?.version !== 1 || !Array.isArray(j.tasks)) return 0
    for (const st of j.tasks as TaskState[]) {
      if (!readable(st) || !known(st.spec.zoneId)) continue
      const t = PatrolTask.fromState(st, this.s.task)
      this.tasks.set(t.spec.id, t)
      if (t.open) this.openByUnit.set(t.spec.unitId, t)
    }
    if (Array.isArray(j.dismissed)) {
      for (const d of j.dismissed as unknown[]) if (Array.isArray(d) && typeof d[0] === 'string' && typeof d[1] === 'number') this.dismissed.set(d[0], d[1])
    }
    return this.tasks.size
  }

  /** The unit's open task, if any. */
  taskOf(unitId: string): PatrolTask | undefined {
    return this.openByUnit.get(unitId)
  }

  private assign(p: MakeUpProposal, unitId: string, etaS: number, now: number, by: 'dispatcher' | 'auto'): OutboundEvent {
    const id = `task:${p.id.slice('makeup:'.length)}:${now}`
    const t = new PatrolTask({ id, zoneId: p.zoneId, unitId, cells: p.cells, assignedAt: now, etaS, by }, this.s.task)
    this.tasks.set(id, t)
    this.openByUnit.set(unitId, t)
    return this.event(t, 'assigned', now)
  }

  private changed(t: PatrolTask, c: TaskChange | null): OutboundEvent[] {
    if (c === null || c.to === 'started') return []
    this.close(t)
    return [this.event(t, c.to === 'completed' ? 'completed' : 'expired', c.at, c.to === 'completed' ? undefined : c.to === 'abandoned' ? 'abandoned' : 'deadline')]
  }

  private close(t: PatrolTask): void {
    if (this.openByUnit.get(t.spec.unitId) === t) this.openByUnit.delete(t.spec.unitId)
    const ended = [...this.tasks.values()].filter((x) => !x.open)
    for (const old of ended.slice(0, Math.max(0, ended.length - this.s.keepEnded))) this.tasks.delete(old.spec.id)
  }

  private event(t: PatrolTask, what: 'assigned' | 'completed' | 'expired' | 'cancelled', at: number, reason?: 'abandoned' | 'deadline'): OutboundEvent {
    const s = t.spec
    const pr = t.progress()
    const data: Record<string, unknown> = {
      taskId: s.id, zoneId: s.zoneId, unitId: s.unitId, by: s.by, assignedAt: s.assignedAt, etaS: s.etaS,
      cells: s.cells.map((c) => ({ cell: c.cell, lat: c.lat, lon: c.lon, visitedAt: t.visits.get(c.cell) ?? null })),
      status: pr.status, visited: pr.visited, total: pr.total, startedAt: pr.startedAt, endedAt: pr.endedAt,
      ...(reason === undefined ? {} : { reason }),
    }
    const summary = what === 'assigned'
      ? `Make-up patrol for ${s.unitId} in ${s.zoneId}: ${pr.total} cells, ETA ${Math.round(s.etaS / 60)} min`
      : `Make-up patrol of ${s.unitId} in ${s.zoneId} ${what === 'expired' ? `expired (${reason ?? 'deadline'})` : what}: ${pr.visited} of ${pr.total} cells visited`
    return { id: `${s.id}:${what}`, type: `patrol_task.${what}`, at, data, summary, subject: `unit:${s.unitId}` }
  }
}
