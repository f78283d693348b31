// Patrol integrity wired into the running engine (in-process, so the wiring counts in coverage):
// a phone's mocked OsmAnd fixes (Traccar Client's mock=true) then a real one close a
// mock_location signal; it is stored in `integrity_signals` through the journal, published on the
// live stream as integrity.signal, and answered by GET /api/v1/units/:id/integrity.
import t from 'tap'
import { startEngine, waitFor } from '../helpers/harness.js'
import { rows } from '../helpers/clickhouse.js'
import { freePort } from '../helpers/mosquitto.js'

const ADMIN = 'admin-token-0123456789abcdef'

t.test('a mock location run through the engine: stored, published, answered', async (t) => {
  const port = await freePort()
  const h = await startEngine({
    units: [{ id: 'P-1', kind: 'officer', zone: 'g1' }],
    zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] } }],
    broker: { allow_anonymous: false, users: [{ username: 'P-1', password: 'p1-secret' }] },
    http: { admin_token: ADMIN },
    http_ingest: { osmand_port: port, osmand_host: '127.0.0.1' },
    journal: { segment_max_age: '100ms' },
  })
  t.teardown(() => h.engine.stop())
  const frames: Array<{ type: string; data: { id?: string; type?: string; data?: Record<string, unknown> } }> = []
  // What reaches the live stream's hub (the SSE clients' feed).
  const hub = h.engine.stream
  const publish = hub.publish.bind(hub)
  hub.publish = (type, data, opts) => {
    frames.push({ type, data: data as never })
    publish(type, data, opts)
  }
  const t0 = Date.now() - 10 * 60_000
  const post = (i: number, mock: boolean) => fetch(`http://127.0.0.1:${port}/?id=P-1&key=p1-secret&timestamp=${t0 + i * 30_000}&lat=${36.49 + i * 0.0002}&lon=117.86&accuracy=8${mock ? '&mock=true' : ''}`)
  for (let i = 0; i < 4; i++) t.equal((await post(i, true)).status, 200)
  t.equal((await post(4, false)).status, 200, 'a real fix ends the run')

  const ch = h.engine.testHandle().ch
  const stored = await waitFor(async () => {
    const r = await rows<{ unit_id: string; kind: string; evidence: string; event_id: string }>(ch.client, `SELECT unit_id, kind, evidence, event_id FROM ${ch.database}.integrity_signals`)
    return r.length >= 1 ? r : undefined
  }, 30_000, 200)
  t.same(stored, [{ unit_id: 'P-1', kind: 'mock_location', evidence: '{"fixes":4,"durationMinutes":1.5}', event_id: `integrity.mock_location.P-1.${t0}` }])

  const res = await fetch(`${h.httpUrl}/api/v1/units/P-1/integrity`, { headers: { authorization: `Bearer ${ADMIN}` } })
  t.equal(res.status, 200)
  const body = await res.json() as { signals: Array<{ id: string; kind: string; evidence: Record<string, number> }> }
  t.same(body.signals.map((s) => [s.id, s.kind, s.evidence.fixes]), [[`integrity.mock_location.P-1.${t0}`, 'mock_location', 4]])
  const e = frames.find((f) => f.type === 'integrity')
  t.match(e?.data, { id: `integrity.mock_location.P-1.${t0}`, type: 'integrity.signal', data: { unitId: 'P-1', zoneId: 'g1' } }, 'on the live stream')
})

t.test('a signal that cannot be journaled is still published, and the engine says it is missing from the table', async (t) => {
  const port = await freePort()
  const h = await startEngine({
    units: [{ id: 'P-1', kind: 'officer' }],
    broker: { allow_anonymous: false, users: [{ username: 'P-1', password: 'p1-secret' }] },
    http_ingest: { osmand_port: port, osmand_host: '127.0.0.1' },
  })
  t.teardown(() => h.engine.stop())
  // The journal refuses integrity rows (a disk error on that append); fixes are journaled as usual.
  const ingestor = h.engine.testHandle().ingestor
  const write = ingestor.writeRecord.bind(ingestor)
  ingestor.writeRecord = (r) => {
    if (r.toString().startsWith('g\t')) throw new Error('EIO: i/o error, write')
    return write(r)
  }
  const seen: string[] = []
  const hub = h.engine.stream
  const publish = hub.publish.bind(hub)
  hub.publish = (type, data, opts) => {
    if (type === 'integrity') seen.push((data as { id: string }).id)
    publish(type, data, opts)
  }
  const t0 = Date.now() - 10 * 60_000
  const post = (i: number, mock: boolean) => fetch(`http://127.0.0.1:${port}/?id=P-1&key=p1-secret&timestamp=${t0 + i * 30_000}&lat=${36.49 + i * 0.0002}&lon=117.86&accuracy=8${mock ? '&mock=true' : ''}`)
  for (let i = 0; i < 4; i++) t.equal((await post(i, true)).status, 200)
  t.equal((await post(4, false)).status, 200, 'a real fix ends the run: the fixes were kept')
  await waitFor(() => seen.length > 0 || undefined, 10_000, 50)
  t.same(seen, [`integrity.mock_location.P-1.${t0}`], 'published all the same')
  t.match(h.logs.find((l) => /Integrity signals could not be journaled/.test(String(l.msg))), { level: 50, signals: [`integrity.mock_location.P-1.${t0}`], err: { message: /EIO/ } })
})
