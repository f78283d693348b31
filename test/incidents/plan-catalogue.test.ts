// Plan versions: the config's plan is version 1, run-time changes add versions, the latest wins
// (a deletion hides a config plan), and the run-time versions survive a restore.
import t from 'tap'
import { PlanCatalogue, isPlanSpec } from '../../src/incidents/plan-catalogue.js'
import { PlanError, type PlanSpec } from '../../src/incidents/plans.js'

const plan = (id: string, name = id): PlanSpec => ({ id, name, positions: 'absolute', dwellMs: 30_000, checkpoints: [{ name: 'A', lat: 36.49, lon: 117.86, units: ['P-1'], arriveWithinMs: 300_000, radiusM: 100 }] })
const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return err instanceof PlanError ? err.code : 'other'
  }
  return 'ok'
}

t.test('config version 1, run-time versions after it, the latest in force; deletion and re-creation', async (t) => {
  const c = new PlanCatalogue(new Map([['gate', plan('gate', 'Gate (yaml)')]]))
  t.same(c.list().map((p) => [p.planId, p.version, p.origin]), [['gate', 1, 'config']])
  t.equal(code(() => c.create(plan('gate'), {}, 'x', 1)), 'conflict', 'an existing id is not created again')
  t.equal(code(() => c.replace(plan('nope'), {}, 'x', 1)), 'not_found')
  t.equal(code(() => c.remove('nope', 'x', 1)), 'not_found')
  const v2 = c.replace(plan('gate', 'Gate (api)'), { id: 'gate', dwell: '30s' }, 'sgt.wang', 1000)
  t.match(v2, { planId: 'gate', version: 2, origin: 'api', by: 'sgt.wang', at: 1000, source: { dwell: '30s' } })
  t.equal(c.get('gate')?.name, 'Gate (api)', 'a run-time version overrides the config\'s')
  const ring = c.create(plan('ring'), { id: 'ring' }, 'sgt.wang', 2000)
  t.equal(ring.version, 1, 'a plan new at run time starts at version 1')
  t.same(c.list().map((p) => p.planId), ['gate', 'ring'])
  t.match(c.remove('gate', 'insp.li', 3000), { version: 3, spec: null, source: null })
  t.equal(c.get('gate'), undefined, 'deleted, config plan or not')
  t.equal(code(() => c.replace(plan('gate'), {}, 'x', 1)), 'not_found')
  t.same(c.versions('gate').map((v) => [v.version, v.origin, v.spec?.name ?? null]), [[1, 'config', 'Gate (yaml)'], [2, 'api', 'Gate (api)'], [3, 'api', null]])
  t.equal(c.create(plan('gate', 'Gate again'), {}, 'x', 4000).version, 4, 'numbering goes on after a deletion')
  t.same(c.versions('nope'), [])

  const restored = new PlanCatalogue(new Map([['gate', plan('gate', 'Gate (yaml, edited)')]]))
  restored.restore(JSON.parse(JSON.stringify(c.toJSON())))
  t.same(restored.versions('gate').map((v) => [v.version, v.spec?.name ?? null]), [[1, 'Gate (yaml, edited)'], [2, 'Gate (api)'], [3, null], [4, 'Gate again']], 'version 1 is the config as it is now')
  t.equal(restored.get('gate')?.name, 'Gate again')
  t.equal(restored.get('ring')?.name, 'ring')
})

t.test('restore skips what it cannot read', async (t) => {
  const c = new PlanCatalogue(new Map())
  c.restore(null)
  c.restore({ version: 2, changes: [] })
  c.restore({ version: 1, changes: [null, { planId: 'a', version: 1, spec: { id: 'a' } }, { planId: 'b', version: 1, origin: 'api', by: 'x', at: 1, spec: plan('b'), source: {} }] })
  t.same(c.list().map((p) => p.planId), ['b'])
  t.notOk(isPlanSpec({ ...plan('x'), checkpoints: [] }))
  t.notOk(isPlanSpec({ ...plan('x'), checkpoints: [{ name: 'A', units: [], arriveWithinMs: 1, radiusM: 1 }] }), 'no position')
  t.ok(isPlanSpec({ ...plan('x'), checkpoints: [{ name: 'A', northM: 0, eastM: 10, units: [], nearest: 2, arriveWithinMs: 1, radiusM: 1 }] }))
  t.ok(isPlanSpec({ ...plan('x'), nameEn: 'X', checkpoints: [{ name: 'A', nameEn: 'Gate A', northM: 0, eastM: 10, units: [], arriveWithinMs: 1, radiusM: 1 }] }), 'English names')
  t.notOk(isPlanSpec({ ...plan('x'), nameEn: 7 }), 'nameEn not a string')
  t.notOk(isPlanSpec({ ...plan('x'), checkpoints: [{ name: 'A', nameEn: 7, northM: 0, eastM: 10, units: [], arriveWithinMs: 1, radiusM: 1 }] }), 'checkpoint nameEn not a string')
})
