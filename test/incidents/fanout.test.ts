// Event fan-out: webhooks, MQTT topic and body, stream type, and failures that never throw.
import t from 'tap'
import { createFanout, eventBody, eventTopic, streamType } from '../../src/incidents/fanout.js'
import type { OutboundEvent } from '../../src/incidents/events.js'
import { captureLogger } from '../helpers/harness.js'

const e: OutboundEvent = { id: 'incident.R-1.opened', type: 'incident.opened', at: Date.UTC(2025, 2, 1), subject: 'incident:R+1#', summary: 'Incident R-1', data: { x: 1 } }

t.test('topic, body, stream type', async (t) => {
  t.equal(eventTopic(e), 'hexpatrol/incidents/incident.opened/incident:R1')
  t.same(JSON.parse(eventBody(e)), { type: 'incident.opened', timestamp: '2025-03-01T00:00:00.000Z', data: { x: 1 } })
  t.equal(streamType('checkpoint.missed'), 'plan')
  t.equal(streamType('plan.completed'), 'plan')
  t.equal(streamType('patrol_level.changed'), 'patrol_level')
  t.equal(streamType('incident.opened'), 'incident')
})

t.test('delivers to every target; failures are logged, not thrown', async (t) => {
  const { logger, logs } = captureLogger()
  const hooks: OutboundEvent[] = []
  const mqtt: string[] = []
  const hub: Array<[string, unknown, unknown]> = []
  createFanout({
    webhooks: { publishEvent: (x) => hooks.push(x) },
    mqtt: async (topic, payload, opts) => {
      mqtt.push(`${topic} ${opts.retain} ${payload.length > 0}`)
    },
    hub: { publish: (type, data, opts) => hub.push([type, data, opts]) },
    logger,
  })({ ...e, data: { zoneId: 'g1' } })
  t.equal(hooks.length, 1)
  t.same(mqtt, ['hexpatrol/incidents/incident.opened/incident:R1 false true'])
  t.same(hub[0]![2], { zone: 'g1' })
  t.equal(hub[0]![0], 'incident')

  const bad = createFanout({
    webhooks: { publishEvent: () => { throw new Error('full') } },
    mqtt: async () => { throw new Error('offline') },
    hub: { publish: (_t, _d, opts) => hub.push(['x', null, opts]) },
    logger,
  })
  bad(e)
  await new Promise((r) => setImmediate(r))
  t.same(hub.at(-1)![2], {})
  t.ok(logs.some((l) => l.msg === 'Event could not be queued for webhooks.'))
  t.ok(logs.some((l) => l.msg === 'Publishing an event on MQTT failed (webhooks are unaffected).' && l.err === 'offline'))
  createFanout({ logger })(e)
  createFanout({ webhooks: {}, logger })(e)
  t.equal(logs.filter((l) => l.msg === 'Incident R-1').length, 4, 'each event logged once with its summary')
})
