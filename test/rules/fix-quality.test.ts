import t from 'tap'
import { FixFlag } from '../../src/decode/fix.js'
import { closesChain, impliedSpeedMps, qualityFlags, type FixPoint, type QualityHistory } from '../../src/rules/fix-quality.js'
import { BASE, T0, offset } from './helpers.js'

const pt = (s: number, north: number, accuracy: number | null = null): FixPoint & { receivedAt: number } => ({ ...offset(BASE, north, 0), ts: T0 + s * 1000, receivedAt: T0 + s * 1000, accuracy })

function history(h: Partial<QualityHistory>): QualityHistory {
  return { lastReleased: null, seen: () => false, predecessor: () => null, rejected: [], clockOffsetMs: null, maxSpeedMps: 250 / 3.6, modeSpeedMps: 250 / 3.6, futureToleranceMs: 60_000, ...h }
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

t.test('a chain of three consistent fixes is accepted over the predecessor; one or two jumps are not', async (t) => {
  const officer = { maxSpeedMps: 40 / 3.6 }
  // Officer boards a car: 60 km/h = 16.7 m/s, fixes every 5 s (83 m apart).
  const h = (rejected: FixPoint[]) => history({ ...officer, predecessor: () => pt(0, 0), rejected })
  t.equal(qualityFlags(pt(5, 83), h([])), FixFlag.ImpossibleSpeed, 'first fast fix: rejected')
  t.equal(qualityFlags(pt(10, 167), h([pt(5, 83)])), FixFlag.ImpossibleSpeed, 'two: still an isolated jump')
  t.equal(qualityFlags(pt(15, 250), h([pt(5, 83), pt(10, 167)])), 0, 'three agreeing fixes: the mode changed')
  t.equal(qualityFlags(pt(15, 250), h([pt(5, 83), pt(10, 5000)])), FixFlag.ImpossibleSpeed, 'chain broken by an inconsistent step')
  t.equal(qualityFlags(pt(130, 2000), h([pt(5, 83), pt(10, 167)])), FixFlag.ImpossibleSpeed, 'chain spread over more than the window')
  t.notOk(closesChain(pt(10, 167), history({ rejected: [pt(10, 83), pt(10, 90)] })), 'fix times must increase')
})

t.test('a fix stamped ahead of the unit clock by more than the tolerance is future_ts', async (t) => {
  const ahead = { ...pt(0, 0), ts: T0 + 600_000 }
  t.equal(qualityFlags(ahead, history({})), FixFlag.FutureTs, 'no clock estimate yet: assumed in sync')
  t.equal(qualityFlags(ahead, history({ clockOffsetMs: 590_000 })), 0, 'a device whose clock runs 10 min ahead is judged by its own clock')
  t.equal(qualityFlags({ ...pt(0, 0), ts: T0 + 59_000 }, history({ clockOffsetMs: 0 })), 0, 'within tolerance')
  t.equal(qualityFlags({ ...pt(0, 0), ts: T0 - 1000 }, history({ clockOffsetMs: -300_000 })), 0, 'an estimate behind (a buffered first message) does not flag a live fix')
})
