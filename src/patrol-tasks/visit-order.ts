// The order a unit visits a make-up task's cells: nearest first from where it is, then improved by
// 2-opt (reverse a stretch while that shortens the walk). Tasks hold at most a few dozen cells, so
// the quadratic passes are cheap (on a distance matrix computed once); the result is deterministic
// for the same start and cells.
import { haversineM } from '../geo/distance.js'

export interface Point { lat: number; lon: number }

const MAX_2OPT_PASSES = 20

function d(a: Point, b: Point): number {
  return haversineM(a.lat, a.lon, b.lat, b.lon)
}

/** Length in metres of start → p[0] → … → p[n-1]. */
export function walkLength(start: Point, path: readonly Point[]): number {
  let sum = 0
  let prev = start
  for (const p of path) {
    sum += d(prev, p)
    prev = p
  }
  return sum
}

export function visitOrder<T extends Point>(start: Point, points: readonly T[]): T[] {
  const n = points.length
  // Every distance once (index n is the start): the 2-opt passes read the matrix, not the trigonometry.
  const m = new Float64Array((n + 1) * (n + 1))
  const all: Point[] = [...points, start]
  for (let i = 0; i <= n; i++) {
    for (let j = i + 1; j <= n; j++) {
      const v = d(all[i] as Point, all[j] as Point)
      m[i * (n + 1) + j] = v
      m[j * (n + 1) + i] = v
    }
  }
  const dist = (i: number, j: number) => m[i * (n + 1) + j] as number
  const left = points.map((_, i) => i)
  const path: number[] = []
  let at = n
  while (left.length > 0) {
    let best = 0
    for (let i = 1; i < left.length; i++) if (dist(at, left[i] as number) < dist(at, left[best] as number)) best = i
    const next = left.splice(best, 1)[0] as number
    path.push(next)
    at = next
  }
  // 2-opt on an open path: reversing path[i..j] changes only the edges (i-1,i) and (j,j+1).
  for (let pass = 0; pass < MAX_2OPT_PASSES; pass++) {
    let improved = false
    for (let i = 0; i < path.length - 1; i++) {
      const before = i === 0 ? n : (path[i - 1] as number)
      for (let j = i + 1; j < path.length; j++) {
        const a = path[i] as number
        const b = path[j] as number
        const after = path[j + 1]
        const old = dist(before, a) + (after === undefined ? 0 : dist(b, after))
        const neu = dist(before, b) + (after === undefined ? 0 : dist(a, after))
        if (neu < old - 1e-6) {
          path.splice(i, j - i + 1, ...path.slice(i, j + 1).reverse())
          improved = true
        }
      }
    }
    if (!improved) break
  }
  return path.map((i) => points[i] as T)
}
