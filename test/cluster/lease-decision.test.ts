import t from 'tap'
import { LeaseDecision } from '../../src/cluster/lease-decision.js'

const TAKEOVER = 9000

t.test('an absent key is created; the owner renews every takeover/3 and owns until its fence', async (t) => {
  const d = new LeaseDecision('a', { takeoverMs: TAKEOVER })
  t.equal(d.renewEveryMs, 3000)
  t.equal(d.fenceMarginMs, 900)
  t.same(d.decide(0), { kind: 'wait' }, 'nothing read yet: read first')
  d.observe({ owner: null, revision: 0 }, 1000)
  t.same(d.decide(1000), { kind: 'create' })
  t.notOk(d.owns(1000))
  t.equal(d.fenceAt(), Infinity)
  t.equal(d.heldRevision(), null)
  d.written(5, 1000)
  t.ok(d.owns(1001))
  t.equal(d.heldRevision(), 5)
  d.observe({ owner: 'a', revision: 5 }, 2000)
  t.same(d.decide(3999), { kind: 'wait' })
  t.same(d.decide(4000), { kind: 'renew', revision: 5 })
  t.equal(d.fenceAt(), 1000 + TAKEOVER - 900, 'fenced a margin before anyone may take over')
  t.ok(d.owns(9099))
  t.notOk(d.owns(9100), 'no renewal got through: fenced, even without news from NATS')
  t.same(d.decide(20_000), { kind: 'renew', revision: 5 }, 'a fenced owner still tries to renew (the CAS fails if it lost)')
  d.written(6, 20_000)
  t.ok(d.owns(20_001), 'renewed: owner again')
})

t.test('another engine takes a key only after seeing the same revision for the takeover time', async (t) => {
  const b = new LeaseDecision('b', { takeoverMs: TAKEOVER })
  b.observe({ owner: 'a', revision: 5 }, 1000)
  t.same(b.decide(9999), { kind: 'wait' })
  b.observe({ owner: 'a', revision: 6 }, 5000) // a renewed: the clock restarts
  t.same(b.decide(10_000), { kind: 'wait' })
  b.observe({ owner: 'a', revision: 6 }, 13_000) // same revision again: the clock keeps running
  t.same(b.decide(13_999), { kind: 'wait' })
  t.same(b.decide(14_000), { kind: 'claim', revision: 6, owner: 'a' })
  t.notOk(b.owns(14_000))
})

t.test('the claimer can never overlap the old owner: the owner fences before the earliest claim', async (t) => {
  // a renews at sentAt; b sees that revision no earlier than sentAt (a's write is stored after it
  // is sent). Check over many interleavings that a's fence comes before b's claim.
  for (const sentAt of [0, 1234, 50_000]) {
    for (const delay of [0, 1, 250, 4000]) {
      const a = new LeaseDecision('a', { takeoverMs: TAKEOVER })
      const b = new LeaseDecision('b', { takeoverMs: TAKEOVER })
      a.written(7, sentAt)
      b.observe({ owner: 'a', revision: 7 }, sentAt + delay)
      let claimAt = sentAt
      while (b.decide(claimAt).kind !== 'claim') claimAt += 1
      t.ok(a.fenceAt() <= claimAt - b.fenceMarginMs, `sent ${sentAt}, seen +${delay}: fence ${a.fenceAt()} < claim ${claimAt}`)
    }
  }
})

t.test('a key written by someone else ends our hold at once; a lost CAS makes us read again', async (t) => {
  const a = new LeaseDecision('a', { takeoverMs: TAKEOVER })
  a.written(3, 0)
  a.observe({ owner: 'a', revision: 3 }, 100)
  t.ok(a.owns(100), 'our own revision keeps the hold')
  a.observe({ owner: 'b', revision: 4 }, 200)
  t.notOk(a.owns(200), 'b took it')
  t.same(a.decide(200), { kind: 'wait' })
  a.written(9, 300)
  a.conflicted()
  t.notOk(a.owns(301))
  t.same(a.decide(301), { kind: 'wait' }, 'after a conflict: read again before deciding')
  a.observe({ owner: 'a', revision: 12 }, 400)
  t.same(a.decide(400 + TAKEOVER - 1), { kind: 'wait' }, 'a key naming us that we did not write (an earlier run) is waited out')
  t.same(a.decide(400 + TAKEOVER), { kind: 'claim', revision: 12, owner: 'a' })
  a.written(13, 9500)
  a.released()
  t.notOk(a.owns(9501))
  t.equal(a.heldRevision(), null)
})

t.test('custom renew interval and fence margin', async (t) => {
  const d = new LeaseDecision('a', { takeoverMs: 10_000, renewEveryMs: 1000, fenceMarginMs: 2000 })
  d.written(1, 0)
  t.same(d.decide(999), { kind: 'wait' })
  t.same(d.decide(1000), { kind: 'renew', revision: 1 })
  t.equal(d.fenceAt(), 8000)
})

t.test('how long the key has looked unchanged, for the takeover metrics', async (t) => {
  const b = new LeaseDecision('b', { takeoverMs: TAKEOVER })
  t.equal(b.unchangedFor(500), 0, 'nothing read yet')
  b.observe({ owner: 'a', revision: 5 }, 1000)
  b.observe({ owner: 'a', revision: 5 }, 4000)
  t.equal(b.unchangedFor(10_500), 9500)
  b.observe({ owner: null, revision: 6 }, 11_000)
  t.equal(b.unchangedFor(11_000), 0)
})
