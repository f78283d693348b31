// One engine's part in a cluster: it appends what it takes in (fixes, SOS signals, ticks while it
// holds the `schedule` role, operator commands) to the JetStream log; it applies the whole log, in
// order, to its replica of the fleet's rule state (replica.ts); and it carries out the side effects
// of the partitions it owns (partition-worker.ts), ownership coming from leases
// (ownership.ts). Start-up restores the newest fleet snapshot (Object Store), replays the log after
// it, and only then competes for partitions, so an engine that just started never takes over a
// partition with a state behind its log. The holder of the `schedule` role writes the snapshot.
// The incidents stage (levels, plans, recent incidents, hotspots) is part of the replica: built
// on the restored rules before the replay (deps.incidents), its state inside the fleet snapshot; so
// is the make-up patrol board (deps.tasks), built after it (units committed to plans are busy).
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { DECODER_FLAGS, type Fix } from '../decode/fix.js'
import type { AlertEvent, AlertPosition, SosVia } from '../rules/alert-event.js'
import type { Deployment } from '../rules/deployment.js'
import { RuleEngine } from '../rules/engine.js'
import type { RuleSnapshot } from '../rules/state-codec.js'
import { type EntryHandler, type LogPosition, type LogRecord, type LogSubscription } from '../log/log.js'
import { PartitionEffects, type EffectEvent, type Marks, type SerializedEffects } from './effects.js'
import { FleetReplica, type ReplicatedIncidents, type ReplicatedIntegrity, type ReplicatedTasks, type TaskOutcome } from './replica.js'
import { within } from '../within.js'
import { roleOfKey } from './leases.js'
import { partitionOf } from './partition.js'
import { PartitionWorker, type MarksIO } from './partition-worker.js'
import { commandRecordId, encodeRecord, fixRecordId, hotspotsRecordId, sosRecordId, tickRecordId, type ClusterRecord, type CommandRecord, type TaskOp } from './records.js'
import type { HotspotZones, IncidentCommand, IncidentOutcome } from '../incidents/commands.js'

/** The log as the node uses it (JetStreamLog). */
export interface ClusterLog {
  readonly partitions: number
  append(partition: number, records: readonly LogRecord[]): Promise<Array<{ position: LogPosition; duplicate: boolean }>>
  appendControl(records: readonly LogRecord[]): Promise<Array<{ position: LogPosition; duplicate: boolean }>>
  consumeAll(after: LogPosition, handler: EntryHandler): LogSubscription
  lastSequence(): Promise<LogPosition>
}

export interface OwnershipChange { key: string; partition: number | null; owned: boolean }

export interface OwnershipPort {
  start(onChange: (changes: OwnershipChange[]) => void, onError: (err: unknown) => void, handoff?: (partition: number) => Promise<void>): void
  owns(partition: number): boolean
  holdsRole(name: string): boolean
  ownedPartitions(): number[]
  members(): string[]
  stop(opts: { release: boolean }): Promise<void>
}

export interface MarksPort extends MarksIO {
  watch(onMark: (p: number, m: Marks) => void): { stop(): Promise<void> }
}

export interface SnapshotMeta { seq: bigint; node: string; at: number; configHash: string }

export interface SnapshotPort {
  save(data: Uint8Array, meta: SnapshotMeta): Promise<void>
  load(): Promise<(SnapshotMeta & { data: Uint8Array }) | null>
}

export const SCHEDULE_ROLE = 'schedule'

/** A command as the API gives it (the node adds the request id and the clock). */
export type CommandInput = CommandRecord extends infer C ? (C extends CommandRecord ? Omit<C, 'request' | 'now'> : never) : never

