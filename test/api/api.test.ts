// Every API route through fastify.inject with a real rule engine and dispatcher behind it:
// success, validation error, 401 and 403, and each response checked against its route's schema.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { buildApi } from '../../src/api/server.js'
import { StreamHub } from '../../src/api/stream-hub.js'
import { parseTime } from '../../src/api/time-param.js'
import { decodeCursor, encodeCursor } from '../../src/api/alerts.js'
import { T0, as, conforms, fix, rig } from './helpers.js'
import { tempDir } from '../helpers/harness.js'

const r = await rig()
const { app, engine, emitted, audits, clock } = r
t.teardown(() => app.close())

async function call(method: string, url: string, headers: Record<string, string> = as('read'), payload?: unknown) {
  const res = await app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
  conforms(t, app, method, url, res)
  return res
}

// P-1 drives out of its post's radius for longer than the dwell; O-2 stands by the station.
for (let i = 0; i <= 16; i++) {
  clock.now = T0 + i * 5000
  r.ingest(fix('P-1', clock.now, 36.49 + (i < 2 ? 0 : 0.02), 117.86, clock.now - 300))
}
clock.now += 6000
r.ingest(fix('O-2', clock.now, 36.489, 117.861))

t.test('health, readiness and metrics are public', async (t) => {
  t.same((await call('GET', '/healthz', {})).json(), { status: 'ok' })
  const ready = await call('GET', '/readyz', {})
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().status, 'ready')
  const m = await app.inject('/metrics')
  t.equal(m.statusCode, 200)
  t.match(m.headers['content-type'], /text\/plain/)
})

t.test('units: list with filters, one unit, GeoJSON', async (t) => {
  let res = await call('GET', '/api/v1/units')
  t.same(res.json().units.map((u: { id: string }) => u.id).sort(), ['O-2', 'P-1'])
  t.same((await call('GET', '/api/v1/units?kind=officer')).json().units.map((u: { id: string }) => u.id), ['O-2'])
  t.same((await call('GET', '/api/v1/units?post=s1&zone=g1')).json().units.map((u: { id: string }) => u.id), ['P-1'])
  t.same((await call('GET', '/api/v1/units?status=in_breach')).json().units.map((u: { id: string }) => u.id), ['P-1'])
  t.same((await call('GET', '/api/v1/units?status=live')).json().units.length, 2)
  t.same((await call('GET', '/api/v1/units?status=silent')).json().units, [])
  t.same((await call('GET', '/api/v1/units?status=outside_zone')).json().units, [])
  t.same((await call('GET', '/api/v1/units?status=no_fix')).json().units, [])
  t.equal((await call('GET', '/api/v1/units?status=asleep')).statusCode, 400)
  res = await call('GET', '/api/v1/units/P-1')
  const p1 = res.json()
  t.equal(p1.inBreach, true, 'P-1 is in breach after the dwell')
  t.ok(p1.distanceFromPostM > 1500)
  t.equal(p1.clockOffsetMs, 300, 'fix time minus arrival: the device clock runs 300 ms ahead')
  t.same(p1.openAlerts.map((a: { kind: string }) => a.kind), ['radius_breach'])
  t.equal((await call('GET', '/api/v1/units/NOPE')).statusCode, 404)
  const gj = await call('GET', '/api/v1/units.geojson?kind=vehicle')
  t.match(gj.headers['content-type'], /application\/geo\+json/)
  const f = gj.json().features[0]
  t.equal(f.geometry.type, 'Point')
  t.same(f.geometry.coordinates.map((c: number) => c.toFixed(6)), ['117.860000', '36.510000'], '[lon, lat]')
  t.equal(f.properties.id, 'P-1')
  t.equal(f.properties.inBreach, true)
  t.equal((await call('GET', '/api/v1/units.geojson?colour=red')).statusCode, 400)
})

t.test('units without a fix have no clock offset and no feature', async (t) => {
  const x = await rig()
  t.teardown(() => x.app.close())
  const res = await x.app.inject({ url: '/api/v1/units/P-1', headers: as('read') })
  t.equal(res.json().clockOffsetMs, null)
  t.same((await x.app.inject({ url: '/api/v1/units?status=no_fix', headers: as('read') })).json().units.length, 2)
  t.same((await x.app.inject({ url: '/api/v1/units.geojson', headers: as('read') })).json().features, [])
})

