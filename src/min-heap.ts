// The one binary min-heap: (key, value) pairs of numbers in typed arrays, ordered by key, then by
// value, so equal keys come out in a deterministic order. Grows when full (no allocation per push
// otherwise). Used for coverage expiry times (rules) and webhook attempt times (alerts).

export class MinHeap {
  private keys: Float64Array
  private vals: Float64Array
  private n = 0

  constructor(capacity = 16) {
    this.keys = new Float64Array(Math.max(1, capacity))
    this.vals = new Float64Array(Math.max(1, capacity))
  }

  get size(): number {
    return this.n
  }

  clear(): void {
    this.n = 0
  }

  /** The smallest key, Infinity when empty. */
  topKey(): number {
    return this.n === 0 ? Infinity : (this.keys[0] as number)
  }

  /** The value of the smallest key (undefined behaviour when empty: check size or topKey first). */
  topVal(): number {
    return this.vals[0] as number
  }

  push(key: number, val: number): void {
    if (this.n === this.keys.length) this.grow()
    const k = this.keys
    const v = this.vals
    let i = this.n++
    while (i > 0) {
      const parent = (i - 1) >> 1
      const pk = k[parent] as number
      if (pk < key || (pk === key && (v[parent] as number) <= val)) break
      k[i] = pk
      v[i] = v[parent] as number
      i = parent
    }
    k[i] = key
    v[i] = val
  }

  /** Removes the top pair. */
  pop(): void {
    if (this.n === 0) return
    const k = this.keys
    const v = this.vals
    const n = --this.n
    if (n === 0) return
    const key = k[n] as number
    const val = v[n] as number
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && less(k[c + 1] as number, v[c + 1] as number, k[c] as number, v[c] as number)) c++
      if (!less(k[c] as number, v[c] as number, key, val)) break
      k[i] = k[c] as number
      v[i] = v[c] as number
      i = c
    }
    k[i] = key
    v[i] = val
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2)
    const vals = new Float64Array(this.vals.length * 2)
    keys.set(this.keys)
    vals.set(this.vals)
    this.keys = keys
    this.vals = vals
  }
}

function less(ak: number, av: number, bk: number, bv: number): boolean {
  return ak < bk || (ak === bk && av < bv)
}
