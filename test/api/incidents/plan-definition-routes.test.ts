// The plan definition routes over the API rig: create, replace, delete and versions; 400 naming
// the field, 404, 409 while active; operate scope only; an audit row per change with its version.
import t, { type Test } from 'tap'
import { pino } from 'pino'
import { compileIncidents } from '../../../src/incidents/compile.js'
import { IncidentService } from '../../../src/incidents/service.js'
import type { IncidentStore } from '../../../src/incidents/incident-store.js'
import { UnshippedIncidents } from '../../../src/incidents/unshipped.js'
import { compileDeployment } from '../../../src/rules/deployment.js'
import { tempDir } from '../../helpers/harness.js'
import { as, rig, testConfig, T0, type Rig } from '../helpers.js'

const ring = { id: 'ring', name: '外围', positions: 'scene', checkpoints: [{ name: 'North', north_m: 300, units: ['P-1'], arrive_within: '4m' }, { name: 'East', east_m: 200, nearest: 1 }] }

async function plansRig(t: Test): Promise<Rig> {
  const config = testConfig({ plans: [{ id: 'gate', checkpoints: [{ name: 'Gate', lat: 36.49, lon: 117.86, units: ['P-1'] }] }] })
  const base = await rig({ config })
  await base.app.close()
  const store = { existing: async () => new Set<string>(), hotspotScores: async () => [], query: async () => [], get: async () => null } as unknown as IncidentStore
  const incidents = new IncidentService({ setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => store, dir: tempDir(), now: () => T0, logger: pino({ level: 'silent' }), publish: () => undefined, journal: { incidents: () => undefined, planEvents: () => undefined }, unshipped: new UnshippedIncidents() })
  const r = await rig({ config, ctx: { incidents } })
  t.teardown(() => r.app.close())
  return r
}

t.test('create, read, replace, delete, versions; audited', async (t) => {
  const r = await plansRig(t)
  const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, scope: 'operate' | 'read' = 'operate') =>
    r.app.inject({ method, url, headers: { ...as(scope), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })
  const get = (url: string) => r.app.inject({ url, headers: as('read') })

  t.equal((await send('POST', '/api/v1/plans', ring, 'read')).statusCode, 403, 'read scope cannot define plans')
  const created = await send('POST', '/api/v1/plans', ring)
  t.equal(created.statusCode, 201)
  t.match(created.json(), { planId: 'ring', version: 1, origin: 'api', by: 'sgt.wang', at: T0, deleted: false, spec: { id: 'ring', name: '外围', positions: 'scene', checkpoints: [{ name: 'North', northM: 300, units: ['P-1'], arriveWithinMs: 240_000 }, { name: 'East', eastM: 200, units: [], nearest: 1 }] }, source: { checkpoints: [{ arrive_within: '4m' }] } }, 'the body kept as sent')
  t.equal((await send('POST', '/api/v1/plans', ring)).statusCode, 409, 'the id exists')
  const bad = await send('POST', '/api/v1/plans', { ...ring, checkpoints: [{ name: 'A', north_m: 1, units: ['P-9'] }] })
  t.same([bad.statusCode, bad.json().code, bad.json().message], [400, 'HEXP_ERR_BAD_REQUEST', 'checkpoints.0.units: no unit with id "P-9"'])
  t.match((await send('POST', '/api/v1/plans', { ...ring, dwell: [] })).json(), { code: 'HEXP_ERR_BAD_REQUEST', message: /^dwell: / })
  t.same((await get('/api/v1/plans')).json().plans.map((p: { id: string; version: number; origin: string; active: boolean }) => [p.id, p.version, p.origin, p.active]), [['gate', 1, 'config', false], ['ring', 1, 'api', false]])

  t.equal((await send('PUT', '/api/v1/plans/nope', ring)).statusCode, 400, 'the body names another plan')
  t.equal((await send('PUT', '/api/v1/plans/nope', { ...ring, id: undefined })).statusCode, 404)
  t.match((await send('PUT', '/api/v1/plans/gate', { name: 'Gate (desk)', checkpoints: [{ name: 'Gate', lat: 36.49, lon: 117.86, posts: ['s1'] }] })).json(), { planId: 'gate', version: 2, spec: { name: 'Gate (desk)' } })
  t.match((await get('/api/v1/plans/gate')).json(), { id: 'gate', name: 'Gate (desk)', version: 2, origin: 'api', by: 'sgt.wang', active: null })

  t.equal((await send('POST', '/api/v1/plans/gate/activate', {})).statusCode, 200)
  const busy = await send('PUT', '/api/v1/plans/gate', { checkpoints: [{ name: 'Gate', lat: 36.49, lon: 117.86, units: ['P-1'] }] })
  t.same([busy.statusCode, busy.json().message], [409, 'plan gate is active: stand it down (POST /api/v1/plans/gate/deactivate) before changing it'])
  t.equal((await send('DELETE', '/api/v1/plans/gate')).statusCode, 409)
  await send('POST', '/api/v1/plans/gate/deactivate')
  t.match((await send('DELETE', '/api/v1/plans/gate')).json(), { planId: 'gate', version: 3, deleted: true, spec: null })
  t.equal((await send('DELETE', '/api/v1/plans/gate')).statusCode, 404)
  t.equal((await get('/api/v1/plans/gate')).statusCode, 404)
  t.equal((await send('POST', '/api/v1/plans/gate/activate', {})).statusCode, 404)
  const versions = (await get('/api/v1/plans/gate/versions')).json()
  t.same(versions.versions.map((v: { version: number; origin: string; by: string; deleted: boolean }) => [v.version, v.origin, v.by, v.deleted]), [[1, 'config', 'config', false], [2, 'api', 'sgt.wang', false], [3, 'api', 'sgt.wang', true]])
  t.equal(versions.versions[0].at, null)
  t.equal((await get('/api/v1/plans/nope/versions')).statusCode, 404)

  const rows = r.audits.filter((a) => a.action.startsWith('plan.') && a.action !== 'plan.activate' && a.action !== 'plan.deactivate')
  t.same(rows.map((a) => [a.action, a.details.status, a.details.target ?? null, a.details.version ?? null]), [
    ['plan.create', 403, null, null],
    ['plan.create', 201, 'ring', 1],
    ['plan.create', 409, null, null],
    ['plan.create', 400, null, null],
    ['plan.create', 400, null, null],
    ['plan.update', 400, null, null],
    ['plan.update', 404, null, null],
    ['plan.update', 200, 'gate', 2],
    ['plan.update', 409, null, null],
    ['plan.delete', 409, null, null],
    ['plan.delete', 200, 'gate', 3],
    ['plan.delete', 404, null, null],
  ], 'one audit row per request, the version on success')
})
