// Issue 11: every /api/v1 route documents a 2xx response (walked from /docs/json), and what a
// route really answers matches the schema it declares. fastify's serializer silently drops fields
// a schema does not declare (and coerces types), so each answer is also compared with what the
// handler returned before serialization: a field the map or a client reads cannot vanish.
// One rig with every optional stage: incidents (real store), reports and replay on embedded
// ClickHouse with the scripted patrol day.
import t from 'tap'
import { pino } from 'pino'
import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { validateConfig } from '../../src/config/load.js'
import { openClickHouse } from '../../src/store/clickhouse/client.js'
import { migrate } from '../../src/store/clickhouse/schema.js'
import { createReports } from '../../src/reports/index.js'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService } from '../../src/incidents/service.js'
import { compilePatrolTasks } from '../../src/patrol-tasks/compile.js'
import { PatrolTaskService } from '../../src/patrol-tasks/service.js'
import { IntegrityStage } from '../../src/integrity/stage.js'
import { ClickHouseIncidentStore } from '../../src/store/clickhouse/incidents.js'
import { clickHouseAlertHistory } from '../../src/store/clickhouse/alert-history.js'
import { replaySource } from '../../src/store/clickhouse/replay-queries.js'
import { clickHouseReportQueries } from '../../src/store/clickhouse/report-queries.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { directJournal } from '../helpers/journal-rows.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { routesOf } from '../../src/api/server.js'
import { ErrorBody } from '../../src/api/schemas.js'
import { tempDir } from '../helpers/harness.js'
import { at, config as dayConfig, positions, zoneSamples, prioritySnapshots, alerts } from '../fixtures/patrol-day.js'
import { T0, as, fix, rig, testConfig } from './helpers.js'

/**
 * Routes under /api/v1 whose 2xx body is not JSON, so no JSON schema can describe it: each must
 * still document its 2xx answer, as text. Only streams and text formats belong here.
 */
const NON_JSON: Record<string, string> = {
  'GET /api/v1/stream': 'Server-Sent Events: an endless text/event-stream',
}

const ch = openClickHouse(validateConfig({ data_dir: tempDir() }))
t.teardown(() => ch.close())
const db = { client: ch.client, database: ch.database }

async function fullRig() {
  await migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 })
  await ch.client.insert({ table: `${ch.database}.positions`, values: positions(), format: 'JSONEachRow' })
  await ch.client.insert({ table: `${ch.database}.coverage_zones`, values: zoneSamples(), format: 'JSONEachRow' })
  await ch.client.insert({ table: `${ch.database}.coverage`, values: prioritySnapshots(), format: 'JSONEachRow' })
  await ch.client.insert({ table: `${ch.database}.alerts`, values: alerts(), format: 'JSONEachRow' })
  const config = testConfig({
    plans: [{ id: 'gate', name: 'Station gate', name_en: 'Station gate', checkpoints: [{ name: 'Gate', name_en: 'Main gate', lat: 36.49, lon: 117.86, units: ['P-1'], radius_m: 80 }] },
      { id: 'ring', positions: 'scene', checkpoints: [{ name: 'North', north_m: 300, posts: ['s1'] }] }],
    incidents: { rate: { threshold: 2 }, hotspots: { min_score: 0.5 } },
  })
  const base = await rig({ config })
  await base.app.close()
  const reportsCfg = validateConfig({ data_dir: tempDir(), ...dayConfig() })
  const reports = createReports({ config: reportsCfg, queries: clickHouseReportQueries(db), dataDir: tempDir(), logger: pino({ level: 'silent' }), now: () => at(24 + 9) }).api
  const unshipped = new UnshippedIncidents()
  const incidents = new IncidentService({ setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => new ClickHouseIncidentStore(ch.client, ch.database), dir: tempDir(), now: () => base.clock.now, logger: pino({ level: 'silent' }), publish: () => undefined, journal: directJournal(ch.client, ch.database, unshipped), unshipped })
  const patrolTasks = new PatrolTaskService({ setup: compilePatrolTasks(config, compileIncidents(config).search), rules: base.engine, busy: () => incidents.board.committedUnits(), publish: () => undefined })
  // One kept integrity signal of O-2 (the detectors' own tests drive them on tracks).
  const integrity = new IntegrityStage({ monitor: { observe: (f) => [{ unitId: f.unitId, kind: 'vehicle_speed', from: f.ts - 3_600_000, to: f.ts, relatedUnitId: 'P-1', evidence: { fastMinutes: 40 } }], flush: () => [] }, dayOf: () => 0, journal: () => undefined, publish: () => undefined, summary: () => '' })
  integrity.observe(fix('O-2', T0, 36.489, 117.861))
  const r = await rig({ config, ctx: { engine: base.engine, now: () => base.clock.now, incidents, patrolTasks, integrity, reports, alertHistory: clickHouseAlertHistory(db), replay: replaySource(db), logger: pino({ level: process.env.CONF_LOG ?? 'silent' }) } })
  // P-1 drives out of its post's radius for longer than the dwell (an open radius_breach, as in
  // api.test.ts); O-2 stands by the station. 
  for (let i = 0; i <= 16; i++) {
    base.clock.now = T0 + i * 5000
    base.ingest(fix('P-1', base.clock.now, 36.49 + (i < 2 ? 0 : 0.02), 117.86, base.clock.now - 300))
  }
  base.clock.now += 6000
  base.ingest(fix('O-2', base.clock.now, 36.489, 117.861))
  return { ...r, base, reportsCfg, patrolTasks }
}

