// Replicated evaluation: applies the log's records, in the stream's one order, to this engine's
// RuleEngine, exactly as a single engine would have evaluated the same inputs. Every engine runs
// one, so each holds the whole fleet's rule state (the API and the map answer from any engine; a
// zone's coverage sees every unit), and the alert events are the same everywhere (deterministic
// ids). What they cause is recorded as partitioned side effects (effects.ts), carried out by the
// partition's owner only. The incidents stage's commands, hotspots and plan timers are applied the
// same way (to its levels, plans and recent incidents, `incidents` below), their events and
// `incidents`/`plan_events` rows recorded under the partition of the event's subject. Patrol
// integrity (`integrity` below) sees every fix after the rules and the ticks, as a single engine's
// does; each signal's `integrity_signals` row and `integrity.signal` event are recorded under its
// unit's partition. So does the make-up patrol board (`tasks`, replicated-tasks.ts), which also
// applies the operators' commands (record `pt`); its `patrol_task.*` events and `patrol_tasks` rows
// go under the unit's partition. Pure apart from the callbacks: testable with a plain array of entries.
import { partitionOf } from './partition.js'
import { decodeRecord } from './records.js'
import { DECODER_FLAGS } from '../decode/fix.js'
import type { PartitionEffects } from './effects.js'
import { tableRow } from './effect-rows.js'
import type { AlertEvent } from '../rules/alert-event.js'
import type { RuleEngine } from '../rules/engine.js'
import { incidentRow, integrityRow, patrolTaskRow, planEventRow, positionRow } from '../journal/record.js'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { PatrolTaskService } from '../patrol-tasks/service.js'
import type { TaskOp } from './records.js'
import type { Fix } from '../decode/fix.js'
import type { IntegritySignal } from '../integrity/signal.js'
import type { IntegrityEvent } from '../integrity/detection.js'
import type { HotspotZones, IncidentCommand, IncidentEffects, IncidentOutcome } from '../incidents/commands.js'

/** The incidents stage as the replica drives it (IncidentService in cluster mode). */
export interface ReplicatedIncidents {
  apply(cmd: IncidentCommand, now: number): { outcome: IncidentOutcome; effects: IncidentEffects }
  applyTick(now: number): IncidentEffects
  applyHotspots(zones: HotspotZones, at: number): void
}

/** Patrol integrity as the replica drives it (an IntegrityDetection: no I/O, the same signals on every engine). */
export interface ReplicatedIntegrity {
  observe(fix: Fix): IntegritySignal[]
  tick(now: number): IntegritySignal[]
  event(s: IntegritySignal): IntegrityEvent
}

/**
 * Make-up patrols as the replica drives it (a PatrolTaskService on the replica's rules and
 * incidents, publishing into `take()`): fed every fix and tick, and the operators' commands.
 */
export interface ReplicatedTasks extends Pick<PatrolTaskService, 'observe' | 'tick' | 'accept' | 'dismiss' | 'cancel'> {
  /** The events the calls since the last take() produced, in order. */
  take(): OutboundEvent[]
}

/** A make-up patrol command's outcome: the board's answer, or null where make-up patrols do not run. */
export type TaskOutcome = ReturnType<ReplicatedTasks['accept' | 'dismiss' | 'cancel']> | null

/** The log entry as the replica needs it (src/log/log.ts LogEntry). */
export interface ReplicaEntry {
  readonly partition: number
  readonly position: bigint
  readonly data: Uint8Array
}