t.test('nearest units: sorted great-circle distance, filters, strict numbers', async (t) => {
  let res = await call('GET', '/api/v1/units/nearest?lat=36.49&lon=117.86&k=1')
  t.equal(res.json().units[0].id, 'O-2', 'the officer next to the station is nearest')
  t.ok(res.json().units[0].distanceM < 200)
  res = await call('GET', '/api/v1/units/nearest?lat=36.52&lon=117.86&k=5&kind=vehicle&max_distance_m=5000')
  t.same(res.json().units.map((u: { id: string }) => u.id), ['P-1'])
  res = await call('GET', '/api/v1/units/nearest?lat=36.49&lon=117.86&k=5')
  t.same(res.json().units.map((u: { id: string }) => u.id), ['O-2', 'P-1'])
  t.same((await call('GET', '/api/v1/search/nearest?lat=36.49&lon=117.86&k=1')).json().units[0].id, 'O-2', 'the old path still answers')
  t.same((await call('GET', '/api/v1/units/nearest?lat=36.49&lon=117.86&kind=boat')).json().units, [], 'a kind nobody has')
  for (const q of ['lat=91&lon=0', 'lat=Infinity&lon=0', 'lat=-Infinity&lon=0', 'lat=1e400&lon=0', 'lat=0x10&lon=0', 'lat=%20&lon=0', 'lat=NaN&lon=0', 'lat=1&lon=2&k=0', 'lat=1&lon=2&k=1.5', 'lat=1&lon=2&evil=1', 'lon=2']) {
    res = await call('GET', `/api/v1/units/nearest?${q}`)
    t.equal(res.statusCode, 400, q)
    t.equal(res.json().code, 'HEXP_ERR_BAD_REQUEST')
  }
  t.match((await app.inject({ url: '/api/v1/units/nearest?lat=Infinity&lon=0', headers: as('read') })).json().message, /lat.*finite/)
})

t.test('track: JSON and GeoJSON, strict times', async (t) => {
  let res = await call('GET', '/api/v1/units/P-1/track?from=2027-01-15T08:00:00Z&to=1800000100000&limit=5')
  t.equal(res.json().points.length, 2)
  t.equal(res.json().from, Date.parse('2027-01-15T08:00:00Z'))
  res = await call('GET', `/api/v1/units/P-1/track?from=${T0}&to=${T0 + 60_000}&format=geojson`)
  const line = res.json().features[0]
  t.equal(line.geometry.type, 'LineString')
  t.same(line.geometry.coordinates[1], [117.861, 36.491], 'GeoJSON order is [lon, lat]')
  t.same(line.properties.times, [T0, T0 + 5000])
  res = await call('GET', `/api/v1/units/P-1/track?from=${T0}&format=geojson&limit=1`)
  t.equal(res.json().features[0].geometry.type, 'Point', 'one fix is a point')
  t.equal((await call('GET', '/api/v1/units/P-1/track?from=later')).statusCode, 400)
  t.equal((await call('GET', '/api/v1/units/P-1/track?to=99999999999999999999999')).statusCode, 400, 'beyond a Date is a 400, not a 500')
  t.equal((await call('GET', '/api/v1/units/P-1/track?to=9000000000000000')).statusCode, 400)
  t.equal((await call('GET', `/api/v1/units/P-1/track?from=${T0 + 10}&to=${T0}`)).statusCode, 400)
  t.equal((await call('GET', '/api/v1/units/P-1/track?format=kml')).statusCode, 400)
  t.equal(parseTime('', 7, 'x'), 7)
  t.equal(parseTime('-5', 7, 'x'), -5)
})

t.test('track with no points and without ClickHouse', async (t) => {
  const x = await rig({ ctx: { track: async () => [] } })
  t.teardown(() => x.app.close())
  t.same((await x.app.inject({ url: '/api/v1/units/P-1/track?format=geojson', headers: as('read') })).json().features, [])
  const y = await rig({ ctx: { track: undefined } })
  t.teardown(() => y.app.close())
  t.equal((await y.app.inject({ url: '/api/v1/units/P-1/track', headers: as('read') })).statusCode, 503)
})

