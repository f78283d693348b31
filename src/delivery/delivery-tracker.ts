// When is an event's webhook delivery done? Cluster mode advances a partition's `alerts` mark only
// past events whose deliveries finished, so an engine that dies with deliveries still in its
// outbox (a receiver down, retrying) leaves them to the next owner, who delivers them again with
// the same webhook-id. Done means every delivery the dispatcher queued for the event was answered
// 2xx or dead-lettered. A subscription disabled by a 410 Gone keeps its deliveries in this
// engine's outbox until an operator re-enables it: it no longer holds the mark (every wait open at
// that moment is released), since no owner could deliver to it either.
import type { EventEmitter } from 'node:events'
import type { OutboundEvent } from './outbound-event.js'

const SETTLED_KEPT = 10_000

interface Wait { expected: number | null; finished: number; resolve: () => void; promise: Promise<void> }

export class DeliveryTracker {
  private readonly waits = new Map<string, Wait>()
  /** Ids settled lately (insertion order), so a whenDone() after the fact resolves at once. */
  private readonly settled = new Set<string>()

  constructor(dispatcher: Pick<EventEmitter, 'on'>) {
    const finished = (info: { eventId: string }): void => {
      // Not tracked: an event published before tracking began (the outbox of a previous run).
      const w = this.waits.get(info.eventId)
      if (w === undefined) return
      w.finished++
      this.check(info.eventId, w)
    }
    dispatcher.on('delivered', finished)
    dispatcher.on('dead', finished)
    dispatcher.on('disabled', () => {
      for (const [id, w] of this.waits) if (w.expected !== null) this.settle(id, w)
    })
  }

  /** Wraps the dispatcher's publishEvent: records how many deliveries the event got. */
  track(publishEvent: (e: OutboundEvent) => number): (e: OutboundEvent) => number {
    return (e) => {
      const n = publishEvent(e)
      const w = this.wait(e.id)
      w.expected = (w.expected ?? 0) + n
      this.check(e.id, w)
      return n
    }
  }

  /** Resolves once every delivery of these events is done (at once for events without subscribers). */
  async whenDone(eventIds: readonly string[]): Promise<void> {
    await Promise.all(eventIds.map((id) => (this.settled.has(id) ? undefined : this.wait(id).promise)))
  }

  /** Events still waiting (gauge, tests). */
  get waiting(): number {
    return this.waits.size
  }

  private wait(id: string): Wait {
    let w = this.waits.get(id)
    if (w === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => { resolve = r })
      w = { expected: null, finished: 0, resolve, promise }
      this.waits.set(id, w)
    }
    return w
  }

  private check(id: string, w: Wait): void {
    if (w.expected !== null && w.finished >= w.expected) this.settle(id, w)
  }

  private settle(id: string, w: Wait): void {
    this.waits.delete(id)
    this.settled.add(id)
    if (this.settled.size > SETTLED_KEPT) this.settled.delete(this.settled.values().next().value as string)
    w.resolve()
  }
}
