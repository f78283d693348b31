// The README's and the docs' device examples, each command's equivalent, against the sample
// configuration as shipped (only the ports and the data directory moved): mosquitto_pub as P-001
// with its example login, the OwnTracks phone O-124 over MQTT and over HTTP (one unit), and Traccar
// Client / OsmAnd as O-123 on the API path and on the OsmAnd port. Anonymous MQTT is off once the
// sample lists logins.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { loadAndCompile } from '../../src/boot.js'
import { Engine } from '../../src/engine.js'
import { captureLogger, tempDir, waitFor } from '../helpers/harness.js'
import { freePort } from '../helpers/mosquitto.js'

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`

t.test('every device example answers against the sample configuration', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('hexp-readme-')
  const osmandPort = await freePort()
  const path = join(dir, 'hexpatrol.yaml')
  writeFileSync(path, `${readFileSync('config/hexpatrol.yaml', 'utf8').replace('osmand_port: 5055', `osmand_port: ${osmandPort}`)}\ndata_dir: ${join(dir, 'data')}\n`)
  const { config, stages } = loadAndCompile({ path, env: { HEXPATROL_HTTP_PORT: '0', HEXPATROL_MQTT_PORT: '0' } })
  const engine = new Engine({ config, stages, logger: captureLogger().logger })
  await engine.start()
  t.teardown(() => engine.stop())
  const http = engine.httpAddress()!
  const token = readFileSync(join(dir, 'data', 'admin-token'), 'utf8').trim()
  const unit = async (id: string) => (await (await fetch(`${http}/api/v1/units/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { lastFix: { lat: number; ts: number } | null }
  const now = Math.floor(Date.now() / 1000)

  // mosquitto_pub -u P-001 -P example-P-001 -q 1 -t fleet/P-001/position -m '{"ts": …, "lat": 36.475, …}'
  const p1 = await mqtt.connectAsync(engine.brokerUrl()!, { username: 'P-001', password: 'example-P-001', reconnectPeriod: 0 })
  await p1.publishAsync('fleet/P-001/position', JSON.stringify({ ts: now * 1000, lat: 36.475, lon: 117.82, speed: 8.3, accuracy: 6 }), { qos: 1 })
  await p1.endAsync()
  t.equal((await waitFor(async () => (await unit('P-001')).lastFix ?? undefined)).lat, 36.475, 'mosquitto_pub as P-001')
  const anon = await mqtt.connectAsync(engine.brokerUrl()!, { reconnectPeriod: 0 }).then(async (c) => { await c.endAsync(); return 'connected' }, () => 'refused')
  t.equal(anon, 'refused', 'anonymous MQTT is off: the sample lists logins')

  // The OwnTracks phone O-124: MQTT owntracks/O-124/phone, then HTTP with X-Limit-U/-D: one unit.
  const phone = await mqtt.connectAsync(engine.brokerUrl()!, { username: 'O-124', password: 'example-O-124', reconnectPeriod: 0 })
  await phone.publishAsync('owntracks/O-124/phone', JSON.stringify({ _type: 'location', lat: 36.4875, lon: 117.8512, tst: now - 60, acc: 12 }), { qos: 1 })
  await phone.endAsync()
  t.equal((await waitFor(async () => (await unit('O-124')).lastFix ?? undefined)).lat, 36.4875, 'OwnTracks over MQTT is unit O-124')
  const ot = await fetch(`${http}/ingest/owntracks`, {
    method: 'POST',
    headers: { authorization: basic('O-124', 'example-O-124'), 'x-limit-u': 'O-124', 'x-limit-d': 'phone', 'content-type': 'application/json' },
    body: JSON.stringify({ _type: 'location', tst: now, lat: 36.4871, lon: 117.8512, acc: 8, vel: -1 }),
  })
  t.equal(ot.status, 200, 'OwnTracks over HTTP')
  t.same(await ot.json(), [])
  t.equal((await waitFor(async () => { const f = (await unit('O-124')).lastFix; return f?.lat === 36.4871 ? f : undefined })).ts, now * 1000, 'the same unit, O-124, whatever the transport')
  const units = (await (await fetch(`${http}/api/v1/units`, { headers: { authorization: `Bearer ${token}` } })).json()) as { units: Array<{ id: string }> }
  t.notOk(units.units.some((u) => u.id.startsWith('O-124-')), 'no second unit for the phone')

  // Traccar Client / OsmAnd as O-123.
  const get = await fetch(`${http}/ingest/osmand?id=O-123&key=example-O-123&timestamp=${now - 5}&lat=36.4871&lon=117.8512&speed=2.5&bearing=90&batt=80`)
  t.equal(get.status, 200, 'GET /ingest/osmand with the key')
  const form = await fetch(`http://127.0.0.1:${osmandPort}/`, { method: 'POST', body: 'id=O-123&key=example-O-123&lat=36.4871&lon=117.8512', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.status, 200, 'a form POST on the OsmAnd port')
  const json = await fetch(`http://127.0.0.1:${osmandPort}/`, {
    method: 'POST',
    headers: { authorization: basic('O-123', 'example-O-123'), 'content-type': 'application/json' },
    body: JSON.stringify({ device_id: 'O-123', location: { timestamp: new Date().toISOString(), coords: { latitude: 36.4871, longitude: 117.8512, speed: 1.2 } } }),
  })
  t.equal(json.status, 200, 'Traccar Client JSON with Basic auth on the OsmAnd port')
  t.equal((await fetch(`http://127.0.0.1:${osmandPort}/?id=O-123&lat=36.4&lon=117.8`)).status, 401, 'and never without the password')
})
