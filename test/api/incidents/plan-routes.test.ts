// How a plan change's refusals reach the API (a conflict is 409, another PlanError 400, the rest as
// thrown), and the plan routes over the API rig with a stub incident store.
import t from 'tap'
import { pino } from 'pino'
import { compileIncidents } from '../../../src/incidents/compile.js'
import { IncidentService } from '../../../src/incidents/service.js'
import type { IncidentStore } from '../../../src/incidents/incident-store.js'
import { UnshippedIncidents } from '../../../src/incidents/unshipped.js'
import { compileDeployment } from '../../../src/rules/deployment.js'
import { tempDir } from '../../helpers/harness.js'
import { as, rig, testConfig, T0 } from '../helpers.js'
import { planCall } from '../../../src/api/incidents/plan-routes.js'
import { PlanError } from '../../../src/incidents/plans.js'

t.test('planCall passes the result through', async (t) => {
  t.same(await planCall(async () => ({ planId: 'p', activationId: 'a1' })), { planId: 'p', activationId: 'a1' })
})

t.test('planCall maps PlanError codes to API errors and leaves other errors alone', async (t) => {
  await t.rejects(planCall(async () => { throw new PlanError('conflict', 'plan p is already active') }), { code: 'HEXP_ERR_CONFLICT', statusCode: 409, message: 'plan p is already active' })
  await t.rejects(planCall(async () => { throw new PlanError('bad_request', 'no such checkpoint') }), { code: 'HEXP_ERR_BAD_REQUEST', statusCode: 400, message: 'no such checkpoint' })
  const disk = new Error('EIO')
  await t.rejects(planCall(async () => { throw disk }), disk)
})

t.test('the plan routes over HTTP: centre from a position or an incident, 404s, 409 on a second activation', async (t) => {
  const config = testConfig({ plans: [{ id: 'gate', checkpoints: [{ name: 'Gate', lat: 36.49, lon: 117.86, units: ['P-1'] }] }] })
  const base = await rig({ config })
  await base.app.close()
  const scene = { id: 'R-7', type: 'robbery', priority: 1, ts: T0, lat: 36.5, lon: 117.87, address: '', description: '', zone: 'g1' }
  const store = { existing: async () => new Set<string>(), hotspotScores: async () => [], query: async () => [], get: async (id: string) => (id === 'R-7' ? scene : null) } as unknown as IncidentStore
  const incidents = new IncidentService({ setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => store, dir: tempDir(), now: () => T0, logger: pino({ level: 'silent' }), publish: () => undefined, journal: { incidents: () => undefined, planEvents: () => undefined }, unshipped: new UnshippedIncidents() })
  const r = await rig({ config, ctx: { incidents } })
  t.teardown(() => r.app.close())
  const post = (url: string, body?: unknown) => r.app.inject({ method: 'POST', url, headers: { ...as('operate'), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })

  t.equal((await post('/api/v1/plans/nope/activate', {})).statusCode, 404, 'no such plan')
  t.equal((await post('/api/v1/plans/gate/activate', { incident_id: 'R-0' })).json().code, 'HEXP_ERR_NOT_FOUND', 'no such incident')
  t.equal((await post('/api/v1/plans/gate/activate', { lat: 36.48 })).statusCode, 200, 'half a position is no centre')
  t.equal((await post('/api/v1/plans/gate/activate', {})).statusCode, 409, 'already active')
  t.equal((await post('/api/v1/plans/nope/deactivate')).statusCode, 404)
  const off = await post('/api/v1/plans/gate/deactivate')
  t.same(off.json(), { planId: 'gate', activationId: `gate.${T0}`, deactivated: true })
  t.equal((await post('/api/v1/plans/gate/activate', { lat: 36.48, lon: 117.85 })).statusCode, 200)
  await post('/api/v1/plans/gate/deactivate')
  t.equal((await post('/api/v1/plans/gate/activate', { incident_id: 'R-7', lat: 36.48, lon: 117.85 })).statusCode, 200)
  await post('/api/v1/plans/gate/deactivate')
  t.equal((await post('/api/v1/plans/gate/activate', { incident_id: 'R-7' })).statusCode, 200)
  const acts = r.audits.filter((a) => a.action === 'plan.activate' && a.details.status === 200).map((a) => [a.details.incidentId, a.details.centre])
  t.same(acts, [[null, null], [null, { lat: 36.48, lon: 117.85 }], ['R-7', { lat: 36.48, lon: 117.85 }], ['R-7', { lat: 36.5, lon: 117.87 }]], 'a given position wins over the incident\'s')
})

t.test('GET /api/v1/plans and /api/v1/plans/:id over HTTP; a level set twice changes once', async (t) => {
  const config = testConfig({ plans: [{ id: 'gate', checkpoints: [{ name: 'Gate', lat: 36.49, lon: 117.86, units: ['P-1'] }] }] })
  const base = await rig({ config })
  await base.app.close()
  const store = { existing: async () => new Set<string>(), hotspotScores: async () => [], query: async () => [], get: async () => null } as unknown as IncidentStore
  const incidents = new IncidentService({ setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => store, dir: tempDir(), now: () => T0, logger: pino({ level: 'silent' }), publish: () => undefined, journal: { incidents: () => undefined, planEvents: () => undefined }, unshipped: new UnshippedIncidents() })
  const r = await rig({ config, ctx: { incidents } })
  t.teardown(() => r.app.close())
  const get = (url: string) => r.app.inject({ url, headers: as('read') })
  t.match((await get('/api/v1/plans')).json(), { plans: [{ id: 'gate', active: false }] })
  t.match((await get('/api/v1/plans/gate')).json(), { id: 'gate', active: null })
  t.equal((await get('/api/v1/plans/nope')).statusCode, 404)
  await r.app.inject({ method: 'POST', url: '/api/v1/plans/gate/activate', headers: as('operate') })
  t.match((await get('/api/v1/plans')).json(), { plans: [{ id: 'gate', active: true }] })
  t.match((await get('/api/v1/plans/gate')).json(), { id: 'gate', active: { activationId: `gate.${T0}`, by: 'sgt.wang' } })

  const put = () => r.app.inject({ method: 'PUT', url: '/api/v1/zones/g1/level', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ level: 'high', reason: 'drill' }) })
  t.match((await put()).json(), { level: 'high', changed: true, effective: 'next tick' })
  t.match((await put()).json(), { level: 'high', changed: false })
  t.equal((await r.app.inject({ method: 'PUT', url: '/api/v1/zones/g9/level', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ level: 'high', reason: 'x' }) })).statusCode, 404)
  t.same(r.audits.filter((a) => a.action === 'zone.level').map((a) => [a.details.status, a.details.from ?? null]), [[200, 'normal'], [200, null], [404, null]], 'an unchanged level carries no change details')
})
