// Cluster mode under faults, with engines as child processes against nats-server and Mosquitto:
// - lease fencing: the engine owning the breaching units is paused (SIGSTOP) past its lease; the
//   other takes its partitions and delivers the breaches; resumed, the paused engine publishes no
//   alert for partitions it no longer owns (each breach reaches the receiver once);
// - NATS down: the engine stops acknowledging (its /readyz says so with HEXP_ERR_LOG_UNAVAILABLE),
//   the devices' fixes wait at the broker and are taken once NATS is back.
import t from 'tap'
import { engineProcess, type EngineProcess } from '../helpers/engine-process.js'
import { mosquittoPath, startMosquitto } from '../helpers/mosquitto.js'
import { startNats } from '../helpers/nats.js'
import { connect } from '../helpers/publisher.js'
import { tempDir } from '../helpers/harness.js'
import { ownedPartitions as owned, sleep, startClusterPeers, waitFor } from '../helpers/cluster.js'
import { partitionOf } from '../../src/cluster/partition.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const READ = 'cluster-faults-read-token-0123456789'
const PARTITIONS = 8
const POST = { id: 'station-0', lat: 36.5, lon: 117.9, radius_m: 800 }
const skip = mosquittoPath() === null ? 'mosquitto is not installed (apt-get install -y mosquitto); .ci/run installs it' : false

function baseConfig(mqttUrl: string, units: number, webhookUrl?: string) {
  return {
    mqtt: { url: mqttUrl, client_id: 'hexp-faults' },
    units: Array.from({ length: units }, (_, i) => ({ id: `F-${i}`, post: POST.id })),
    posts: [POST],
    rules: { radius: { dwell: '10s', hysteresis_m: 20 }, silent_after: '10m', tick: '1s' },
    ...(webhookUrl === undefined ? {} : { webhooks: [{ id: 'desk', url: webhookUrl, secret: SECRET, events: ['radius_breach.*'] }] }),
    delivery: { allow_private_networks: ['127.0.0.0/8'] },
    api: { tokens: [{ name: 'viewer', scope: 'read', token_env: 'HEXP_TEST_READ' }] },
    journal: { fsync: 'never' },
    cluster: { partitions: PARTITIONS, takeover: '5s' },
  }
}

t.test('an engine paused past its lease publishes nothing for the partitions it lost', { skip, timeout: 300_000 }, async (t) => {
  const peers = await startClusterPeers(t, SECRET)
  if (peers === null) return
  const { nats, mosq, rx } = peers
  const UNITS = 60
  const config = baseConfig(mosq.url, UNITS, rx.url)
  const engines: EngineProcess[] = []
  for (let i = 1; i <= 2; i++) {
    const e = await engineProcess(tempDir(`hexp-fence-${i}-`), config, { HEXP_TEST_READ: READ, HEXPATROL_CLUSTER_URL: nats.url, HEXPATROL_NODE_ID: `engine-${i}` })
    t.teardown(async () => {
      await e.resume?.()
      await e.kill9()
    })
    engines.push(e)
  }
  await Promise.all(engines.map((e) => e.start()))
  // Both own a share (the first engine up may hold everything until the second has joined).
  await waitFor('both engines owning partitions', async () => {
    const [a, b] = [(await owned(engines[0]!))?.length ?? 0, (await owned(engines[1]!))?.length ?? 0]
    return a > 0 && b > 0 && a + b === PARTITIONS
  }, 60_000)

  const pub = await connect(mosq.url, { clientId: 'fence-publisher' })
  t.teardown(() => pub.endAsync())
  let out = false
  let publishing = true
  const ownedBy0 = new Set((await owned(engines[0]!)) ?? [])
  // The breachers: units of the partitions engine-1 owns (it is the one paused).
  const breachers = Array.from({ length: UNITS }, (_, i) => `F-${i}`).filter((id) => ownedBy0.has(partitionOf(id, PARTITIONS))).slice(0, 6)
  t.ok(breachers.length > 0, `breaching units on the paused engine's partitions: ${breachers.join(', ')}`)
  const loop = (async () => {
    // eslint-disable-next-line no-unmodified-loop-condition -- set to false by the teardown
    while (publishing) {
      const ts = Date.now()
      await Promise.all(Array.from({ length: UNITS }, (_, i) => {
        const id = `F-${i}`
        const away = out && breachers.includes(id) ? 0.018 : 0
        return pub.publishAsync(`fleet/${id}/position`, JSON.stringify({ ts, lat: POST.lat + away + i * 1e-5, lon: POST.lon, accuracy: 8 }), { qos: 1 })
      }))
      await sleep(1000)
    }
  })()
  t.teardown(async () => {
    publishing = false
    await loop
  })
  await sleep(4000)

  await engines[0]!.pause()
  const pausedAt = Date.now()
  const took = await waitFor('engine-2 owning every partition', async () => ((await owned(engines[1]!))?.length ?? 0) === PARTITIONS, 30_000)
  t.comment(`engine-1 paused (SIGSTOP); engine-2 owns all ${PARTITIONS} partitions ${took} ms later`)
  out = true
  const opened = () => rx.received.filter((r) => r.type === 'radius_breach.opened')
  await waitFor('the breaches delivered by engine-2', () => opened().length >= breachers.length, 90_000)
  const resumedAt = Date.now()
  await engines[0]!.resume()
  t.comment(`engine-1 resumed after ${Date.now() - pausedAt} ms paused`)
  // Resumed: it finds its leases gone, rejoins, gets its share back, and must not deliver again.
  await waitFor('both engines owning partitions again', async () => ((await owned(engines[0]!))?.length ?? 0) > 0 && ((await owned(engines[0]!))?.length ?? 0) + ((await owned(engines[1]!))?.length ?? 0) === PARTITIONS, 60_000)
  await sleep(5000)
  const o = opened()
  const ids = o.map((r) => r.id)
  t.equal(new Set(ids).size, ids.length, 'no webhook-id delivered twice')
  // On a failure, when each breach arrived (ms after the pause) tells which engine sent it.
  if (new Set(ids).size !== ids.length) t.comment(`deliveries: ${o.map((r) => `${(r.body.data as { unitId: string }).unitId} ${r.id} +${r.at - pausedAt} ms`).join('; ')}; resumed +${resumedAt - pausedAt} ms`)
  t.same([...new Set(o.map((r) => (r.body.data as { unitId: string }).unitId))].sort(), [...breachers].sort(), 'a breach for each unit that left, none other')
  t.equal(o.length, breachers.length, 'each breach opened once')
})

