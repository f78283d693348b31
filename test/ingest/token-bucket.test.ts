import t from 'tap'
import { KeyedBuckets, TokenBucket } from '../../src/ingest/token-bucket.js'

t.test('take: burst, refill, wait time, nothing taken while empty (fake clock)', async (t) => {
  let now = 0
  const b = new TokenBucket({ perSecond: 1, burst: 3 }, () => now)
  t.same([b.take(), b.take(), b.take()], [0, 0, 0], 'a burst of 3')
  t.equal(b.take(), 1000, 'one token a second: 1 s to wait')
  now += 500
  t.equal(b.take(), 500)
  now += 500
  t.equal(b.take(), 0, 'refilled')
  now += 60_000
  t.same([b.take(), b.take(), b.take(), b.take() > 0], [0, 0, 0, true], 'never more than the burst')
  now -= 10_000
  t.equal(b.take(), 1000, 'a clock going back refills nothing and breaks nothing')
  const slow = new TokenBucket({ perSecond: 20 / 60, burst: 1 }, () => now)
  t.equal(slow.take(), 0)
  t.equal(slow.take(), 3000, '20 a minute: 3 s to the next')
})

t.test('spend: overdraft, refill, unlimited', async (t) => {
  let now = 0
  const b = new TokenBucket({ perSecond: 1000, burst: 500 }, () => now)
  t.equal(b.spend(400), 0, 'within the burst')
  t.equal(b.spend(100), 0, 'exactly the burst')
  t.equal(b.spend(250), 250, 'overdrawn by 250 at 1000/s: wait 250 ms')
  t.equal(b.take(), 251, 'an overdrawn bucket gives no token until one is whole')
  now += 100
  t.equal(b.wait(), 150)
  now += 150
  t.equal(b.wait(), 0, 'back to zero')
  now += 10_000
  t.equal(b.spend(500), 0, 'refilled, but never beyond the burst')
  t.equal(b.spend(1), 1)
  const free = new TokenBucket({ perSecond: 0, burst: 1 }, () => now)
  t.equal(free.spend(1e9), 0, '0 per second: unlimited')
  t.equal(free.take(), 0)
  t.equal(free.wait(), 0)
})

t.test('keyed: keys are independent, real clock by default', async (t) => {
  let now = 0
  const l = new KeyedBuckets({ perSecond: 1, burst: 2 }, () => now)
  t.same([l.take('a'), l.take('a'), l.take('a')], [0, 0, 1000])
  t.equal(l.take('b'), 0, 'keys are independent')
  now += 1000
  t.equal(l.take('a'), 0)
  t.equal(new KeyedBuckets({ perSecond: 1, burst: 1 }).take('x'), 0)
})

t.test('the key set is bounded, least recently used first out', async (t) => {
  const now = 0
  const l = new KeyedBuckets({ perSecond: 1 / 60, burst: 1 }, () => now, 2)
  l.take('a')
  l.take('b')
  l.take('a')
  l.take('c')
  t.equal(l.size, 2)
  t.ok(l.take('a') > 0, 'a was used recently: kept, still empty')
  t.equal(l.take('b'), 0, 'b was forgotten: a fresh bucket')
})

t.test('many hostile keys: memory stays at the bound, the busy key keeps its state', async (t) => {
  const now = 0
  const l = new KeyedBuckets({ perSecond: 1, burst: 1 }, () => now)
  t.equal(l.take('busy'), 0)
  let busyLimited = true
  for (let i = 0; i < 100_000; i++) {
    l.take(`spray-${i}`)
    if (i % 1000 === 0) busyLimited &&= l.take('busy') > 0
  }
  t.ok(busyLimited, 'the busy key stayed limited throughout the spray')
  t.equal(l.size, 10_000, 'the default bound')
  t.ok(l.take('busy') > 0, 'the key in use was never forgotten')
})
