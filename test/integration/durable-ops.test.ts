// Issue 19 item 7: what the API acknowledges is durable. While ClickHouse is away a dispatcher
// records the robbery (2xx, readable at once), activates a plan for it, and every change is
// audited; a crash image of the data directory taken then (no clean shutdown) loses none of it;
// once ClickHouse is back each incident, plan event and audit row is stored exactly once, also
// when the journal is replayed over the same ClickHouse after a crash before the confirmation.
import t from 'tap'
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { startEngine, tempDir, waitFor, type Harness } from '../helpers/harness.js'
import { INCIDENT_SHIP_WAIT_MS } from '../../src/engine.js'
import { clickhouseFault } from '../helpers/faults.js'
import { rows } from '../helpers/clickhouse.js'
import { BASE, offset, square } from '../rules/helpers.js'

const TOKEN = 'durable-admin-token-0123456789'
const raw = {
  http: { admin_token: TOKEN },
  journal: { fsync: 'never', segment_max_age: '200ms' },
  posts: [{ id: 'st-1', lat: BASE.lat, lon: BASE.lon, radius_m: 5000 }],
  units: [{ id: 'V-01', post: 'st-1' }],
  zones: [{ id: 'g1', geometry: square(BASE, 1000), coverage: { max_interval: '5m', min_ratio: 0 } }],
  plans: [
    { id: 'ring', positions: 'scene', checkpoints: [{ name: 'North', north_m: 500, units: ['V-01'], arrive_within: '5m', radius_m: 80 }] },
    { id: 'gate', checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['V-01'] }] },
  ],
}
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
const api = (h: Harness, path: string, init: RequestInit = {}) => fetch(`${h.httpUrl}${path}`, { ...init, headers: { ...auth, ...init.headers } })

interface Stored { incidents: Record<string, number>; planEvents: Record<string, number>; audit: Record<string, number> }

/** Every row as key → copies, read without FINAL: a duplicate shows as 2. */
async function stored(h: Harness): Promise<Stored> {
  const { client, database: db } = h.engine.testHandle().ch
  const tally = async (q: string) => Object.fromEntries((await rows<{ k: string; n: number }>(client as ClickHouseClient, q)).map((r) => [r.k, Number(r.n)]))
  return {
    incidents: await tally(`SELECT id AS k, count() AS n FROM ${db}.incidents GROUP BY k`),
    planEvents: await tally(`SELECT type AS k, count() AS n FROM ${db}.plan_events GROUP BY k`),
    // One row per request: action and answered status.
    audit: await tally(`SELECT concat(action, ' ', toString(JSONExtractInt(details, 'status'))) AS k, count() AS n FROM ${db}.audit GROUP BY k`),
  }
}

const WANT: Stored = {
  incidents: { 'ROB-1': 1, 'OLD-1': 1 },
  planEvents: { 'plan.activated': 1 },
  audit: { 'incident.create 201': 2, 'incident.create 200': 1, 'plan.activate 200': 1 },
}
const complete = (s: Stored) => Object.keys(s.incidents).length >= 2 && s.planEvents['plan.activated'] !== undefined && Object.keys(s.audit).length >= 3

