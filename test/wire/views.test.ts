// The wire schemas are the one source of the live read model: what the rule engine's views
// produce validates against them (units before and after a fix, an unknown unit, zones), and the
// helpers behave as their names say.
import t, { type Test } from 'tap'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Unit, Zone } from '../../src/wire/views.js'
import { Closed, Nullable } from '../../src/wire/schema-helpers.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { fix, testConfig, T0 } from '../api/helpers.js'

const check = (t: Test, schema: Parameters<typeof Value.Check>[0], value: unknown, name: string) => {
  const errors = [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`)
  t.same(errors, [], name)
}

t.test('the rule engine\'s unit and zone views are the wire shapes', async (t) => {
  const engine = new RuleEngine(compileDeployment(testConfig()), { startedAt: T0 })
  for (const u of engine.units(T0)) check(t, Unit, u, `${u.id} before any fix`)
  engine.ingest(fix('P-1', T0 + 1000, 36.49, 117.86), T0 + 1000)
  engine.ingest(fix('X-9', T0 + 1000, 36.49, 117.86), T0 + 1000)
  engine.tick(T0 + 2000)
  const units = engine.units(T0 + 2000)
  t.ok(units.some((u) => u.id === 'P-1' && u.lastFix !== null), 'a unit with a fix')
  t.ok(units.some((u) => u.id === 'X-9' && !u.known), 'a unit not in the config')
  for (const u of units) check(t, Unit, u, `${u.id} after a fix`)
  const zones = engine.zones(T0 + 2000)
  t.ok(zones.length > 0)
  for (const z of zones) check(t, Zone, z, z.id)
  t.notOk(Value.Check(Unit, { ...units[0], silent: 'no' }), 'a wrong type is refused')
})

t.test('Nullable and Closed', async (t) => {
  const N = Nullable(Type.Number())
  t.ok(Value.Check(N, 1))
  t.ok(Value.Check(N, null))
  t.notOk(Value.Check(N, undefined), 'null, not absent')
  t.notOk(Value.Check(N, 'x'))
  const C = Closed({ a: Type.Number() }, { title: 'C' })
  t.ok(Value.Check(C, { a: 1 }))
  t.notOk(Value.Check(C, { a: 1, b: 2 }), 'an undeclared key is refused')
  t.equal(C.title, 'C', 'options pass through')
  t.equal(Closed({}).additionalProperties, false)
})