t.test('zones, zone detail, polygons, cells, posts', async (t) => {
  let res = await call('GET', '/api/v1/zones')
  const z = res.json().zones[0]
  t.equal(z.id, 'g1')
  t.ok(z.cellCount > 100)
  res = await call('GET', '/api/v1/zones/g1')
  t.equal(res.json().geometry.type, 'Polygon')
  t.same(res.json().units, ['P-1', 'O-2'])
  t.same(res.json().openAlerts, [], 'the breach belongs to the unit, not the zone')
  t.equal((await call('GET', '/api/v1/zones/nope')).statusCode, 404)
  res = await call('GET', '/api/v1/zones.geojson')
  const zf = res.json().features[0]
  t.equal(zf.geometry.type, 'Polygon')
  t.equal(zf.properties.ratio, z.ratio)
  t.equal(zf.properties.openAlerts, 0)
  t.ok('responseRatio' in zf.properties)
  res = await call('GET', '/api/v1/zones/g1/cells')
  const cells = res.json().cells as Array<{ cell: string; fresh: boolean; lastVisit: number | null; priority: boolean; inZone: boolean; name?: string }>
  t.equal(cells.length, z.cellCount + 0, 'every zone cell (the priority cell lies inside the zone)')
  const visited = cells.filter((c) => c.fresh)
  t.ok(visited.length > 0, 'cells P-1 and O-2 drove through are fresh')
  t.ok(visited.every((c) => c.lastVisit !== null))
  const gate = cells.find((c) => c.priority)!
  t.equal(gate.name, 'Station gate')
  t.equal(gate.fresh, true)
  const fresh = (await call('GET', '/api/v1/zones/g1/cells?state=fresh')).json().cells
  const stale = (await call('GET', '/api/v1/zones/g1/cells?state=stale')).json().cells
  t.equal(fresh.length + stale.length, cells.length)
  res = await call('GET', '/api/v1/zones/g1/cells?state=fresh&format=geojson')
  const poly = res.json().features[0]
  t.equal(poly.geometry.type, 'Polygon')
  t.same(poly.geometry.coordinates[0][0], poly.geometry.coordinates[0].at(-1), 'the ring is closed')
  t.equal(poly.properties.fresh, true)
  t.equal((await call('GET', '/api/v1/zones/g1/cells?state=old')).statusCode, 400)
  t.equal((await call('GET', '/api/v1/zones/nope/cells')).statusCode, 404)
  // Every stale cell, stalest first; the limit takes the first ones.
  const all = (await call('GET', '/api/v1/zones/g1/coverage?limit=100000')).json().staleCells as Array<{ cell: string; lastVisit: number | null }>
  t.equal(all.length, stale.length, 'one entry per stale cell')
  t.same(new Set(all.map((c) => c.cell)), new Set((stale as Array<{ cell: string }>).map((c) => c.cell)), 'exactly the stale cells')
  t.ok(stale.length > 3, `more stale cells (${stale.length}) than the limit below`)
  res = await call('GET', '/api/v1/zones/g1/coverage?limit=3')
  t.same(res.json().staleCells, all.slice(0, 3), 'the three stalest')
  t.equal(res.json().zone.id, 'g1')
  t.same((await call('GET', '/api/v1/zones/g1/coverage?limit=0')).json().staleCells, [])
  t.equal((await call('GET', '/api/v1/zones/nope/coverage')).statusCode, 404)
  res = await call('GET', '/api/v1/posts.geojson')
  t.same(res.json().features[0].geometry.coordinates, [117.86, 36.49])
  t.same(res.json().features[0].properties, { id: 's1', name: 'Station 1', radiusM: 1500, units: ['P-1'] })
})

