// The engine wires HTTP ingest to its own Ingestor and journal (in-process, so the wiring counts
// in coverage): an OsmAnd and an OwnTracks post land in ClickHouse, HTTP fixes feed the rules,
// and the dedicated OsmAnd listener starts and stops with the engine.
import t from 'tap'
import { startEngine, waitFor } from '../helpers/harness.js'
import { rows } from '../helpers/clickhouse.js'
import { freePort } from '../helpers/mosquitto.js'

t.test('HTTP ingest through the running engine', async (t) => {
  const port = await freePort()
  const h = await startEngine({
    units: [{ id: 'P-1' }],
    broker: { allow_anonymous: false, users: [{ username: 'P-1', password: 'p1-secret' }] },
    http_ingest: { osmand_port: port, osmand_host: '127.0.0.1' },
    journal: { segment_max_age: '100ms' },
  })
  t.teardown(() => h.engine.stop())
  const ts = Date.now() - 5000
  t.equal((await fetch(`http://127.0.0.1:${port}/?id=P-1&key=p1-secret&timestamp=${ts}&lat=36.49&lon=117.86`)).status, 200, 'the dedicated port')
  const ot = await fetch(`${h.httpUrl}/ingest/owntracks`, { method: 'POST', body: JSON.stringify({ _type: 'location', tst: Math.floor(ts / 1000) + 1, lat: 36.491, lon: 117.861 }), headers: { authorization: `Basic ${Buffer.from('P-1:p1-secret').toString('base64')}` } })
  t.equal(ot.status, 200)
  const ch = h.engine.testHandle().ch
  const stored = await waitFor(async () => {
    const r = await rows<{ topic: string; source: string }>(ch.client, `SELECT topic, source FROM ${ch.database}.positions ORDER BY ts`)
    return r.length >= 2 ? r : undefined
  }, 30_000, 200)
  t.same(stored, [{ topic: 'http:osmand', source: 'osmand' }, { topic: 'http:owntracks', source: 'owntracks' }])
  const unit = h.engine.testHandle().rules!.units(Date.now()).find((u) => u.id === 'P-1')
  t.ok(unit?.lastFix, 'the rules saw the HTTP fixes')
  await h.engine.stop()
  const closed = await fetch(`http://127.0.0.1:${port}/?id=P-1&lat=1&lon=1`).then(() => 'answered', () => 'refused')
  t.equal(closed, 'refused', 'the dedicated listener closes with the engine')
})
