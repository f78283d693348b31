// Issue 4 end to end: a unit driving out of its post's radius over MQTT produces exactly one
// radius_breach.opened and one .resolved, in ClickHouse (alerts) and on the MQTT alert topic; an
// engine restart in the middle of the breach does not open it again; coverage snapshots land in
// ClickHouse for Grafana.
import t from 'tap'
import { startEngine, tempDir, waitFor, type Harness } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'

const STATION = { lat: 36.49, lon: 117.86 }
const config = {
  units: [{ id: 'P-017', name: 'Patrol car 17', post: 'station-03', zone: 'grid-2' }],
  posts: [{ id: 'station-03', name: 'Chengxi station', ...STATION, radius_m: 1500 }],
  zones: [{ id: 'grid-2', name: 'Grid 2', geometry: { type: 'Polygon', coordinates: [[[117.83, 36.47], [117.89, 36.47], [117.89, 36.53], [117.83, 36.53], [117.83, 36.47]]] }, coverage: { max_interval: '30m', min_ratio: 0.05 } }],
  rules: { radius: { dwell: '60s', hysteresis_m: 50, max_accuracy_m: 100 }, allowed_lateness: '0s', tick: '200ms', coverage_snapshot_interval: '300ms' },
}

// A track in fix time: 5 s between fixes; `d` = degrees of latitude north of the station (0.018° ≈ 2 km).
function track(start: number, from: number, n: number, d: number): Array<{ ts: number; lat: number; lon: number }> {
  return Array.from({ length: n }, (_, i) => ({ ts: start + (from + i) * 5000, lat: STATION.lat + d + (i % 2 ? 0.0001 : -0.0001), lon: STATION.lon }))
}

async function alertRows(h: Harness): Promise<Array<{ type: string; alert_id: string }>> {
  const rs = await h.engine.testHandle().ch.client.query({ query: `SELECT concat(kind, '.', state) AS type, alert_id FROM ${h.engine.testHandle().ch.database}.alerts WHERE kind = 'radius_breach' ORDER BY at`, format: 'JSONEachRow' })
  return rs.json()
}

t.test('radius breach over MQTT, across a restart, into ClickHouse and onto the alert topic', async (t) => {
  const dataDir = tempDir()
  const start = Date.now() - 600_000
  let h = await startEngine(config, { dataDir })
  t.teardown(() => h.engine.stop())
  const seen: Array<{ topic: string; type: string; alertId: string }> = []
  const listen = async (url: string) => {
    const sub = await connect(url, { clientId: `alerts-${Math.random()}` })
    await sub.subscribeAsync('hexpatrol/alerts/#', { qos: 1 })
    sub.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as { type: string; data: { alertId: string } }
      if (body.type.startsWith('radius_breach')) seen.push({ topic, type: body.type, alertId: body.data.alertId })
    })
    return sub
  }
  let sub = await listen(h.mqttUrl)
  let pub = await connect(h.mqttUrl, { clientId: 'p-017' })
  t.teardown(async () => { sub.end(true); pub.end(true) })
  const send = async (fixes: Array<{ ts: number; lat: number; lon: number }>) => {
    for (const f of fixes) await pub.publishAsync('fleet/P-017/position', JSON.stringify({ ...f, accuracy: 8 }), { qos: 1 })
  }
  await send(track(start, 0, 6, 0)) // at the post
  await send(track(start, 6, 20, 0.018)) // 2 km out: breach after 60 s of fix time
  await waitFor(() => seen.some((s) => s.type === 'radius_breach.opened'), 20_000)
  t.equal(seen.length, 1, 'exactly one opened')
  t.equal(seen[0]!.topic, 'hexpatrol/alerts/radius_breach/unit:P-017/post:station-03')
  const unit = h.engine.testHandle().rules!.unit('P-017', Date.now())!
  t.equal(unit.inBreach, true)
  await waitFor(async () => (await alertRows(h)).length === 1, 20_000)

  // Coverage snapshots reach ClickHouse.
  const coverage = await waitFor(async () => {
    const rs = await h.engine.testHandle().ch.client.query({ query: `SELECT count() AS c, countIf(fresh = 1) AS f FROM ${h.engine.testHandle().ch.database}.coverage`, format: 'JSONEachRow' })
    const [r] = await rs.json<{ c: string; f: string }>()
    return Number(r!.f) > 0 ? { rows: Number(r!.c), fresh: Number(r!.f) } : undefined
  }, 20_000)
  t.ok(coverage.rows >= coverage.fresh, `coverage snapshot rows are in ClickHouse (${coverage.rows}, ${coverage.fresh} fresh)`)

  // Restart in the middle of the breach.
  await sub.endAsync()
  await pub.endAsync()
  await h.engine.stop()
  h = await startEngine(config, { dataDir })
  sub = await listen(h.mqttUrl)
  pub = await connect(h.mqttUrl, { clientId: 'p-017b' })
  t.equal(h.engine.testHandle().rules!.unit('P-017', Date.now())!.inBreach, true, 'the breach survives the restart')
  await send(track(start, 26, 10, 0.018)) // still out: no second opened
  await send(track(start, 36, 20, 0)) // back at the post for longer than the dwell
  await waitFor(() => seen.some((s) => s.type === 'radius_breach.resolved'), 20_000)
  await new Promise((r) => setTimeout(r, 500))
  const types = seen.map((s) => s.type)
  t.same(types.filter((x) => x.endsWith('.opened')), ['radius_breach.opened'], 'no second opened across the restart')
  t.same(types.filter((x) => x.endsWith('.resolved')), ['radius_breach.resolved'], 'one resolved')
  t.equal(new Set(seen.map((s) => s.alertId)).size, 1, 'opened and resolved are the same alert')
  await waitFor(async () => (await alertRows(h)).length === 2, 20_000)
  const rows = await alertRows(h)
  t.same(rows.map((r) => r.type), ['radius_breach.opened', 'radius_breach.resolved'], 'the alerts table holds the full history')
  t.equal(rows[0]!.alert_id, rows[1]!.alert_id)
})

t.test('an alert transition is persisted at once, not at the next tick (kill -9 safety)', async (t) => {
  const { readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const dataDir = tempDir()
  const h = await startEngine({ ...config, rules: { ...config.rules, tick: '1h', coverage_snapshot_interval: '1h' } }, { dataDir })
  t.teardown(() => h.engine.stop())
  const pub = await connect(h.mqttUrl, { clientId: 'p-017c' })
  t.teardown(() => pub.endAsync())
  const start = Date.now() - 600_000
  for (const f of [...track(start, 0, 6, 0), ...track(start, 6, 20, 0.018)]) await pub.publishAsync('fleet/P-017/position', JSON.stringify({ ...f, accuracy: 8 }), { qos: 1 })
  await waitFor(() => h.engine.testHandle().rules!.openAlerts().some((a) => a.kind === 'radius_breach'), 10_000)
  const snap = readFileSync(join(dataDir, 'rules', 'changes.jsonl'), 'utf8')
  const id = h.engine.testHandle().rules!.openAlerts().find((a) => a.kind === 'radius_breach')!.id
  t.ok(snap.includes(id), 'the open breach is on disk before any tick ran')
})
