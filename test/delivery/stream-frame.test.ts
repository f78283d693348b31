// The live stream's view of an outbound event: alerts as `alert` (the alert itself, zone and unit),
// other events as the head of their type with the event.
import t from 'tap'
import { streamFrame, streamType } from '../../src/delivery/stream-frame.js'
import { alertToOutbound, type OutboundEvent } from '../../src/delivery/outbound-event.js'
import { makeEvent } from './fixtures/alerts.js'

t.test('stream type: the head of the event type; checkpoints belong to plans', async (t) => {
  t.equal(streamType('checkpoint.missed'), 'plan')
  t.equal(streamType('plan.completed'), 'plan')
  t.equal(streamType('patrol_level.changed'), 'patrol_level')
  t.equal(streamType('incident.opened'), 'incident')
  t.equal(streamType('patrol_bulletin.daily'), 'patrol_bulletin')
})

t.test('frames', async (t) => {
  const a = makeEvent('zone_exit', 'opened')
  t.same(streamFrame(alertToOutbound(a)), { type: 'alert', data: a, opts: { zone: 'grid-2', unit: 'P-017' } })
  const e: OutboundEvent = { id: 'i', type: 'incident.opened', at: 0, subject: 'incident:R-1', summary: 's', data: { zoneId: 'g1' } }
  t.same(streamFrame(e), { type: 'incident', data: e, opts: { zone: 'g1' } })
  const b: OutboundEvent = { id: 'b', type: 'patrol_bulletin.weekly', at: 0, subject: 'bulletin:weekly', summary: 's', data: {} }
  t.same(streamFrame(b), { type: 'patrol_bulletin', data: b, opts: {} }, 'no zone: every client\'s zone filter passes it')
  t.same(streamFrame(e, null).type, 'incident')
})
