// What one client may make the embedded broker hold, counted: retained messages (per device and in
// total), persistent sessions (per device and in total), subscriptions per client and messages
// queued for an offline session. Pure bookkeeping; the broker asks before it grants.
import type { Config } from '../config/schema.js'

export type Limits = Config['broker']['limits']

export class BrokerLimits {
  /** Retained topic → the device that set it. */
  private readonly retainedBy = new Map<string, string>()
  private readonly retainedCount = new Map<string, number>()
  /** Persistent session client id → device. */
  private readonly sessions = new Map<string, string>()
  private readonly subs = new Map<string, Set<string>>()
  private readonly queued = new Map<string, number>()

  constructor(private readonly limits: Limits) {}

  get retained(): number {
    return this.retainedBy.size
  }

  get persistentSessions(): number {
    return this.sessions.size
  }

  get queuedMessages(): number {
    let n = 0
    for (const q of this.queued.values()) n += q
    return n
  }

  /** A device's retained publish (an empty payload clears): false when over a cap. */
  retain(device: string, topic: string, clear: boolean): boolean {
    const owner = this.retainedBy.get(topic)
    if (clear) {
      if (owner !== undefined) this.release(owner, topic)
      return true
    }
    if (owner === device) return true
    const mine = this.retainedCount.get(device) ?? 0
    if (mine >= this.limits.max_retained_per_device) return false
    if (owner === undefined && this.retainedBy.size >= this.limits.max_retained_total) return false
    if (owner !== undefined) this.release(owner, topic)
    this.retainedBy.set(topic, device)
    this.retainedCount.set(device, mine + 1)
    return true
  }

  private release(owner: string, topic: string): void {
    this.retainedBy.delete(topic)
    const n = (this.retainedCount.get(owner) ?? 1) - 1
    if (n <= 0) this.retainedCount.delete(owner)
    else this.retainedCount.set(owner, n)
  }

  /** A CONNECT: a clean one ends any persistent session of that client id; false when over a cap. */
  session(device: string, clientId: string, clean: boolean): boolean {
    if (clean) {
      this.sessions.delete(clientId)
      this.queued.delete(clientId)
      return true
    }
    const owner = this.sessions.get(clientId)
    if (owner === device) return true
    // A client id held by another device's session is not taken over.
    if (owner !== undefined) return false
    let mine = 0
    for (const d of this.sessions.values()) if (d === device) mine++
    if (mine >= this.limits.max_persistent_sessions_per_device || this.sessions.size >= this.limits.max_persistent_sessions) return false
    this.sessions.set(clientId, device)
    return true
  }

  /** The device whose persistent session holds this client id, if any. */
  sessionOwner(clientId: string): string | undefined {
    return this.sessions.get(clientId)
  }

  /** A SUBSCRIBE filter of this client id (a persistent session keeps them): false when over the per-client cap. */
  subscribe(clientId: string, filter: string): boolean {
    let s = this.subs.get(clientId)
    if (s === undefined) this.subs.set(clientId, (s = new Set()))
    if (s.has(filter)) return true
    if (s.size >= this.limits.max_subscriptions_per_client) return false
    s.add(filter)
    return true
  }

  unsubscribe(clientId: string, filter: string): void {
    this.subs.get(clientId)?.delete(filter)
  }

  /** A clean session's subscriptions end with its connection; a persistent one's stay. */
  disconnected(clientId: string, clean: boolean): void {
    if (clean) this.subs.delete(clientId)
  }

  /** One message queued for an offline session: false (drop it) when its queue is full. */
  enqueue(clientId: string): boolean {
    const n = this.queued.get(clientId) ?? 0
    if (n >= this.limits.max_queued_per_client) return false
    this.queued.set(clientId, n + 1)
    return true
  }

  /** The session came back: its queue is being delivered. */
  resumed(clientId: string): void {
    this.queued.delete(clientId)
  }
}