export interface ClusterNodeDeps {
  nodeId: string
  log: ClusterLog
  ownership: OwnershipPort
  marks: MarksPort
  snapshots: SnapshotPort
  dep: Deployment
  /** Hash of the configuration the rules depend on: a snapshot of another one is not restored. */
  configHash: string
  insertRows(rows: string[], token: string): Promise<void>
  /** Delivers a partition's events (alert transitions and other outbound events); resolves once their webhooks are done. */
  deliver(events: EffectEvent[]): Promise<void>
  /**
   * Builds the incidents stage on the replica's rules, restoring its part of the fleet snapshot
   * (null: none), before the log is replayed; absent: no incidents in this cluster.
   */
  incidents?(rules: RuleEngine, restored: unknown): ReplicatedIncidents & { snapshot(): unknown }
  /**
   * Builds the make-up patrol board on the replica's rules (after the incidents stage), restoring
   * its part of the fleet snapshot (null: none); absent: no make-up patrols in this cluster.
   */
  tasks?(rules: RuleEngine, restored: unknown): ReplicatedTasks & { snapshot(): unknown }
  /**
   * Patrol integrity, fed by the replica (absent: none). Not in the fleet snapshot: an engine that
   * starts from one detects from there on, as a single engine does after a restart.
   */
  integrity?: ReplicatedIntegrity
  logger: Logger
  now?: () => number
  /** How often the schedule holder writes the fleet snapshot (default 60 s). */
  snapshotEveryMs?: number
  /** After each replicated tick (gauges). */
  onTick?(now: number): void
  /** A fix of a partition this engine owns was applied with flags (hexpatrol_fixes_flagged_total): each fix counted by one engine. */
  onFlagged?(flags: number): void
  /** The schedule role was gained or lost (bulletins, hotspots, plan timers run on its holder). */
  onRole?(role: string, held: boolean): void
  /** Partition gained (with how long since the lease was seen last renewed, if known) or lost. */
  onOwnership?(partition: number, owned: boolean): void
}

interface SnapshotBody {
  v: 1
  position: string
  clock: number
  rules: RuleSnapshot
  effects: SerializedEffects
  /** The incidents stage's state (absent in snapshots of engines before it was clustered). */
  incidents?: unknown
  /** The make-up patrol board (absent in snapshots of engines before it was clustered). */
  tasks?: unknown
}

interface PendingCommand { done(outcome: unknown): void; cancel(): void }

const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** How long /readyz waits for JetStream to say where the log ends before calling it unavailable. */
const STATUS_TIMEOUT_MS = 1000
/** How long an operator command waits to come back through the log before it fails. */
const COMMAND_TIMEOUT_MS = 10_000

export class ClusterNode {
  rules!: RuleEngine
  /** Replaced by the snapshot's on restore (before anything reads it). */
  effects: PartitionEffects
  private replica!: FleetReplica
  private incidents: (ReplicatedIncidents & { snapshot(): unknown }) | undefined
  /** The incidents part of the restored snapshot, until the stage is built. */
  private restoredIncidents: unknown = null
  private tasks: (ReplicatedTasks & { snapshot(): unknown }) | undefined
  /** The make-up patrol part of the restored snapshot, until the board is built. */
  private restoredTasks: unknown = null
  private readonly deps: ClusterNodeDeps
  private readonly now: () => number
  private readonly workers = new Map<number, PartitionWorker>()
  private readonly commands = new Map<string, PendingCommand>()
  private subscription: LogSubscription | null = null
  private watch: { stop(): Promise<void> } | null = null
  private snapshotTimer: NodeJS.Timeout | null = null
  private snapshotting = false
  /** Set when stop() begins: a lease round still in flight may not start a worker any more. */
  private stopping = false
  private caughtUp = false
  private unreadable = 0
  /** Set when following the log failed (NATS gone for good, a bug): readiness says so. */
  private failure: string | null = null

  constructor(deps: ClusterNodeDeps) {
    this.deps = deps
    this.now = deps.now ?? Date.now
    this.effects = new PartitionEffects()
  }

  get ready(): boolean {
    return this.caughtUp && this.failure === null
  }

