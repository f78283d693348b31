// A counter child for hot paths: its increments are summed in a plain number and handed to
// prom-client when the counter is read (a scrape, a test's get()), through the counter's collect
// hook. prom-client's own inc() hashes and validates the label set on every call, a measurable
// share of the engine's per-fix CPU at tens of thousands of fixes a second; what a reader sees is
// the same, since every read flushes first.
import type { Counter } from 'prom-client'

export interface BoundCounter {
  inc(n?: number): void
}

interface Cell { labels: Record<string, string>; n: number }

/** The cells of each counter that has bound ones, flushed by its collect hook. */
const cellsOf = new WeakMap<object, Cell[]>()

export function boundCounter<T extends string>(counter: Counter<T>, labels: Record<T, string>): BoundCounter {
  let cells = cellsOf.get(counter)
  if (cells === undefined) {
    const list: Cell[] = []
    cells = list
    cellsOf.set(counter, list)
    const hooked = counter as unknown as { collect?: () => unknown }
    const own = hooked.collect
    hooked.collect = function flushBound(this: unknown) {
      for (const c of list) {
        if (c.n === 0) continue
        const n = c.n
        c.n = 0
        counter.inc(c.labels as never, n)
      }
      return own?.call(this)
    }
  }
  const cell: Cell = { labels: { ...labels }, n: 0 }
  cells.push(cell)
  return {
    inc(n = 1) {
      cell.n += n
    },
  }
}
