import t from 'tap'
import { visitOrder, walkLength, type Point } from '../../src/patrol-tasks/visit-order.js'
import { rng } from '../helpers/workload.js'

const start = { lat: 36.47, lon: 117.81 }
const east = (m: number): Point => ({ lat: 36.47, lon: 117.81 + m / 89_500 })

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs]
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]))
}

t.test('points on a line are walked in order from the start', async (t) => {
  const pts = [east(400), east(100), east(300), east(200)]
  t.same(visitOrder(start, pts), [east(100), east(200), east(300), east(400)])
  t.same(visitOrder(start, []), [])
})

t.test('within 10 % of the best order on random small sets, never worse than nearest-first', async (t) => {
  const rand = rng(42)
  let worst = 1
  for (let k = 0; k < 60; k++) {
    const pts = Array.from({ length: 7 }, () => ({ lat: 36.47 + (rand() - 0.5) * 0.02, lon: 117.81 + (rand() - 0.5) * 0.02 }))
    const got = walkLength(start, visitOrder(start, pts))
    const best = Math.min(...permutations(pts).map((p) => walkLength(start, p)))
    worst = Math.max(worst, got / best)
    t.equal(visitOrder(start, pts).length, 7)
  }
  t.ok(worst <= 1.1, `worst ratio to the optimum ${worst.toFixed(3)}`)
})
