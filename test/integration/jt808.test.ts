// A simulated JT/T 808 terminal over TCP against the real engine: register → auth → heartbeat →
// locations (one with the emergency alarm) → blind-area batch → logout; the fixes land in
// ClickHouse as source jt808, topic jt808:<phone>; the SOS opens unit_sos; an unknown terminal is
// refused with nothing stored; a connection spraying junk harms no one; the code survives a restart.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { startEngine, waitFor } from '../helpers/harness.js'
import { rows } from '../helpers/clickhouse.js'
import { generalAnswer, TerminalConnection, Terminal } from '../helpers/jt808-terminal.js'
import { MsgId, Result } from '../../src/decode/jt808/bodies.js'

const CONFIG = {
  jt808: { port: 0 },
  units: [{ id: 'car-1', name: 'Patrol car 1', jt808: '013800000001' }, { id: 'P-2' }],
  // The phone's device login: OsmAnd requests carry it as `key` (http_ingest.osmand_auth: credentials).
  broker: { users: [{ username: 'P-2', password: 'p2-device-password' }] },
  journal: { segment_max_age: '100ms' },
}

t.test('a terminal session through the running engine', async (t) => {
  const h = await startEngine(CONFIG)
  let stopped = false
  t.teardown(() => (stopped ? undefined : h.engine.stop()))
  const port = h.engine.testHandle().jt808!.port
  t.ok(port > 0)

  // Junk first, on its own connection: no frame, no crash, nothing stored.
  const junk = await TerminalConnection.open(port)
  junk.send(Buffer.from(randomBytes(50_000).map((b) => (b === 0x7e ? 0 : b))))
  junk.send(Buffer.concat([Buffer.from([0x7e]), Buffer.alloc(10_000, 0x41), Buffer.from([0x7e, 0x7e, 0x7d, 0x7e])]))

  const c = await TerminalConnection.open(port)
  const term = new Terminal('013800000001')
  c.send(term.register('粤B12345'))
  const reg = await c.answer(1)
  t.equal(reg.header.msgId, MsgId.RegisterResponse)
  t.equal(reg.body[2], 0, 'registered')
  const code = reg.body.toString('latin1', 3)
  t.match(code, /^[0-9a-f]{24}$/)
  t.equal(statSync(join(h.dataDir, 'jt808', 'auth-codes.json')).mode & 0o777, 0o600, 'the code is stored 0600')
  c.send(term.auth(code))
  t.equal(generalAnswer(await c.answer(2)).result, Result.Ok)
  c.send(term.heartbeat())
  t.equal(generalAnswer(await c.answer(3)).msgId, MsgId.Heartbeat)
  const now = Date.now()
  const base = Math.floor(now / 1000) * 1000
  c.send(term.location({ ts: base - 20_000, lat: 22.5431, lon: 114.0579, speedKmh: 36 }))
  c.send(term.location({ ts: base - 10_000, lat: 22.5433, lon: 114.058, alarm: 1 }))
  t.same([generalAnswer(await c.answer(4)), generalAnswer(await c.answer(5))].map((a) => [a.msgId, a.result]), [[MsgId.Location, Result.Ok], [MsgId.Location, Result.Ok]])
  // Back from a tunnel: ten minutes of buffered fixes, older than the ones already sent.
  const tunnel = Array.from({ length: 10 }, (_, i) => ({ ts: base - 660_000 + i * 60_000, lat: 22.5 + i / 1000, lon: 114.05 }))
  c.send(term.batch(tunnel))
  t.same(generalAnswer(await c.answer(6)), { serial: term.lastSerial, msgId: MsgId.LocationBatch, result: Result.Ok })
  c.send(term.logout())
  t.equal(generalAnswer(await c.answer(7)).msgId, MsgId.Logout)
  await waitFor(() => c.closed, 60_000, 20)

  // An unknown terminal: refused, nothing stored.
  const u = await TerminalConnection.open(port)
  const stranger = new Terminal('013999999999')
  u.send(stranger.register())
  t.equal((await u.answer(1)).body[2], 4, 'no such terminal')
  u.send(stranger.location({ ts: base - 1000, lat: 22.6, lon: 114.1 }))
  t.equal(generalAnswer(await u.answer(2)).result, Result.Failure)
  u.close()
  junk.close()

  const ch = h.engine.testHandle().ch
  const stored = await waitFor(async () => {
    const r = await rows<{ unit_id: string; topic: string; source: string; speed: number; c: number }>(ch.client,
      `SELECT unit_id, topic, source, count() AS c, max(speed) AS speed FROM ${ch.database}.positions GROUP BY unit_id, topic, source`)
    return r.length > 0 && Number(r[0]!.c) >= 12 ? r : undefined
  }, 30_000, 200)
  t.match(stored, [{ unit_id: 'car-1', topic: 'jt808:13800000001', source: 'jt808' }], 'every fix as car-1, and nothing else')
  t.equal(Number(stored[0]!.c), 12)
  t.equal(Math.round(stored[0]!.speed), 10, '36 km/h stored as 10 m/s')
  const rejects = await rows<{ c: number }>(ch.client, `SELECT count() AS c FROM ${ch.database}.rejects`)
  t.equal(Number(rejects[0]!.c), 0, 'the refused terminal left no reject either')

  const sos = h.engine.testHandle().rules!.openAlerts().filter((a) => a.kind === 'unit_sos')
  t.match(sos, [{ subject: 'unit:car-1', state: 'opened', openedAt: base - 10_000, last: { via: 'jt808', unitName: 'Patrol car 1', position: { lat: 22.5433 } } }])

  // SOS from a phone: Traccar Client's alarm=sos, through the same Ingestor.
  const phone = await fetch(`${h.httpUrl}/ingest/osmand?id=P-2&key=p2-device-password&lat=22.55&lon=114.06&timestamp=${Math.floor(now / 1000)}&alarm=sos`)
  t.equal(phone.status, 200)
  const phoneSos = await waitFor(() => h.engine.testHandle().rules!.openAlerts().find((a) => a.kind === 'unit_sos' && a.subject === 'unit:P-2'), 60_000, 20)
  t.match(phoneSos.last, { via: 'osmand', position: { lat: 22.55 } })

  const metrics = await h.engine.metrics.registry.getSingleMetricAsString('hexpatrol_jt808_refused_total')
  t.match(metrics, /reason="unknown_terminal"} 1/)
  t.match(metrics, /reason="unauthenticated"} 1/)
  t.match(await h.engine.metrics.registry.getSingleMetricAsString('hexpatrol_jt808_frames_total'), /result="too_large"} 1/)

  // The code survives a restart: the terminal authenticates without registering again.
  await h.engine.stop()
  stopped = true
  const h2 = await startEngine(CONFIG, { dataDir: h.dataDir })
  t.teardown(() => h2.engine.stop())
  const again = await TerminalConnection.open(h2.engine.testHandle().jt808!.port)
  again.send(term.auth(code))
  t.equal(generalAnswer(await again.answer(1)).result, Result.Ok, 'authenticated with the stored code')
  t.equal(h2.engine.testHandle().rules!.openAlerts().filter((a) => a.kind === 'unit_sos').length, 2, 'the SOS alerts are still open')
  again.close()
})