t.test('alerts: open list with filters and cursor, one alert, acknowledge (operate)', async (t) => {
  // A second open alert: O-2 goes silent.
  clock.now += 200_000
  emitted.push(...engine.tick(clock.now))
  let res = await call('GET', '/api/v1/alerts')
  const open = res.json().alerts as Array<{ id: string; kind: string; openedAt: number; last: { zoneId?: string } }>
  t.same([...new Set(open.map((a) => a.kind))].sort(), ['radius_breach', 'response_gap', 'unit_silent'])
  for (let i = 1; i < open.length; i++) t.ok(open[i - 1]!.openedAt >= open[i]!.openedAt, 'newest first')
  // Page through one at a time: the same alerts, in the same order, then no cursor.
  const paged: string[] = []
  let cursor: string | null = ''
  while (cursor !== null) {
    const page: { alerts: Array<{ id: string }>; nextCursor: string | null } = (await call('GET', `/api/v1/alerts?limit=1${cursor === '' ? '' : `&cursor=${cursor}`}`)).json()
    paged.push(...page.alerts.map((a) => a.id))
    cursor = page.nextCursor
  }
  t.same(paged, open.map((a) => a.id))
  t.same((await call('GET', '/api/v1/alerts?kind=unit_silent&unit=O-2')).json().alerts.length, 1)
  const inZone = (await call('GET', '/api/v1/alerts?zone=g1')).json().alerts as Array<{ kind: string }>
  t.same(inZone.map((a) => a.kind), ['response_gap'], 'the zone filter keeps zone alerts')
  t.same((await call('GET', `/api/v1/alerts?from=${clock.now + 1}`)).json().alerts.length, 0)
  t.same((await call('GET', '/api/v1/alerts?state=acknowledged')).json().alerts, [])
  t.equal((await call('GET', '/api/v1/alerts?state=closed')).statusCode, 400)
  t.equal((await call('GET', '/api/v1/alerts?cursor=bm9wZQ')).statusCode, 400)
  t.equal((await call('GET', '/api/v1/alerts?state=resolved')).statusCode, 503, 'history needs ClickHouse')
  t.same(decodeCursor(encodeCursor({ openedAt: 5, id: 'al_x:y' })), { openedAt: 5, id: 'al_x:y' })

  const breach = open.find((a) => a.kind === 'radius_breach')!
  res = await call('GET', `/api/v1/alerts/${breach.id}`)
  t.equal(res.json().transitions.length, 1, 'without ClickHouse: the engine\'s latest transition')
  t.equal((await call('GET', '/api/v1/alerts/al_nope')).statusCode, 404)

  const url = `/api/v1/alerts/${breach.id}/ack`
  t.equal((await call('POST', url, {}, {})).statusCode, 401)
  res = await call('POST', url, as('read'), {})
  t.equal(res.statusCode, 403, 'read cannot acknowledge')
  t.equal(res.json().code, 'HEXP_ERR_FORBIDDEN')
  t.equal((await call('POST', url, as('operate'), { by: 'someone' })).statusCode, 400, 'the acknowledger is the token, not a body field')
  t.equal((await call('POST', url, as('operate'), { note: 'x'.repeat(1001) })).statusCode, 400)
  const before = emitted.length
  const n = audits.length
  res = await call('POST', url, as('operate'), { note: 'Car 1 called in: traffic accident' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().type, 'radius_breach.acknowledged')
  t.equal(res.json().acknowledgedBy, 'sgt.wang', 'the token name is recorded')
  t.equal(emitted.length, before + 1, 'the transition is journaled and delivered')
  const row = audits.slice(n).find((a) => a.action === 'alert.acknowledge')!
  t.same(row, { actor: 'sgt.wang', action: 'alert.acknowledge', target: breach.id, details: { status: 200, note: 'Car 1 called in: traffic accident' }, ip: '127.0.0.1' })
  t.same((await call('GET', '/api/v1/alerts?state=acknowledged')).json().alerts.map((a: { id: string }) => a.id), [breach.id])
  t.equal((await call('POST', url, as('admin'))).statusCode, 409, 'already acknowledged (admin outranks operate; no body is fine)')
  t.equal((await call('POST', '/api/v1/alerts/al_nope/ack', as('operate'), {})).statusCode, 404)
})

t.test('webhook administration needs admin', async (t) => {
  t.equal((await call('GET', '/api/v1/webhooks', {})).statusCode, 401)
  t.equal((await call('GET', '/api/v1/webhooks', as('operate'))).statusCode, 403)
  let res = await call('GET', '/api/v1/webhooks', as('admin'))
  const list = res.json().webhooks as Array<{ id: string; url: string }>
  t.same(list.map((w) => w.id), ['desk'])
  t.notMatch(JSON.stringify(list), /whsec_/, 'secrets are never shown')
  const a = as('admin')
  res = await call('POST', '/api/v1/webhooks', a, { id: 'ops', url: 'https://ops.example.org/h', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['coverage_gap.*'] })
  t.equal(res.statusCode, 201)
  t.equal(res.json().id, 'ops')
  t.equal(audits.at(-1)!.action, 'webhook.create')
  t.notMatch(JSON.stringify(audits.at(-1)), /whsec_/, 'the audit row holds no secret')
  t.equal((await call('POST', '/api/v1/webhooks', a, { id: 'ops', url: 'https://ops.example.org/h' })).statusCode, 409)
  t.equal((await call('POST', '/api/v1/webhooks', a, { id: 'x', url: 'gopher://x' })).statusCode, 400)
  t.equal((await call('POST', '/api/v1/webhooks', a, { id: 'x', url: 'nope' })).statusCode, 400)
  res = await call('POST', '/api/v1/webhooks', a, { id: 'x', url: 'https://a', bogus: true })
  t.equal(res.statusCode, 400)
  t.match(res.json().message, /bogus/)
  t.equal((await call('POST', '/api/v1/webhooks/ops/enable', a)).statusCode, 200)
  t.equal((await call('POST', '/api/v1/webhooks/none/enable', a)).statusCode, 404)
  t.same((await call('GET', '/api/v1/webhooks/dead-letters', a)).json(), { deadLetters: [] })
  t.equal((await call('POST', '/api/v1/webhooks/dead-letters/none/retry', a)).statusCode, 404)
  t.equal((await call('DELETE', '/api/v1/webhooks/ops', a)).statusCode, 204)
  t.equal((await call('DELETE', '/api/v1/webhooks/ops', a)).statusCode, 404)
  t.equal((await call('DELETE', `/api/v1/webhooks/${'x'.repeat(129)}`, a)).statusCode, 400)
})

t.test('hostile requests get clear errors', async (t) => {
  const h = { ...as('operate'), 'content-type': 'application/json' }
  const url = '/api/v1/alerts/x/ack'
  t.equal((await app.inject({ method: 'POST', url, headers: h, payload: JSON.stringify({ note: 'x'.repeat(10_000) }) })).statusCode, 413)
  t.equal((await app.inject({ method: 'POST', url, headers: h, payload: '{"note":' })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url, headers: h, payload: '{"__proto__":{"admin":true}}' })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url, headers: { ...h, 'content-type': 'text/xml' }, payload: '<by/>' })).statusCode, 415)
  // 400,000 levels deep: refused before parsing, no stack overflow (body limit raised for it).
  const x = await rig({ config: (await import('./helpers.js')).testConfig({ http: { body_limit_bytes: 1_048_576 } }) })
  t.teardown(() => x.app.close())
  const deep = await x.app.inject({ method: 'POST', url, headers: h, payload: '['.repeat(400_000) + ']'.repeat(400_000) })
  t.equal(deep.statusCode, 400)
  t.match(deep.json().message, /nested deeper than 32/)
  const strings = await x.app.inject({ method: 'POST', url, headers: h, payload: JSON.stringify({ note: '[[[[{{{{'.repeat(100) + '\\"' }) })
  t.equal(strings.statusCode, 404, 'brackets inside strings do not count as nesting')
  const nf = await app.inject('/nope')
  t.equal(nf.statusCode, 404)
  t.equal(nf.json().code, 'HEXP_ERR_NOT_FOUND')
  t.equal((await app.inject({ url: `/api/v1/units/${'x'.repeat(500)}`, headers: as('read') })).statusCode, 414, 'over-long path parameters are refused before any handler')
})

