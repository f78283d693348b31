// The one topic builder: alerts under the alerts prefix (and a unit's device topic), every other
// event under the events prefix; wildcards and NUL stripped from what events supply.
import t from 'tap'
import { alertTopic, deviceAlertTopic, eventTopic, topicBuilder, DEVICE_TOPIC_PREFIX } from '../../src/delivery/topics.js'
import { alertToOutbound, type OutboundEvent } from '../../src/delivery/outbound-event.js'
import { makeEvent } from './fixtures/alerts.js'

const incident: OutboundEvent = { id: 'incident.R-1.opened', type: 'incident.opened', at: Date.UTC(2025, 2, 1), subject: 'incident:R+1#', summary: 'Incident R-1', data: { x: 1 } }

t.test('alert topic: prefix/kind/subject, wildcards stripped', async (t) => {
  t.equal(alertTopic('hexpatrol/alerts', makeEvent('radius_breach', 'opened')), 'hexpatrol/alerts/radius_breach/unit:P-017/post:station-03')
  t.equal(alertTopic('hexpatrol/alerts/', makeEvent('unit_silent', 'opened', { subject: 'unit:P+1#/x\u0000' })), 'hexpatrol/alerts/unit_silent/unit:P1/x')
})

t.test('a unit\'s alert also has that unit\'s device topic; a zone\'s alert none', async (t) => {
  t.equal(deviceAlertTopic('hexpatrol/devices/', makeEvent('radius_breach', 'opened')), 'hexpatrol/devices/P-017/alerts/radius_breach/unit:P-017/post:station-03')
  t.equal(deviceAlertTopic(DEVICE_TOPIC_PREFIX, makeEvent('zone_exit', 'opened', { unitId: 'P/1+#' } as never)), 'hexpatrol/devices/P1/alerts/zone_exit/unit:P-017')
  t.equal(deviceAlertTopic(DEVICE_TOPIC_PREFIX, makeEvent('coverage_gap', 'opened')), null)
  t.equal(deviceAlertTopic(DEVICE_TOPIC_PREFIX, makeEvent('unit_silent', 'opened', { unitId: '' } as never)), null)
})

t.test('event topic: prefix/type/subject', async (t) => {
  t.equal(eventTopic('hexpatrol/incidents', incident), 'hexpatrol/incidents/incident.opened/incident:R1')
  t.equal(eventTopic('ops/events/', incident), 'ops/events/incident.opened/incident:R1', 'the configured prefix, trailing slash trimmed')
})

t.test('topicBuilder: every event\'s topics from the configured prefixes', async (t) => {
  const topics = topicBuilder({ alerts: 'hexpatrol/alerts/', events: 'hexpatrol/incidents', devices: DEVICE_TOPIC_PREFIX })
  t.same(topics(alertToOutbound(makeEvent('unit_silent', 'opened'))), ['hexpatrol/alerts/unit_silent/unit:P-017', 'hexpatrol/devices/P-017/alerts/unit_silent/unit:P-017'])
  t.same(topics(alertToOutbound(makeEvent('coverage_gap', 'opened'))), ['hexpatrol/alerts/coverage_gap/zone:grid-2'], 'a zone\'s alert: no device topic')
  t.same(topics(incident), ['hexpatrol/incidents/incident.opened/incident:R1'])
  const bulletin: OutboundEvent = { id: 'patrol_bulletin.daily.2026-12-01', type: 'patrol_bulletin.daily', at: 0, subject: 'bulletin:daily', summary: 's', data: {} }
  t.same(topics(bulletin), ['hexpatrol/incidents/patrol_bulletin.daily/bulletin:daily'], 'a bulletin like any other event')
  const noDevices = topicBuilder({ alerts: 'a', events: 'e' })
  t.same(noDevices(alertToOutbound(makeEvent('unit_silent', 'opened'))), ['a/unit_silent/unit:P-017'], 'no device topics unless asked')
  t.same(noDevices(incident, null), ['e/incident.opened/incident:R1'], 'the caller\'s alertOf() result is used')
})

t.test('a make-up patrol task\'s events also reach the unit\'s own device topic', async (t) => {
  const topics = topicBuilder({ alerts: 'hexpatrol/alerts', events: 'hexpatrol/incidents', devices: DEVICE_TOPIC_PREFIX })
  const task = (type: string, unitId: unknown): OutboundEvent => ({ id: `task:g1:x:1:${type}`, type, at: 0, subject: 'unit:V/1', summary: 's', data: { unitId } })
  t.same(topics(task('patrol_task.assigned', 'V-01')), ['hexpatrol/incidents/patrol_task.assigned/unit:V/1', 'hexpatrol/devices/V-01/tasks/patrol_task.assigned'])
  t.same(topics(task('patrol_task.completed', 'V/#1+')), ['hexpatrol/incidents/patrol_task.completed/unit:V/1', 'hexpatrol/devices/V1/tasks/patrol_task.completed'], 'wildcards and slashes stripped from the unit id')
  t.same(topics(task('patrol_task.assigned', '')), ['hexpatrol/incidents/patrol_task.assigned/unit:V/1'], 'no unit: events topic only')
  t.same(topics(task('incident.opened', 'V-01')), ['hexpatrol/incidents/incident.opened/unit:V/1'], 'other events with a unitId: no device topic')
  t.same(topicBuilder({ alerts: 'a', events: 'e' })(task('patrol_task.assigned', 'V-01')), ['e/patrol_task.assigned/unit:V/1'], 'no device topics unless asked')
})

t.test('an incident\'s assignment and close also reach each assigned unit\'s device topic', async (t) => {
  const topics = topicBuilder({ alerts: 'hexpatrol/alerts', events: 'hexpatrol/incidents', devices: DEVICE_TOPIC_PREFIX })
  const ev = (type: string, units: unknown): OutboundEvent => ({ id: `incident.R1.${type}`, type, at: 0, subject: 'incident:R1', summary: 's', data: { incidentId: 'R1', units } })
  t.same(topics(ev('incident.assigned', [{ unitId: 'P-1' }, { unitId: 'O/#2' }, { unitId: 7 }, null])), [
    'hexpatrol/incidents/incident.assigned/incident:R1', 'hexpatrol/devices/P-1/incidents/assigned', 'hexpatrol/devices/O2/incidents/assigned',
  ], 'one per unit; wildcards and slashes stripped; junk skipped')
  t.same(topics(ev('incident.closed', [{ unitId: 'P-1' }])), ['hexpatrol/incidents/incident.closed/incident:R1', 'hexpatrol/devices/P-1/incidents/closed'])
  t.same(topics(ev('incident.closed', 'none')), ['hexpatrol/incidents/incident.closed/incident:R1'], 'no unit list: events topic only')
  t.same(topicBuilder({ alerts: 'a', events: 'e' })(ev('incident.assigned', [{ unitId: 'P-1' }])), ['e/incident.assigned/incident:R1'], 'no device topics unless asked')
})
