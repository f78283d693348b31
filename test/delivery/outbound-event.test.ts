import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Webhook } from 'standardwebhooks'
import { alertToOutbound, alertOf, eventZone, isOutboundEvent, type OutboundEvent } from '../../src/delivery/outbound-event.js'
import { eventBody, eventBodyObject, renderEvent, genericWecomBody } from '../../src/delivery/event-formats.js'
import { renderDelivery } from '../../src/delivery/formats.js'
import { MqttPublisher } from '../../src/delivery/mqtt-publisher.js'
import { Outbox } from '../../src/delivery/outbox.js'
import { webhookIdFor, type DeliveredInfo } from '../../src/delivery/dispatcher.js'
import { makeEvent, startReceiver, tmpDir, waitFor, captureLogger, SECRET } from './fixtures/alerts.js'
import { makeDispatcher } from './fixtures/dispatcher.js'

const AT = Date.UTC(2026, 0, 5, 6, 0, 0)
const bulletin = (over: Partial<OutboundEvent> = {}): OutboundEvent => ({
  id: 'bulletin-2026-01-04',
  type: 'patrol_bulletin.daily',
  at: AT,
  data: { day: '2026-01-04', zoneId: 'grid-2', coverage: 0.91, units: 42 },
  summary: 'Daily patrol bulletin 2026-01-04: coverage 91 % <all grids> & 42 units',
  subject: 'bulletin:daily',
  ...over,
})

t.test('an alert adapts to an outbound event with the same id, type, subject and summary', async (t) => {
  const a = makeEvent('zone_exit', 'opened')
  const e = alertToOutbound(a)
  t.same(e, { id: a.eventId, type: 'zone_exit.opened', at: a.at, data: a, summary: a.summary, subject: a.subject })
  t.equal(alertOf(e), a)
  t.equal(eventZone(e), 'grid-2')
  t.ok(isOutboundEvent(e))
  // Golden: the webhook-id of an alert is unchanged by the generalisation.
  t.equal(webhookIdFor(e.id), 'msg_al-zone_exit-1.opened')
  // Round trip through JSON (outbox reload) still recognises the alert.
  t.same(alertOf(JSON.parse(JSON.stringify(e)) as OutboundEvent), a)
})

t.test('only a real alert is rendered as one', async (t) => {
  const a = makeEvent('unit_silent', 'opened')
  const e = alertToOutbound(a)
  t.equal(alertOf(bulletin()), null)
  t.equal(alertOf({ ...e, id: 'other' }), null, 'data.eventId must be the id')
  t.equal(alertOf({ ...e, type: 'unit_silent.resolved' }), null, 'type must be kind.state')
  t.equal(alertOf({ ...e, data: { ...a, kind: 'nope' } }), null)
  t.equal(alertOf({ ...e, data: { ...a, state: 7 } }), null)
  t.equal(alertOf({ ...e, data: { ...a, alertId: undefined } }), null)
  t.equal(eventZone({ ...bulletin(), data: { zoneId: 3 } }), undefined)
  for (const bad of [null, 1, { ...bulletin(), data: [] }, { ...bulletin(), at: '1' }, { ...bulletin(), summary: undefined }, { ...bulletin(), subject: 1 }, { ...bulletin(), data: null }]) {
    t.notOk(isOutboundEvent(bad), JSON.stringify(bad))
  }
})

