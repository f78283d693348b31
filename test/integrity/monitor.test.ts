import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { IntegrityMonitor } from '../../src/integrity/monitor.js'
import { integrityOptions } from '../../src/integrity/options.js'
import { O, T0, at, mock } from './helpers.js'

t.test('the config block, with its defaults, in the units the detectors compute in', async (t) => {
  const o = integrityOptions(validateConfig({ integrity: { vehicle_speed: { speed_kmh: 18, foot_kinds: ['officer', 'foot'] }, stationary: { min_period: '45m' } } }).integrity)
  t.equal(o.vehicleSpeed.speedMps, 5)
  t.ok(o.vehicleSpeed.footKinds.has('foot'))
  t.equal(o.vehicleSpeed.windowMs, 3_600_000)
  t.equal(o.stationary.minPeriodMs, 2_700_000)
  t.equal(o.mock.runGapMs, 600_000)
  t.same([...o.frozen.sources], ['native', 'owntracks', 'osmand'])
  t.equal(o.replay.days, 2)
  t.throws(() => validateConfig({ integrity: { frozen: { min_fixez: 3 } } }), /min_fixez/, 'an unknown key stops start-up')
  t.throws(() => validateConfig({ integrity: { stationary: { max_share: 2 } } }), /max_share/)
})

t.test('the monitor feeds every detector and flushes them all', async (t) => {
  const m = new IntegrityMonitor(O, { kindOf: () => 'officer', stationed: () => false, dayOf: (ts) => Math.floor(ts / 86_400_000) })
  t.equal(m.detectors.length, 6)
  for (let s = 0; s < 5; s++) m.observe(mock(at('P-1', s * 30)))
  const closed = m.observe(at('P-1', 200, 50))
  t.same(closed.map((x) => x.kind), ['mock_location'])
  for (let s = 230; s <= 1500; s += 30) m.observe(at('P-1', s, 50))
  const flushed = m.flush()
  t.same(flushed.map((x) => [x.kind, x.from]), [['frozen_position', T0 + 200_000]])
  t.equal(new IntegrityMonitor(O, { kindOf: () => undefined }).detectors.length, 6, 'defaults: UTC days, nobody stationed')
})
