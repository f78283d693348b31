import t from 'tap'
import { MemberView } from '../../src/cluster/member-view.js'

const TAKEOVER = 9000
const listing = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o))

t.test('ourselves always; others while their revision moves within the takeover by our clock', async (t) => {
  const v = new MemberView('a', TAKEOVER)
  t.same(v.live(0), ['a'], 'alone before any read')
  v.observe(listing({ a: 1, b: 2, c: 3 }), 1000)
  t.same(v.live(1000), ['a', 'b', 'c'], 'first sight counts as a change')
  v.observe(listing({ a: 4, b: 5, c: 3 }), 4000) // b beat, c did not
  t.same(v.live(9999), ['a', 'b', 'c'])
  t.same(v.live(10_000), ['a', 'b'], 'c unchanged for a full takeover since we first saw revision 3: dead')
  v.observe(listing({ a: 4, b: 5, c: 3 }), 12_000)
  t.same(v.live(12_999), ['a', 'b'])
  t.same(v.live(13_000), ['a'], 'b unchanged since 4000: dead at 13000 (reading the same revision again does not restart the clock)')
  v.observe(listing({ a: 4, b: 5, c: 6 }), 13_000)
  t.same(v.live(13_000), ['a', 'c'], 'c came back')
})

t.test('a member that left (key deleted) is dropped at once; we stay live without our own key', async (t) => {
  const v = new MemberView('a', TAKEOVER)
  v.observe(listing({ a: 1, b: 2 }), 0)
  v.observe(listing({ b: 2 }), 100)
  t.same(v.live(100), ['a', 'b'])
  v.observe(listing({}), 200)
  t.same(v.live(200), ['a'], 'b left')
  v.observe(listing({ b: 2 }), 300)
  t.same(v.live(300), ['a', 'b'], 'the same revision reappearing counts as new (we forgot it)')
})

t.test('other engines\' clocks never matter: only revisions and our clock', async (t) => {
  // The listing carries no timestamps at all: a member far ahead or behind is judged the same.
  const v = new MemberView('a', 1500)
  v.observe(listing({ b: 10 }), 5_000_000)
  for (let now = 5_000_000, rev = 10; now < 5_020_000; now += 500, rev++) {
    v.observe(listing({ b: rev }), now)
    t.same(v.live(now + 499), ['a', 'b'])
  }
})
