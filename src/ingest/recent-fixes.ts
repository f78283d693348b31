// Drops exact re-deliveries of a fix (same unit, fix time and position). A broker re-sends a QoS 1
// message whose PUBACK it did not see (engine killed between journaling and acking, broker or
// network restart): the first copy is already journaled, so the second must not become a second
// row. Bounded: remembers the most recent `capacity` fixes; at start-up it is seeded from the
// journal's pending segments and the few shipped ones it keeps, which together hold every fix
// accepted in the seconds before a crash: the cost does not depend on the size of `positions`.
import type { Logger } from 'pino'
import type { Journal } from '../journal/journal.js'
import { readPositions } from '../journal/record.js'

export function fixKey(unitId: string, ts: number, lat: number, lon: number): string {
  return `${unitId}|${ts}|${lat}|${lon}`
}

export class RecentFixes {
  private readonly keys = new Set<string>()
  /**
   * The same keys in insertion order, as a ring: the slot at `next` holds the oldest once full.
   * (Evicting through the Set's iterator instead, `keys.values().next()`, walks over every deleted
   * entry the Set has not compacted yet: at capacity each fix cost tens of µs more, growing.)
   */
  private readonly ring: Array<string | undefined>
  private next = 0
  constructor(capacity: number) {
    this.ring = new Array<string | undefined>(Math.max(1, capacity)).fill(undefined)
  }

  has(key: string): boolean {
    return this.keys.has(key)
  }

  /** Records the key; returns false when it was already present (a re-delivery). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false
    const oldest = this.ring[this.next]
    if (oldest !== undefined) this.keys.delete(oldest)
    this.ring[this.next] = key
    this.next = this.next + 1 === this.ring.length ? 0 : this.next + 1
    this.keys.add(key)
    return true
  }

  get size(): number {
    return this.keys.size
  }
}

/** How many recent fixes are remembered to recognise a broker's re-deliveries. */
export const RECENT_FIXES = 200_000

/** Seeds the filter from the journal: its pending and kept shipped segments, oldest first. */
export function seedRecentFixes(journal: Pick<Journal, 'recentRecords'>, logger: Logger, capacity = RECENT_FIXES): RecentFixes {
  const recent = new RecentFixes(capacity)
  for (const p of readPositions(journal.recentRecords())) recent.add(fixKey(p.unitId, p.ts, p.lat, p.lon))
  if (recent.size > 0) logger.info({ fixes: recent.size }, 'Remembering recently accepted fixes to recognise re-deliveries.')
  return recent
}
