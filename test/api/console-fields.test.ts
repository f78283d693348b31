// What the supervisor's console needs from the API (issue 24): a unit's radio callsign on every
// unit view (list, one unit, GeoJSON; null when the config gives none), and an acknowledgement's
// note stored with the transition (ackNote), returned, kept on the alert view and on the later
// resolution, and audited; a blank note is no note.
import t from 'tap'
import { T0, as, conforms, fix, rig, testConfig } from './helpers.js'

const config = testConfig({ units: [{ id: 'P-1', name: 'Car 1', callsign: 'Bravo 12', post: 's1', zone: 'g1' }, { id: 'O-2', kind: 'officer', zone: 'g1' }] })
const r = await rig({ config })
const { app, engine, audits, clock } = r
t.teardown(() => app.close())

async function call(method: 'GET' | 'POST', url: string, headers: Record<string, string> = as('read'), payload?: unknown) {
  const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
  conforms(t, app, method, url, res)
  return res
}

// P-1 reports at its post, then 2 km north of it long enough to open a radius breach.
for (let i = 0; i <= 12; i++) {
  clock.now = T0 + i * 10_000
  r.ingest(fix('P-1', clock.now, i === 0 ? 36.49 : 36.51 + (i % 2) * 0.00005, 117.86))
}
r.ingest(fix('O-2', clock.now, 36.489, 117.861))

t.test('units carry their callsign, or null', async (t) => {
  const list = (await call('GET', '/api/v1/units')).json().units as Array<{ id: string; callsign: string | null }>
  t.same(Object.fromEntries(list.map((u) => [u.id, u.callsign])), { 'P-1': 'Bravo 12', 'O-2': null })
  t.equal((await call('GET', '/api/v1/units/P-1')).json().callsign, 'Bravo 12')
  const gj = (await call('GET', '/api/v1/units.geojson')).json()
  t.equal(gj.features.find((f: { id: string }) => f.id === 'P-1').properties.callsign, 'Bravo 12')
})

t.test('a callsign is 1–32 characters', async (t) => {
  t.throws(() => testConfig({ units: [{ id: 'P-1', callsign: '' }] }), /callsign/)
  t.throws(() => testConfig({ units: [{ id: 'P-1', callsign: 'x'.repeat(33) }] }), /callsign/)
})

t.test('an acknowledgement keeps its note', async (t) => {
  const breach = engine.openAlerts().find((a) => a.kind === 'radius_breach')
  t.ok(breach, 'a radius breach is open')
  const id = breach!.id
  const n = audits.length
  clock.now = T0 + 140_000
  const res = await call('POST', `/api/v1/alerts/${id}/ack`, as('operate'), { note: '  Bravo 12 at a traffic accident, cleared by control  ' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { type: 'radius_breach.acknowledged', acknowledgedBy: 'sgt.wang', ackNote: 'Bravo 12 at a traffic accident, cleared by control' }, 'returned, trimmed')
  t.match(audits.slice(n).find((a) => a.action === 'alert.acknowledge'), { details: { note: 'Bravo 12 at a traffic accident, cleared by control' } }, 'audited')
  const one = (await call('GET', `/api/v1/alerts/${id}`)).json()
  t.match(one, { state: 'acknowledged', acknowledgedBy: 'sgt.wang', ackNote: 'Bravo 12 at a traffic accident, cleared by control', acknowledgedAt: T0 + 140_000 })
  const listed = (await call('GET', '/api/v1/alerts?state=acknowledged')).json().alerts
  t.equal(listed[0].ackNote, 'Bravo 12 at a traffic accident, cleared by control', 'on the list too')

  // Back inside the post: the resolution still says who acknowledged and why.
  for (let i = 0; i < 12; i++) {
    clock.now = T0 + 200_000 + i * 10_000
    r.ingest(fix('P-1', clock.now, 36.49, 117.86))
  }
  const resolved = engine.getAlert(id)
  t.equal(resolved?.state, 'resolved')
  t.match(resolved?.last, { acknowledgedBy: 'sgt.wang', ackNote: 'Bravo 12 at a traffic accident, cleared by control' })
})

t.test('a blank note is no note', async (t) => {
  clock.now = T0 + 24 * 3_600_000
  const silent = engine.tick(clock.now).find((e) => e.kind === 'unit_silent')
  t.ok(silent, 'a unit_silent alert')
  const n = audits.length
  const res = await call('POST', `/api/v1/alerts/${silent!.alertId}/ack`, as('operate'), { note: '   ' })
  t.equal(res.statusCode, 200)
  t.notOk('ackNote' in res.json(), 'no ackNote')
  t.notOk('note' in (audits.slice(n).find((a) => a.action === 'alert.acknowledge')?.details ?? {}), 'no note audited')
})
