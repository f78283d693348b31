// Issue 24: incidents and their assignments survive a restart. A real engine (embedded broker and
// ClickHouse) records two incidents, assigns a unit to each, closes one with an outcome; stopped
// and started again on the same data directory, the single answer and the list show the same
// status, assignments and outcome, the closed one cannot be closed or assigned again (409), the
// unit it held is free; audit rows name every attempt.
import t from 'tap'
import type { ClickHouseClient } from '@clickhouse/client'
import { startEngine, tempDir, waitFor, type Harness } from '../helpers/harness.js'
import { rows } from '../helpers/clickhouse.js'
import { BASE, offset, square } from '../rules/helpers.js'

const TOKEN = 'dispatch-admin-token-0123456789'
const raw = {
  http: { admin_token: TOKEN },
  units: [{ id: 'V-01' }, { id: 'V-02' }, { id: 'V-03' }],
  zones: [{ id: 'g1', geometry: square(BASE, 1000), coverage: { max_interval: '5m', min_ratio: 0 } }],
}
const api = (h: Harness, path: string, body?: unknown) => fetch(`${h.httpUrl}${path}`, {
  method: body === undefined ? 'GET' : 'POST',
  headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
})

t.test('assignments, status and outcome survive a restart on the same data directory', async (t) => {
  const dataDir = tempDir()
  const a = await startEngine(raw, { dataDir })
  let stopped = false
  t.teardown(() => (stopped ? undefined : a.engine.stop()))
  await waitFor(async () => (await api(a, '/api/v1/incidents', { id: 'ROB-1', type: 'robbery', lat: BASE.lat, lon: BASE.lon })).status === 201, 60_000, 500)
  t.equal((await api(a, '/api/v1/incidents', { id: 'ROB-2', type: 'theft', ...offset(BASE, 300, 0) })).status, 201)
  const one = await api(a, '/api/v1/incidents/ROB-1/assign', { units: ['V-01'], note: 'first' })
  t.equal(one.status, 200)
  t.equal((await api(a, '/api/v1/incidents/ROB-2/assign', { units: ['V-02'] })).status, 200)
  const closed = await api(a, '/api/v1/incidents/ROB-1/close', { outcome: 'suspect arrested' })
  t.equal(closed.status, 200)
  const before = await (await api(a, '/api/v1/incidents/ROB-1')).json() as Record<string, unknown>

  await a.engine.stop()
  stopped = true
  const b = await startEngine(raw, { dataDir })
  t.teardown(() => b.engine.stop())
  const r1 = await waitFor(async () => {
    const r = await api(b, '/api/v1/incidents/ROB-1')
    return r.status === 200 ? await r.json() as Record<string, unknown> : false
  }, 60_000, 500)
  t.same(r1, before, 'the closed incident reads the same after the restart')
  t.match(r1, { status: 'closed', outcome: 'suspect arrested', closedBy: 'admin', assignments: [{ unitId: 'V-01', note: 'first' }] })
  const r2 = await (await api(b, '/api/v1/incidents/ROB-2')).json()
  t.match(r2, { status: 'open', assignments: [{ unitId: 'V-02' }] })
  const list = await (await api(b, '/api/v1/incidents')).json() as { incidents: Array<{ id: string; status: string }> }
  t.same(list.incidents.map((i) => [i.id, i.status]).sort(), [['ROB-1', 'closed'], ['ROB-2', 'open']])
  t.equal((await api(b, '/api/v1/incidents/ROB-1/close', { outcome: 'again' })).status, 409, 'still closed')
  t.equal((await api(b, '/api/v1/incidents/ROB-1/assign', { units: ['V-03'] })).status, 409)
  t.equal((await api(b, '/api/v1/incidents/ROB-2/assign', { units: ['V-01'] })).status, 200, 'V-01 was freed by the close, before the restart')

  const { client, database: db } = b.engine.testHandle().ch
  const audit = await waitFor(async () => {
    const got = await rows<{ k: string }>(client as ClickHouseClient, `SELECT concat(action, ' ', target, ' ', toString(JSONExtractInt(details, 'status'))) AS k FROM ${db}.audit WHERE action IN ('incident.assign', 'incident.close')`)
    return got.length >= 6 ? got.map((r) => r.k) : false
  }, 30_000, 250)
  t.same(audit.sort(), ['incident.assign ROB-1 200', 'incident.assign ROB-2 200', 'incident.close ROB-1 200', 'incident.close ROB-1 409', 'incident.assign ROB-1 409', 'incident.assign ROB-2 200'].sort(), 'every attempt, before and after the restart')
})