t.test('standard body { type, timestamp, data }; chat formats use the summary', async (t) => {
  const e = bulletin()
  t.same(eventBodyObject(e), { type: 'patrol_bulletin.daily', timestamp: '2026-01-05T06:00:00.000Z', data: e.data })
  t.equal(eventBody(e), JSON.stringify({ type: 'patrol_bulletin.daily', timestamp: '2026-01-05T06:00:00.000Z', data: e.data }))
  const opts = { url: 'https://oapi.dingtalk.com/robot/send?access_token=x', now: AT }
  const std = renderEvent('standard', e, opts)
  t.same(std, { body: eventBody(e), headers: { 'content-type': 'application/json' } })
  const slack = JSON.parse(renderEvent('slack', e, opts).body) as { text: string; blocks: Array<{ text?: { text: string }; elements?: Array<{ text: string }> }> }
  t.equal(slack.text, 'Daily patrol bulletin 2026-01-04: coverage 91 % &lt;all grids&gt; &amp; 42 units')
  t.equal(slack.blocks[0]!.text!.text, slack.text)
  t.equal(slack.blocks[1]!.elements![0]!.text, 'patrol_bulletin.daily · bulletin:daily · 2026-01-05T06:00:00.000Z')
  const ding = renderEvent('dingtalk', e, opts)
  t.equal(ding.urlOverride, undefined)
  t.equal(ding.headers['content-type'], 'application/json;charset=utf-8')
  t.same(JSON.parse(ding.body), { msgtype: 'markdown', markdown: { title: 'patrol_bulletin.daily', text: `### ${e.summary}\n\npatrol_bulletin.daily · bulletin:daily · 2026-01-05T06:00:00.000Z` } })
  const signed = renderEvent('dingtalk', e, { ...opts, dingtalkSecret: 'SECabc' })
  t.match(signed.urlOverride, /access_token=x&timestamp=1767592800000&sign=/)
  const wecom = JSON.parse(renderEvent('wecom', e, opts).body) as { markdown: { content: string } }
  t.match(wecom.markdown.content, /^### Daily patrol bulletin 2026-01-04/)
  // WeCom's 4096-byte limit holds for long (multi-byte) summaries.
  const long = genericWecomBody(bulletin({ summary: '巡逻简报'.repeat(800) })) as { markdown: { content: string } }
  t.ok(Buffer.byteLength(long.markdown.content) <= 4096)
  t.match(long.markdown.content, /…$/)
})

t.test('an alert keeps its rich rendering in every format', async (t) => {
  const a = makeEvent('radius_breach', 'opened')
  const opts = { url: 'https://x.example/', now: AT }
  for (const f of ['standard', 'slack', 'dingtalk', 'wecom'] as const) t.same(renderEvent(f, alertToOutbound(a), opts), renderDelivery(f, a, opts), f)
  t.same(eventBodyObject(alertToOutbound(a)), { type: a.type, timestamp: new Date(a.at).toISOString(), data: a })
})

t.test('dispatcher: publishEvent delivers a signed non-alert event; zone filter uses data.zoneId', async (t) => {
  const rx = await startReceiver()
  t.teardown(() => rx.close())
  const { d } = makeDispatcher(tmpDir(), [
    { id: 'all', url: rx.url, secret: SECRET, events: ['patrol_bulletin.*'] },
    { id: 'grid3', url: rx.url, secret: SECRET, events: ['*'], zones: ['grid-3'] },
    { id: 'alerts', url: rx.url, secret: SECRET, events: ['*.opened'] },
  ])
  t.teardown(() => d.stop())
  d.start()
  const e = bulletin({ at: Date.now() })
  t.equal(d.publishEvent(e), 1, 'only the subscription whose pattern and zone match')
  t.equal(d.publishEvent(e), 0, 'a replay already pending is not queued twice')
  const [info] = (await waitFor(d, 'delivered')) as DeliveredInfo[]
  t.match(info, { subscriptionId: 'all', eventId: 'bulletin-2026-01-04', webhookId: 'msg_bulletin-2026-01-04' })
  const r = rx.received[0]!
  t.same(new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>), { type: 'patrol_bulletin.daily', timestamp: new Date(e.at).toISOString(), data: e.data })
  t.equal(d.publishEvent(bulletin({ id: 'b2', data: { zoneId: 'grid-3' } })), 2, 'grid3 matches data.zoneId; all matches the type')
  t.equal(d.publishEvent(bulletin({ id: 'b3', data: {} })), 1, 'no zone: not for a zone-filtered subscription')
  // publish(alert) is the adapter: same path, same ids.
  t.equal(d.publish(makeEvent('radius_breach', 'opened')), 1)
  await waitFor(d, 'delivered', 3)
})

t.test('outbox: a version 1 file (an AlertEvent) is loaded as an outbound event with the same ids', async (t) => {
  const dir = tmpDir()
  const o = new Outbox(dir, 1)
  const a = makeEvent('unit_silent', 'opened')
  const v1 = { v: 1, deliveryId: Outbox.deliveryId(5, 's1'), seq: 5, subscriptionId: 's1', webhookId: webhookIdFor(a.eventId), subject: a.subject, event: a, enqueuedAt: 1, attempts: 2, firstAttemptAt: 1, nextAttemptAt: 1 }
  fs.writeFileSync(path.join(o.dir, `${v1.deliveryId}.json`), JSON.stringify(v1))
  fs.writeFileSync(path.join(o.dir, `${Outbox.deliveryId(6, 's1')}.json`), JSON.stringify({ ...v1, deliveryId: Outbox.deliveryId(6, 's1'), event: { no: 'id' } }))
  const l = o.load()
  t.equal(l.pending.length, 1)
  t.same(l.pending[0], { ...v1, v: 2, event: alertToOutbound(a) })
  t.equal(l.corrupt.length, 1, 'a v1 file without an alert is set aside, not loaded')
})

t.test('MQTT: publishEvent on the caller topic, not retained unless asked; bad topics refused', async (t) => {
  const sent: Array<[string, string, { qos: 1; retain: boolean }]> = []
  const { logger, lines } = captureLogger()
  const p = new MqttPublisher(async (topic, payload, opts) => void sent.push([topic, payload, opts]), logger)
  p.publishEvent('hexpatrol/bulletins/daily', bulletin())
  p.publishEvent('hexpatrol/bulletins/latest', bulletin(), { retain: true })
  for (const bad of ['hexpatrol/+/x', 'a/#', 'a\u0000b', '']) p.publishEvent(bad, bulletin())
  p.publishEvent('ok/topic', { ...bulletin(), at: Number.NaN })
  await p.idle()
  t.same(sent.map((s) => [s[0], s[2]]), [['hexpatrol/bulletins/daily', { qos: 1, retain: false }], ['hexpatrol/bulletins/latest', { qos: 1, retain: true }]])
  t.same(JSON.parse(sent[0]![1]), eventBodyObject(bulletin()))
  t.equal(lines.filter((l) => l.level === 50 && /could not be rendered/.test(String(l.msg))).length, 5)
  t.match(lines.at(-1), { eventId: bulletin().id, msg: /Event could not be rendered/ })
})
