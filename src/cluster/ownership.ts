// Which partitions and roles this engine owns in a cluster: membership (who is alive) +
// rendezvous assignment (who should hold each key) + leases (who does hold it, at most one).
// Each tick: heartbeat when due, read the members, then for every key want = preferredOwner(key,
// live) === self; wanted keys are created, renewed or claimed (after the takeover), held keys
// another live member is preferred for are released so it creates them at once (rebalancing on
// join). A partition given up that way is handed off first: the lease is kept (and renewed) until
// the handoff callback finished the partition's work here (its worker's last step and progress
// marks), then released on the next round, so the new owner starts from this engine's final marks
// rather than from marks a step behind (which would deliver an alert a second time).
// The guarantee comes from the leases alone: owns() is true only while we hold the lease and
// before its fence time, which passes before any other engine may claim the key, so two engines
// never act for one key, even when their member views disagree or NATS is cut off.
import type { NatsConnection } from '@nats-io/transport-node'
import { assignKeys } from './assignment.js'
import { LeaseSet, leaseKey, roleKey, type LeaseEvent } from './leases.js'
import { Membership } from './membership.js'

export interface OwnershipChange {
  key: string
  /** The partition for `p.<n>` keys; null for a role. */
  partition: number | null
  owned: boolean
}

export interface OwnershipTick {
  changes: OwnershipChange[]
  /** Failures this round (NATS unreachable, no quorum, …): the fence covers them. */
  errors: unknown[]
}

/** Plain callbacks for metrics; the composition root maps them to prom-client. */
export interface OwnershipHooks {
  /** A held key renewed (hexpatrol_cluster_lease_renewals_total). */
  renewed?(key: string): void
  /** Held → not owned without our release: taken by another engine or fenced (…_lease_losses_total). */
  lost?(key: string): void
  /** We claimed a key another holder let lapse, after it looked unchanged for waitMs (…_takeovers_total, …_takeover_wait_seconds). */
  tookOver?(key: string, from: string, waitMs: number): void
  /** The live member count after each read (…_cluster_members). */
  members?(count: number): void
}

export interface OwnershipOptions {
  nc: NatsConnection
  nodeId: string
  /** cluster.partitions: keys p.0 … p.<partitions-1>. */
  partitions: number
  /** Named roles held by one engine at a time (at least `schedule`): keys role.<name>. */
  roles: readonly string[]
  takeoverMs: number
  replicas: number
  now?: () => number
  hooks?: OwnershipHooks
  /** Bucket names (defaults hexpatrol_leases, hexpatrol_members); tests use their own. */
  leaseBucket?: string
  memberBucket?: string
  /** Written into our member value (e.g. the package version). */
  version?: string
}

export class Ownership {
  /** How often start() ticks: takeover / 6, so a takeover lands within takeover + one tick. */
  readonly tickEveryMs: number
  private readonly partitionOfKey = new Map<string, number>()
  private readonly hooks: Required<OwnershipHooks>
  private timer: NodeJS.Timeout | null = null
  /** Finishes a partition's work before its lease is released by choice (set by start()). */
  private handoff: ((partition: number) => Promise<void>) | null = null
  /** Keys handed off or being handed off: 'done' keys are released on the next round. */
  private readonly handoffs = new Map<string, 'running' | 'done'>()
  private ticking: Promise<void> | null = null
  private running = false

  private constructor(
    private readonly opts: OwnershipOptions,
    private readonly membership: Membership,
    private readonly leases: LeaseSet,
    /** The clock open() resolved (opts.now, else Date.now), shared with the membership and the leases. */
    private readonly now: () => number,
  ) {
    for (let p = 0; p < opts.partitions; p++) this.partitionOfKey.set(leaseKey(p), p)
    this.tickEveryMs = Math.max(50, Math.floor(opts.takeoverMs / 6))
    const none = (): void => undefined
    this.hooks = { renewed: none, lost: none, tookOver: none, members: none, ...opts.hooks }
  }

