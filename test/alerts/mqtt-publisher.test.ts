import t from 'tap'
import { alertTopic, MqttAlertPublisher } from '../../src/alerts/mqtt-publisher.js'
import { makeEvent, captureLogger } from './fixtures/alerts.js'

t.test('topic: prefix/kind/subject, wildcards stripped', async (t) => {
  t.equal(alertTopic('hexpatrol/alerts', makeEvent('radius_breach', 'opened')), 'hexpatrol/alerts/radius_breach/unit:P-017/post:station-03')
  t.equal(alertTopic('hexpatrol/alerts/', makeEvent('unit_silent', 'opened', { subject: 'unit:P+1#/x\u0000' })), 'hexpatrol/alerts/unit_silent/unit:P1/x')
})

t.test('publishes the standard body, QoS 1, retained for every state', async (t) => {
  const sent: Array<[string, string, { qos: 1; retain: boolean }]> = []
  const { logger } = captureLogger()
  const p = new MqttAlertPublisher(async (topic, payload, opts) => void sent.push([topic, payload, opts]), 'hexpatrol/alerts', logger)
  p.publish(makeEvent('coverage_gap', 'opened'))
  p.publish(makeEvent('coverage_gap', 'resolved'))
  await p.idle()
  t.equal(sent.length, 2)
  t.same(sent.map((s) => s[2]), [{ qos: 1, retain: true }, { qos: 1, retain: true }])
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
