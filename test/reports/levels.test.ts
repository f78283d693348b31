// The patrol level timeline rebuilt from stored changes (src/reports/levels.ts), hand-computed.
import t from 'tap'
import { levelAt, levelSpans } from '../../src/reports/levels.js'
import { seriesStats } from '../../src/reports/aggregate.js'

const P = { from: 100, to: 200 }
const ch = (at: number, level: string, expires: number | null = null) => ({ at, zone_id: 'z', level, expires_ms: expires })

t.test('level spans', async (t) => {
  t.same(levelSpans('normal', [], P), [{ level: 'normal', from: 100, to: 200 }], 'never changed: the base level')
  t.same(levelSpans('normal', [ch(50, 'high', 150)], P), [{ level: 'high', from: 100, to: 150 }, { level: 'normal', from: 150, to: 200 }], 'raised before the period, expiring in it')
  t.same(levelSpans('normal', [ch(120, 'high', 140), ch(160, 'emergency')], P), [
    { level: 'normal', from: 100, to: 120 }, { level: 'high', from: 120, to: 140 }, { level: 'normal', from: 140, to: 160 }, { level: 'emergency', from: 160, to: 200 },
  ], 'an expiry before the next change returns to base')
  t.same(levelSpans('normal', [ch(130, 'high', 190), ch(120, 'enhanced', 180)], P), [
    { level: 'normal', from: 100, to: 120 }, { level: 'enhanced', from: 120, to: 130 }, { level: 'high', from: 130, to: 190 }, { level: 'normal', from: 190, to: 200 },
  ], 'a later change replaces an override before its expiry (changes sorted by time)')
  t.same(levelSpans('normal', [ch(120, 'high'), ch(150, 'high')], P), [{ level: 'normal', from: 100, to: 120 }, { level: 'high', from: 120, to: 200 }], 'same level merged')
  t.same(levelSpans('normal', [ch(10, 'high', 20)], P), [{ level: 'normal', from: 100, to: 200 }], 'expired before the period')
  t.same(levelSpans('normal', [ch(250, 'high')], P), [{ level: 'normal', from: 100, to: 200 }], 'after the period')
  const spans = levelSpans('normal', [ch(150, 'high')], P)
  t.equal(levelAt(spans, 50, '-'), 'normal')
  t.equal(levelAt(spans, 150, '-'), 'high')
  t.equal(levelAt([], 150, '-'), '-')
})

t.test('time below min_ratio against the ratio in force', async (t) => {
  const samples = [0, 25, 50, 75].map((at) => ({ at: 100 + at, ratio: 0.7, response_ratio: null }))
  t.equal(seriesStats(samples, 0.6, P, 100).belowMinMs, 0, 'base ratio 0.6: never below')
  t.equal(seriesStats(samples, (at) => (at >= 150 ? 0.85 : 0.6), P, 100).belowMinMs, 50, 'raised to 0.85 from 150: 50 below')
})
