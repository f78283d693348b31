import t from 'tap'
import { ReorderBuffer } from '../../src/rules/reorder.js'
import { BASE, T0, fix } from './helpers.js'

const f = (s: number, recvS = s) => fix('U', T0 + s * 1000, BASE, { receivedAt: T0 + recvS * 1000 })
const tsOf = (fs: Array<{ ts: number }>) => fs.map((x) => (x.ts - T0) / 1000)

t.test('lateness 0 releases at once', async (t) => {
  const b = new ReorderBuffer(0)
  b.insert(f(1))
  t.same(tsOf(b.release(T0)), [1])
  t.equal(b.size, 0)
  t.same(b.release(T0), [], 'empty buffer')
  t.equal(b.newest(), null)
})

t.test('holds fixes sorted and releases by a newer fix time or the clock', async (t) => {
  const b = new ReorderBuffer(5000)
  for (const s of [10, 12, 11]) b.insert(f(s))
  t.same(tsOf(b.held), [10, 11, 12])
  t.ok(b.has(T0 + 11_000))
  t.notOk(b.has(T0 + 13_000))
  t.equal(tsOf([b.before(T0 + 11_500) as { ts: number }])[0], 11)
  t.equal(b.before(T0 + 10_000), null)
  t.equal((b.newest()?.ts ?? 0) - T0, 12_000)
  t.same(b.release(T0 + 12_000), [], 'nothing due yet')
  b.insert(f(16))
  t.same(tsOf(b.release(T0 + 16_000)), [10, 11], '16 ≥ 11 + 5')
  // Clock: 12 arrived at 12 s → due at 17 s; 16 → due at 21 s.
  t.same(tsOf(b.release(T0 + 17_000)), [12])
  t.same(tsOf(b.release(T0 + 21_000)), [16])
})

t.test('a fix due by the clock takes earlier-time fixes with it', async (t) => {
  const b = new ReorderBuffer(5000)
  b.insert(f(20, 30)) // arrived late
  b.insert(f(21, 22)) // arrived early
  t.same(tsOf(b.release(T0 + 27_000)), [20, 21], '21 is due (22 + 5), 20 must go first')
})

t.test('capacity bound: the oldest go out when full', async (t) => {
  const b = new ReorderBuffer(60_000, [], 3)
  for (const s of [1, 2, 3, 4, 5]) b.insert(f(s))
  t.same(tsOf(b.release(T0 + 5000)), [1, 2])
  t.equal(b.size, 3)
})
