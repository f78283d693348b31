// One engine in cluster mode, in this process (the multi-engine tests run child processes): it
// joins, owns every partition and the schedule role, takes fixes through the log, opens a breach and
// an SOS from the replica, delivers them by webhook, takes an acknowledgement and an SOS resolution
// as commands through the log, writes the fleet snapshot, answers /readyz with the cluster; a second
// engine started after it restores that snapshot. Both use one ClickHouse endpoint
// (test/helpers/clickhouse-http.ts), since one process may open only one embedded ClickHouse.
import t from 'tap'
import { waitFor, type Harness } from '../helpers/harness.js'
import { startEngineCluster } from '../helpers/cluster.js'
import { webhookIdFor } from '../../src/delivery/dispatcher.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OP = 'cluster-engine-operate-token-0123456789'
const POST = { id: 'station-a', lat: 36.5, lon: 117.9, radius_m: 500 }
const P2_PASSWORD = 'p2-device-password-0123'

t.test('one engine in cluster mode: log, replica, ownership, delivery, commands, snapshot', { timeout: 240_000 }, async (t) => {
  const peers = await startEngineCluster(t, { secret: SECRET, token: OP, events: ['radius_breach.*', 'unit_sos.*', 'integrity.signal'], config: {
    units: [{ id: 'P-1', post: POST.id }, { id: 'P-2', post: POST.id }],
    posts: [POST],
    rules: { radius: { dwell: '0s', hysteresis_m: 10 }, tick: '1s' },
    broker: { users: [{ username: 'P-2', password: P2_PASSWORD }] },
  } })
  if (peers === null) return
  const { ch, rx } = peers
  let h: Harness | null = await peers.start('solo')
  const engine = h.engine
  const cluster = engine.cluster!
  t.ok(cluster !== undefined, 'cluster mode is on')
  await waitFor(async () => (await cluster.status()).owned.length === 4, 30_000)
  t.ok(cluster.holdsRole('schedule'), 'the only engine holds the schedule role')
  const ready = await fetch(`${h.httpUrl}/readyz`)
  t.equal(ready.status, 200)
  t.match(((await ready.json()) as { components: Record<string, { detail: string }> }).components.cluster!.detail, /node solo, 1 member\(s\), owns 4 of 4 partitions \[0,1,2,3\]/)

  const ingest = engine.testHandle().ingestor
  const send = (body: Record<string, unknown>) => ingest.handle('fleet/P-1/position', Buffer.from(JSON.stringify(body)))
  const t0 = Date.now() - 120_000
  await send({ ts: t0, lat: POST.lat, lon: POST.lon, accuracy: 5 })
  await send({ ts: t0 + 60_000, lat: POST.lat + 0.02, lon: POST.lon, accuracy: 5 })
  const breach = await waitFor(() => rx.received.find((r) => r.type === 'radius_breach.opened'), 30_000).catch((err: unknown) => {
    t.comment(JSON.stringify({ alerts: engine.testHandle().rules?.openAlerts(), unit: engine.testHandle().rules?.unit('P-1', Date.now()), received: rx.received.length }))
    for (const l of h!.logs.filter((l) => Number(l.level) >= 40).slice(-10)) t.comment(JSON.stringify(l).slice(0, 400))
    throw err
  })
  t.ok(breach.verified, 'the breach arrives signed')
  const alertId = (breach.body.data as { alertId: string }).alertId
  t.ok(engine.testHandle().rules?.getAlert(alertId) !== undefined, 'the replica holds the alert')

  const api = (path: string, body: unknown) => fetch(`${h!.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${OP}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const ack = await api(`/api/v1/alerts/${alertId}/ack`, { note: 'on my way' })
  t.equal(ack.status, 200, 'the acknowledgement went through the log and came back')
  t.match(await ack.json(), { alertId, state: 'acknowledged', acknowledgedBy: 'sgt.wang' })
  t.equal((await api(`/api/v1/alerts/${alertId}/ack`, {})).status, 409, 'a second acknowledgement: not open')
  await waitFor(() => rx.received.find((r) => r.type === 'radius_breach.acknowledged'), 30_000)

  await send({ ts: t0 + 70_000, lat: POST.lat + 0.02, lon: POST.lon, accuracy: 5, sos: true })
  const sos = await waitFor(() => rx.received.find((r) => r.type === 'unit_sos.opened'), 30_000)
  const sosId = (sos.body.data as { alertId: string }).alertId
  const resolved = await api(`/api/v1/alerts/${sosId}/resolve`, { note: 'false alarm, checked by phone' })
  t.equal(resolved.status, 200)
  t.match(await resolved.json(), { alertId: sosId, state: 'resolved' })

  // The same fix time again, elsewhere: stored flagged `duplicate` (kept from the rules) and counted
  // once, by the owner of its partition (every engine applies it).
  await send({ ts: t0 + 70_000, lat: POST.lat + 0.021, lon: POST.lon, accuracy: 5 })
  const duplicates = async () => (await engine.metrics.fixesFlagged.get()).values.find((v) => v.labels.flag === 'duplicate')?.value ?? 0
  await waitFor(async () => (await duplicates()) > 0, 30_000)
  t.equal(await duplicates(), 1, 'hexpatrol_fixes_flagged_total{flag="duplicate"} counts it once')

  // Patrol integrity runs in the replica: three mocked fixes from Traccar Client (OsmAnd, mock=true)
  // and a real one make a mock_location signal, delivered once by the owner of P-2's partition,
  // stored in integrity_signals, and on the API.
  const m0 = Math.ceil(t0 / 1000) * 1000 // OsmAnd sends whole seconds
  const osmand = (ts: number, mock: boolean) => fetch(`${h!.httpUrl}/ingest/osmand?id=P-2&key=${P2_PASSWORD}&lat=${POST.lat}&lon=${POST.lon + (ts - m0) / 1e9}&timestamp=${ts / 1000}&accuracy=5${mock ? '&mock=true' : ''}`, { method: 'POST' })
  for (let i = 0; i < 4; i++) t.equal((await osmand(m0 + 10_000 * (i + 1), i < 3)).status, 200)
  const signal = await waitFor(() => rx.received.find((r) => r.type === 'integrity.signal'), 30_000)
  t.ok(signal.verified, 'the integrity signal arrives signed')
  t.equal(signal.id, webhookIdFor(`integrity.mock_location.P-2.${m0 + 10_000}`), 'its webhook-id is the signal\'s stable id')
  t.match(signal.body, { type: 'integrity.signal', data: { unitId: 'P-2', kind: 'mock_location', from: m0 + 10_000, to: m0 + 30_000, evidence: { fixes: 3 } } })
  const signals = await fetch(`${h.httpUrl}/api/v1/units/P-2/integrity?from=${t0}`, { headers: { authorization: `Bearer ${OP}` } })
  t.equal(signals.status, 200, 'the integrity route answers in cluster mode')
  t.match(await signals.json(), { unitId: 'P-2', signals: [{ id: `integrity.mock_location.P-2.${m0 + 10_000}`, kind: 'mock_location', from: m0 + 10_000, to: m0 + 30_000 }] })
  await waitFor(async () => Number((await ch.query('SELECT count() AS n FROM hexpatrol.integrity_signals'))[0]?.n) === 1, 60_000)
  t.pass('its row is stored once')

  // Make-up patrols run in the replica: the board answers from the engine, and a change goes
  // through the log and comes back with the board's answer (here: no such proposal).
  const board = await fetch(`${h.httpUrl}/api/v1/patrol-tasks`, { headers: { authorization: `Bearer ${OP}` } })
  t.equal(board.status, 200, 'the make-up patrol board answers in cluster mode')
  t.same(await board.json(), { proposals: [], tasks: [] })
  const dismiss = await api('/api/v1/patrol-tasks/proposals/makeup:nope/dismiss', {})
  t.equal(dismiss.status, 404, 'a dismissal went through the log and came back refused')
  t.match(await dismiss.json(), { code: 'HEXP_ERR_NOT_FOUND', message: /make-up proposal makeup:nope/ })

  // Rows reach ClickHouse from the partition's owner (batched each second).
  await waitFor(async () => Number((await ch.query('SELECT count() AS n FROM hexpatrol.positions'))[0]?.n) === 8, 60_000)
  t.pass('the eight fixes (one flagged) are stored once')
  t.equal(rx.received.filter((r) => r.type === 'integrity.signal').length, 1, 'the signal was delivered once')
  t.equal(await cluster.snapshotIfScheduler(), true, 'the schedule holder writes the fleet snapshot')
  t.ok(cluster.pending().size >= 0)
  await engine.stop()
  h = null

  // A new engine (another node) restores the snapshot and knows the unit at once.
  const h2 = await peers.start('second')
  const unit = await fetch(`${h2.httpUrl}/api/v1/units/P-1`, { headers: { authorization: `Bearer ${OP}` } })
  t.equal(unit.status, 200)
  t.match(await unit.json(), { id: 'P-1', lastFix: { ts: t0 + 70_000 } })
  t.ok(h2.logs.some((l) => l.msg === 'Cluster replica caught up with the log.' && l.restored !== null), 'it restored the snapshot before replaying')
})
