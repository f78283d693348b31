// In-place ascending sort of the few numbers a per-unit median reads (the clock offsets, the gaps
// between arrivals: 15 and 8 of them, once per fix). Insertion sort: for so few, twice as fast as
// TypedArray.prototype.sort (a call into the runtime) and it allocates nothing. Pure.

/** Sorts xs[0, n) ascending in place and returns xs. For numbers that are not NaN (−0 and +0 compare equal). */
export function sortFew(xs: Float64Array, n: number): Float64Array {
  for (let i = 1; i < n; i++) {
    const v = xs[i]!
    let j = i - 1
    while (j >= 0 && xs[j]! > v) {
      xs[j + 1] = xs[j]!
      j--
    }
    xs[j + 1] = v
  }
  return xs
}