  /** Restores the snapshot and replays the log up to its end at start-up (then join()). */
  async start(): Promise<void> {
    const { deps } = this
    const restored = await this.restore()
    this.incidents = deps.incidents?.(this.rules, this.restoredIncidents)
    this.restoredIncidents = null
    this.tasks = deps.tasks?.(this.rules, this.restoredTasks)
    this.restoredTasks = null
    this.replica = new FleetReplica({
      rules: this.rules,
      effects: this.effects,
      partitions: deps.log.partitions,
      incidents: this.incidents,
      integrity: deps.integrity,
      tasks: this.tasks,
      onUnreadable: (position, why) => {
        this.unreadable++
        deps.logger.error({ position: String(position), why }, 'A log record could not be applied; it is skipped (every engine skips it alike).')
      },
      onTick: (now) => deps.onTick?.(now),
      onFlags: (p, flags) => {
        if (deps.ownership.owns(p)) deps.onFlagged?.(flags)
      },
      onCommand: (request, ev) => this.settle(request, ev),
      onIncidentCommand: (request, outcome) => this.settle(request, outcome),
      onTaskCommand: (request, outcome) => this.settle(request, outcome),
    })
    if (restored !== null) this.replica.resume(restored.position, restored.clock)
    this.watch = deps.marks.watch((p, m) => {
      this.effects.mark(p, m)
    })
    const end = await deps.log.lastSequence()
    let reached!: () => void
    let broke!: (err: unknown) => void
    const caughtUp = new Promise<void>((resolve, reject) => { reached = resolve; broke = reject })
    if (this.replica.position >= end) reached()
    this.subscription = deps.log.consumeAll(this.replica.position, (entry) => {
      const events = this.effects.eventsAdded
      this.replica.apply(entry)
      // Alert events are delivered at once; rows wait for their owner's next batch (its own timer).
      if (this.effects.eventsAdded !== events) for (const w of this.workers.values()) w.poke()
      if (!this.caughtUp && entry.position >= end) reached()
    })
    void this.subscription.done.catch((err: unknown) => {
      broke(err)
      this.failure = `following the log failed: ${(err as Error).message}`
      deps.logger.error({ err }, 'Following the cluster log failed; this engine stops evaluating (restart it).')
    })
    await caughtUp
    this.caughtUp = true
    deps.logger.info({ position: String(this.replica.position), restored: restored === null ? null : String(restored.position) }, 'Cluster replica caught up with the log.')
  }

  /**
   * Takes part in partition ownership (and the schedule role): called once the engine's other
   * stages are up, since an owned partition delivers at once.
   */
  join(): void {
    const { deps } = this
    deps.ownership.start((changes) => this.onChanges(changes), (err) => deps.logger.warn({ err }, 'A lease round failed (NATS away?); owned partitions stop at their fence time if it lasts.'), (p) => this.handOff(p))
    const every = deps.snapshotEveryMs ?? 60_000
    this.snapshotTimer = setInterval(() => void this.snapshotIfScheduler(), every)
    this.snapshotTimer.unref()
  }

  private async restore(): Promise<{ position: bigint; clock: number } | null> {
    const { deps } = this
    const snap = await deps.snapshots.load()
    if (snap !== null && snap.configHash === deps.configHash) {
      try {
        const body = JSON.parse(decoder.decode(snap.data)) as SnapshotBody
        this.rules = RuleEngine.restore(deps.dep, body.rules, { startedAt: this.now() })
        this.effects = PartitionEffects.fromJSON(body.effects)
        this.restoredIncidents = body.incidents ?? null
        this.restoredTasks = body.tasks ?? null
        return { position: BigInt(body.position), clock: body.clock }
      } catch (err) {
        deps.logger.warn({ err }, 'The fleet snapshot could not be restored; replaying the whole log instead.')
      }
    } else if (snap !== null) {
      deps.logger.warn({ snapshotNode: snap.node }, 'The fleet snapshot was written with another configuration (units, posts, zones or rules differ); replaying the whole log instead. Run one configuration across the cluster.')
    }
    this.rules = new RuleEngine(deps.dep, { startedAt: this.now() })
    return null
  }

  /**
   * A partition moving to another engine: its worker finishes its step, waits for deliveries in
   * flight and writes its marks while the lease is still ours; the lease is released after.
   */
  private async handOff(p: number): Promise<void> {
    const w = this.workers.get(p)
    this.workers.delete(p)
    await w?.stop()
  }