  /** Opens (creating if needed) the member and lease buckets. Nothing is claimed before start() or tick(). */
  static async open(opts: OwnershipOptions): Promise<Ownership> {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1) throw new RangeError(`partitions must be a positive integer (got ${opts.partitions})`)
    const keys = [...Array.from({ length: opts.partitions }, (_, p) => leaseKey(p)), ...opts.roles.map(roleKey)]
    const now = opts.now ?? Date.now
    const membership = await Membership.open({
      nc: opts.nc, nodeId: opts.nodeId, takeoverMs: opts.takeoverMs, replicas: opts.replicas, now,
      ...(opts.memberBucket === undefined ? {} : { bucket: opts.memberBucket }),
      ...(opts.version === undefined ? {} : { version: opts.version }),
    })
    const leases = await LeaseSet.open({
      nc: opts.nc, nodeId: opts.nodeId, takeoverMs: opts.takeoverMs, replicas: opts.replicas, keys, now,
      ...(opts.leaseBucket === undefined ? {} : { bucket: opts.leaseBucket }),
    })
    return new Ownership(opts, membership, leases, now)
  }

  /** True while we may act for the partition: lease held and its fence not passed. */
  owns(partition: number): boolean {
    return this.leases.owns(leaseKey(partition))
  }

  holdsRole(name: string): boolean {
    return this.leases.owns(roleKey(name))
  }

  ownedPartitions(): number[] {
    return this.leases.owned().flatMap((k) => {
      const p = this.partitionOfKey.get(k)
      return p === undefined ? [] : [p]
    })
  }

  /** Every key (p.<n>, role.<name>) we may act for now. */
  ownedKeys(): string[] {
    return this.leases.owned()
  }

  /** The live members as we last read them (sorted node ids, ourselves included). */
  members(): string[] {
    return this.membership.members()
  }

  /**
   * One round: heartbeat, members, leases. Returns the ownership changes since the last round and
   * what failed; the leases are gone through even when the members could not be read (with the
   * view we had), so the changes always reflect owns(), fence included.
   */
  async tick(): Promise<OwnershipTick> {
    const errors: unknown[] = []
    const live = await this.membership.tick().catch((err: unknown) => {
      errors.push(err)
      return this.membership.members()
    })
    this.hooks.members(live.length)
    const self = this.opts.nodeId
    // Partitions spread evenly (bounded-load rendezvous); each role goes to its rendezvous winner.
    const plan = assignKeys([...this.partitionOfKey.keys()], this.opts.roles.map(roleKey), live)
    const r = await this.leases.tick((key) => this.wants(key, plan.get(key) === self))
    for (const e of r.events) this.report(e)
    const changes = r.changes.map((c) => ({ key: c.key, partition: this.partitionOfKey.get(c.key) ?? null, owned: c.owned }))
    return { changes, errors: [...errors, ...r.errors] }
  }

  /**
   * Whether a round keeps (or takes) the key. A partition we own and another engine is preferred
   * for is kept until its handoff is done, then released (even if we are preferred again by then:
   * its work here has stopped; the next round creates the key again). Without a handoff callback,
   * or for a key we hold past its fence (nothing to finish), it is released at once.
   */
  private wants(key: string, preferred: boolean): boolean {
    const state = this.handoffs.get(key)
    if (state === 'done') {
      this.handoffs.delete(key)
      return false
    }
    if (state === 'running') return true
    const p = this.partitionOfKey.get(key)
    if (preferred || p === undefined || this.handoff === null || !this.leases.owns(key)) return preferred
    this.handoffs.set(key, 'running')
    void this.handoff(p).catch(() => undefined).finally(() => this.handoffs.set(key, 'done'))
    return true
  }

  /**
   * Ticks now and every tickEveryMs; changes go to onChange, failures to onError (the fence covers
   * them). `handoff`: finishes a partition's work before its lease is released by choice.
   */
  start(onChange: (changes: OwnershipChange[]) => void, onError: (err: unknown) => void, handoff?: (partition: number) => Promise<void>): void {
    if (this.running) return
    this.running = true
    this.handoff = handoff ?? null
    // The next round is timed from the end of this one, so a slow round never overlaps the next.
    const round = (): void => {
      this.timer = null
      this.ticking = this.tick()
        .then(({ changes, errors }) => {
          if (changes.length > 0) onChange(changes)
          // One failure a round is enough to log: the others are the same outage, key by key.
          if (errors.length > 0) onError(errors[0])
        }, onError)
        .finally(() => {
          this.ticking = null
          if (!this.running) return
          this.timer = setTimeout(round, this.nextRoundInMs())
          this.timer.unref()
        })
    }
    round()
  }

  /** A round's tickEveryMs, or sooner when a key we created or claimed can be confirmed (leases.ts). */
  nextRoundInMs(): number {
    const due = this.leases.confirmDueAt()
    return due === null ? this.tickEveryMs : Math.min(this.tickEveryMs, Math.max(1, due - this.now() + 1))
  }

  /**
   * Stops ticking. With release (a graceful stop) we leave the membership first, so the others stop
   * preferring us, then delete our leases, so they create them on their next tick. Without it (how a
   * crash looks to the others) the keys wait out the takeover, and owns() keeps answering from the
   * leases until their fence, like a paused engine's.
   */
  async stop({ release }: { release: boolean }): Promise<void> {
    this.running = false
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    await this.ticking
    if (!release) return
    // Release the leases even when leaving fails (NATS unreachable: then both fail, and the
    // others take over after the takeover, as after a crash).
    const left = await this.membership.leave().then(() => null, (err: unknown) => err)
    await this.leases.releaseAll()
    if (left !== null) throw left
  }

  private report(e: LeaseEvent): void {
    if (e.kind === 'renewed') this.hooks.renewed(e.key)
    else if (e.kind === 'lost') this.hooks.lost(e.key)
    else if (e.kind === 'claimed') this.hooks.tookOver(e.key, e.from, e.waitMs)
  }
}
