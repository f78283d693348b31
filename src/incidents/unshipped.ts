// Incidents that are journaled but not yet confirmed by ClickHouse: the read model that lets a
// dispatcher see an incident (and a re-sent POST find it) while ClickHouse is away. Filled by the
// service as it journals an incident and, at start-up, from the journal's pending segments; an id
// leaves once the segment holding it is delivered. Bounded by the journal's disk bound.
import { EventEmitter } from 'node:events'
import type { IncidentRecord } from './incident-journal.js'
import type { IncidentQuery, IncidentRow } from './incident-store.js'

const row = ({ source: _s, createdAt: _c, ...r }: IncidentRecord): IncidentRow => r

/** Newest first, then by id: the order of IncidentStore.query() (ids are unique in a list). */
export function byTimeDesc(a: IncidentRow, b: IncidentRow): number {
  return b.ts - a.ts || (a.id < b.id ? -1 : 1)
}

export class UnshippedIncidents extends EventEmitter {
  private readonly byId = new Map<string, IncidentRecord>()
  private readonly waiters = new Set<() => void>()

  get size(): number {
    return this.byId.size
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  /** The first journaled copy of an id is the one that counts (later ones are `exists`). */
  add(r: IncidentRecord): void {
    if (!this.byId.has(r.id)) this.byId.set(r.id, r)
  }

  /** Forgets ids whose journal append failed (never acknowledged). */
  drop(ids: Iterable<string>): void {
    for (const id of ids) this.byId.delete(id)
  }

  /** The segment holding these ids is in ClickHouse: emits 'shipped' (with the count) if any were held. */
  shipped(ids: Iterable<string>): void {
    let n = 0
    for (const id of ids) if (this.byId.delete(id)) n++
    if (n === 0) return
    for (const wake of [...this.waiters]) wake()
    this.emit('shipped', n)
  }

  /** Resolves true once none of `ids` is held any more, false after timeoutMs. */
  whenShipped(ids: readonly string[], timeoutMs: number): Promise<boolean> {
    const done = () => ids.every((id) => !this.byId.has(id))
    if (done()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(ok)
      }
      const check = () => { if (done()) finish(true) }
      const timer = setTimeout(() => finish(false), timeoutMs)
      this.waiters.add(check)
    })
  }

  /** Every record held, oldest stored first (cluster mode's fleet snapshot). */
  records(): IncidentRecord[] {
    return [...this.byId.values()]
  }

  /**
   * Forgets records stored before `createdAt` (cluster mode keeps the incidents applied lately
   * this way: ClickHouse has them by then). Stops at the first newer one: insertion order.
   */
  forgetCreatedBefore(createdAt: number): void {
    for (const [id, r] of this.byId) {
      if (r.createdAt >= createdAt) break
      this.byId.delete(id)
    }
  }

  get(id: string): IncidentRow | null {
    const r = this.byId.get(id)
    return r === undefined ? null : row(r)
  }

  query(q: IncidentQuery): IncidentRow[] {
    const out: IncidentRow[] = []
    for (const r of this.byId.values()) {
      if (r.ts < q.from || r.ts > q.to) continue
      if ((q.type ?? '') !== '' && r.type !== q.type) continue
      if ((q.zone ?? '') !== '' && r.zone !== q.zone) continue
      if ((q.id ?? '') !== '' && r.id !== q.id) continue
      out.push(row(r))
    }
    return out.sort(byTimeDesc).slice(0, q.limit)
  }

  /** Incidents of a zone timed at or after `from` (the rate window), like IncidentStore.zonedSince. */
  zonedSince(from: number): Array<{ id: string; zoneId: string; ts: number }> {
    const out: Array<{ id: string; zoneId: string; ts: number }> = []
    for (const r of this.byId.values()) if (r.ts >= from && r.zone !== '') out.push({ id: r.id, zoneId: r.zone, ts: r.ts })
    return out
  }
}