t.test('NATS down: no acknowledgement, /readyz says so, the fixes are taken when it returns', { skip, timeout: 240_000 }, async (t) => {
  const nats = await startNats(t)
  if (nats === null) return
  const mosq = await startMosquitto()
  t.teardown(() => mosq.stop())
  const engine = await engineProcess(tempDir('hexp-natsdown-'), baseConfig(mosq.url, 4), { HEXP_TEST_READ: READ, HEXPATROL_CLUSTER_URL: nats.url, HEXPATROL_NODE_ID: 'engine-1' })
  t.teardown(() => engine.kill9())
  await engine.start()
  const pub = await connect(mosq.url, { clientId: 'natsdown-publisher' })
  t.teardown(() => pub.endAsync())
  const send = (ts: number) => pub.publishAsync('fleet/F-1/position', JSON.stringify({ ts, lat: POST.lat, lon: POST.lon, accuracy: 8 }), { qos: 1 })
  const lastFix = async (): Promise<number | null> => {
    const r = await fetch(`${engine.httpUrl}/api/v1/units/F-1`, { headers: { authorization: `Bearer ${READ}` } })
    return r.status === 200 ? (((await r.json()) as { lastFix: { ts: number } | null }).lastFix?.ts ?? null) : null
  }
  const t0 = Date.now()
  await send(t0)
  await waitFor('the first fix applied', async () => (await lastFix()) === t0, 30_000)

  await nats.stop()
  let lastReady = ''
  const notReady = await waitFor('/readyz 503 naming the log', async () => {
    const r = await engine.readyz()
    lastReady = JSON.stringify(r)
    const c = (r?.body.components as Record<string, { ok: boolean; code?: string }> | undefined)?.cluster
    return r?.status === 503 && c?.ok === false && c.code === 'HEXP_ERR_LOG_UNAVAILABLE'
  }, 30_000).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last /readyz: ${lastReady}; exit ${engine.child?.exitCode ?? engine.child?.signalCode}; log: ${engine.runLogs.filter((l) => Number(l.level) >= 50).map((l) => JSON.stringify(l).slice(0, 1500)).join('\n')}`)
  })
  t.comment(`/readyz answered 503 HEXP_ERR_LOG_UNAVAILABLE ${notReady} ms after NATS stopped`)
  const during = Array.from({ length: 10 }, (_, i) => t0 + 1000 * (i + 1))
  for (const ts of during) await send(ts)
  await sleep(3000)
  t.equal(await lastFix(), t0, 'nothing new applied while NATS is down (the broker keeps the fixes)')
  t.ok((await engine.metric('hexpatrol_fixes_accepted_total')) <= 1, 'no fix accepted (acknowledged) while NATS is down')

  await nats.restart()
  const back = await waitFor('the fixes sent meanwhile applied', async () => (await lastFix()) === during[during.length - 1], 90_000)
  t.comment(`NATS back: the fixes queued at the broker were applied ${back} ms later`)
  await waitFor('/readyz 200 again', async () => (await engine.readyz())?.status === 200, 60_000)
})
