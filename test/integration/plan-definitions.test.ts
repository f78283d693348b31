// Plans defined at run time on a real engine: created and replaced through the API, activated with
// a nearest-at-activation checkpoint, each change an audit row in ClickHouse (the plan in
// details.target: a create has no id in its URL, so the row's target column is empty); after a stop and a
// start on the same data directory the run-time version, its history and the active plan with its
// picked unit are all still there.
import t from 'tap'
import type { ClickHouseClient } from '@clickhouse/client'
import { startEngine, tempDir, waitFor, type Harness } from '../helpers/harness.js'
import { rows } from '../helpers/clickhouse.js'
import { BASE, offset, square } from '../rules/helpers.js'

const TOKEN = 'plans-admin-token-0123456789'
const raw = {
  http: { admin_token: TOKEN },
  journal: { fsync: 'never', segment_max_age: '200ms' },
  posts: [{ id: 'st-1', lat: BASE.lat, lon: BASE.lon, radius_m: 5000 }],
  units: [{ id: 'V-01', post: 'st-1' }, { id: 'V-02' }],
  zones: [{ id: 'g1', geometry: square(BASE, 1000), coverage: { max_interval: '5m', min_ratio: 0 } }],
  plans: [{ id: 'gate', checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['V-01'] }] }],
}
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
const api = (h: Harness, path: string, init: RequestInit = {}) => fetch(`${h.httpUrl}${path}`, { ...init, headers: { ...auth, ...init.headers } })

t.test('run-time plans are audited and survive a restart', async (t) => {
  const dataDir = tempDir()
  const a = await startEngine(raw, { dataDir })
  let stopped = false
  t.teardown(() => (stopped ? undefined : a.engine.stop()))
  const near = offset(BASE, 0, 150)
  await a.engine.testHandle().ingestor.handle('fleet/V-02/position', Buffer.from(JSON.stringify({ ts: Date.now(), lat: near.lat, lon: near.lon, accuracy: 8 })))
  await waitFor(async () => ((await (await api(a, '/api/v1/units')).json()) as { units: Array<{ id: string; lastFix: unknown }> }).units.some((u) => u.id === 'V-02' && u.lastFix !== null))

  const ring = { id: 'ring', name: 'Ring', checkpoints: [{ name: 'East', lat: near.lat, lon: near.lon, nearest: 1 }] }
  t.equal((await api(a, '/api/v1/plans', { method: 'POST', body: JSON.stringify(ring) })).status, 201)
  t.equal((await api(a, '/api/v1/plans/ring', { method: 'PUT', body: JSON.stringify({ ...ring, name: 'Ring 2' }) })).status, 200)
  t.equal((await api(a, '/api/v1/plans/gate', { method: 'DELETE' })).status, 200)
  const act = await api(a, '/api/v1/plans/ring/activate', { method: 'POST', body: '{}' })
  t.match(await act.json(), { checkpoints: [{ picked: ['V-02'], units: [{ unitId: 'V-02', live: true }] }] }, 'the nearest live unit picked at activation')

  const { client, database: db } = a.engine.testHandle().ch
  const audit = await waitFor(async () => {
    const r = await rows<{ action: string; target: string; version: number }>(client as ClickHouseClient, `SELECT action, JSONExtractString(details, 'target') AS target, JSONExtractInt(details, 'version') AS version FROM ${db}.audit WHERE action LIKE 'plan.%' ORDER BY at`)
    return r.length >= 4 ? r : undefined
  }, 60_000)
  t.same(audit.map((r) => [r.action, r.target, Number(r.version)]), [['plan.create', 'ring', 1], ['plan.update', 'ring', 2], ['plan.delete', 'gate', 2], ['plan.activate', 'ring', 0]], 'an audit row per change, in ClickHouse')
  await a.engine.stop()
  stopped = true

  const b = await startEngine(raw, { dataDir })
  t.teardown(() => b.engine.stop())
  const list = await (await api(b, '/api/v1/plans')).json() as { plans: Array<{ id: string; name: string; version: number; active: boolean }> }
  t.same(list.plans.map((p) => [p.id, p.name, p.version, p.active]), [['ring', 'Ring 2', 2, true]], 'the run-time version in force, the config plan still deleted, the plan still active')
  t.match(await (await api(b, '/api/v1/plans/ring')).json(), { active: { checkpoints: [{ picked: ['V-02'], responsible: ['V-02'] }] } }, 'the picked unit kept')
  t.same(((await (await api(b, '/api/v1/plans/gate/versions')).json()) as { versions: Array<{ version: number; deleted: boolean }> }).versions.map((v) => [v.version, v.deleted]), [[1, false], [2, true]])
})
