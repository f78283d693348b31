// The pure steps of the incident routes: what a create request carries, a bulk import's summary,
// incidents as GeoJSON; and the list route over the API rig with a stub incident store (scopes and
// audit: test/api/incidents.test.ts).
import t from 'tap'
import { pino } from 'pino'
import { compileIncidents } from '../../../src/incidents/compile.js'
import { IncidentService } from '../../../src/incidents/service.js'
import type { IncidentStore } from '../../../src/incidents/incident-store.js'
import { UnshippedIncidents } from '../../../src/incidents/unshipped.js'
import { compileDeployment } from '../../../src/rules/deployment.js'
import { tempDir } from '../../helpers/harness.js'
import { as, rig, testConfig, T0 } from '../helpers.js'
import { bulkSummary, incidentFeatures, incidentInputs, MAX_BULK } from '../../../src/api/incidents/incident-routes.js'
import type { CreateResult } from '../../../src/incidents/service.js'

const one = { type: 'theft', lat: 36.49, lon: 117.86 }

t.test('incidentInputs: one object is a single incident, arrays and { incidents } are bulk', async (t) => {
  t.same(incidentInputs(one, 'application/json'), { inputs: [one], single: true })
  t.same(incidentInputs([one, one], 'application/json'), { inputs: [one, one], single: false })
  t.same(incidentInputs({ incidents: [one] }, undefined), { inputs: [one], single: false })
  t.same(incidentInputs([], 'application/json'), { inputs: [], single: false }, 'an empty array is an empty import')
})

t.test('incidentInputs: text/csv is parsed (bulk); a string of another type is refused', async (t) => {
  const r = incidentInputs('type,lat,lon\ntheft,36.49,117.86\n', 'text/csv; charset=utf-8')
  t.equal(r.single, false)
  t.equal(r.inputs.length, 1)
  t.equal(r.inputs[0]?.type, 'theft')
  t.throws(() => incidentInputs('type,lat,lon', 'text/plain'), { code: 'HEXP_ERR_BAD_REQUEST', message: /text\/csv/ })
  t.throws(() => incidentInputs('type,lat,lon', undefined), { code: 'HEXP_ERR_BAD_REQUEST' })
  t.throws(() => incidentInputs(null, 'application/json'), { code: 'HEXP_ERR_BAD_REQUEST' })
  t.throws(() => incidentInputs(7, 'application/json'), { code: 'HEXP_ERR_BAD_REQUEST' })
})

t.test('incidentInputs: at most MAX_BULK per request', async (t) => {
  t.equal(incidentInputs(new Array(MAX_BULK).fill(one), undefined).inputs.length, MAX_BULK)
  t.throws(() => incidentInputs(new Array(MAX_BULK + 1).fill(one), undefined), { code: 'HEXP_ERR_BAD_REQUEST', message: `At most ${MAX_BULK} incidents per request.` })
})

t.test('bulkSummary counts each status and lists every result that created nothing', async (t) => {
  const results: CreateResult[] = [
    { id: 'a', status: 'created' }, { id: 'b', status: 'exists' }, { id: 'c', status: 'rejected', reason: 'no lat' }, { id: 'd', status: 'created' },
  ]
  t.same(bulkSummary(results), { created: 2, exists: 1, rejected: 1, results: [{ id: 'b', status: 'exists' }, { id: 'c', status: 'rejected', reason: 'no lat' }] })
  t.same(bulkSummary([]), { created: 0, exists: 0, rejected: 0, results: [] })
})

t.test('incidentFeatures: GeoJSON points [lon, lat], the other fields and an ISO time as properties', async (t) => {
  const row = { id: 'i1', type: 'theft', priority: 2, ts: Date.UTC(2026, 10, 30, 8), lat: 36.49, lon: 117.86, address: 'Gate', description: '', zone: 'g1' }
  t.same(incidentFeatures([row]), {
    type: 'FeatureCollection',
    features: [{
      type: 'Feature', id: 'i1', geometry: { type: 'Point', coordinates: [117.86, 36.49] },
      properties: { id: 'i1', type: 'theft', priority: 2, ts: row.ts, address: 'Gate', description: '', zone: 'g1', time: '2026-11-30T08:00:00.000Z' },
    }],
  })
  t.same(incidentFeatures([]).features, [])
})

