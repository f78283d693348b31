// Dispatch over HTTP: one incident, its candidates, assign (400 unregistered, 404 unknown, 409
// busy/closed, 403 read scope), close with an outcome (409 twice), the list with status and
// assignments, audit rows with details, the events published, and the state after a restart.
import t from 'tap'
import { pino } from 'pino'
import type { OutboundEvent } from '../../../src/delivery/outbound-event.js'
import { compileIncidents } from '../../../src/incidents/compile.js'
import { IncidentService } from '../../../src/incidents/service.js'
import type { IncidentRow, IncidentStore } from '../../../src/incidents/incident-store.js'
import { UnshippedIncidents } from '../../../src/incidents/unshipped.js'
import { incidentJournal } from '../../../src/journal/record.js'
import { compileDeployment } from '../../../src/rules/deployment.js'
import { tempDir } from '../../helpers/harness.js'
import { dispatchCall } from '../../../src/api/incidents/dispatch-routes.js'
import { as, conforms, fix, rig, testConfig, T0 } from '../helpers.js'

const json = (scope: 'read' | 'operate') => ({ ...as(scope), 'content-type': 'application/json' })

async function setup(dir = tempDir(), stored: IncidentRow[] = []) {
  const config = testConfig()
  const base = await rig({ config })
  await base.app.close()
  const store = {
    existing: async (ids: string[]) => new Set(ids.filter((id) => stored.some((r) => r.id === id))),
    hotspotScores: async () => [],
    query: async () => stored,
    get: async (id: string) => stored.find((r) => r.id === id) ?? null,
  } as unknown as IncidentStore
  const published: OutboundEvent[] = []
  const incidents = new IncidentService({
    setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => store, dir, now: () => base.clock.now,
    logger: pino({ level: 'silent' }), publish: (e) => published.push(e), journal: incidentJournal(() => undefined), unshipped: new UnshippedIncidents(),
  })
  const r = await rig({ config, ctx: { incidents, engine: base.engine, now: () => base.clock.now } })
  t.teardown(() => r.app.close())
  return { r, base, incidents, published, dir }
}

