import t from 'tap'
import { LeaseDecision } from '../../src/cluster/lease-decision.js'

const TAKEOVER = 9000

t.test('an absent key is created; the owner renews every takeover/3 and owns until its fence', async (t) => {
  const d = new LeaseDecision('a', { takeoverMs: TAKEOVER })
  t.equal(d.renewEveryMs, 3000)
  t.equal(d.fenceMarginMs, 900)
  t.equal(d.confirmAfterMs, 750)
  t.same(d.decide(0), { kind: 'wait' }, 'nothing read yet: read first')
  d.observe({ owner: null, revision: 0 }, 1000)
  t.same(d.decide(1000), { kind: 'create' })
  t.notOk(d.owns(1000))
  t.equal(d.fenceAt(), Infinity)
  t.equal(d.heldRevision(), null)
  d.written(5, 1000, 1010)
  t.notOk(d.owns(1011), 'created, not yet confirmed')
  t.equal(d.heldRevision(), 5)
  t.equal(d.confirmDueAt(), 1760)
  d.observe({ owner: 'a', revision: 5 }, 1770, 1759)
  t.notOk(d.owns(1770), 'a read sent before confirmAfter confirms nothing')
  d.observe({ owner: 'a', revision: 5 }, 2000, 1760)
  t.ok(d.owns(2000), 'a read sent confirmAfter after the answer still shows our revision: owner')
  t.equal(d.confirmDueAt(), null)
  t.same(d.decide(3999), { kind: 'wait' })
  t.same(d.decide(4000), { kind: 'renew', revision: 5 })
  t.equal(d.fenceAt(), 1000 + TAKEOVER - 900, 'fenced a margin before anyone may take over')
  t.ok(d.owns(9099))
  t.notOk(d.owns(9100), 'no renewal got through: fenced, even without news from NATS')
  t.same(d.decide(20_000), { kind: 'renew', revision: 5 }, 'a fenced owner still tries to renew (the CAS fails if it lost)')
  d.written(6, 20_000)
  t.notOk(d.owns(20_001), 'renewed after the fence: a taking write, confirmed first')
  d.observe({ owner: 'a', revision: 6 }, 20_800, 20_750)
  t.ok(d.owns(20_800), 'owner again')
  d.written(7, 23_000, 28_100)
  t.notOk(d.owns(28_101), 'a renewal answered after the fence it was meant to push back is confirmed first too')
})

t.test('a renewal answered before the fence keeps a confirmed owner acting', async (t) => {
  const d = new LeaseDecision('a', { takeoverMs: TAKEOVER })
  d.written(5, 0)
  d.observe({ owner: 'a', revision: 5 }, 800)
  t.ok(d.owns(800))
  d.written(6, 3000, 8099)
  t.ok(d.owns(8100), 'answered at 8099, before the fence at 8100')
  t.equal(d.confirmDueAt(), null)
})

t.test('two compare-and-sets on one revision both answered (nats-server before 2.11): never two owners', async (t) => {
  // a (fenced) renews and b claims, both on revision 33, both answered at about the same time;
  // the stream keeps both and the later (41) stays. Whatever order the confirming reads come in,
  // only one of them may ever own.
  for (const [aAnswer, bAnswer, laterIs] of [[100, 100, 'a'], [100, 130, 'a'], [130, 100, 'b'], [100, 100, 'b']] as const) {
    const a = new LeaseDecision('a', { takeoverMs: TAKEOVER })
    const b = new LeaseDecision('b', { takeoverMs: TAKEOVER })
    const [aRev, bRev] = laterIs === 'a' ? [41, 37] : [37, 41]
    a.written(aRev, 90, aAnswer)
    b.written(bRev, 90, bAnswer)
    const stays = { owner: laterIs, revision: 41 }
    for (let now = 90; now < 3000; now += 10) {
      if (now % 200 === 0) a.observe(stays, now, now)
      if (now % 300 === 0) b.observe(stays, now, now)
      t.notOk(a.owns(now) && b.owns(now), `at ${now}: one owner at most`)
    }
    t.ok((laterIs === 'a' ? a : b).owns(2999), `${laterIs}, whose write stayed, owns`)
    t.notOk((laterIs === 'a' ? b : a).owns(2999), 'the other let go without acting')
  }
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
  a.observe({ owner: 'a', revision: 3 }, 800)
  t.ok(a.owns(800), 'our own revision keeps the hold')
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

t.test('custom renew interval, fence margin and confirmation delay', async (t) => {
  const d = new LeaseDecision('a', { takeoverMs: 10_000, renewEveryMs: 1000, fenceMarginMs: 2000, confirmAfterMs: 50 })
  d.written(1, 0)
  t.equal(d.confirmDueAt(), 50)
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
