import t from 'tap'
import { backoffDelay } from '../../src/journal/backoff.js'

t.test('grows exponentially between the bounds, jittered by random', async (t) => {
  t.equal(backoffDelay(1, 100, 10_000, () => 0), 100)
  t.equal(backoffDelay(1, 100, 10_000, () => 1), 200)
  t.equal(backoffDelay(3, 100, 10_000, () => 1), 800)
  t.equal(backoffDelay(3, 100, 10_000, () => 0.5), 450)
  t.equal(backoffDelay(20, 100, 10_000, () => 1), 10_000, 'capped at max')
  t.equal(backoffDelay(5000, 100, 10_000, () => 1), 10_000, 'huge attempts do not overflow')
})

t.test('stays within [min, max] even with a misbehaving random', async (t) => {
  t.equal(backoffDelay(4, 100, 10_000, () => -3), 100)
  t.equal(backoffDelay(4, 100, 1000, () => 7), 1000)
  t.equal(backoffDelay(1, 500, 200, () => 1), 500, 'min wins when bounds are inverted')
})
