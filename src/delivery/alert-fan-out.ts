// How an alert transition enters delivery once the rules produced it: first the journal (so
// ClickHouse's `alerts` table gets it exactly once), then, only after the record is durable and
// the rule state saved, publish() (publish.ts: log, counter, webhook outbox, MQTT, live stream).
// Transitions made inside a message are journaled with the message's fixes (the ingestor calls
// deliver()); others (ticks, the API) come through emit().
import type { Logger } from 'pino'
import type { AlertEvent } from '../rules/alert-event.js'
import { alertToOutbound } from './outbound-event.js'
import type { Publish } from './publish.js'

export interface AlertFanOutDeps {
  /** Appends a journal record holding the events; a promise while the journal applies backpressure. */
  journal(events: readonly AlertEvent[]): void | Promise<void>
  /**
   * Runs before delivery: the rule state is persisted at every transition, so a kill -9 does not
   * re-open a delivered alert. A promise (the state is written asynchronously) holds this and
   * every later delivery until it settles, so events stay in order.
   */
  beforeDeliver?(): void | Promise<void>
  /** The delivery stage's one publish path: receives every transition, in order. */
  publish: Publish
  logger: Logger
}

export class AlertFanOut {
  private readonly deps: AlertFanOutDeps
  private readonly pending = new Set<Promise<void>>()
  /** The delivery chain while a beforeDeliver() promise is outstanding, else null. */
  private chain: Promise<void> | null = null

  constructor(deps: AlertFanOutDeps) {
    this.deps = deps
  }

  /** Journals transitions made outside a message, then delivers them. */
  emit(events: AlertEvent[]): void {
    if (events.length === 0) return
    const done = this.deps.journal(events)
    if (done === undefined) return this.deliver(events)
    const p = done.then(() => this.deliver(events), (err: unknown) => {
      this.deps.logger.error({ err, alerts: events.map((e) => e.alertId) }, 'Alert transitions could not be journaled; they are not delivered.')
    }).finally(() => this.pending.delete(p))
    this.pending.add(p)
  }

  /** Delivers transitions whose journal record is already durable. */
  deliver(events: AlertEvent[]): void {
    if (events.length === 0) return
    const saved = this.deps.beforeDeliver?.()
    if (saved === undefined && this.chain === null) return this.publish(events)
    const p: Promise<void> = (this.chain ?? Promise.resolve()).then(() => saved).then(() => {
      this.publish(events)
      if (this.chain === p) this.chain = null
    })
    this.chain = p
  }

  private publish(events: AlertEvent[]): void {
    for (const e of events) this.deps.publish(alertToOutbound(e))
  }

  /** Resolves once every emit() waiting for journal space has been delivered (shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0 || this.chain !== null) await Promise.allSettled([...this.pending, this.chain])
  }
}
