// The bulletin schedule's progress in cluster mode: one key (`bulletins`) in the JetStream KV bucket
// hexpatrol_progress (history 1, replicated like the log), shared by every engine. The schedule
// role moves between engines; this key does not, so the engine that takes the role over owes
// exactly the periods the previous holder had not finished, counted from when the cluster's
// schedule first ran. Writes are compare-and-set on the key's revision (a paused former holder and
// the new one both writing merge, neither overwrites the other; on nats-server before 2.11 two
// writes arriving at the same moment can both succeed, the later one staying, which the role's
// confirmed lease, src/cluster/lease-decision.ts, leaves to a former holder's write in flight).
// Calls that cannot reach NATS reject with LogUnavailableError; the runner retries the period on
// its next tick.
import { JetStreamApiCodes, JetStreamApiError, jetstream } from '@nats-io/jetstream'
import { Kvm, type KV, type KvEntry } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { LogUnavailableError } from '../log/log-errors.js'
import { parseScheduleState, withDone, type ScheduleState, type ScheduleStateStore, type StoredScheduleState } from './schedule-state.js'

export const SCHEDULE_STATE_KEY = 'bulletins'
const DEFAULT_BUCKET = 'hexpatrol_progress'
/** Compare-and-set rounds before a write gives up (only concurrent writers make one fail). */
const CAS_ATTEMPTS = 10

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

function conflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
}

export interface KvScheduleStateOptions {
  nc: NatsConnection
  replicas: number
  /** Default hexpatrol_progress (the partitions' marks live there too, under `p.<n>`). */
  bucket?: string
  /** How long one KV request waits for NATS before it rejects (default 5 s). */
  timeoutMs?: number
  /** Told when the stored value does not parse (the schedule then starts afresh). */
  onWarning?: (reason: string) => void
}

export class KvScheduleState implements ScheduleStateStore {
  private constructor(private readonly kv: KV, private readonly bucket: string, private readonly onWarning: (reason: string) => void) {}

  static async open(o: KvScheduleStateOptions): Promise<KvScheduleState> {
    const bucket = o.bucket ?? DEFAULT_BUCKET
    try {
      const kv = await new Kvm(jetstream(o.nc, { timeout: o.timeoutMs ?? 5000 })).create(bucket, { replicas: o.replicas, history: 1, allow_direct: false })
      return new KvScheduleState(kv, bucket, o.onWarning ?? (() => undefined))
    } catch (err) {
      throw new LogUnavailableError(`cannot open the progress bucket ${bucket} on NATS for the bulletin schedule (${describe(err)}): check that the servers in cluster.url are up with JetStream`, { cause: err })
    }
  }

  async load(now: number): Promise<ScheduleState> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const cur = await this.read(now)
      if (cur !== null && !cur.afresh) return cur.state
      // None yet, or one that does not parse: the schedule starts now, for every engine.
      const fresh = cur?.state ?? { v: 1, since: now, done: {} }
      if (await this.write(fresh, cur?.revision ?? 0)) return fresh
    }
    throw this.contended()
  }

  async markDone(key: string, generatedAt: number): Promise<void> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const cur = await this.read(generatedAt)
      // No state yet (deleted by an operator): the period's own due time is as good a start as any.
      const base = cur?.state ?? { v: 1 as const, since: generatedAt, done: {} }
      if (await this.write(withDone(base, key, generatedAt), cur?.revision ?? 0)) return
    }
    throw this.contended()
  }

  /** The stored state and its revision; null when there is none (one that does not parse starts at `fallbackSince`). */
  private async read(fallbackSince: number): Promise<{ state: StoredScheduleState; revision: number; afresh: boolean } | null> {
    let e: KvEntry | null
    try {
      e = await this.kv.get(SCHEDULE_STATE_KEY)
    } catch (err) {
      throw new LogUnavailableError(`cannot read the bulletin schedule state from ${this.bucket} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
    }
    if (e === null || e.operation !== 'PUT') return null
    let state: StoredScheduleState | null = null
    try {
      state = parseScheduleState(decoder.decode(e.value))
    } catch { /* reported below */ }
    if (state === null) {
      this.onWarning(`the value of ${this.bucket}/${SCHEDULE_STATE_KEY} is not a bulletin schedule state`)
      // Overwritten at this revision by the next write (the schedule starts afresh, as with a bad file).
      return { state: { v: 1, since: fallbackSince, done: {} }, revision: e.revision, afresh: true }
    }
    return { state, revision: e.revision, afresh: false }
  }

  /** Compare-and-set against `revision` (0: the key must not exist); false when another write won. */
  private async write(s: StoredScheduleState, revision: number): Promise<boolean> {
    const value = encoder.encode(JSON.stringify(s))
    try {
      if (revision === 0) await this.kv.create(SCHEDULE_STATE_KEY, value)
      else await this.kv.update(SCHEDULE_STATE_KEY, value, revision)
      return true
    } catch (err) {
      if (conflict(err)) return false
      throw new LogUnavailableError(`cannot write the bulletin schedule state to ${this.bucket} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
    }
  }

  private contended(): LogUnavailableError {
    return new LogUnavailableError(`the bulletin schedule state in ${this.bucket}/${SCHEDULE_STATE_KEY} kept changing under ${CAS_ATTEMPTS} writes: is a second engine running the schedule (check cluster.node_id is unique)?`)
  }
}
