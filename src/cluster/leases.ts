// Partition ownership leases in a JetStream KV bucket (the I/O around src/cluster/lease-decision.ts):
// one key per partition (`p.<n>`, value {"owner": node id}), created if absent and otherwise only
// written with a compare-and-set on the revision, so exactly one engine holds a key at a time.
// Each tick reads every key, lets the pure decision pick create/renew/claim/wait, and writes.
// owns() also checks the fence time, so an engine that cannot renew (NATS unreachable, process
// paused) stops acting as the owner before anyone else may take over, even between ticks.
// Which partitions an engine should try for (rebalancing when engines join) is the next step: for
// now every holder goes for every key it is given.
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { LeaseDecision, type LeaseAction } from './lease-decision.js'

export const DEFAULT_LEASE_BUCKET = 'hexpatrol_leases'
/** JetStream's "wrong last sequence": our compare-and-set lost to another writer. */
const WRONG_LAST_SEQUENCE = 10071

/** The KV operations leases use (the bucket, or a stand-in in tests). */
export type LeaseKv = Pick<KV, 'get' | 'create' | 'update' | 'delete'>

export interface LeaseOptions {
  nodeId: string
  takeoverMs: number
  replicas: number
  partitions: readonly number[]
  now?: () => number
}

export interface LeaseBucketOptions extends LeaseOptions {
  nc: NatsConnection
  bucket?: string
}

export interface LeaseChange { partition: number; owned: boolean }

export function leaseKey(partition: number): string {
  return `p.${partition}`
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A value we cannot read still belongs to someone: it is waited out and claimed, never overwritten at once. */
const UNREADABLE = '(unreadable lease value)'

function ownerOf(value: Uint8Array): string {
  try {
    const v = JSON.parse(decoder.decode(value)) as { owner?: unknown }
    return typeof v.owner === 'string' ? v.owner : UNREADABLE
  } catch {
    return UNREADABLE
  }
}

export class PartitionLeases {
  private readonly decisions = new Map<number, LeaseDecision>()
  private readonly now: () => number
  private readonly value: Uint8Array
  private readonly reported = new Set<number>()
  private timer: NodeJS.Timeout | null = null
  private ticking: Promise<void> | null = null

  private constructor(private readonly kv: LeaseKv, private readonly opts: LeaseOptions) {
    this.now = opts.now ?? Date.now
    this.value = encoder.encode(JSON.stringify({ owner: opts.nodeId }))
    for (const p of opts.partitions) this.decisions.set(p, new LeaseDecision(opts.nodeId, { takeoverMs: opts.takeoverMs }))
  }

  /** Opens (creating if needed) the lease bucket, replicated like the log. */
  static async open(opts: LeaseBucketOptions): Promise<PartitionLeases> {
    const kv = await new Kvm(opts.nc).create(opts.bucket ?? DEFAULT_LEASE_BUCKET, { replicas: opts.replicas, history: 1 })
    return new PartitionLeases(kv, opts)
  }

  static over(kv: LeaseKv, opts: LeaseOptions): PartitionLeases {
    return new PartitionLeases(kv, opts)
  }

  /** Partitions this engine may act for right now (held and not fenced). */
  owned(): number[] {
    const now = this.now()
    return [...this.decisions].filter(([, d]) => d.owns(now)).map(([p]) => p)
  }

  owns(partition: number): boolean {
    return this.decisions.get(partition)?.owns(this.now()) ?? false
  }

  /** One round over every key; returns the ownership changes since the last round. */
  async tick(): Promise<LeaseChange[]> {
    for (const [p, d] of this.decisions) await this.step(p, d)
    const changes: LeaseChange[] = []
    const now = this.now()
    for (const [p, d] of this.decisions) {
      const owned = d.owns(now)
      if (owned !== this.reported.has(p)) {
        changes.push({ partition: p, owned })
        if (owned) this.reported.add(p)
        else this.reported.delete(p)
      }
    }
    return changes
  }

  /** Ticks every renew interval / 2 and reports changes; errors are passed to onError. */
  start(onChange: (c: LeaseChange[]) => void, onError: (err: unknown) => void): void {
    const every = Math.max(50, Math.floor(this.opts.takeoverMs / 6))
    this.timer = setInterval(() => {
      if (this.ticking) return
      this.ticking = this.tick().then((c) => { if (c.length > 0) onChange(c) }, onError).finally(() => { this.ticking = null })
    }, every)
    this.timer.unref()
  }

  /** Stops ticking; with release, deletes the keys we hold (compare-and-set) so others take them at once. */
  async stop(release = true): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.ticking
    if (!release) return
    for (const [p, d] of this.decisions) {
      const revision = d.heldRevision()
      if (revision === null) continue
      await this.kv.delete(leaseKey(p), { previousSeq: revision }).catch(() => undefined)
      d.released()
    }
  }

  private async step(partition: number, d: LeaseDecision): Promise<void> {
    const key = leaseKey(partition)
    const entry = await this.kv.get(key)
    const now = this.now()
    d.observe(entry === null || entry.operation !== 'PUT' ? { owner: null, revision: entry?.revision ?? 0 } : { owner: ownerOf(entry.value), revision: entry.revision }, now)
    const action: LeaseAction = d.decide(now)
    if (action.kind === 'wait') return
    const sentAt = this.now()
    try {
      const revision = action.kind === 'create'
        ? await this.kv.create(key, this.value)
        : await this.kv.update(key, this.value, action.revision)
      d.written(revision, sentAt)
    } catch (err) {
      // Lost the race: someone else holds it. Anything else (timeout, no quorum): keep what we
      // believed; the fence stops us in time if it lasts.
      if ((err as { code?: unknown }).code === WRONG_LAST_SEQUENCE || /wrong last sequence|key exists/i.test((err as Error).message)) d.conflicted()
      else throw err
    }
  }
}
