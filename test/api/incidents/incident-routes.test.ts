// The pure steps of the incident routes: what a create request carries, a bulk import's summary,
// incidents as GeoJSON. The routes themselves: test/api/incidents.test.ts.
import t from 'tap'
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