/** The raw payload each handler returned, before fastify serialized it. */
function captureRaw(app: FastifyInstance): { last: unknown } {
  const box: { last: unknown } = { last: undefined }
  app.addHook('onRequest', async () => { box.last = undefined })
  app.addHook('preSerialization', async (_req, _reply, payload) => {
    box.last = payload
    return payload
  })
  return box
}

function routeOf(app: FastifyInstance, method: string, url: string) {
  const path = url.split('?')[0] as string
  return routesOf(app).find((r) => r.method === method && new RegExp(`^${r.url.replace(/[.]/g, '\\.').replace(/:[A-Za-z]+/g, '[^/]+').replace(/\*/g, '.*')}$`).test(path))
}

/** The JSON schema a route declares for a status (plain, or its application/json content). */
function jsonSchemaOf(declared: unknown): TSchema | undefined {
  const d = declared as { content?: Record<string, { schema: TSchema }> } | undefined
  return d?.content === undefined ? (d as TSchema | undefined) : d.content['application/json']?.schema
}

t.test('every /api/v1 route documents a 2xx response and its coded errors (/docs/json)', async (t) => {
  const r = await fullRig()
  t.teardown(() => r.app.close())
  const doc = (await r.app.inject('/docs/json')).json() as { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: { type?: string; $ref?: string; anyOf?: unknown } }> }> }>> }
  const missing: string[] = []
  const seen = new Set<string>()
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1')) continue
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`
      seen.add(key)
      const ok = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status))
      if (ok.length === 0) {
        missing.push(`${key}: no 2xx response`)
        continue
      }
      const bodies = ok.flatMap(([status, res]) => Object.entries(res.content ?? {}).map(([type, c]) => ({ status, type, schema: c.schema ?? {} })))
      if (key in NON_JSON) {
        if (!bodies.some((b) => !/json/.test(b.type) && b.schema.type === 'string')) missing.push(`${key}: its text 2xx body is not documented`)
        continue
      }
      // 204 has no body; every other 2xx must describe its JSON, not leave it open.
      const described = ok.every(([status]) => status === '204' || bodies.some((b) => b.status === status && /json/.test(b.type) && (b.schema.type !== undefined || b.schema.$ref !== undefined || b.schema.anyOf !== undefined) && b.schema.type !== 'string'))
      if (!described) missing.push(`${key}: a 2xx answer without a JSON schema`)
      for (const status of ['400', '401', '403']) {
        const e = op.responses?.[status]?.content?.['application/json']?.schema
        if (e === undefined) missing.push(`${key}: no ${status} error body`)
      }
    }
  }
  t.same(missing, [], 'every route documents its answers')
  const table = routesOf(r.app).filter((x) => x.url.startsWith('/api/v1') && x.method !== 'HEAD')
  t.same(table.map((x) => `${x.method} ${x.url}`).filter((k) => !seen.has(k)), [], 'every registered /api/v1 route is in the document (none hidden)')
  for (const k of Object.keys(NON_JSON)) t.ok(seen.has(k), `${k} exists (the exception list has no stale entries)`)
  t.ok(table.length >= 40, `${table.length} routes walked`)
})

t.test('real answers validate against their schemas and lose no field in serialization', async (t) => {
  const r = await fullRig()
  t.teardown(() => r.app.close())
  const raw = captureRaw(r.app)
  const checked = new Set<string>()
  const call = async (method: string, url: string, scope: 'read' | 'operate' | 'admin' = 'read', payload?: unknown, headers: Record<string, string> = {}) => {
    const res = await r.app.inject({ method: method as 'GET', url, headers: { ...as(scope), ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }) })
    check(method, url, res)
    return res
  }
  const check = (method: string, url: string, res: LightMyRequestResponse) => {
    const route = routeOf(r.app, method, url)
    const declared = route?.response?.[String(res.statusCode)]
    if (route === undefined || declared === undefined) {
      t.fail(`${method} ${url}: no response schema for ${res.statusCode} (${res.body.slice(0, 200)})`)
      return
    }
    checked.add(`${method} ${route.url}`)
    if (res.statusCode === 204) return
    const type = String(res.headers['content-type']).split(';')[0] as string
    if (!/json/.test(type)) {
      // CSV or HTML: documented as text under its own content type, sent as is.
      const content = (declared as { content?: Record<string, unknown> }).content ?? {}
      t.ok(type in content, `${method} ${url}: ${type} is a documented content type`)
      return
    }
    const schema = jsonSchemaOf(declared)!
    const body = res.json()
    const errors = [...Value.Errors(schema, [ErrorBody], body)].slice(0, 3).map((e) => `${e.path}: ${e.message}`)
    t.same(errors, [], `${method} ${url} ${res.statusCode} matches its schema`)
    // Errors are thrown, not returned: only handler payloads are captured. Replay positions are
    // streamed (written page by page, no serializer): their body was checked against the schema above.
    if (res.statusCode < 300 && route.url !== '/api/v1/replay/positions') t.same(body, JSON.parse(JSON.stringify(raw.last)), `${method} ${url}: nothing dropped or changed by the serializer`)
  }

  // Units, zones, alerts, session, webhooks (the map's routes).
  await call('GET', '/api/v1/units')
  await call('GET', '/api/v1/units?status=live')
  await call('GET', '/api/v1/units.geojson')
  await call('GET', '/api/v1/units/P-1')
  await call('GET', '/api/v1/units/nearest?lat=36.49&lon=117.86&k=2')
  await call('GET', '/api/v1/search/nearest?lat=36.49&lon=117.86')
  await call('GET', '/api/v1/units/P-1/track')
  t.equal((await call('GET', '/api/v1/units/O-2/integrity')).json().signals.length, 1)
  await call('GET', '/api/v1/units/P-1/track?format=geojson')
  await call('GET', '/api/v1/zones')
  await call('GET', '/api/v1/zones.geojson')
  await call('GET', '/api/v1/zones/g1')
  await call('GET', '/api/v1/zones/g1/cells')
  await call('GET', '/api/v1/zones/g1/cells?format=geojson&state=stale')
  await call('GET', '/api/v1/zones/g1/coverage?limit=3')
  await call('GET', '/api/v1/posts.geojson')
  t.match((await call('GET', '/api/v1/places?q=station&limit=3')).json(), { q: 'station', places: [{ name: 'Station 1', source: 'post' }], geocoder: 'off' })
  t.equal((await call('GET', '/api/v1/places?q=%20')).statusCode, 400)
  const open = await call('GET', '/api/v1/alerts?state=open')
  // History from ClickHouse (the fixture's rows carry no AlertEvent body: an empty page here).
  await call('GET', '/api/v1/alerts?state=resolved&kind=none')
  const alertId = (open.json() as { alerts: Array<{ id: string }> }).alerts[0]?.id
  t.ok(alertId, 'the rig has an open alert')
  await call('GET', `/api/v1/alerts/${alertId}`)
  await call('POST', `/api/v1/alerts/${alertId}/ack`, 'operate', { note: 'seen' })
  const [sos] = r.base.engine.sos('P-1', r.base.clock.now, 'jt808', null, r.base.clock.now)
  await call('POST', `/api/v1/alerts/${sos!.alertId}/resolve`, 'operate', { note: 'checked by radio' })
  await call('GET', '/api/v1/session')
  await call('GET', '/api/v1/webhooks', 'admin')
  await call('GET', '/api/v1/webhooks/dead-letters', 'admin')

  // Incidents, hotspots, levels, plans.
  const created = await call('POST', '/api/v1/incidents', 'operate', { id: 'R-1', type: 'robbery', lat: 36.5102, lon: 117.8601, address: 'Gate', description: 'bag snatched' })
  t.equal(created.statusCode, 201)
  t.equal(created.json().resources[0].unitId, 'P-1', 'the resource search answers, with its fields')
  t.equal((await call('POST', '/api/v1/incidents', 'operate', { id: 'R-1', type: 'robbery', lat: 36.49, lon: 117.86 })).json().status, 'exists')
  await call('POST', '/api/v1/incidents', 'operate', [{ id: 'R-2', type: 'theft', lat: 36.4903, lon: 117.8603, time: T0 - 3_600_000 }, { id: 'bad id', type: 'x' }])
  await call('POST', '/api/v1/incidents', 'operate', 'id,type,lat,lon\nR-3,burglary,36.4904,117.8604\n', { 'content-type': 'text/csv' })
  t.equal((await call('POST', '/api/v1/incidents', 'operate', { id: 'R-4', type: 'theft', lat: 0, lon: 0 })).statusCode, 400)
  await call('GET', `/api/v1/incidents?from=${T0 - 86_400_000}&to=${T0 + 86_400_000}`)
  const fc = await call('GET', `/api/v1/incidents?from=${T0 - 86_400_000}&to=${T0 + 86_400_000}&format=geojson`)
  t.equal(fc.json().features.length, 3)
  const hot = await call('GET', '/api/v1/hotspots')
  t.ok(hot.json().features.length > 0, 'a hotspot with its polygon and score')
  await call('GET', '/api/v1/hotspots?zone=g1')
  // The incidents above crossed the rate threshold in g1: its suggestion is accepted; a second
  // click is 409, an unknown one 404 (a dismissal's 200 is in test/api/incidents/suggestion-routes.test.ts).
  const suggested = (await call('GET', '/api/v1/levels')).json().suggestions as Array<{ id: string }>
  t.match(suggested, [{ zoneId: 'g1', to: 'enhanced', incidents: 2 }])
  const sid = encodeURIComponent(suggested[0]!.id)
  t.match((await call('POST', `/api/v1/levels/suggestions/${sid}/accept`, 'operate', {})).json(), { suggestion: { status: 'accepted', closedBy: 'sgt.wang' }, zone: { level: 'enhanced' }, changed: true })
  t.equal((await call('POST', `/api/v1/levels/suggestions/${sid}/dismiss`, 'operate', { reason: 'late' })).statusCode, 409)
  t.equal((await call('POST', '/api/v1/levels/suggestions/nope/dismiss', 'operate', {})).statusCode, 404)
  await call('PUT', '/api/v1/zones/g1/level', 'operate', { level: 'high', reason: 'robberies', until: String(T0 + 3_600_000) })
  t.equal((await call('PUT', '/api/v1/zones/nope/level', 'operate', { level: 'high', reason: 'x' })).statusCode, 404)
  const levels = await call('GET', '/api/v1/levels')
  t.match(levels.json().zones, [{ zoneId: 'g1', level: 'high', override: { by: 'sgt.wang', expiresAt: T0 + 3_600_000 } }])
  t.match(levels.json().ladder, [{ name: 'normal', rank: 0 }, { name: 'enhanced', maxIntervalMs: 1_200_000, hotspotIntervalMs: 600_000 }])
  t.match((await call('GET', '/api/v1/plans')).json().plans, [{ id: 'gate', nameEn: 'Station gate', checkpoints: [{ name: 'Main gate', nameEn: 'Main gate' }] }, { id: 'ring' }], 'locale en: name is name_en; nameEn beside it')
  await call('GET', '/api/v1/plans/gate')
  const act = await call('POST', '/api/v1/plans/gate/activate', 'operate', {})
  t.match(act.json().checkpoints, [{ name: 'Main gate', nameEn: 'Main gate', state: 'pending', responsible: ['P-1'], units: [{ unitId: 'P-1', live: true, inside: false, approaching: null }] }])
  await call('POST', '/api/v1/plans/ring/activate', 'operate', { incident_id: 'R-1' })
  t.equal((await call('POST', '/api/v1/plans/gate/activate', 'operate', {})).statusCode, 409)
  const detail = await call('GET', '/api/v1/plans/ring')
  t.match(detail.json(), { id: 'ring', positions: 'scene', checkpoints: [{ name: 'North', northM: 300, eastM: 0 }], active: { incidentId: 'R-1', centre: { lat: 36.5102 } } })
  await call('POST', '/api/v1/plans/gate/deactivate', 'operate')
  t.equal((await call('GET', '/api/v1/plans/nope')).statusCode, 404)
  // Plans defined at run time: created (with a nearest-at-activation checkpoint), replaced, activated, versions, deleted.
  const drill = { id: 'drill', name: 'Drill', name_en: 'Drill', checkpoints: [{ name: 'Gate', name_en: 'Main gate', lat: 36.49, lon: 117.86, nearest: 1, arrive_within: '4m' }] }
  t.equal((await call('POST', '/api/v1/plans', 'operate', drill)).statusCode, 201)
  t.match((await call('PUT', '/api/v1/plans/drill', 'operate', { ...drill, name: 'Drill 2', name_en: 'Drill 2' })).json(), { version: 2, spec: { name: 'Drill 2', nameEn: 'Drill 2', checkpoints: [{ nameEn: 'Main gate' }] } })
  t.match((await call('POST', '/api/v1/plans/drill/activate', 'operate', {})).json().checkpoints, [{ picked: [/./] }])
  await call('POST', '/api/v1/plans/drill/deactivate', 'operate')
  t.match((await call('GET', '/api/v1/plans/drill/versions')).json(), { planId: 'drill', versions: [{ version: 1 }, { version: 2 }] })
  t.match((await call('DELETE', '/api/v1/plans/drill', 'operate')).json(), { version: 3, deleted: true })
  // Dispatch: one incident, its candidates, assign, close.
  t.match((await call('GET', '/api/v1/incidents/R-1')).json(), { id: 'R-1', status: 'open', assignments: [] })
  await call('GET', '/api/v1/incidents/R-1/candidates?k=3')
  t.match((await call('POST', '/api/v1/incidents/R-1/assign', 'operate', { units: ['P-1'], note: 'go' })).json(), { added: ['P-1'], assignments: [{ unitId: 'P-1', by: 'sgt.wang' }] })
  t.match((await call('POST', '/api/v1/incidents/R-1/close', 'operate', { outcome: 'handled' })).json(), { status: 'closed', outcome: 'handled' })

  // Replay (the map's), on the stored patrol day.
  const pos = await call('GET', `/api/v1/replay/positions?from=${at(8)}&to=${at(9)}&step_ms=60000`)
  t.ok(pos.json().positions.length > 0)
  const cov = await call('GET', `/api/v1/replay/coverage?at=${at(12)}`)
  t.ok(cov.json().zones.length > 0)

  // Reports and bulletins.
  await call('GET', '/api/v1/reports/summary?day=2026-11-30')
  await call('GET', '/api/v1/reports/summary?day=2026-11-30&table=zones&format=csv')
  const unit = 'DRIVE'
  const range = `from=${at(0)}&to=${at(24)}`
  await call('GET', `/api/v1/reports/units/${unit}?${range}`)
  await call('GET', `/api/v1/reports/units/${unit}/stops?${range}`)
  await call('GET', `/api/v1/reports/units/${unit}/trips?${range}`)
  await call('GET', `/api/v1/reports/units/${unit}/route?${range}&limit=50`)
  await call('GET', `/api/v1/reports/units/${unit}/events?${range}`)
  await call('GET', `/api/v1/reports/events?${range}`)
  await call('GET', `/api/v1/reports/plans?${range}`)
  const regen = await call('POST', '/api/v1/reports/bulletins/daily/2026-11-30/regenerate', 'operate')
  t.equal(regen.statusCode, 201)
  await call('GET', '/api/v1/reports/bulletins')
  await call('GET', '/api/v1/reports/bulletins/daily/2026-11-30')
  const html = await call('GET', '/api/v1/reports/bulletins/daily/2026-11-30?format=html')
  t.match(html.headers['content-type'], /text\/html/, 'text formats pass through untouched')

  // Coded errors on the way (a sample per kind; every error body is { code, message }).
  await call('GET', '/api/v1/units/nope')
  await call('GET', '/api/v1/units/nearest?lat=Infinity&lon=1')
  const noToken = await r.app.inject({ url: '/api/v1/plans' })
  check('GET', '/api/v1/plans', noToken)
  t.equal(noToken.statusCode, 401)

  // Make-up patrols, last (the clock jumps two hours so g1's coverage_gap opens).
  for (const dt of [2 * 3_600_000, 3 * 60_000]) {
    r.base.clock.now += dt
    r.base.ingest(fix('P-1', r.base.clock.now, 36.46, 117.86))
    r.base.ingest(fix('O-2', r.base.clock.now, 36.52, 117.86))
  }
  r.patrolTasks.tick(r.base.clock.now)
  const board = await call('GET', '/api/v1/patrol-tasks')
  const proposals = board.json().proposals as Array<{ id: string; unit: unknown }>
  t.ok(proposals.some((p) => p.unit !== null), 'a proposal with a unit')
  const task = await call('POST', `/api/v1/patrol-tasks/proposals/${encodeURIComponent(proposals.find((p) => p.unit !== null)!.id)}/accept`, 'operate')
  t.equal(task.statusCode, 201)
  t.equal((await call('POST', '/api/v1/patrol-tasks/proposals/makeup:nope/dismiss', 'operate')).statusCode, 404)
  const rest = (await call('GET', '/api/v1/patrol-tasks')).json().proposals as Array<{ id: string }>
  if (rest[0] !== undefined) await call('POST', `/api/v1/patrol-tasks/proposals/${encodeURIComponent(rest[0].id)}/dismiss`, 'operate')
  await call('GET', '/api/v1/patrol-tasks')
  await call('POST', `/api/v1/patrol-tasks/${encodeURIComponent(task.json().id as string)}/cancel`, 'operate')

  const all = routesOf(r.app).filter((x) => x.url.startsWith('/api/v1') && x.method !== 'HEAD').map((x) => `${x.method} ${x.url}`)
  const untested = all.filter((k) => !checked.has(k) && !(k in NON_JSON))
  // Writes that would end the rig's state are covered by their own tests (session, webhooks, dead letters).
  t.same(untested.sort(), ['DELETE /api/v1/session', 'DELETE /api/v1/webhooks/:id', 'POST /api/v1/session', 'POST /api/v1/webhooks', 'POST /api/v1/webhooks/:id/enable', 'POST /api/v1/webhooks/dead-letters/:id/retry'], 'every other /api/v1 route answered here')
})
