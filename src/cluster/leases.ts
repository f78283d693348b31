// Ownership leases in a JetStream KV bucket (hexpatrol_leases; the I/O around lease-decision.ts):
// one key per thing owned (`p.<n>` for partition n, `role.<name>` for a role), value
// {"owner": node id}, created if absent and otherwise only written with a compare-and-set on the
// revision, so exactly one engine holds a key at a time. Each tick reads every key (so the takeover
// clock runs for keys we do not want yet), then acts only on the keys the caller wants: create,
// renew or claim them; a held key it no longer wants is released (compare-and-set delete) so the
// engine now preferred for it creates it at once. A key just created or claimed is owned from the
// first read, sent confirmAfter after the write's answer, that still shows our revision
// (lease-decision.ts says why): confirmDueAt() tells the caller when to run that round. owns()
// also checks the fence time, so an engine that cannot renew (NATS unreachable, process paused)
// stops acting as the owner before anyone else may take over, even between ticks. Which keys to
// want is ownership.ts's business.
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
  keys: readonly string[]
  now: () => number
}

export interface LeaseBucketOptions extends LeaseOptions {
  nc: NatsConnection
  replicas: number
  bucket?: string
}

/** What one tick did to one key (only keys something happened to are reported). */
export type LeaseEvent =
  | { kind: 'created' | 'renewed' | 'released'; key: string }
  /** We took a key another holder (`from`, possibly an earlier run of ours) let lapse; waitMs: how long it looked unchanged. */
  | { kind: 'claimed'; key: string; from: string; waitMs: number }
  /** We held it, did not release it, and now do not own it (someone took it, or our fence passed). */
  | { kind: 'lost'; key: string }

export interface LeaseChange { key: string; owned: boolean }

export interface LeaseTick { changes: LeaseChange[]; events: LeaseEvent[]; errors: unknown[] }

export function leaseKey(partition: number): string {
  return `p.${partition}`
}

export function roleKey(role: string): string {
  return `role.${role}`
}

/** The role a `role.<name>` key stands for; null for any other key. */
export function roleOfKey(key: string): string | null {
  return key.startsWith('role.') ? key.slice('role.'.length) : null
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

function isConflict(err: unknown): boolean {
  return (err as { code?: unknown }).code === WRONG_LAST_SEQUENCE || /wrong last sequence|key exists/i.test((err as Error).message)
}

export class LeaseSet {
  private readonly decisions = new Map<string, LeaseDecision>()
  private readonly now: () => number
  private readonly value: Uint8Array
  private readonly reported = new Set<string>()

  private constructor(private readonly kv: LeaseKv, opts: LeaseOptions) {
    this.now = opts.now
    this.value = encoder.encode(JSON.stringify({ owner: opts.nodeId }))
    for (const k of opts.keys) this.decisions.set(k, new LeaseDecision(opts.nodeId, { takeoverMs: opts.takeoverMs }))
  }

  /** Opens (creating if needed) the lease bucket, replicated like the log. */
  static async open(opts: LeaseBucketOptions): Promise<LeaseSet> {
    const kv = await new Kvm(opts.nc).create(opts.bucket ?? DEFAULT_LEASE_BUCKET, { replicas: opts.replicas, history: 1, allow_direct: false })
    return new LeaseSet(kv, opts)
  }

  static over(kv: LeaseKv, opts: LeaseOptions): LeaseSet {
    return new LeaseSet(kv, opts)
  }

  /** Keys this engine may act for right now (held and not fenced), in the given order. */
  owned(): string[] {
    const now = this.now()
    return [...this.decisions].filter(([, d]) => d.owns(now)).map(([k]) => k)
  }

  owns(key: string): boolean {
    return this.decisions.get(key)?.owns(this.now()) ?? false
  }

  /** The earliest time a round can confirm a key we wrote and do not own yet; null when none waits. */
  confirmDueAt(): number | null {
    let due: number | null = null
    for (const d of this.decisions.values()) {
      const at = d.confirmDueAt()
      if (at !== null && (due === null || at < due)) due = at
    }
    return due
  }

  /**
   * One round over every key (in parallel): read, then create/renew/claim the wanted ones and
   * release held ones no longer wanted. Returns the ownership changes since the last round, what
   * happened, and what failed (other than a lost compare-and-set). Changes are reported even when
   * keys failed: an owner cut off from NATS learns of its fence on the next round.
   */
  async tick(want: (key: string) => boolean = () => true): Promise<LeaseTick> {
    const events: LeaseEvent[] = []
    const results = await Promise.allSettled([...this.decisions].map(([k, d]) => this.step(k, d, want(k), events)))
    const changes: LeaseChange[] = []
    const now = this.now()
    for (const [k, d] of this.decisions) {
      const owned = d.owns(now)
      if (owned === this.reported.has(k)) continue
      changes.push({ key: k, owned })
      if (owned) this.reported.add(k)
      else {
        this.reported.delete(k)
        if (!events.some((e) => e.key === k && e.kind === 'released')) events.push({ kind: 'lost', key: k })
      }
    }
    const errors = results.flatMap((r) => r.status === 'rejected' ? [r.reason as unknown] : [])
    return { changes, events, errors }
  }

  /** Releases every key we hold (compare-and-set delete), so others may create them at once. */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.decisions].map(([k, d]) => this.release(k, d).catch(() => undefined)))
    for (const k of this.decisions.keys()) this.reported.delete(k)
  }

  private async release(key: string, d: LeaseDecision): Promise<void> {
    const revision = d.heldRevision()
    if (revision === null) return
    // Stop acting first: owns() is false before the key is free for anyone else.
    d.released()
    try {
      await this.kv.delete(key, { previousSeq: revision })
    } catch (err) {
      // Someone took it meanwhile: fine. Anything else: the key still names us until it is claimed
      // after a takeover (or we want it again and claim it back the same way).
      if (!isConflict(err)) throw err
    }
  }

  private async step(key: string, d: LeaseDecision, wanted: boolean, events: LeaseEvent[]): Promise<void> {
    const askedAt = this.now()
    const entry = await this.kv.get(key)
    const now = this.now()
    d.observe(entry === null || entry.operation !== 'PUT' ? { owner: null, revision: entry?.revision ?? 0 } : { owner: ownerOf(entry.value), revision: entry.revision }, now, askedAt)
    if (!wanted) {
      // Reported as released even if the delete fails: we stopped acting by choice, nothing was lost.
      if (d.heldRevision() !== null) events.push({ kind: 'released', key })
      await this.release(key, d)
      return
    }
    const action: LeaseAction = d.decide(now)
    if (action.kind === 'wait') return
    const waitMs = d.unchangedFor(now)
    const sentAt = this.now()
    try {
      const revision = action.kind === 'create'
        ? await this.kv.create(key, this.value)
        : await this.kv.update(key, this.value, action.revision)
      d.written(revision, sentAt, this.now())
      if (action.kind === 'claim') events.push({ kind: 'claimed', key, from: action.owner, waitMs })
      else events.push({ kind: action.kind === 'create' ? 'created' : 'renewed', key })
    } catch (err) {
      // Lost the race: someone else holds it. Anything else (timeout, no quorum): keep what we
      // believed; the fence stops us in time if it lasts.
      if (isConflict(err)) d.conflicted()
      else throw err
    }
  }
}
