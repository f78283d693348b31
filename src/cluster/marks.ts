// Progress marks per partition in the JetStream KV bucket hexpatrol_progress (history 1, replicated
// like the log): key `p.<n>`, the value format in marks-codec.ts. Only a partition's lease holder
// writes its key (a plain put); every engine reads them, so an engine that does not own p drops the
// pending effects the owner has passed, and a new owner delivers what the marks have not passed.
// A reader never sees a mark move backwards: values at an older KV revision than one already seen
// are ignored, and the sequences merge with max (mergeMarks). Calls that cannot reach NATS reject
// with LogUnavailableError within the request timeout.
import { Kvm, type KV, type KvEntry } from '@nats-io/kv'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { LogUnavailableError } from '../log/log-errors.js'
import { decodeMarks, encodeMarks, mergeMarks, sameMarks, ZERO_MARKS, type Marks } from './marks-codec.js'

export type { Marks } from './marks-codec.js'
export const DEFAULT_PROGRESS_BUCKET = 'hexpatrol_progress'

export interface PartitionMarksOptions {
  nc: NatsConnection
  replicas: number
  bucket?: string
  /** How long one KV request waits for NATS before it rejects (default 5 s). */
  timeoutMs?: number
  /** Told about values that do not decode (they read as zero marks). */
  onWarning?: (partition: number, reason: string) => void
}

export interface MarksWatch {
  /** Resolves once every key's current value has been delivered (rejects if the watch could not start). */
  ready: Promise<void>
  stop(): Promise<void>
}

export function marksKey(partition: number): string {
  return `p.${partition}`
}

const KEY_RE = /^p\.(0|[1-9][0-9]*)$/

function partitionOfKey(key: string): number | null {
  const m = KEY_RE.exec(key)
  return m === null ? null : Number(m[1])
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

export class PartitionMarks {
  /** What this reader has seen per partition: the newest revision and the merged marks. */
  private readonly seen = new Map<number, { revision: number; marks: Marks }>()
  private readonly watchers = new Set<(p: number, m: Marks) => void>()

  private constructor(private readonly kv: KV, private readonly bucket: string, private readonly onWarning: (p: number, reason: string) => void) {}

  /** Opens (creating if needed) the progress bucket. */
  static async open(opts: PartitionMarksOptions): Promise<PartitionMarks> {
    const bucket = opts.bucket ?? DEFAULT_PROGRESS_BUCKET
    const js = jetstream(opts.nc, { timeout: opts.timeoutMs ?? 5000 })
    try {
      // Reads go to the bucket's stream leader (allow_direct: false), not to any replica: a direct get
      // may be answered by a follower that lags, and a new owner that started from marks older than
      // the last insert repeated rows under new tokens (seen after a NATS server was killed under
      // load: most of the stream stored twice). The same holds for every bucket whose reads decide.
      const kv = await new Kvm(js).create(bucket, { replicas: opts.replicas, history: 1, allow_direct: false })
      return new PartitionMarks(kv, bucket, opts.onWarning ?? (() => undefined))
    } catch (err) {
      throw new LogUnavailableError(`cannot open the progress bucket ${bucket} on NATS (${describe(err)}): check that the servers in cluster.url are up with JetStream and that cluster.replicas (${opts.replicas}) servers can hold it`, { cause: err })
    }
  }

  /** The partition's marks as this reader knows them (never behind what it saw before). */
  async get(partition: number): Promise<Marks> {
    checkPartition(partition)
    let entry: KvEntry | null
    try {
      entry = await this.kv.get(marksKey(partition))
    } catch (err) {
      throw new LogUnavailableError(`cannot read the progress marks of partition ${partition} from ${this.bucket} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
    }
    if (entry !== null) this.observe(partition, entry)
    return this.current(partition)
  }

  /** Stores the partition's marks (only its lease holder calls this). Returns the KV revision. */
  async set(partition: number, marks: Marks): Promise<number> {
    checkPartition(partition)
    const value = encodeMarks(marks)
    let revision: number
    try {
      revision = await this.kv.put(marksKey(partition), value)
    } catch (err) {
      throw new LogUnavailableError(`cannot store the progress marks of partition ${partition} in ${this.bucket} (${describe(err)}): the effects stay pending and are marked on the next progress; check that the NATS servers in cluster.url are up`, { cause: err })
    }
    this.accept(partition, revision, marks)
    return revision
  }

  /**
   * Calls onMark with every key's current value, then with each change, in order per partition and
   * never moving backwards. Errors after the start (the watch ending) go to onError.
   */
  watch(onMark: (p: number, m: Marks) => void, onError: (err: unknown) => void = () => undefined): MarksWatch {
    let stopped = false
    const deliver = (p: number, m: Marks): void => { if (!stopped) onMark(p, m) }
    this.watchers.add(deliver)
    const started = this.kv.watch({ key: 'p.*' }).catch((err: unknown) => {
      throw new LogUnavailableError(`cannot watch the progress bucket ${this.bucket} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
    })
    const pump = started.then(async (iter) => {
      for await (const e of iter) {
        const p = partitionOfKey(e.key)
        if (p !== null) this.observe(p, e)
      }
      if (!stopped) onError(new LogUnavailableError(`the watch on the progress bucket ${this.bucket} ended (the NATS connection closed): open the marks again on a new connection`))
    })
    pump.catch((err: unknown) => { if (!stopped) onError(err) })
    // The watcher's own first values race with this read of every key; the revision check keeps
    // only the newest of the two, so ready means "everything current has been delivered".
    const ready = started.then(async () => {
      let keys: string[]
      try {
        keys = []
        for await (const k of await this.kv.keys('p.*')) keys.push(k)
        for (const k of keys) {
          const p = partitionOfKey(k)
          const e = p === null ? null : await this.kv.get(k)
          if (p !== null && e !== null) this.observe(p, e)
        }
      } catch (err) {
        throw new LogUnavailableError(`cannot read the progress bucket ${this.bucket} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
      }
      // Every partition already known is delivered once, even when no write raced the reads.
      for (const [p, s] of this.seen) deliver(p, s.marks)
    })
    ready.catch(() => undefined)
    return {
      ready,
      stop: async () => {
        stopped = true
        this.watchers.delete(deliver)
        const iter = await started.catch(() => null)
        iter?.stop()
        await pump.catch(() => undefined)
      },
    }
  }

  private current(partition: number): Marks {
    return this.seen.get(partition)?.marks ?? { ...ZERO_MARKS }
  }

  private observe(partition: number, e: KvEntry): void {
    const marks = e.operation === 'PUT' ? decodeMarks(e.value, (reason) => this.onWarning(partition, reason)) : { ...ZERO_MARKS }
    this.accept(partition, e.revision, marks)
  }

  private accept(partition: number, revision: number, marks: Marks): void {
    const prev = this.seen.get(partition)
    if (prev !== undefined && revision <= prev.revision) return
    const merged = prev === undefined ? marks : mergeMarks(prev.marks, marks)
    this.seen.set(partition, { revision, marks: merged })
    if (prev !== undefined && sameMarks(prev.marks, merged)) return
    for (const w of this.watchers) w(partition, merged)
  }
}

function checkPartition(p: number): void {
  if (!Number.isInteger(p) || p < 0) throw new RangeError(`partition must be a non-negative integer (got ${p})`)
}