t.test('ClickHouse down: incident, plan and audit acknowledged; durable across a crash; stored once', async (t) => {
  const fault = clickhouseFault()
  const dataDir = tempDir()
  const a = await startEngine(raw, { dataDir, wrapClickHouse: fault.wrap })
  let stopA: Promise<void> | null = null
  t.teardown(() => stopA ?? a.engine.stop())
  fault.down = true

  const scene = offset(BASE, 200, 100)
  const created = await api(a, '/api/v1/incidents', { method: 'POST', body: JSON.stringify({ id: 'ROB-1', type: 'robbery', lat: scene.lat, lon: scene.lon }) })
  t.equal(created.status, 201, 'the robbery is recorded while ClickHouse is down')
  t.match(await created.json(), { id: 'ROB-1', status: 'created', zone: 'g1' })
  const list = await (await api(a, '/api/v1/incidents')).json() as { incidents: Array<{ id: string }>; partial?: boolean }
  t.same(list.incidents.map((i) => i.id), ['ROB-1'], 'readable at once')
  t.equal(list.partial, true, 'marked partial: ClickHouse could not be read')
  const again = await api(a, '/api/v1/incidents', { method: 'POST', body: JSON.stringify({ id: 'ROB-1', type: 'robbery', lat: scene.lat, lon: scene.lon }) })
  t.match(await again.json(), { id: 'ROB-1', status: 'exists' }, 'a re-sent POST finds it')
  // Inserts are known to fail now: an import does not wait for ClickHouse to take its rows.
  const started = Date.now()
  const old = await api(a, '/api/v1/incidents?import=true', { method: 'POST', body: JSON.stringify({ id: 'OLD-1', type: 'theft', lat: scene.lat, lon: scene.lon, time: Date.now() - 86_400_000 }) })
  t.equal(old.status, 201)
  // A POST that waited for ClickHouse would take at least INCIDENT_SHIP_WAIT_MS (its timer is the
  // only way the wait ends while inserts fail); any shorter answer proves it did not wait. The
  // bound is that wait itself, not a guess at how fast a (possibly loaded) machine answers.
  const took = Date.now() - started
  t.ok(took < INCIDENT_SHIP_WAIT_MS, `answered in ${took} ms, before a wait for ClickHouse (${INCIDENT_SHIP_WAIT_MS} ms) could have ended`)
  const act = await api(a, '/api/v1/plans/ring/activate', { method: 'POST', body: JSON.stringify({ incident_id: 'ROB-1' }) })
  t.equal(act.status, 200, 'a plan is activated for the incident not yet in ClickHouse')
  t.ok(fault.failures > 0, 'the outage was real')

  // What kill -9 would leave now: the data directory as it is on disk (ClickHouse's files apart:
  // the image gets a fresh embedded ClickHouse of its own).
  const image = tempDir()
  cpSync(dataDir, image, { recursive: true, filter: (src) => !src.startsWith(join(dataDir, 'clickhouse')) })

  // ClickHouse returns: everything arrives, once.
  fault.down = false
  const back = await waitFor(async () => { const s = await stored(a); return complete(s) && a.engine.testHandle().journal.pending().length === 0 ? s : undefined }, 60_000)
  t.same(back.incidents, WANT.incidents, 'the incident, once')
  t.same(back.planEvents, WANT.planEvents, 'the plan activation, once')
  t.same(back.audit, WANT.audit, 'the audit rows, once each')
  const after = await (await api(a, '/api/v1/incidents')).json() as { incidents: Array<{ id: string }>; partial?: boolean }
  t.same(after.incidents.map((i) => i.id), ['ROB-1', 'OLD-1'], 'once each in the list, from ClickHouse')
  t.equal(after.partial, undefined)
  stopA = a.engine.stop()
  await stopA

  // A crash after the inserts, before the segments were confirmed: the journal of the image is
  // shipped again over the same ClickHouse, with the same tokens: nothing doubles.
  rmSync(join(dataDir, 'journal'), { recursive: true })
  cpSync(join(image, 'journal'), join(dataDir, 'journal'), { recursive: true })
  const b = await startEngine(raw, { dataDir })
  t.ok(b.engine.testHandle().journal.pending().length > 0, 'the replayed journal holds the segments again')
  await waitFor(() => b.engine.testHandle().journal.pending().length === 0, 60_000)
  const replayed = await stored(b)
  t.same(replayed.incidents, WANT.incidents, 'replayed: the incident still once')
  t.same(replayed.planEvents, WANT.planEvents, 'replayed: the plan event still once')
  t.same(replayed.audit, WANT.audit, 'replayed: every audit row still once')
  await b.engine.stop()

  // The crash image on its own (fresh ClickHouse): nothing acknowledged before the crash is lost.
  const c = await startEngine(raw, { dataDir: image })
  t.teardown(() => c.engine.stop())
  const list2 = await (await api(c, '/api/v1/incidents')).json() as { incidents: Array<{ id: string }> }
  t.same(list2.incidents.map((i) => i.id), ['ROB-1', 'OLD-1'], 'after the crash the incidents are readable at once')
  const recovered = await waitFor(async () => { const s = await stored(c); return complete(s) ? s : undefined }, 60_000)
  t.same(recovered.incidents, WANT.incidents)
  t.same(recovered.planEvents, WANT.planEvents)
  t.same(recovered.audit, WANT.audit)
})

t.test('a crash while ClickHouse is away loses no plan event and no audit row', async (t) => {
  const fault = clickhouseFault()
  const dataDir = tempDir()
  const a = await startEngine(raw, { dataDir, wrapClickHouse: fault.wrap })
  fault.down = true
  t.equal((await api(a, '/api/v1/zones/g1/level', { method: 'PUT', body: JSON.stringify({ level: 'high', reason: 'robbery nearby' }) })).status, 200)
  t.equal((await api(a, '/api/v1/plans/gate/activate', { method: 'POST' })).status, 200)
  t.equal((await api(a, '/api/v1/plans/gate/deactivate', { method: 'POST' })).status, 200)
  // The crash image, then the old process goes away without shipping anything.
  const image = tempDir()
  cpSync(dataDir, image, { recursive: true, filter: (src) => !src.startsWith(join(dataDir, 'clickhouse')) })
  await a.engine.stop(1000)
  t.ok(fault.failures > 0, 'the outage was real')

  const c = await startEngine(raw, { dataDir: image })
  t.teardown(() => c.engine.stop())
  const want = { incidents: {}, planEvents: { 'plan.activated': 1, 'plan.deactivated': 1 }, audit: { 'zone.level 200': 1, 'plan.activate 200': 1, 'plan.deactivate 200': 1 } }
  const got = await waitFor(async () => { const s = await stored(c); return Object.keys(s.audit).length >= 3 && Object.keys(s.planEvents).length >= 2 ? s : undefined }, 30_000).catch(async () => stored(c))
  t.same(got, want, 'every acknowledged plan event and audit row, once')
})
