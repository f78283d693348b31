// Drops exact re-deliveries of a fix (same unit, fix time and position). A broker re-sends a QoS 1
// message whose PUBACK it did not see (engine killed between journaling and acking, broker or
// network restart): the first copy is already journaled, so the second must not become a second
// row. Bounded: remembers the most recent `capacity` fixes; at start-up it is seeded from the
// journal's newest segments and from ClickHouse's most recent rows, which together hold every
// fix accepted just before a crash.

export function fixKey(unitId: string, ts: number, lat: number, lon: number): string {
  return `${unitId}|${ts}|${lat}|${lon}`
}

export class RecentFixes {
  private readonly keys = new Set<string>()
  constructor(private readonly capacity: number) {}

  /** Records the key; returns false when it was already present (a re-delivery). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false
    this.keys.add(key)
    if (this.keys.size > this.capacity) {
      // Sets iterate in insertion order: the first key is the oldest.
      const oldest = this.keys.values().next().value as string
      this.keys.delete(oldest)
    }
    return true
  }

  get size(): number {
    return this.keys.size
  }

  /** Seeds from journal position rows (`p\t{json}` lines). Returns how many keys were added. */
  seedFromRecords(records: Iterable<Buffer>): number {
    let n = 0
    for (const rec of records) {
      for (const line of rec.toString('utf8').split('\n')) {
        if (!line.startsWith('p\t')) continue
        try {
          const r = JSON.parse(line.slice(2)) as { unit_id: string; ts: number; lat: number; lon: number }
          if (this.add(fixKey(r.unit_id, r.ts, r.lat, r.lon))) n++
        } catch {
          // A line that does not parse cannot match a fix either.
        }
      }
    }
    return n
  }
}
