// A bulletin goes through the one publish path like every outbound event: the webhook (payload as
// before), MQTT `hexpatrol/incidents/patrol_bulletin.daily/bulletin:daily` (not retained, the
// standard body) and the live stream (`patrol_bulletin`). The engine runs in-process on a clock
// set before 08:00 UTC, moved past it once the listeners are in place (the schedule's 30 s tick
// then produces the bulletin).
import t from 'tap'
import { startEngine, tempDir, waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { startReceiver } from '../helpers/receiver.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

t.test('the daily bulletin reaches the webhook, MQTT and the live stream', { timeout: 150_000 }, async (t) => {
  const rx = await startReceiver(SECRET)
  t.teardown(() => rx.close())
  const real = new Date()
  const due = Date.UTC(real.getUTCFullYear(), real.getUTCMonth(), real.getUTCDate(), 8)
  const period = new Date(due - 86_400_000).toISOString().slice(0, 10)
  let offset = due - 600_000 - Date.now()
  const h = await startEngine({
    units: [{ id: 'P-1', post: 'station-a' }],
    posts: [{ id: 'station-a', lat: 36.49, lon: 117.86, radius_m: 1000 }],
    reports: { timezone: 'UTC', daily_at: '08:00' },
    webhooks: [{ id: 'duty-desk', url: rx.url, secret: SECRET, events: ['patrol_bulletin.*'] }],
    delivery: { allow_private_networks: ['127.0.0.0/8'] },
  }, { dataDir: tempDir('hexp-bulletin-delivery-'), now: () => Date.now() + offset, rules: false })
  t.teardown(() => h.engine.stop())
  const streamed: Array<[string, unknown, unknown]> = []
  const hub = h.engine.stream
  const publish = hub.publish.bind(hub)
  hub.publish = (type, data, opts) => {
    streamed.push([type, data, opts])
    publish(type, data, opts)
  }
  const sub = await connect(h.mqttUrl, { clientId: 'bulletin-listener' })
  t.teardown(() => sub.endAsync())
  const heard: Array<{ topic: string; body: Record<string, unknown>; retain: boolean }> = []
  sub.on('message', (topic, payload, packet) => heard.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown>, retain: packet.retain }))
  await sub.subscribeAsync('hexpatrol/incidents/#', { qos: 1 })

  t.equal(rx.received.length + heard.length + streamed.length, 0, 'nothing is due before 08:00')
  offset = due + 1000 - Date.now()
  await waitFor(() => rx.received.length >= 1 && heard.length >= 1 && streamed.length >= 1, 90_000)
  // (Not checked for a valid signature: the engine's shifted clock is outside the receiver's
  // timestamp tolerance; webhook-e2e checks signatures.)
  const hook = rx.received[0]!
  t.equal(hook.id, `msg_patrol_bulletin.daily.${period}`)
  t.match(hook.body, { type: 'patrol_bulletin.daily', data: { kind: 'daily', period, timezone: 'UTC', headline: { unitsConfigured: 1 } } })
  t.same(heard.map((m) => [m.topic, m.retain]), [['hexpatrol/incidents/patrol_bulletin.daily/bulletin:daily', false]], 'MQTT: the events prefix, the type, the subject; not retained')
  t.same(heard[0]!.body, hook.body, 'the MQTT payload is the webhook\'s standard body')
  t.same(streamed.map(([type, , opts]) => [type, opts]), [['patrol_bulletin', {}]], 'the live stream: type patrol_bulletin, no zone')
  t.match(streamed[0]![1], { id: `patrol_bulletin.daily.${period}`, type: 'patrol_bulletin.daily', subject: 'bulletin:daily' })
})
