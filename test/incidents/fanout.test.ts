// Event fan-out: webhooks, MQTT topic, stream type, and failures that never throw.
import t from 'tap'
import { createFanout, eventTopic, streamType } from '../../src/incidents/fanout.js'
import type { OutboundEvent } from '../../src/incidents/events.js'
import { captureLogger } from '../helpers/harness.js'

const e: OutboundEvent = { id: 'incident.R-1.opened', type: 'incident.opened', at: Date.UTC(2025, 2, 1), subject: 'incident:R+1#', summary: 'Incident R-1', data: { x: 1 } }

t.test('topic and stream type', async (t) => {
  t.equal(eventTopic(e), 'hexpatrol/incidents/incident.opened/incident:R1')
  t.equal(streamType('checkpoint.missed'), 'plan')
  t.equal(streamType('plan.completed'), 'plan')
  t.equal(streamType('patrol_level.changed'), 'patrol_level')
  t.equal(streamType('incident.opened'), 'incident')
})

t.test('delivers to every target; a failing webhook queue is logged, not thrown', async (t) => {
  const { logger, logs } = captureLogger()
  const hooks: OutboundEvent[] = []
  const mqtt: string[] = []
  const hub: Array<[string, unknown, unknown]> = []
  createFanout({
    webhooks: { publishEvent: (x) => hooks.push(x) },
    mqtt: { publishEvent: (topic, _e, opts) => { mqtt.push(`${topic} ${opts?.retain}`) } },
    hub: { publish: (type, data, opts) => hub.push([type, data, opts]) },
    logger,
  })({ ...e, data: { zoneId: 'g1' } })
  t.equal(hooks.length, 1)
  t.same(mqtt, ['hexpatrol/incidents/incident.opened/incident:R1 false'])
  t.same(hub[0], ['incident', { ...e, data: { zoneId: 'g1' } }, { zone: 'g1' }])

  createFanout({
    webhooks: { publishEvent: () => { throw new Error('full') } },
    hub: { publish: (_t, _d, opts) => hub.push(['x', null, opts]) },
    logger,
  })(e)
  t.same(hub.at(-1)![2], {})
  t.ok(logs.some((l) => l.msg === 'Event could not be queued for webhooks.'))
  createFanout({ logger })(e)
  t.equal(logs.filter((l) => l.msg === 'Incident R-1').length, 3, 'each event logged once with its summary')
})
