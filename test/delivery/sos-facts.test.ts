// The chat formats' facts for an SOS: what raised it, and who resolved it with which note.
import t from 'tap'
import { facts, title } from '../../src/delivery/formats.js'
import { makeEvent } from './fixtures/alerts.js'

t.test('SOS facts name the source and the resolution', async (t) => {
  const opened = makeEvent('unit_sos', 'opened')
  t.equal(title(opened), 'SOS opened')
  t.match(Object.fromEntries(facts(opened)), { Unit: 'Patrol 17 (P-017)', 'Raised by': 'vehicle terminal (JT/T 808 emergency alarm)' })
  t.match(Object.fromEntries(facts(makeEvent('unit_sos', 'opened', { via: 'osmand' } as never))), { 'Raised by': 'Traccar Client (alarm=sos)' })
  t.match(Object.fromEntries(facts(makeEvent('unit_sos', 'opened', { via: 'native' } as never))), { 'Raised by': 'device (sos: true)' })
  const resolved = makeEvent('unit_sos', 'resolved', { resolvedBy: 'sgt.wang', note: 'false alarm' } as never)
  t.equal(Object.fromEntries(facts(resolved))['Resolved by'], 'sgt.wang: false alarm')
  t.equal(Object.fromEntries(facts(makeEvent('unit_sos', 'resolved', { resolvedBy: 'duty' } as never)))['Resolved by'], 'duty')
})
