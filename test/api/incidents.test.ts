// The incidents routes on the API rig: scopes (read vs operate), audit rows with details, and 503
// while the incidents stage is not running. The scenario itself is test/integration/robbery.test.ts.
import t from 'tap'
import { pino } from 'pino'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService } from '../../src/incidents/service.js'
import type { IncidentStore } from '../../src/incidents/incident-store.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { incidentJournal, readIncidents } from '../../src/journal/record.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { tempDir } from '../helpers/harness.js'
import { as, rig, testConfig, T0 } from './helpers.js'

t.test('503 without the incidents stage', async (t) => {
  const r = await rig()
  t.teardown(() => r.app.close())
  for (const url of ['/api/v1/hotspots', '/api/v1/levels', '/api/v1/plans', '/api/v1/incidents']) {
    const res = await r.app.inject({ url, headers: as('read') })
    t.equal(res.statusCode, 503, url)
    t.equal(res.json().code, 'HEXP_ERR_NOT_READY')
  }
})

t.test('read may look, operate may change; changes are audited with details', async (t) => {
  const config = testConfig({ plans: [{ id: 'gate', checkpoints: [{ name: 'Gate', lat: 36.49, lon: 117.86, units: ['P-1'] }] }] })
  const base = await rig({ config })
  await base.app.close()
  const store = {
    existing: async () => new Set<string>(),
    hotspotScores: async () => [],
    query: async () => [],
    get: async () => null,
  } as unknown as IncidentStore
  const journaled: Buffer[] = []
  const unshipped = new UnshippedIncidents()
  const incidents = new IncidentService({ setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => store, dir: tempDir(), now: () => T0, logger: pino({ level: 'silent' }), publish: () => undefined, journal: incidentJournal((b) => { journaled.push(b) }), unshipped })
  const rows = () => Array.from(readIncidents(journaled), (i) => i.id)
  const r = await rig({ config, ctx: { incidents } })
  t.teardown(() => r.app.close())
  const body = JSON.stringify({ id: 'R-1', type: 'robbery', lat: 36.49, lon: 117.86 })
  const denied = await r.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...as('read'), 'content-type': 'application/json' }, payload: body })
  t.equal(denied.statusCode, 403)
  const ok = await r.app.inject({ method: 'POST', url: '/api/v1/incidents?import=true', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: body })
  t.equal(ok.statusCode, 201)
  t.equal(ok.json().resources, undefined, '?import=true: no dispatch')
  t.same(rows(), ['R-1'])
  const lvl = await r.app.inject({ method: 'PUT', url: '/api/v1/zones/g1/level', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ level: 'high', reason: 'robbery', until: String(T0 + 3_600_000) }) })
  t.equal(lvl.statusCode, 200)
  t.match(lvl.json(), { level: 'high', override: { by: 'sgt.wang', expiresAt: T0 + 3_600_000 } })
  t.equal((await r.app.inject({ method: 'PUT', url: '/api/v1/zones/g1/level', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ level: 'high', reason: 'x', until: 'soon' }) })).statusCode, 400)
  const act = await r.app.inject({ method: 'POST', url: '/api/v1/plans/gate/activate', headers: { ...as('operate') } })
  t.equal(act.statusCode, 200, 'an absolute plan needs no body')
  const mine = r.audits.filter((a) => a.actor === 'sgt.wang')
  t.same(mine.map((a) => [a.action, a.target, a.details.status]), [['incident.create', '', 201], ['zone.level', 'g1', 200], ['zone.level', 'g1', 400], ['plan.activate', 'gate', 200]])
  t.match(mine[1]!.details, { status: 200, target: 'g1', from: 'normal', to: 'high', reason: 'robbery' })
  t.match(mine[0]!.details, { target: 'R-1', created: 1 })
  const list = await r.app.inject({ url: '/api/v1/incidents?from=2020-01-01T00:00:00Z', headers: as('read') })
  t.same(list.json().incidents.map((i: { id: string }) => i.id), ['R-1'], 'journaled, not shipped yet: read from the journal\'s read model')
  t.equal(list.json().partial, undefined, 'ClickHouse answered: not partial')
  t.equal((await r.app.inject({ url: '/api/v1/incidents?from=yesterday', headers: as('read') })).statusCode, 400)
  t.same((await r.app.inject({ url: '/api/v1/hotspots', headers: as('read') })).json().features, [])
})
