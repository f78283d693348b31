// Cluster mode's group commit for the MQTT subscriber. A message is durable once JetStream acked
// its append, a network round trip later; waiting for each before MQTT.js hands over the next
// message made an engine's MQTT intake one round trip per message. Here the subscriber's handler
// returns at once while the append is in flight (so MQTT.js takes the next message and queues the
// PUBACK in the corked socket), and flush() says the group may be acknowledged only once every
// append of the group was acked, and the journal (rejects) wrote what it holds. A failed append
// makes flush() throw: the subscriber then drops the connection with the group's PUBACKs unsent,
// and the broker delivers them again (JetStream's dedup id keeps one copy of those that made it).
import type { GroupCommit } from './message-handler.js'

export class LogGroup implements GroupCommit {
  private readonly pending = new Set<Promise<void>>()
  private failure: Error | null = null

  /** `journal`: the local journal's group commit (rejects are journaled there). */
  constructor(private readonly journal: GroupCommit) {}

  /** Appends in flight (tests, and the subscriber's bound on a group). */
  get inFlight(): number {
    return this.pending.size
  }

  defer(fn: () => void | Promise<void>): void | Promise<void> {
    const r = this.journal.defer(fn)
    if (r === undefined) return undefined
    const p: Promise<void> = r.then(
      () => { this.pending.delete(p) },
      (err: unknown) => {
        this.pending.delete(p)
        this.failure ??= err instanceof Error ? err : new Error(String(err))
      },
    )
    this.pending.add(p)
    return undefined
  }

  flush(): boolean {
    if (this.failure !== null) {
      const err = this.failure
      this.failure = null
      throw err
    }
    if (this.pending.size > 0) return false
    return this.journal.flush()
  }

  whenWritable(): Promise<void> {
    // The tracked promises never reject (their failure is kept for flush()).
    if (this.pending.size > 0) return Promise.all([...this.pending]).then(() => undefined)
    return this.journal.whenWritable()
  }
}
