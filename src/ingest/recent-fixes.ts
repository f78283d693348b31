// Drops exact re-deliveries of a fix (same unit, fix time and position). A broker re-sends a QoS 1
// message whose PUBACK it did not see (engine killed between journaling and acking, broker or
// network restart): the first copy is already journaled, so the second must not become a second
// row. Bounded: remembers the most recent `capacity` fixes; at start-up it is seeded from the
// journal's pending segments and the few shipped ones it keeps, which together hold every fix
// accepted in the seconds before a crash: the cost does not depend on the size of `positions`.
//
// Every fix passes here, so it keeps no string per fix: the remembered fixes live in a ring of
// typed arrays (the unit id as the decoder's own string), found through an open-addressing table of
// ring slots keyed by a hash of the four fields and compared field by field. A Set of
// `unit|ts|lat|lon` strings cost 1.5 µs per fix at capacity (number-to-text conversions and the
// Set), and its 200,000 live strings were marked by every full garbage collection.
import type { Logger } from 'pino'
import type { Journal } from '../journal/journal.js'
import { readPositions } from '../journal/record.js'

/** A fix's identity as text (tests, and a message's own repeats in ingestor.ts). */
export function fixKey(unitId: string, ts: number, lat: number, lon: number): string {
  return `${unitId}|${ts}|${lat}|${lon}`
}

const bits = new Float64Array(1)
const words = new Int32Array(bits.buffer)

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x5bd1e995)
  return h ^ (h >>> 15)
}

function mixNumber(h: number, x: number): number {
  // -0 and 0 are the same position (as their text is): hash them alike.
  bits[0] = x === 0 ? 0 : x
  return mix(mix(h, words[0]!), words[1]!)
}

/** A 32-bit hash of the fix's identity. */
export function fixHash(unitId: string, ts: number, lat: number, lon: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < unitId.length; i++) h = Math.imul(h ^ unitId.charCodeAt(i), 0x01000193)
  return mixNumber(mixNumber(mixNumber(h, ts), lat), lon)
}

export class RecentFixes {
  /** The ring: slot `next` holds the oldest fix once full. */
  private readonly units: Array<string | undefined>
  private readonly ts: Float64Array
  private readonly lat: Float64Array
  private readonly lon: Float64Array
  private readonly hashes: Int32Array
  /** Open addressing with linear probing: ring slot + 1, 0 for empty; at most half full. */
  private readonly table: Int32Array
  private readonly mask: number
  private next = 0
  private count = 0

  constructor(capacity: number) {
    const n = Math.max(1, capacity)
    this.units = new Array<string | undefined>(n).fill(undefined)
    this.ts = new Float64Array(n)
    this.lat = new Float64Array(n)
    this.lon = new Float64Array(n)
    this.hashes = new Int32Array(n)
    let size = 2
    while (size < 2 * n) size *= 2
    this.table = new Int32Array(size)
    this.mask = size - 1
  }

  has(unitId: string, ts: number, lat: number, lon: number): boolean {
    return this.find(fixHash(unitId, ts, lat, lon), unitId, ts, lat, lon) >= 0
  }

  /** Records the fix; returns false when it was already present (a re-delivery). */
  add(unitId: string, ts: number, lat: number, lon: number): boolean {
    const h = fixHash(unitId, ts, lat, lon)
    if (this.find(h, unitId, ts, lat, lon) >= 0) return false
    const slot = this.next
    if (this.units[slot] !== undefined) this.remove(slot)
    else this.count++
    this.units[slot] = unitId
    this.ts[slot] = ts
    this.lat[slot] = lat
    this.lon[slot] = lon
    this.hashes[slot] = h
    let i = h & this.mask
    while (this.table[i] !== 0) i = (i + 1) & this.mask
    this.table[i] = slot + 1
    this.next = slot + 1 === this.units.length ? 0 : slot + 1
    return true
  }

  get size(): number {
    return this.count
  }

  /** The table position holding a slot with this fix, or -1. */
  private find(h: number, unitId: string, ts: number, lat: number, lon: number): number {
    const { table, mask } = this
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = table[i]!
      if (e === 0) return -1
      const s = e - 1
      if (this.hashes[s] === h && this.ts[s] === ts && this.lat[s] === lat && this.lon[s] === lon && this.units[s] === unitId) return i
    }
  }

  /** Takes a ring slot out of the table (backward-shift deletion keeps every probe chain whole). */
  private remove(slot: number): void {
    const { table, mask } = this
    let i = this.hashes[slot]! & mask
    while (table[i] !== slot + 1) i = (i + 1) & mask
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashes[table[j]! - 1]! & mask
      // Entry j may move into the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j
      if (!stays) {
        table[i] = table[j]!
        i = j
      }
    }
    table[i] = 0
  }
}

/** How many recent fixes are remembered to recognise a broker's re-deliveries. */
export const RECENT_FIXES = 200_000

/** Seeds the filter from the journal: its pending and kept shipped segments, oldest first. */
export function seedRecentFixes(journal: Pick<Journal, 'recentRecords'>, logger: Logger, capacity = RECENT_FIXES): RecentFixes {
  const recent = new RecentFixes(capacity)
  for (const p of readPositions(journal.recentRecords())) recent.add(p.unitId, p.ts, p.lat, p.lon)
  if (recent.size > 0) logger.info({ fixes: recent.size }, 'Remembering recently accepted fixes to recognise re-deliveries.')
  return recent
}
