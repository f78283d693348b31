import t from 'tap'
import { MqttPublisher } from '../../src/delivery/mqtt-publisher.js'
import { alertToOutbound } from '../../src/delivery/outbound-event.js'
import { makeEvent, captureLogger } from './fixtures/alerts.js'

const alert = (...a: Parameters<typeof makeEvent>) => alertToOutbound(makeEvent(...a))

// Issue 19 item 8: alerts carry a unit's position; a retained one went to any later subscriber.
t.test('publishes the standard body, QoS 1, never retained unless asked', async (t) => {
  const sent: Array<[string, string, { qos: 1; retain: boolean }]> = []
  const { logger } = captureLogger()
  const p = new MqttPublisher(async (topic, payload, opts) => void sent.push([topic, payload, opts]), logger)
  p.publishEvent('hexpatrol/alerts/coverage_gap/zone:grid-2', alert('coverage_gap', 'opened'))
  p.publishEvent('hexpatrol/alerts/coverage_gap/zone:grid-2', alert('coverage_gap', 'resolved'), { retain: false })
  p.publishEvent('hexpatrol/alerts/radius_breach/unit:P-017', alert('radius_breach', 'opened'))
  await p.idle()
  t.equal(sent.length, 3)
  t.same(sent.map((s) => s[2]), [{ qos: 1, retain: false }, { qos: 1, retain: false }, { qos: 1, retain: false }])
  t.equal(sent[0]![0], 'hexpatrol/alerts/coverage_gap/zone:grid-2')
  const body = JSON.parse(sent[1]![1]) as { type: string; data: { eventId: string } }
  t.equal(body.type, 'coverage_gap.resolved')
  t.equal(body.data.eventId, 'al-coverage_gap-1.resolved')
})

t.test('retries, then gives up with a log line, never throws', async (t) => {
  const { logger, lines } = captureLogger()
  let calls = 0
  const flaky = new MqttPublisher(async () => {
    if (++calls < 3) throw new Error('not connected')
  }, logger, { backoffMs: 1 })
  flaky.publishEvent('a/unit_silent/unit:P-017', alert('unit_silent', 'opened'))
  await flaky.idle()
  t.equal(calls, 3)
  t.equal(lines.filter((l) => l.level === 40).length, 2)
  let dead = 0
  const down = new MqttPublisher(async () => {
    dead++
    throw new Error('broker down')
  }, logger, { backoffMs: 1, attempts: 2 })
  down.publishEvent('a/unit_silent/unit:P-017', alert('unit_silent', 'opened'))
  await down.idle()
  t.equal(dead, 2)
  t.match(lines.at(-1), { level: 50, attempts: 2, msg: /giving up/ })
  // An event that cannot even be rendered is logged, not thrown.
  t.doesNotThrow(() => down.publishEvent('a/x', null as never))
  t.match(lines.at(-1), { level: 50, msg: /could not be rendered/ })
  t.doesNotThrow(() => down.publishEvent('a/x', alert('unit_silent', 'opened', { at: Number.NaN })))
  t.match(lines.at(-1), { level: 50, eventId: 'al-unit_silent-1.opened', msg: /could not be rendered/ })
  t.equal(dead, 2, 'nothing sent for them')
  await new MqttPublisher(async () => {}, logger).idle()
})
