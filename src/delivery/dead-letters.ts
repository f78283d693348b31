// Webhook deliveries that passed the retry horizon (or whose subscription vanished from the
// config): kept in <dir>/outbox/dead, listed for the admin API, and revived on an admin's retry
// with the same webhook-id and a fresh schedule.
import type { DeliveryRecord, Outbox } from './outbox.js'

export interface DeadLetterView {
  deliveryId: string
  subscriptionId: string
  webhookId: string
  eventId: string
  type: string
  subject: string
  attempts: number
  enqueuedAt: number
  firstAttemptAt: number | null
  deadAt: number
  lastStatus: number | null
  lastError: string
}

export class DeadLetters {
  private readonly recs = new Map<string, DeliveryRecord>()

  constructor(private readonly outbox: Outbox) {}

  get size(): number {
    return this.recs.size
  }

  /** Holds a record already written to outbox/dead. */
  add(rec: DeliveryRecord): void {
    this.recs.set(rec.deliveryId, rec)
  }

  /** Start-up: a pending delivery that can no longer be delivered is buried at once, never dropped. */
  burySync(rec: DeliveryRecord, at: number, reason: string): void {
    Object.assign(rec, { deadAt: at, lastError: reason })
    this.outbox.burySync(rec)
    this.add(rec)
  }

  countBySubscription(): Map<string, number> {
    const by = new Map<string, number>()
    for (const r of this.recs.values()) by.set(r.subscriptionId, (by.get(r.subscriptionId) ?? 0) + 1)
    return by
  }

  views(): DeadLetterView[] {
    return [...this.recs.values()].sort((a, b) => a.seq - b.seq).map((r) => ({
      deliveryId: r.deliveryId,
      subscriptionId: r.subscriptionId,
      webhookId: r.webhookId,
      eventId: r.event.id,
      type: r.event.type,
      subject: r.subject,
      attempts: r.attempts,
      enqueuedAt: r.enqueuedAt,
      firstAttemptAt: r.firstAttemptAt,
      // Both set whenever a record is buried.
      deadAt: r.deadAt as number,
      lastStatus: r.lastStatus ?? null,
      lastError: r.lastError as string,
    }))
  }

  /**
   * Takes a dead letter back to pending (same webhook-id, attempts reset, due `now`), durable before
   * it returns; null if unknown or `canDeliver` refuses its subscription.
   */
  revive(deliveryId: string, now: number, canDeliver: (subscriptionId: string) => boolean): DeliveryRecord | null {
    const rec = this.recs.get(deliveryId)
    if (rec === undefined || !canDeliver(rec.subscriptionId)) return null
    const revived: DeliveryRecord = { ...rec, attempts: 0, firstAttemptAt: null, nextAttemptAt: now }
    delete revived.deadAt
    this.outbox.reviveSync(revived)
    this.recs.delete(deliveryId)
    return revived
  }
}