t.test('without an engine or dispatcher the routes say so', async (t) => {
  const bare = await buildApi({ ...r.ctx, config: validateConfig({ data_dir: tempDir(), http: { admin_token: 'admin-token-0123456789' } }), engine: undefined, dispatcher: undefined, track: undefined, stream: new StreamHub() })
  t.teardown(() => bare.close())
  const a = as('admin')
  for (const url of ['/api/v1/units', '/api/v1/alerts', '/api/v1/units/P-1/track', '/api/v1/webhooks', '/api/v1/zones/g1']) {
    const res = await bare.inject({ url, headers: a })
    t.equal(res.statusCode, 503, url)
    t.equal(res.json().code, 'HEXP_ERR_NOT_READY')
  }
  t.equal((await bare.inject({ url: '/api/v1/alerts/al_x', headers: a })).statusCode, 404)
})

t.test('OpenAPI document and docs UI are public and offline', async (t) => {
  const doc = (await app.inject('/docs/json')).json()
  t.equal(doc.openapi, '3.0.3')
  t.ok(doc.paths['/api/v1/units/nearest'].get.parameters.some((p: { name: string }) => p.name === 'lat'))
  t.match(doc.paths['/api/v1/alerts/{id}/ack'].post.description, /Scope: `operate`/)
  t.same(doc.paths['/api/v1/units'].get.security, [{ bearer: [] }, { session: [] }])
  t.ok(doc.paths['/api/v1/units'].get.responses['401'], 'error responses are documented')
  t.ok(doc.components.securitySchemes.bearer)
  const ui = await app.inject('/docs')
  t.equal(ui.statusCode, 200)
  t.notMatch(ui.body, /https?:\/\/(?!localhost)[a-z]/i, 'no external assets')
  t.equal((await app.inject('/docs/static/swagger-ui-bundle.js')).statusCode, 200)
})