t.test('record, candidates, assign, close: answers, refusals, events and audit rows', async (t) => {
  const { r, base, published, incidents, dir } = await setup()
  base.clock.now = T0
  base.ingest(fix('P-1', T0, 36.492, 117.86))
  base.ingest(fix('O-2', T0, 36.50, 117.86))
  const created = await r.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: json('operate'), payload: { id: 'R-1', type: 'robbery', lat: 36.49, lon: 117.86 } })
  t.equal(created.statusCode, 201)
  t.same(created.json().resources.map((p: { unitId: string }) => p.unitId), ['P-1', 'O-2'])

  const one = await r.app.inject({ url: '/api/v1/incidents/R-1', headers: as('read') })
  t.equal(one.statusCode, 200)
  t.match(one.json(), { id: 'R-1', status: 'open', assignments: [], outcome: null, closedBy: null, closedAt: null })
  conforms(t, r.app, 'GET', '/api/v1/incidents/R-1', one)
  t.equal((await r.app.inject({ url: '/api/v1/incidents/nope', headers: as('read') })).statusCode, 404)

  const cand = await r.app.inject({ url: '/api/v1/incidents/R-1/candidates?k=1', headers: as('read') })
  t.equal(cand.statusCode, 200)
  t.match(cand.json(), { incidentId: 'R-1', units: [{ unitId: 'P-1', distanceM: 222 }] })
  t.equal(cand.json().units.length, 1, 'k honoured')
  conforms(t, r.app, 'GET', '/api/v1/incidents/R-1/candidates', cand)
  t.equal((await r.app.inject({ url: '/api/v1/incidents/nope/candidates', headers: as('read') })).statusCode, 404)

  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/assign', headers: json('read'), payload: { units: ['P-1'] } })).statusCode, 403, 'read scope cannot assign')
  const bad = await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/assign', headers: json('operate'), payload: { units: ['P-1', 'X-9'] } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { code: 'HEXP_ERR_BAD_REQUEST', message: /X-9 is not registered/ })
  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/assign', headers: json('operate'), payload: { units: [] } })).statusCode, 400, 'no units')
  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/nope/assign', headers: json('operate'), payload: { units: ['P-1'] } })).statusCode, 404)

  base.clock.now = T0 + 1000
  const ok = await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/assign', headers: json('operate'), payload: { units: ['P-1'], note: 'lights on' } })
  t.equal(ok.statusCode, 200)
  t.match(ok.json(), { incidentId: 'R-1', status: 'open', added: ['P-1'], assignments: [{ unitId: 'P-1', by: 'sgt.wang', at: T0 + 1000, distanceM: 222, note: 'lights on' }] })
  t.type(ok.json().assignments[0].etaS, 'number')
  conforms(t, r.app, 'POST', '/api/v1/incidents/R-1/assign', ok)
  const assigned = published.filter((e) => e.type === 'incident.assigned')
  t.equal(assigned.length, 1)
  t.match(assigned[0], { id: 'incident.R-1.assigned.0', subject: 'incident:R-1', data: { incidentId: 'R-1', zoneId: 'g1', units: [{ unitId: 'P-1', distanceM: 222 }], by: 'sgt.wang', note: 'lights on', assignments: ['P-1'] } })
  t.match(assigned[0]!.summary, /Incident R-1: P-1 \(222 m, ETA \d+ min\) assigned by sgt.wang/)
  const again = await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/assign', headers: json('operate'), payload: { units: ['P-1'] } })
  t.same(again.json().added, [], 'assigning the same unit again adds nothing')
  t.equal(published.filter((e) => e.type === 'incident.assigned').length, 1, '… and publishes nothing')

  const after = await r.app.inject({ url: '/api/v1/incidents/R-1/candidates', headers: as('read') })
  t.same(after.json().units.map((u: { unitId: string }) => u.unitId), ['O-2'], 'an assigned unit is no longer available')

  await r.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: json('operate'), payload: { id: 'R-2', type: 'theft', lat: 36.5, lon: 117.86 } })
  const busy = await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-2/assign', headers: json('operate'), payload: { units: ['P-1'] } })
  t.equal(busy.statusCode, 409, 'a unit on another open incident')
  t.match(busy.json().message, /P-1 is assigned to open incident R-1/)

  const list = await r.app.inject({ url: '/api/v1/incidents?from=2020-01-01T00:00:00Z', headers: as('read') })
  const r1 = list.json().incidents.find((i: { id: string }) => i.id === 'R-1')
  t.match(r1, { status: 'open', assignments: [{ unitId: 'P-1' }] })
  conforms(t, r.app, 'GET', '/api/v1/incidents', list)
  const geo = await r.app.inject({ url: '/api/v1/incidents?from=2020-01-01T00:00:00Z&format=geojson', headers: as('read') })
  t.match(geo.json().features.find((f: { id: string }) => f.id === 'R-1').properties, { status: 'open', assignments: [{ unitId: 'P-1' }] })
  conforms(t, r.app, 'GET', '/api/v1/incidents', geo)

  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/close', headers: json('operate'), payload: {} })).statusCode, 400, 'an outcome is required')
  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/nope/close', headers: json('operate'), payload: { outcome: 'x' } })).statusCode, 404)
  base.clock.now = T0 + 60_000
  const closed = await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/close', headers: json('operate'), payload: { outcome: 'suspect arrested' } })
  t.equal(closed.statusCode, 200)
  t.match(closed.json(), { incidentId: 'R-1', status: 'closed', outcome: 'suspect arrested', closedBy: 'sgt.wang', closedAt: T0 + 60_000 })
  conforms(t, r.app, 'POST', '/api/v1/incidents/R-1/close', closed)
  t.match(published.find((e) => e.type === 'incident.closed'), { id: 'incident.R-1.closed', data: { incidentId: 'R-1', outcome: 'suspect arrested', by: 'sgt.wang', units: [{ unitId: 'P-1' }] } })
  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/close', headers: json('operate'), payload: { outcome: 'again' } })).statusCode, 409, 'closing a closed incident')
  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-1/assign', headers: json('operate'), payload: { units: ['O-2'] } })).statusCode, 409, 'assigning to a closed incident')
  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/R-2/assign', headers: json('operate'), payload: { units: ['P-1'] } })).statusCode, 200, 'P-1 is free again')
  await r.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: json('operate'), payload: { id: 'FAR-1', type: 'theft', lat: 37.5, lon: 118.5 } })
  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/incidents/FAR-1/close', headers: json('operate'), payload: { outcome: 'false alarm' } })).statusCode, 200)
  t.notOk('zoneId' in published.find((e) => e.id === 'incident.FAR-1.closed')!.data, 'outside every zone: no zoneId (zone filters do not match it)')

  const rows = r.audits.filter((a) => a.action === 'incident.assign' || a.action === 'incident.close').map((a) => [a.action, a.details.status, a.details.target ?? null])
  t.same(rows, [
    ['incident.assign', 403, null], ['incident.assign', 400, null], ['incident.assign', 400, null], ['incident.assign', 404, null],
    ['incident.assign', 200, 'R-1'], ['incident.assign', 200, 'R-1'], ['incident.assign', 409, null],
    ['incident.close', 400, null], ['incident.close', 404, null], ['incident.close', 200, 'R-1'], ['incident.close', 409, null],
    ['incident.assign', 409, null], ['incident.assign', 200, 'R-2'], ['incident.close', 200, 'FAR-1'],
  ], 'every attempt audited, refusals and denials included')
  t.match(r.audits.find((a) => a.action === 'incident.close' && a.details.status === 200)!.details, { outcome: 'suspect arrested', units: ['P-1'] })
  t.match(r.audits.find((a) => a.action === 'incident.assign' && a.details.status === 200)!.details, { units: ['P-1'], requested: ['P-1'] })

  // Restart: a new stage on the same data directory reads dispatch.json back.
  const again2 = new IncidentService({
    setup: incidents['o'].setup, dep: incidents['o'].dep, rules: base.engine, store: incidents['o'].store, dir, now: () => base.clock.now,
    logger: pino({ level: 'silent' }), publish: () => undefined, journal: incidentJournal(() => undefined), unshipped: new UnshippedIncidents(),
  })
  t.match(again2.dispatchOf('R-1'), { status: 'closed', outcome: 'suspect arrested', assignments: [{ unitId: 'P-1' }] })
  t.match(again2.dispatchOf('R-2'), { status: 'open', assignments: [{ unitId: 'P-1' }] })
  t.same(again2.search(36.49, 117.86, base.clock.now).map((p) => p.unitId), ['O-2'], 'P-1 stays committed to R-2 after the restart')
})

t.test('dispatchCall: other errors pass through unchanged', async (t) => {
  const err = new Error('ClickHouse is not ready')
  await t.rejects(dispatchCall(async () => { throw err }), err)
})
