// A missed checkpoint through the alerts API: listed among the open alerts (filter kind=
// checkpoint_missed), read by id, acknowledged through the usual ack route with a note; the
// response conforms to the routes' schemas.
import t from 'tap'
import { pino } from 'pino'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService } from '../../src/incidents/service.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { incidentJournal } from '../../src/journal/record.js'
import { tempDir } from '../helpers/harness.js'
import { T0, as, conforms, rig, testConfig } from './helpers.js'

const config = testConfig({ plans: [{ id: 'gate', name: 'Gate plan', checkpoints: [{ name: 'North', lat: 36.5, lon: 117.86, units: ['P-1'], arrive_within: '5m' }] }] })
const r = await rig({ config })
t.teardown(() => r.app.close())
const svc = new IncidentService({
  setup: compileIncidents(config), dep: r.engine.deployment, rules: r.engine, store: () => null, dir: tempDir(), now: () => r.clock.now,
  logger: pino({ level: 'silent' }), publish: () => undefined, alerts: (evs) => r.emitted.push(...evs), journal: incidentJournal(() => undefined), unshipped: new UnshippedIncidents(),
})

async function call(method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: unknown) {
  const res = await r.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
  conforms(t, r.app, method, url, res)
  return res
}

t.test('listed, read and acknowledged like any alert', async (t) => {
  await svc.activate('gate', { by: 'sgt.li', incidentId: null, centre: null })
  r.clock.now = T0 + 6 * 60_000
  svc.tick(r.clock.now)
  let res = await call('GET', '/api/v1/alerts?kind=checkpoint_missed', as('read'))
  t.equal(res.statusCode, 200)
  const [a] = res.json().alerts as Array<{ id: string; kind: string; subject: string; state: string; last: Record<string, unknown> }>
  t.match(a, { kind: 'checkpoint_missed', subject: 'plan:gate/checkpoint:0', state: 'opened', last: { planId: 'gate', checkpoint: { name: 'North' }, responsible: ['P-1'] } })
  res = await call('GET', `/api/v1/alerts/${a!.id}`, as('read'))
  t.equal(res.statusCode, 200)
  const before = r.emitted.length
  res = await call('POST', `/api/v1/alerts/${a!.id}/ack`, as('operate'), { note: 'P-1 stuck in traffic, P-2 sent' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { type: 'checkpoint_missed.acknowledged', acknowledgedBy: 'sgt.wang', ackNote: 'P-1 stuck in traffic, P-2 sent', planId: 'gate' })
  t.equal(r.emitted.length, before + 1, 'the acknowledgement is journaled and delivered')
  t.same((await call('GET', '/api/v1/alerts?state=acknowledged', as('read'))).json().alerts.map((x: { id: string }) => x.id), [a!.id])
  // Standing the plan down resolves it: it leaves the open list.
  await svc.deactivate('gate', 'sgt.li')
  t.same((await call('GET', '/api/v1/alerts?kind=checkpoint_missed', as('read'))).json().alerts, [])
  t.match(r.emitted.at(-1), { type: 'checkpoint_missed.resolved', reason: 'plan_deactivated', acknowledgedBy: 'sgt.wang' })
})
