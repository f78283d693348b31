import t from 'tap'
import { readConfigFile, validateConfig } from '../../src/config/load.js'
import { DEMO_PLAN_ID, demoOverlay, demoUnits, responders } from '../../src/demo/overlay.js'

const sample = readConfigFile('config/hexpatrol.yaml')

t.test('the demo overlay on the sample configuration', async (t) => {
  const raw = demoOverlay(sample, (id) => `pw-${id}`)
  const c = validateConfig(raw, undefined, {})
  t.equal(c.data_dir, './data/demo', 'its own data directory')
  t.equal(c.units.length, 38)
  t.ok(c.units.every((u) => u.name?.endsWith('(simulated)')), 'every unit is marked simulated on the map and in alerts')
  t.same(c.broker.users.map((u) => u.username), c.units.map((u) => u.id), 'one login per unit, the file\'s example logins replaced')
  t.ok(c.broker.users.every((u) => u.example === true && u.password === `pw-${u.username}`))
  t.equal(c.zones.every((z) => z.coverage.min_ratio === 0 && z.coverage.max_interval === 300_000), true, 'timings a demo can show')
  t.same(c.zones.find((z) => z.id === 'grid-6')?.coverage.priority_cells.map((p) => p.max_interval), [300_000])
  t.equal(c.rules.coverage_gap.dwell, 30_000)
  const plan = c.plans.find((p) => p.id === DEMO_PLAN_ID)
  t.same(plan?.checkpoints.map((cp) => cp.units), [['P-003'], ['P-004']])
  t.same(demoOverlay(raw, () => 'x').plans, raw.plans, 'a plan already there is not added twice')
  t.equal(demoOverlay({ data_dir: '/var/x', units: [{ id: 1 }] }, () => 'x').data_dir, '/var/x/demo')
})

t.test('units and responders from odd documents', async (t) => {
  t.same(demoUnits({ units: [{ id: 'A', kind: 'officer' }, { id: 2 }, null, 'x'] }), [{ id: 'A', kind: 'officer' }])
  t.same(demoUnits({ units: 'nope' }), [])
  t.equal(responders([{ id: 'A', kind: 'vehicle', post: 'p' }]), null, 'two vehicles at one post are needed')
  t.same(responders([{ id: 'A', kind: 'vehicle', post: 'p' }, { id: 'B', kind: 'vehicle', post: 'p' }]), ['A', 'B'], 'a single post')
  const out = demoOverlay({ units: [{ id: 'A', name: 7 }], zones: [{ id: 'z', coverage: null }], rules: [] }, () => 'x')
  t.same(out.plans, undefined, 'no responders, no plan')
  t.same((out.units as Array<{ name: string }>)[0]?.name, 'A (simulated)')
})