export interface ReplicaDeps {
  rules: RuleEngine
  effects: PartitionEffects
  partitions: number
  /** The incidents stage (absent: incidents commands are answered as not applied, ticks skip it). */
  incidents?: ReplicatedIncidents | undefined
  /** Patrol integrity (absent: no signals). */
  integrity?: ReplicatedIntegrity | undefined
  /** Make-up patrols (absent: commands answered null). */
  tasks?: ReplicatedTasks | undefined
  /** A record this version cannot apply (counted and logged by the caller; the replica moves on). */
  onUnreadable?(position: bigint, why: string): void
  /** After each applied tick, with the tick's clock (gauges, the incidents' clock). */
  onTick?(now: number): void
  /** A fix was applied with flags (kept from the rules, stored flagged): counted by the partition's owner. */
  onFlags?(partition: number, flags: number): void
  /** The outcome of an operator command (the API waits for its own). */
  onCommand?(request: string, event: AlertEvent | null): void
  /** The outcome of an incidents command (the API waits for its own). */
  onIncidentCommand?(request: string, outcome: IncidentOutcome): void
  /** The outcome of a make-up patrol command (the API waits for its own). */
  onTaskCommand?(request: string, outcome: TaskOutcome): void
}

/** The partition an event's delivery belongs to: its unit's, else its subject's (zone alerts). */
export function eventPartition(e: AlertEvent, partitions: number): number {
  const unitId = (e as { unitId?: unknown }).unitId
  return partitionOf(typeof unitId === 'string' && unitId !== '' ? unitId : e.subject, partitions)
}

export class FleetReplica {
  /** The last applied stream sequence (the snapshot's resume point). */
  position = 0n
  /** The rules' clock: never goes back, whatever clock skew there is between the engines. */
  private now = 0

  constructor(private readonly deps: ReplicaDeps) {}

  /** The clock of the last applied record (what the API's "now" is for the replicated state). */
  clock(): number {
    return this.now
  }

  /** Restores the resume point and clock of a snapshot. */
  resume(position: bigint, now: number): void {
    this.position = position
    this.now = now
  }

  apply(entry: ReplicaEntry): void {
    if (entry.position <= this.position) return
    this.position = entry.position
    const r = decodeRecord(entry.data)
    if (typeof r === 'string') {
      this.deps.onUnreadable?.(entry.position, r)
      return
    }
    const { rules } = this.deps
    switch (r.k) {
      case 'f': {
        const fix = r.fix
        const now = this.advance(fix.receivedAt)
        fix.flags = (fix.flags & DECODER_FLAGS) | rules.classify(fix)
        if (fix.flags !== 0) this.deps.onFlags?.(entry.partition, fix.flags)
        const events = rules.ingest(fix, now)
        this.deps.effects.add(entry.partition, entry.position, [positionRow(fix)], [])
        this.record(entry.position, events)
        const { tasks, integrity } = this.deps
        if (tasks !== undefined) {
          tasks.observe(fix)
          this.recordTasks(entry.position, tasks)
        }
        if (integrity !== undefined) this.recordIntegrity(entry.position, now, integrity, integrity.observe(fix))
        return
      }
      case 's':
        this.record(entry.position, rules.sos(r.unitId, r.at, r.via, r.position, this.advance(r.now)))
        return
      case 't': {
        const now = this.advance(r.now)
        this.record(entry.position, rules.tick(now))
        // Plan timers and level expiries, make-up patrols and integrity tick with the rules, in the
        // single engine's scheduler's order.
        const fx = this.deps.incidents?.applyTick(now)
        if (fx !== undefined) this.recordIncidents(entry.position, fx)
        const { tasks, integrity } = this.deps
        if (tasks !== undefined) {
          tasks.tick(now)
          this.recordTasks(entry.position, tasks)
        }
        if (integrity !== undefined) this.recordIntegrity(entry.position, now, integrity, integrity.tick(now))
        this.deps.onTick?.(now)
        return
      }
      case 'inc': {
        const now = this.advance(r.now)
        const inc = this.deps.incidents
        if (inc === undefined) {
          this.deps.onIncidentCommand?.(r.request, { ok: false, error: 'plan_bad_request', message: 'the incidents stage is not running on this engine' })
          return
        }
        const { outcome, effects } = inc.apply(r.cmd, now)
        this.recordIncidents(entry.position, effects)
        this.deps.onIncidentCommand?.(r.request, outcome)
        return
      }
      case 'pt': {
        const now = this.advance(r.now)
        const tasks = this.deps.tasks
        let outcome: TaskOutcome = null
        if (tasks !== undefined) {
          outcome = taskCommand(tasks, r.op, r.id, now, r.unitId)
          this.recordTasks(entry.position, tasks)
        }
        this.deps.onTaskCommand?.(r.request, outcome)
        return
      }
      case 'hot':
        this.advance(r.now)
        this.deps.incidents?.applyHotspots(r.zones, r.at)
        return
      case 'ack': {
        const ev = rules.acknowledge(r.alertId, r.by, this.advance(r.now), typeof r.note === 'string' ? r.note : undefined)
        if (ev !== null) this.record(entry.position, [ev])
        this.deps.onCommand?.(r.request, ev)
        return
      }
      case 'resolve_sos': {
        const ev = rules.resolveSos(r.alertId, r.by, r.note, this.advance(r.now))
        if (ev !== null) this.record(entry.position, [ev])
        this.deps.onCommand?.(r.request, ev)
      }
    }
  }