t.test('GET /api/v1/incidents over HTTP: filters reach the store, GeoJSON, partial while ClickHouse cannot be read', async (t) => {
  const config = testConfig()
  const base = await rig({ config })
  await base.app.close()
  const row = { id: 'R-1', type: 'theft', priority: 2, ts: T0 - 60_000, lat: 36.49, lon: 117.86, address: '', description: '', zone: 'g1' }
  const asked: unknown[] = []
  let down = false
  const store = {
    existing: async () => new Set<string>(), hotspotScores: async () => [], get: async () => null,
    query: async (q: unknown) => {
      asked.push(q)
      if (down) throw new Error('connection refused')
      return [row]
    },
  } as unknown as IncidentStore
  const incidents = new IncidentService({ setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => store, dir: tempDir(), now: () => T0, logger: pino({ level: 'silent' }), publish: () => undefined, journal: { incidents: () => undefined, planEvents: () => undefined }, unshipped: new UnshippedIncidents() })
  const r = await rig({ config, ctx: { incidents } })
  t.teardown(() => r.app.close())
  const get = (q: string) => r.app.inject({ url: `/api/v1/incidents${q}`, headers: as('read') })

  const all = await get('')
  const open = { status: 'open', assignments: [], outcome: null, closedBy: null, closedAt: null }
  t.same(all.json(), { from: T0 - 30 * 86_400_000, to: T0, incidents: [{ ...row, ...open }] }, 'the last 30 days by default, with each one\'s dispatch state')
  t.same(asked.pop(), { from: T0 - 30 * 86_400_000, to: T0, limit: 1000 }, 'no filters unless asked')
  await get('?type=theft&zone=g1&limit=5')
  t.same(asked.pop(), { from: T0 - 30 * 86_400_000, to: T0, limit: 5, type: 'theft', zone: 'g1' })
  const geo = (await get('?format=geojson')).json()
  t.equal(geo.type, 'FeatureCollection')
  t.same(geo.features.map((f: { id: string }) => f.id), ['R-1'])
  t.equal(geo.partial, undefined)
  down = true
  t.same((await get('')).json(), { from: T0 - 30 * 86_400_000, to: T0, incidents: [], partial: true })
  t.same((await get('?format=geojson')).json(), { type: 'FeatureCollection', features: [], partial: true })
})

t.test('POST /api/v1/incidents over HTTP: a single incident created, already stored or rejected; a bulk import counted', async (t) => {
  const config = testConfig()
  const base = await rig({ config })
  await base.app.close()
  const store = { existing: async (ids: string[]) => new Set(ids.filter((id) => id.startsWith('OLD'))), hotspotScores: async () => [], get: async () => null, query: async () => [] } as unknown as IncidentStore
  const incidents = new IncidentService({ setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => store, dir: tempDir(), now: () => T0, logger: pino({ level: 'silent' }), publish: () => undefined, journal: { incidents: () => undefined, planEvents: () => undefined }, unshipped: new UnshippedIncidents() })
  const r = await rig({ config, ctx: { incidents } })
  t.teardown(() => r.app.close())
  const post = (body: unknown) => r.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify(body) })
  const incident = (id: string) => ({ id, type: 'theft', lat: 36.49, lon: 117.86, time: T0 - 60_000 })

  const created = await post(incident('N-1'))
  t.equal(created.statusCode, 201)
  t.match(created.json(), { id: 'N-1', status: 'created', zone: 'g1' })
  t.ok(Array.isArray(created.json().resources), 'a new incident is answered with the nearest units')
  const old = await post(incident('OLD-1'))
  t.equal(old.statusCode, 200)
  t.same(old.json(), { id: 'OLD-1', status: 'exists' })
  const bad = await post({ id: 'B-1', type: 'theft', lat: 91, lon: 117.86 })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'HEXP_ERR_BAD_REQUEST')
  const bulk = await post({ incidents: [incident('N-2'), incident('OLD-2'), incident('N-3'), { id: 'B-2', type: 'theft' }] })
  t.equal(bulk.statusCode, 200)
  t.match(bulk.json(), { created: 2, exists: 1, rejected: 1, results: [{ id: 'B-2', status: 'rejected', reason: /lat/ }, { id: 'OLD-2', status: 'exists' }] })
  const nothing = await post([incident('OLD-3')])
  t.match(nothing.json(), { created: 0, exists: 1, rejected: 0 })
  const audited = r.audits.filter((a) => a.actor === 'sgt.wang').map((a) => [a.action, a.details.target ?? null, a.details.status])
  t.same(audited, [['incident.create', 'N-1', 201], ['incident.create', null, 200], ['incident.create', null, 400], ['incident.create', '2 incidents', 200], ['incident.create', null, 200]], 'only a change carries audit details')
})
