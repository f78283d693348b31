import t from 'tap'
import { parseRetryAfter, jittered, firstDelay, nextAttempt } from '../../src/delivery/retry-policy.js'

const now = Date.UTC(2025, 0, 1)

t.test('Retry-After: seconds, HTTP date, garbage', async (t) => {
  t.equal(parseRetryAfter('120', now), 120_000)
  t.equal(parseRetryAfter(' 3 ', now), 3000)
  t.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000)
  t.equal(parseRetryAfter(new Date(now - 30_000).toUTCString(), now), 0)
  t.equal(parseRetryAfter('soon', now), null)
  t.equal(parseRetryAfter(undefined, now), null)
})

t.test('jitter stays within ±10 %', async (t) => {
  t.equal(jittered(1000, () => 0), 900)
  t.equal(jittered(1000, () => 1), 1100)
  t.equal(jittered(1000, () => 0.5), 1000)
  t.equal(jittered(0, () => 1), 0)
})

t.test('schedule steps, last step repeats, horizon caps and kills', async (t) => {
  const p = { schedule: [0, 5000, 60_000], horizonMs: 600_000, random: () => 0.5 }
  t.equal(firstDelay(p), 0)
  t.equal(firstDelay({ ...p, schedule: [] }), 0)
  t.same(nextAttempt(p, 1, now, now, null), { retryAt: now + 5000 })
  t.same(nextAttempt(p, 2, now, now + 5000, null), { retryAt: now + 65_000 })
  t.same(nextAttempt(p, 7, now, now + 100_000, null), { retryAt: now + 160_000 })
  // Retry-After longer than the step wins, shorter does not; both capped at the horizon.
  t.same(nextAttempt(p, 1, now, now, 30_000), { retryAt: now + 30_000 })
  t.same(nextAttempt(p, 1, now, now, 1000), { retryAt: now + 5000 })
  t.same(nextAttempt(p, 1, now, now, 10_000_000), { retryAt: now + 600_000 })
  t.same(nextAttempt(p, 9, now, now + 590_000, null), { retryAt: now + 600_000 })
  t.same(nextAttempt(p, 10, now, now + 600_000, null), { dead: true })
  t.same(nextAttempt({ ...p, schedule: [] }, 1, now, now, null), { retryAt: now })
})
