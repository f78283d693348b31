import t from 'tap'
import { alertTopic, deviceAlertTopic, DEVICE_TOPIC_PREFIX, MqttAlertPublisher } from '../../src/delivery/mqtt-publisher.js'
import { makeEvent, captureLogger } from './fixtures/alerts.js'

t.test('topic: prefix/kind/subject, wildcards stripped', async (t) => {
  t.equal(alertTopic('hexpatrol/alerts', makeEvent('radius_breach', 'opened')), 'hexpatrol/alerts/radius_breach/unit:P-017/post:station-03')
  t.equal(alertTopic('hexpatrol/alerts/', makeEvent('unit_silent', 'opened', { subject: 'unit:P+1#/x\u0000' })), 'hexpatrol/alerts/unit_silent/unit:P1/x')
})

// Issue 19 item 8: alerts carry a unit's position; a retained one went to any later subscriber.
t.test('publishes the standard body, QoS 1, never retained', async (t) => {
  const sent: Array<[string, string, { qos: 1; retain: boolean }]> = []
  const { logger } = captureLogger()
  const p = new MqttAlertPublisher(async (topic, payload, opts) => void sent.push([topic, payload, opts]), 'hexpatrol/alerts', logger)
  p.publish(makeEvent('coverage_gap', 'opened'))
  p.publish(makeEvent('coverage_gap', 'resolved'))
  p.publish(makeEvent('radius_breach', 'opened'))
  await p.idle()
  t.equal(sent.length, 3, 'no device topics unless asked')
  t.same(sent.map((s) => s[2]), [{ qos: 1, retain: false }, { qos: 1, retain: false }, { qos: 1, retain: false }])
  t.equal(sent[0]![0], 'hexpatrol/alerts/coverage_gap/zone:grid-2')
  const body = JSON.parse(sent[1]![1]) as { type: string; data: { eventId: string } }
  t.equal(body.type, 'coverage_gap.resolved')
  t.equal(body.data.eventId, 'al-coverage_gap-1.resolved')
})

t.test('retries, then gives up with a log line, never throws', async (t) => {
  const { logger, lines } = captureLogger()
  let calls = 0
  const flaky = new MqttAlertPublisher(async () => {
    if (++calls < 3) throw new Error('not connected')
  }, 'a', logger, { backoffMs: 1 })
  flaky.publish(makeEvent('unit_silent', 'opened'))
  await flaky.idle()
  t.equal(calls, 3)
  t.equal(lines.filter((l) => l.level === 40).length, 2)
  let dead = 0
  const down = new MqttAlertPublisher(async () => {
    dead++
    throw new Error('broker down')
  }, 'a', logger, { backoffMs: 1, attempts: 2 })
  down.publish(makeEvent('unit_silent', 'opened'))
  await down.idle()
  t.equal(dead, 2)
  t.match(lines.at(-1), { level: 50, attempts: 2, msg: /giving up/ })
  // An event that cannot even be rendered is logged, not thrown.
  t.doesNotThrow(() => down.publish(null as never))
  t.match(lines.at(-1), { level: 50, msg: /could not be rendered/ })
  t.doesNotThrow(() => down.publish(makeEvent('unit_silent', 'opened', { at: Number.NaN })))
  t.match(lines.at(-1), { level: 50, eventId: 'al-unit_silent-1.opened', msg: /could not be rendered/ })
  await new MqttAlertPublisher(async () => {}, 'a', logger).idle()
})

t.test('a unit\'s alert also goes to that unit\'s device topic; a zone\'s alert to no device', async (t) => {
  t.equal(deviceAlertTopic('hexpatrol/devices/', makeEvent('radius_breach', 'opened')), 'hexpatrol/devices/P-017/alerts/radius_breach/unit:P-017/post:station-03')
  t.equal(deviceAlertTopic(DEVICE_TOPIC_PREFIX, makeEvent('zone_exit', 'opened', { unitId: 'P/1+#' } as never)), 'hexpatrol/devices/P1/alerts/zone_exit/unit:P-017')
  t.equal(deviceAlertTopic(DEVICE_TOPIC_PREFIX, makeEvent('coverage_gap', 'opened')), null)
  t.equal(deviceAlertTopic(DEVICE_TOPIC_PREFIX, makeEvent('unit_silent', 'opened', { unitId: '' } as never)), null)
  const sent: Array<[string, boolean]> = []
  const { logger } = captureLogger()
  const p = new MqttAlertPublisher(async (topic, _payload, opts) => void sent.push([topic, opts.retain]), 'hexpatrol/alerts', logger, { devicePrefix: DEVICE_TOPIC_PREFIX })
  p.publish(makeEvent('unit_silent', 'opened'))
  p.publish(makeEvent('coverage_gap', 'opened'))
  await p.idle()
  t.same(sent, [['hexpatrol/alerts/unit_silent/unit:P-017', false], ['hexpatrol/devices/P-017/alerts/unit_silent/unit:P-017', false], ['hexpatrol/alerts/coverage_gap/zone:grid-2', false]])
})
