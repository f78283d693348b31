// Cluster membership in a JetStream KV bucket (hexpatrol_members; the I/O around member-view.ts):
// each engine puts its key (= node id, value {node, startedAt, version}) every takeover/3, and
// reads every member key on each tick; who is live is decided from revisions by our own clock.
// leave() deletes our key so the others drop us at once (a graceful stop); a crashed engine drops
// out a takeover after its last heartbeat. The bucket's keys also expire a takeover after their
// last write (max_age, the server's clock alone), so an engine that starts after a crash does not
// see the dead member as new, and live for a takeover of its own, while the others have moved on. Membership only steers which engine should hold which
// key (assignment.ts); it never grants ownership: that is the lease's job (leases.ts), so a wrong
// view costs balance or a takeover's speed, never a second owner.
import { jetstreamManager } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { MemberView } from './member-view.js'
import { within } from '../within.js'

export const DEFAULT_MEMBER_BUCKET = 'hexpatrol_members'

/** The KV operations membership uses. */
type MemberKv = Pick<KV, 'get' | 'put' | 'delete'>

export interface MemberValue { node: string; startedAt: number; version?: string }

export interface MembershipOptions {
  nodeId: string
  takeoverMs: number
  /** Default takeover / 3. */
  heartbeatEveryMs?: number
  /** Written into our member value for operators (e.g. the package version). */
  version?: string
  now: () => number
}

export interface MembershipBucketOptions extends MembershipOptions {
  nc: NatsConnection
  replicas: number
  bucket?: string
}

const encoder = new TextEncoder()

export class Membership {
  readonly heartbeatEveryMs: number
  /** How long one listing of the member keys may take (half the takeover, at least 500 ms). */
  private readonly listTimeoutMs: number
  private readonly view: MemberView
  private readonly now: () => number
  private readonly value: Uint8Array
  private lastBeat: number | null = null

  private constructor(private readonly kv: MemberKv, private readonly listKeys: () => Promise<string[]>, private readonly opts: MembershipOptions) {
    this.now = opts.now
    this.heartbeatEveryMs = opts.heartbeatEveryMs ?? Math.floor(opts.takeoverMs / 3)
    this.listTimeoutMs = Math.max(500, Math.floor(opts.takeoverMs / 2))
    this.view = new MemberView(opts.nodeId, opts.takeoverMs)
    const v: MemberValue = { node: opts.nodeId, startedAt: this.now(), ...(opts.version === undefined ? {} : { version: opts.version }) }
    this.value = encoder.encode(JSON.stringify(v))
  }

  /** Opens (creating if needed) the member bucket, replicated like the log. */
  static async open(opts: MembershipBucketOptions): Promise<Membership> {
    const bucket = opts.bucket ?? DEFAULT_MEMBER_BUCKET
    const kv = await new Kvm(opts.nc).create(bucket, { replicas: opts.replicas, history: 1, ttl: opts.takeoverMs, allow_direct: false })
    const jsm = await jetstreamManager(opts.nc)
    const stream = `KV_${bucket}`
    // An existing bucket keeps the expiry it was made with: follow cluster.takeover when it changed
    // (an expiry shorter than the heartbeat interval would make members flicker).
    if ((await kv.status()).ttl !== opts.takeoverMs) {
      const { config } = await jsm.streams.info(stream)
      await jsm.streams.update(config.name, { ...config, max_age: opts.takeoverMs * 1_000_000 })
    }
    // The member keys, from the stream's subjects as its leader answers (one API request). Not
    // kv.keys(): that is a consumer, which after a NATS server was killed under load kept failing
    // for good, so every engine saw itself alone and all wanted every partition.
    const prefix = `$KV.${bucket}.`
    const listKeys = async (): Promise<string[]> => {
      const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}>` })
      return Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length))
    }
    return new Membership(kv, listKeys, opts)
  }

  /** Writes our member key now (a new revision: the proof we are alive). */
  async heartbeat(): Promise<void> {
    const sentAt = this.now()
    await this.kv.put(this.opts.nodeId, this.value)
    this.lastBeat = sentAt
  }

  /** Reads every member key and updates the live view. */
  async refresh(): Promise<string[]> {
    // Bounded: under load (or a server election) a request can hang, and a round that never ends
    // would stop heartbeats and lease renewals for good.
    const names = await within(this.listKeys(), this.listTimeoutMs, () => new Error(`listing the members took longer than ${this.listTimeoutMs} ms (NATS slow or away)`))
    const entries = await Promise.all(names.map((k) => this.kv.get(k)))
    const listing = new Map<string, number>()
    for (const e of entries) if (e !== null && e.operation === 'PUT') listing.set(e.key, e.revision)
    this.view.observe(listing, this.now())
    return this.members()
  }

  /** One round: heartbeat when due (every heartbeatEveryMs), then refresh. */
  async tick(): Promise<string[]> {
    if (this.lastBeat === null || this.now() - this.lastBeat >= this.heartbeatEveryMs) await this.heartbeat()
    return this.refresh()
  }

  /** The live members (sorted node ids), ourselves included. */
  members(): string[] {
    return this.view.live(this.now())
  }

  /** Deletes our key: the others drop us on their next read. */
  async leave(): Promise<void> {
    await this.kv.delete(this.opts.nodeId)
    this.lastBeat = null
  }
}