  private onChanges(changes: OwnershipChange[]): void {
    const { deps } = this
    for (const c of changes) {
      if (c.partition === null) {
        // Listeners know roles by name (`schedule`), not by their lease key (`role.schedule`).
        const role = roleOfKey(c.key)
        if (role !== null) deps.onRole?.(role, c.owned)
        continue
      }
      const p = c.partition
      // A worker runs until stopped (a moment without the lease only pauses it), so none may start
      // once stop() has stopped the others.
      if (c.owned && this.stopping) continue
      if (c.owned && !this.workers.has(p)) {
        this.workers.set(p, new PartitionWorker({
          partition: p,
          effects: this.effects,
          marks: deps.marks,
          insertRows: deps.insertRows,
          deliver: deps.deliver,
          owns: () => deps.ownership.owns(p),
          logger: deps.logger,
        }))
      } else if (!c.owned) {
        const w = this.workers.get(p)
        this.workers.delete(p)
        void w?.stop()
      }
      deps.onOwnership?.(p, c.owned)
    }
  }

  /** Appends accepted fixes under their units' partitions; resolves once all are stored. */
  async appendFixes(fixes: readonly Fix[], format: string, transport: string): Promise<void> {
    const { log } = this.deps
    const byPartition = new Map<number, LogRecord[]>()
    for (const fix of fixes) {
      const p = partitionOf(fix.unitId, log.partitions)
      let list = byPartition.get(p)
      if (list === undefined) byPartition.set(p, (list = []))
      list.push({ id: fixRecordId(fix), data: encodeRecord({ k: 'f', fix: { ...fix, flags: fix.flags & DECODER_FLAGS }, format, transport }) })
    }
    await Promise.all([...byPartition].map(([p, records]) => log.append(p, records)))
  }

  /** Appends a unit's SOS under its partition (ordered with its fixes). */
  async appendSos(unitId: string, at: number, via: SosVia, position: AlertPosition | null): Promise<void> {
    const { log } = this.deps
    await log.append(partitionOf(unitId, log.partitions), [{ id: sosRecordId(unitId, at, via), data: encodeRecord({ k: 's', unitId, at, via, position, now: this.now() }) }])
  }

  /** The schedule holder's rule tick, as a control record every engine applies at the same place. */
  async appendTick(now: number): Promise<void> {
    await this.deps.log.appendControl([{ id: tickRecordId(now), data: encodeRecord({ k: 't', now }) }])
  }

  /** An operator command (from any engine's API); resolves with its outcome once applied here. */
  async command(cmd: CommandInput): Promise<AlertEvent | null> {
    const request = randomUUID()
    // An engine stopping answers its alert commands as not applied (null), as before.
    return this.send(request, { ...cmd, request, now: this.now() } as ClusterRecord, (done) => done(null)) as Promise<AlertEvent | null>
  }

  /** An incidents command (create, level, plan); resolves with its outcome once applied here. */
  async incidentCommand(cmd: IncidentCommand): Promise<IncidentOutcome> {
    const request = randomUUID()
    return this.send(request, { k: 'inc', cmd, request, now: this.now() }, (_done, fail) => fail(new Error('the engine is stopping; the command may still be applied (look before repeating it)'))) as Promise<IncidentOutcome>
  }

  /** A make-up patrol command; resolves with the board's answer once applied here (null: make-up patrols do not run). */
  async taskCommand(op: TaskOp, id: string, unitId?: string): Promise<TaskOutcome> {
    const request = randomUUID()
    const record: ClusterRecord = { k: 'pt', op, id, ...(unitId === undefined ? {} : { unitId }), request, now: this.now() }
    return this.send(request, record, (_done, fail) => fail(new Error('the engine is stopping; the command may still be applied (look before repeating it)'))) as Promise<TaskOutcome>
  }

  /** Hotspots recomputed by this engine (the schedule holder), for every engine to apply. */
  async appendHotspots(zones: HotspotZones, at: number): Promise<void> {
    await this.deps.log.appendControl([{ id: hotspotsRecordId(at), data: encodeRecord({ k: 'hot', zones, at, now: this.now() }) }])
  }

  private settle(request: string, outcome: unknown): void {
    const c = this.commands.get(request)
    this.commands.delete(request)
    c?.done(outcome)
  }

