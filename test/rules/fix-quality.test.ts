import t from 'tap'
import { FixFlag } from '../../src/decode/fix.js'
import { impliedSpeedMps, qualityFlags, type FixPoint, type QualityHistory } from '../../src/rules/fix-quality.js'
import { BASE, T0, offset } from './helpers.js'

const pt = (s: number, north: number, accuracy: number | null = null): FixPoint => ({ ...offset(BASE, north, 0), ts: T0 + s * 1000, accuracy })

function history(h: Partial<QualityHistory>): QualityHistory {
  return { lastReleased: null, seen: () => false, predecessor: () => null, lastImpossible: null, maxSpeedMps: 250 / 3.6, ...h }
}

t.test('implied speed uses the accuracy radii as slack', async (t) => {
  t.ok(Math.abs(impliedSpeedMps(pt(0, 0), pt(10, 100)) - 10) < 0.01)
  t.ok(Math.abs(impliedSpeedMps(pt(0, 0, 20), pt(10, 100, 30)) - 5) < 0.01)
  t.equal(impliedSpeedMps(pt(0, 0, 100), pt(10, 100, 100)), 0)
  t.equal(impliedSpeedMps(pt(0, 0), pt(0, 0)), 0)
  t.equal(impliedSpeedMps(pt(0, 0), pt(0, 50)), Infinity)
  t.ok(Math.abs(impliedSpeedMps(pt(10, 100), pt(0, 0)) - 10) < 0.01, 'order does not matter')
})

t.test('duplicate, too late, impossible', async (t) => {
  t.equal(qualityFlags(pt(5, 0), history({ seen: (ts) => ts === T0 + 5000 })), FixFlag.Duplicate)
  t.equal(qualityFlags(pt(5, 0), history({ lastReleased: pt(10, 0) })), FixFlag.TooLate)
  t.equal(qualityFlags(pt(5, 50_000), history({ lastReleased: pt(10, 0) })), FixFlag.TooLate | FixFlag.ImpossibleSpeed)
  t.equal(qualityFlags(pt(10, 0), history({ lastReleased: pt(10, 0) })), 0, 'same time as the last release but not seen: judged on speed')
  t.equal(qualityFlags(pt(20, 100), history({})), 0, 'first fix of a unit')
  t.equal(qualityFlags(pt(20, 100), history({ predecessor: () => pt(10, 0) })), 0)
  t.equal(qualityFlags(pt(11, 5000), history({ predecessor: () => pt(10, 0) })), FixFlag.ImpossibleSpeed)
  t.equal(qualityFlags(pt(11, 5000), history({ predecessor: () => pt(10, 0), maxSpeedMps: 10_000 })), 0, 'per-kind limit')
})

t.test('an impossible fix agreeing with the previous impossible one is accepted', async (t) => {
  const h = history({ predecessor: () => pt(10, 0), lastImpossible: pt(11, 5000) })
  t.equal(qualityFlags(pt(12, 5010), h), 0, 'two agreeing fixes: the unit is really there')
  t.equal(qualityFlags(pt(12, 9000), h), FixFlag.ImpossibleSpeed, 'disagreeing: still impossible')
  t.equal(qualityFlags(pt(12, 5010), history({ predecessor: () => pt(10, 0), lastImpossible: pt(13, 5000) })), FixFlag.ImpossibleSpeed, 'a later impossible fix does not vouch for an earlier one')
})
