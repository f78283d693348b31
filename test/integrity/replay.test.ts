import t from 'tap'
import type { Fix } from '../../src/decode/fix.js'
import { ReplayedTracks } from '../../src/integrity/replay.js'
import { GridKeys, TrackArchive } from '../../src/integrity/track-archive.js'
import type { IntegritySignal } from '../../src/integrity/signal.js'
import { rng } from '../helpers/workload.js'
import { BASE, O, T0, at } from './helpers.js'

const DAY = 86_400

/** A noisy walk east then north (σ `sigma` m white noise), a fix every 30 s, on day `day`. */
function walk(unit: string, day: number, seed: number, sigma = 5, n = 120): Fix[] {
  const r = rng(seed)
  const out: Fix[] = []
  for (let i = 0; i < n; i++) {
    const east = Math.min(i, 60) * 40
    const north = Math.max(0, i - 60) * 40
    out.push(at(unit, day * DAY + i * 30, north + sigma * (r() - 0.5) * 3.4, east + sigma * (r() - 0.5) * 3.4))
  }
  return out
}

const shift = (fixes: Fix[], days: number): Fix[] => fixes.map((f) => ({ ...f, ts: f.ts + days * DAY * 1000 }))
const feed = (d: ReplayedTracks, fixes: Fix[]): IntegritySignal[] => fixes.flatMap((f) => d.observe(f))

t.test("yesterday's fixes played back today are one signal; the same beat walked again is none", async (t) => {
  const d = new ReplayedTracks(O.replay)
  const yesterday = walk('F-1', 0, 1)
  t.same(feed(d, yesterday), [])
  t.same(feed(d, walk('F-1', 1, 2)), [], 'the same route with its own noise: nothing')
  const sig = [...feed(d, shift(yesterday, 2)), ...d.flush()]
  t.equal(sig.length, 1)
  t.equal(sig[0]?.kind, 'replayed_track')
  t.equal(sig[0]?.from, T0 + 2 * DAY * 1000)
  t.equal(sig[0]?.evidence.fixes, 120)
  t.equal(sig[0]?.evidence.meanOffsetM, 0)
  t.equal(sig[0]?.evidence.daysBack, 2, 'two days back (days: 2 kept)')
})

t.test('a replay at another rate, offset by a metre, still retraces; it ends when the track leaves the old one', async (t) => {
  const d = new ReplayedTracks(O.replay)
  const yesterday = walk('F-1', 0, 1)
  feed(d, yesterday)
  // Every other fix, a metre east, then 20 fixes far off the old track.
  const today = shift(yesterday, 1).filter((_, i) => i % 2 === 0 && i < 100).map((f) => ({ ...f, lon: f.lon + 1 / 89_000 }))
  for (let i = 0; i < 20; i++) today.push(at('F-1', DAY + 3100 + i * 30, 5000, 5000 + i * 40))
  const sig = feed(d, today)
  t.equal(sig.length, 1, 'closed once three fixes in a row missed')
  t.ok((sig[0]?.evidence.meanOffsetM as number) <= 1.2)
  t.equal(sig[0]?.evidence.fixes, 50)
  t.same(d.flush(), [])
})

t.test('not a signal: too few fixes, too little distance (standing still), flagged or older fixes', async (t) => {
  const d = new ReplayedTracks(O.replay)
  const still: Fix[] = []
  for (let i = 0; i < 60; i++) still.push(at('F-1', i * 30, (i % 7) * 3, (i % 5) * 4))
  feed(d, still)
  t.same([...feed(d, shift(still, 1)), ...d.flush()], [], 'retraced, but within a few metres: frozen_position\'s business')
  const e = new ReplayedTracks(O.replay)
  const short = walk('F-2', 0, 3, 5, 20)
  feed(e, short)
  t.same([...feed(e, shift(short, 1)), ...e.flush()], [], '20 fixes: under min_fixes')
  t.same(e.observe({ ...at('F-2', DAY + 5000), flags: 2 }), [])
  t.same(e.observe(at('F-2', 10)), [], 'older: ignored')
})

t.test('memory: days beyond `days` are dropped, fixes beyond max_fixes_per_day not kept', async (t) => {
  const d = new ReplayedTracks({ ...O.replay, days: 1, maxFixesPerDay: 60 })
  const day0 = walk('F-1', 0, 1)
  feed(d, day0)
  feed(d, walk('F-1', 1, 5))
  t.same([...feed(d, shift(day0, 2)), ...d.flush()], [], 'day 0 was dropped when day 2 began')
  const e = new ReplayedTracks({ ...O.replay, maxFixesPerDay: 60 })
  feed(e, day0)
  const sig = [...feed(e, shift(day0, 1)), ...e.flush()]
  t.equal(sig[0]?.evidence.fixes, 60, 'only the kept first 60 fixes are retraced (the rest misses)')
  // A gap of days: archives older than `days` days are dropped even when fewer are kept.
  const f = new ReplayedTracks(O.replay)
  feed(f, day0)
  t.same([...feed(f, shift(day0, 5)), ...f.flush()], [])
})

t.test('track archive: grid lookups and segment distances', async (t) => {
  const grid = new GridKeys(6, Math.cos((BASE.lat * Math.PI) / 180))
  const pts = [at('A', 0, 0, 0), at('A', 1, 0, 0), at('A', 2, 0, 100)]
  const a = new TrackArchive(3, pts.map((p) => p.lat), pts.map((p) => p.lon), grid)
  const q = at('A', 0, 2, 50)
  t.ok(Math.abs(a.distanceToSegment(1, q.lat, q.lon) - 2) < 0.05, 'to the middle of a segment')
  t.ok(Math.abs(a.distanceToSegment(0, q.lat, q.lon) - Math.hypot(2, 50)) < 0.1, 'a zero-length segment is its point')
  t.ok(Math.abs(a.distanceToSegment(2, q.lat, q.lon) - Math.hypot(2, 50)) < 0.1, 'the last fix alone')
  t.same(a.near(pts[0]!.lat, pts[0]!.lon, 3), [0, 1])
  t.same(a.near(q.lat, q.lon, 3), [])
})
