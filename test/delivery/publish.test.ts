// The one publish path: every outbound event (alerts, incidents, plans, levels, bulletins) is
// logged (an alert also counted), then goes to webhooks, MQTT (the topic builder's topics, never
// retained) and the live stream; a failing target is logged, never thrown, and the others still get it.
import t from 'tap'
import { createPublisher, type PublishTargets } from '../../src/delivery/publish.js'
import { alertToOutbound, type OutboundEvent } from '../../src/delivery/outbound-event.js'
import { topicBuilder, DEVICE_TOPIC_PREFIX } from '../../src/delivery/topics.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { captureLogger } from '../helpers/harness.js'
import { makeEvent } from './fixtures/alerts.js'

const e: OutboundEvent = { id: 'incident.R-1.opened', type: 'incident.opened', at: Date.UTC(2025, 2, 1), subject: 'incident:R+1#', summary: 'Incident R-1', data: { x: 1 } }
const topics = topicBuilder({ alerts: 'hexpatrol/alerts', events: 'hexpatrol/incidents', devices: DEVICE_TOPIC_PREFIX })

function setup(over: Partial<PublishTargets> = {}) {
  const { logger, logs } = captureLogger()
  const metrics = createMetrics({ defaults: false })
  const hooks: OutboundEvent[] = []
  const mqtt: string[] = []
  const hub: Array<[string, unknown, unknown]> = []
  const publish = createPublisher({
    webhooks: { publishEvent: (x) => hooks.push(x) },
    mqtt: { publishEvent: (topic, _e, opts) => { mqtt.push(`${topic} ${opts?.retain}`) } },
    topics,
    stream: { publish: (type, data, opts) => hub.push([type, data, opts]) },
    metrics,
    logger,
    ...over,
  })
  return { publish, logs, metrics, hooks, mqtt, hub }
}

t.test('an incident event: webhooks, its MQTT topic, its stream type, one log line', async (t) => {
  const { publish, logs, hooks, mqtt, hub } = setup()
  const x = { ...e, data: { zoneId: 'g1' } }
  publish(x)
  t.same(hooks, [x])
  t.same(mqtt, ['hexpatrol/incidents/incident.opened/incident:R1 false'])
  t.same(hub, [['incident', x, { zone: 'g1' }]])
  t.match(logs, [{ level: 30, event: e.id, type: 'incident.opened', subject: 'incident:R+1#', msg: 'Incident R-1' }])
})

t.test('an alert transition: counted and logged with the same labels, then everywhere as an alert', async (t) => {
  const { publish, logs, metrics, hooks, mqtt, hub } = setup()
  const a = makeEvent('radius_breach', 'opened')
  publish(alertToOutbound(a))
  t.same(hooks, [alertToOutbound(a)], 'webhooks: the outbound form (same webhook-id)')
  t.same(mqtt, ['hexpatrol/alerts/radius_breach/unit:P-017/post:station-03 false', 'hexpatrol/devices/P-017/alerts/radius_breach/unit:P-017/post:station-03 false'])
  t.same(hub, [['alert', a, { zone: undefined, unit: 'P-017' }]])
  t.same((await metrics.alertTransitions.get()).values.map((v) => [v.labels, v.value]), [[{ kind: 'radius_breach', state: 'opened' }, 1]])
  t.match(logs, [{ level: 30, kind: 'radius_breach', state: 'opened', alert: a.alertId, type: 'radius_breach.opened', subject: a.subject, msg: a.summary }])
})

t.test('a bulletin goes to MQTT and the live stream too (patrol_bulletin), its webhook payload unchanged', async (t) => {
  const { publish, hooks, mqtt, hub, metrics } = setup()
  const b = { id: 'patrol_bulletin.daily.2026-12-01', type: 'patrol_bulletin.daily', at: Date.UTC(2026, 11, 2, 7), subject: 'bulletin:daily', summary: '**Daily patrol bulletin**', data: { kind: 'daily', period: '2026-12-01' } }
  publish(b)
  t.same(hooks, [b])
  t.same(mqtt, ['hexpatrol/incidents/patrol_bulletin.daily/bulletin:daily false'])
  t.same(hub, [['patrol_bulletin', b, {}]])
  t.same((await metrics.alertTransitions.get()).values, [], 'not an alert transition')
})

t.test('failing targets are logged, never thrown; the others still get the event', async (t) => {
  const full = setup({ webhooks: { publishEvent: () => { throw new Error('full') } } })
  full.publish(e)
  t.equal(full.mqtt.length, 1)
  t.equal(full.hub.length, 1)
  t.match(full.logs.at(-1), { level: 50, event: e.id, err: { message: 'full' }, msg: 'Event could not be queued for webhooks.' })

  // An alert whose subject cannot make a topic: MQTT is skipped, webhooks and the stream are not.
  const bad = setup()
  t.doesNotThrow(() => bad.publish(alertToOutbound(makeEvent('unit_silent', 'opened', { subject: undefined as never }))))
  t.equal(bad.hooks.length, 1)
  t.same(bad.mqtt, [])
  t.equal(bad.hub.length, 1)
  t.match(bad.logs.at(-1), { level: 50, event: 'al-unit_silent-1.opened', msg: 'Event could not be published on MQTT.' })

  const closed = setup({ stream: { publish: () => { throw new Error('hub closed') } } })
  closed.publish(e)
  t.equal(closed.hooks.length, 1)
  t.equal(closed.mqtt.length, 1)
  t.match(closed.logs.at(-1), { level: 50, msg: 'Event could not be published on the live stream.' })

  const none = setup({ webhooks: undefined, mqtt: undefined, stream: undefined })
  none.publish(e)
  t.equal(none.logs.filter((l) => l.msg === 'Incident R-1').length, 1, 'with no targets the event is still logged once')
})
