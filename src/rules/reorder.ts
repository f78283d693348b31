// Per-unit event-time reorder buffer, used only while a unit's stream is out of order (see
// RuleEngine.ingest: in-order fixes skip it). Fixes are held sorted by fix time and released in that
// order when (a) a newer fix of the unit is at least allowed_lateness younger, or (b) the clock
// has passed the held fix's arrival + allowed_lateness; nothing goes before holdAllUntil (a
// back-fill may be arriving newest first). Bounded: when full, the oldest goes out.
import type { Fix } from '../decode/fix.js'

export const REORDER_CAPACITY = 256

export class ReorderBuffer {
  /** Held fixes, ascending fix time, no two with the same fix time. */
  readonly held: Fix[]
  /** Engine clock before which nothing is released (runtime only: a restart releases by the rules above). */
  holdAllUntil = 0

  constructor(
    private readonly latenessMs: number,
    held: Fix[] = [],
    private readonly capacity = REORDER_CAPACITY,
  ) {
    this.held = held
  }

  get size(): number {
    return this.held.length
  }

  has(ts: number): boolean {
    return this.indexOf(ts) >= 0
  }

  /** Held fix with the greatest fix time below `ts`. */
  before(ts: number): Fix | null {
    const i = this.lowerBound(ts)
    return i > 0 ? (this.held[i - 1] as Fix) : null
  }

  /** Newest held fix, or null. */
  newest(): Fix | null {
    return this.held[this.held.length - 1] ?? null
  }

  /** Inserts a fix (the caller has already rejected duplicates). */
  insert(fix: Fix): void {
    const i = this.lowerBound(fix.ts)
    // The newest (the common case) goes at the end: push, which allocates nothing (splice returns an array).
    if (i === this.held.length) this.held.push(fix)
    else this.held.splice(i, 0, fix)
  }

  /** Removes and returns every held fix, in fix-time order. */
  drain(): Fix[] {
    return this.held.splice(0, this.held.length)
  }

  /** Removes and returns, in fix-time order, every fix that is due at clock `now`. */
  release(now: number): Fix[] {
    const h = this.held
    if (h.length === 0) return []
    const newestTs = (h[h.length - 1] as Fix).ts
    // Everything up to the last due fix goes: an earlier fix held back would only become too late.
    let cut = h.length > this.capacity ? h.length - this.capacity : 0
    for (let i = h.length - 1; i >= cut; i--) {
      const f = h[i] as Fix
      if (f.ts + this.latenessMs <= newestTs || f.receivedAt + this.latenessMs <= now) {
        cut = i + 1
        break
      }
    }
    return cut === 0 ? [] : h.splice(0, cut)
  }

  private lowerBound(ts: number): number {
    let lo = 0
    let hi = this.held.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.held[mid] as Fix).ts < ts) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private indexOf(ts: number): number {
    const i = this.lowerBound(ts)
    return i < this.held.length && (this.held[i] as Fix).ts === ts ? i : -1
  }
}