  /** Appends a command record and waits for its outcome to come back through the log. */
  private async send(request: string, record: ClusterRecord, onStop: (done: (v: unknown) => void, fail: (err: Error) => void) => void): Promise<unknown> {
    const outcome = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.commands.delete(request)
        reject(new Error(`the command did not come back through the cluster log within ${COMMAND_TIMEOUT_MS / 1000} s (NATS slow or away)`))
      }, COMMAND_TIMEOUT_MS)
      this.commands.set(request, {
        done: (v) => { clearTimeout(timer); resolve(v) },
        cancel: () => { clearTimeout(timer); onStop(resolve, reject) },
      })
    })
    try {
      await this.deps.log.appendControl([{ id: commandRecordId(request), data: encodeRecord(record) }])
    } catch (err) {
      const c = this.commands.get(request)
      this.commands.delete(request)
      c?.cancel()
      void outcome.catch(() => undefined)
      throw err
    }
    return outcome
  }

  holdsRole(name: string): boolean {
    return this.deps.ownership.holdsRole(name)
  }

  /** Writes the fleet snapshot if this engine holds the schedule role (one writer at a time). */
  async snapshotIfScheduler(): Promise<boolean> {
    if (!this.caughtUp || this.snapshotting || !this.holdsRole(SCHEDULE_ROLE)) return false
    this.snapshotting = true
    try {
      // Taken between two applies (this runs on the event loop, apply is synchronous): consistent.
      const position = this.replica.position
      const body: SnapshotBody = { v: 1, position: position.toString(), clock: this.replica.clock(), rules: this.rules.snapshot(), effects: this.effects.toJSON(), incidents: this.incidents?.snapshot(), tasks: this.tasks?.snapshot() }
      const data = encoder.encode(JSON.stringify(body))
      await this.deps.snapshots.save(data, { seq: position, node: this.deps.nodeId, at: this.now(), configHash: this.deps.configHash })
      return true
    } catch (err) {
      this.deps.logger.warn({ err }, 'Writing the fleet snapshot failed; a later one is tried (start-up replays more log meanwhile).')
      return false
    } finally {
      this.snapshotting = false
    }
  }

  /** What /readyz and the metrics show. */
  async status(): Promise<{ ok: boolean; detail: string; owned: number[]; members: string[]; lag: number | null; unreadable: number }> {
    const owned = this.deps.ownership.ownedPartitions()
    const members = this.deps.ownership.members()
    let lag: number | null = null
    // Bounded: with NATS away a JetStream request waits its whole timeout, longer than a probe waits.
    try {
      const last = await within(this.deps.log.lastSequence(), STATUS_TIMEOUT_MS)
      lag = Number(last - this.replica.position)
    } catch {
      lag = null
    }
    const ok = this.ready && lag !== null
    const detail = this.failure ?? (lag === null
      ? 'NATS JetStream is not answering: fixes are not acknowledged to devices (they keep them and send them again); check the servers in cluster.url'
      : !this.caughtUp ? 'replaying the cluster log' : `node ${this.deps.nodeId}, ${members.length} member(s), owns ${owned.length} of ${this.deps.log.partitions} partitions [${owned.join(',')}], ${lag} record(s) behind the log`)
    return { ok, detail, owned, members, lag, unreadable: this.unreadable }
  }

  /** Pending side effects per partition (the owners' lag). */
  pending(): Map<number, number> {
    return new Map(this.effects.partitions().map((p) => [p, this.effects.pending(p)]))
  }

  /** Stops owning (releasing the leases when `release`, so others take over at once) and following. */
  async stop(release = true): Promise<void> {
    this.stopping = true
    if (this.snapshotTimer !== null) clearInterval(this.snapshotTimer)
    if (release) await this.snapshotIfScheduler()
    // Workers first (each finishes its step and writes its marks while it still holds the lease),
    // then the leases, so the next owner starts from up-to-date marks.
    await Promise.all([...this.workers.values()].map((w) => w.stop()))
    this.workers.clear()
    await this.deps.ownership.stop({ release })
    await this.watch?.stop()
    await this.subscription?.stop()
    const pending = [...this.commands.values()]
    this.commands.clear()
    for (const c of pending) c.cancel()
  }
}
