// The wired engine: starting while ClickHouse is down (fixes journaled, schema created when it
// returns), the stored track through the API, coverage visits recovered from ClickHouse after a
// restart without a rule snapshot, and readiness when the external broker is unreachable.
import t from 'tap'
import { rmSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEngine, tempDir, waitFor } from './helpers/harness.js'
import { clickhouseFault } from './helpers/faults.js'
import { connect } from './helpers/publisher.js'
import { freePort } from './helpers/mosquitto.js'
import { committedPositions } from './helpers/clickhouse.js'

const zoneConfig = {
  units: [{ id: 'P-1', zone: 'g1' }],
  zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.85, 36.48], [117.87, 36.48], [117.87, 36.50], [117.85, 36.50], [117.85, 36.48]]] }, coverage: { max_interval: '30m' } }],
  rules: { tick: '200ms', allowed_lateness: '0s' },
}

t.test('starts with ClickHouse down, journals, creates the schema when it returns', async (t) => {
  const fault = clickhouseFault()
  fault.down = true
  const dataDir = tempDir()
  let h = await startEngine(zoneConfig, { dataDir, wrapClickHouse: fault.wrap })
  t.teardown(() => h.engine.stop())
  const ready = await h.engine.readiness()
  t.equal(ready.clickhouse!.ok, false)
  t.match(ready.clickhouse!.detail, /schema not created yet/)
  const pub = await connect(h.mqttUrl, { clientId: 'p1' })
  const now = Date.now()
  for (let i = 0; i < 20; i++) await pub.publishAsync('fleet/P-1/position', JSON.stringify({ ts: now - 60_000 + i * 1000, lat: 36.485 + i * 0.0005, lon: 117.86, seq: i }), { qos: 1 })
  await pub.endAsync()
  t.ok(h.engine.journal.bytes > 0 || h.engine.journal.pending().length > 0, 'journaled while ClickHouse is down')
  fault.down = false
  await waitFor(async () => (await h.engine.readiness()).clickhouse!.ok, 20_000, 200)
  const committed = () => committedPositions(h.engine.metrics)
  await waitFor(async () => (await committed()) >= 20, 30_000)
  // No token configured: the engine created one in <data dir>/admin-token.
  const auth = { authorization: `Bearer ${readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}` }
  const track = await (await fetch(`${h.httpUrl}/api/v1/units/P-1/track?from=${now - 120_000}&to=${now}`, { headers: auth })).json() as { points: Array<{ ts: number; lat: number }> }
  t.equal(track.points.length, 20, 'the stored track comes back in order')
  t.ok(track.points.every((p, i) => i === 0 || p.ts > track.points[i - 1]!.ts))
  const ratioBefore = h.engine.rules!.zones(Date.now())[0]!.ratio
  t.ok(ratioBefore > 0, 'the zone has fresh cells')

  // Restart without the rule snapshot: last visits come back from ClickHouse.
  await h.engine.stop()
  const snap = join(dataDir, 'rules', 'snapshot.json')
  t.ok(existsSync(snap))
  rmSync(snap)
  h = await startEngine(zoneConfig, { dataDir })
  t.equal(h.engine.rules!.zones(Date.now())[0]!.ratio, ratioBefore, 'coverage recovered from positions, no false gap')
  t.match(h.logs.map((l) => l.msg).join('\n'), /Remembering recently accepted fixes/, 're-delivery filter seeded from ClickHouse')
})

t.test('readiness names an unreachable external broker', async (t) => {
  const port = await freePort()
  const h = await startEngine({ mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnect_period: '200ms' } }, { rules: false })
  t.teardown(() => h.engine.stop())
  const r = await fetch(`${h.httpUrl}/readyz`)
  t.equal(r.status, 503)
  const body = await r.json() as { components: Record<string, { ok: boolean; detail: string }> }
  t.same(body.components.mqtt, { ok: false, detail: 'not subscribed to the broker' })
})