  private advance(now: number): number {
    if (now > this.now) this.now = now
    return this.now
  }

  private record(seq: bigint, events: AlertEvent[]): void {
    const { effects, partitions } = this.deps
    for (const e of events) effects.add(eventPartition(e, partitions), seq, [], [e])
  }

  /** Make-up patrol events (subject `unit:<id>`): each one's `patrol_tasks` row and the event under its unit's partition, like the unit's alerts. */
  private recordTasks(seq: bigint, tasks: ReplicatedTasks): void {
    const { effects, partitions } = this.deps
    for (const e of tasks.take()) {
      const p = partitionOf(e.subject.startsWith('unit:') ? e.subject.slice(5) : e.subject, partitions)
      effects.add(p, seq, [tableRow('t', patrolTaskRow(e))], [e])
    }
  }

  /** Integrity signals: each one's row and event under its unit's partition, detected at the log's clock. */
  private recordIntegrity(seq: bigint, now: number, integrity: ReplicatedIntegrity, signals: IntegritySignal[]): void {
    const { effects, partitions } = this.deps
    for (const s of signals) effects.add(partitionOf(s.unitId, partitions), seq, [tableRow('g', integrityRow(now, s))], [integrity.event(s)])
  }

  /**
   * Incidents' effects: events under their subject's partition (one subject's deliveries stay in
   * order: plan:…, zone:…, incident:…), a plan event's row with it, an incident's row under its
   * `incident:<id>` partition (where its incident.opened goes too), alert transitions
   * (checkpoint_missed) under their subject's like every alert.
   */
  private recordIncidents(seq: bigint, fx: IncidentEffects): void {
    const { effects, partitions } = this.deps
    const rows = new Map<string, string[]>()
    const rowsOf = (subject: string) => {
      let list = rows.get(subject)
      if (list === undefined) rows.set(subject, (list = []))
      return list
    }
    for (const e of fx.planEvents) rowsOf(e.subject).push(tableRow('e', planEventRow(e)))
    for (const r of fx.incidents) rowsOf(`incident:${r.id}`).push(tableRow('i', incidentRow(r)))
    for (const [subject, list] of rows) effects.add(partitionOf(subject, partitions), seq, list, [])
    for (const e of fx.events) effects.add(partitionOf(e.subject, partitions), seq, [], [e])
    // checkpoint_missed transitions: alerts like the rules' (journaled by the owner's fan-out).
    this.record(seq, fx.alerts)
  }
}

function taskCommand(tasks: ReplicatedTasks, op: TaskOp, id: string, now: number, unitId: string | undefined): TaskOutcome {
  switch (op) {
    case 'accept': return tasks.accept(id, now, unitId)
    case 'dismiss': return tasks.dismiss(id, now)
    case 'cancel': return tasks.cancel(id, now)
  }
}
