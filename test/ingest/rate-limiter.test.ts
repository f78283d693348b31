import t from 'tap'
import { RateLimiter } from '../../src/ingest/rate-limiter.js'

t.test('token bucket: burst, refill, wait time (fake clock)', async (t) => {
  let now = 0
  const l = new RateLimiter(60, 3, () => now)
  t.same([l.take('a'), l.take('a'), l.take('a')], [0, 0, 0], 'a burst of 3')
  t.equal(l.take('a'), 1000, 'one token a second: 1 s to wait')
  now += 500
  t.equal(l.take('a'), 500)
  now += 500
  t.equal(l.take('a'), 0, 'refilled')
  now += 60_000
  t.same([l.take('a'), l.take('a'), l.take('a'), l.take('a') > 0], [0, 0, 0, true], 'never more than the burst')
  t.equal(l.take('b'), 0, 'keys are independent')
  now -= 10_000
  t.equal(l.take('b'), 0, 'a clock going back refills nothing and breaks nothing')
})

t.test('the key set is bounded, least recently used first out', async (t) => {
  const now = 0
  const l = new RateLimiter(1, 1, () => now, 2)
  l.take('a')
  l.take('b')
  l.take('a')
  l.take('c')
  t.equal(l.size, 2)
  t.ok(l.take('a') > 0, 'a was used recently: kept, still empty')
  t.equal(l.take('b'), 0, 'b was forgotten: a fresh bucket')
})
