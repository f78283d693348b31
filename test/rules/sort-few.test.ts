// sortFew: the same order as a numeric sort, for the sizes the rules use and beyond.
import t from 'tap'
import { sortFew } from '../../src/rules/sort-few.js'

t.test('sortFew sorts the first n numbers ascending, in place, as a numeric sort does', async (t) => {
  let seed = 11
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let k = 0; k < 300; k++) {
    const n = k % 40
    const xs = new Float64Array(n + 3)
    for (let i = 0; i < xs.length; i++) xs[i] = rand() < 0.3 ? Math.floor(rand() * 5) : Math.round((rand() - 0.5) * 1e6) / 10
    const want = [...xs.subarray(0, n)].sort((a, b) => a - b)
    const tail = [...xs.subarray(n)]
    t.equal(sortFew(xs, n), xs, 'sorted in place')
    t.same([...xs.subarray(0, n)], want, `n = ${n}`)
    t.same([...xs.subarray(n)], tail, 'beyond n untouched')
  }
  t.same([...sortFew(Float64Array.of(3, -Infinity, Infinity, 0), 4)], [-Infinity, 0, 3, Infinity])
})
