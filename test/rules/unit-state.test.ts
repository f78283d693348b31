// The unit's clock estimate (observeClock): the median of the last arrivals' offsets, one sample per
// arrival, against a plain sort of the same samples; a longer history restored from a snapshot.
import t from 'tap'
import { compileDeployment } from '../../src/rules/deployment.js'
import { createUnitState, observeClock } from '../../src/rules/unit-state.js'
import { config, fix, BASE, T0 } from './helpers.js'

const dep = compileDeployment(config())

t.test('the clock offset is the median of the last 15 arrivals, one sample per arrival', async (t) => {
  const u = createUnitState(dep, 'P-1', T0)
  const offsets = [3000, -200, 0, 90_000, 15, -0, 40, 7, 7, -5000, 1200, 33, 600_000, 2, 8, 9, -1, 450]
  offsets.forEach((off, i) => {
    const at = T0 + i * 10_000
    observeClock(u, fix('P-1', at + off, BASE, { receivedAt: at }))
    const last = offsets.slice(Math.max(0, i - 14), i + 1).sort((a, b) => a - b)
    t.equal(u.clockOffsetMs, last[last.length >> 1]! + 0, `after ${i + 1} arrivals`)
  })
  t.equal(u.offsets.length, 15)
  // A buffered flush: several fixes of one arrival count once, by the least delayed.
  const at = T0 + 1_000_000
  observeClock(u, fix('P-1', at - 60_000, BASE, { receivedAt: at }))
  observeClock(u, fix('P-1', at - 5, BASE, { receivedAt: at }))
  t.same(u.offsets[u.offsets.length - 1], { at, offset: -5 })
  t.equal(Object.is(u.clockOffsetMs, -0), false, 'never -0')
})

t.test('a longer history restored from an older snapshot is still read whole', async (t) => {
  const u = createUnitState(dep, 'P-2', T0)
  u.offsets = Array.from({ length: 40 }, (_, i) => ({ at: T0 + i, offset: i * 10 }))
  observeClock(u, fix('P-2', T0 + 1000 + 395, BASE, { receivedAt: T0 + 1000 }))
  // 40 kept + 1 pushed, one shifted: offsets 10..390 and 395, 40 samples; the median is the 21st.
  const sorted = u.offsets.map((o) => o.offset).sort((a, b) => a - b)
  t.equal(u.clockOffsetMs, sorted[sorted.length >> 1])
  t.equal(u.clockOffsetMs, 210)
})
