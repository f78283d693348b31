// The service's edges with a fake store: ClickHouse not ready, duplicates within one request,
// failures that must not break anything (hotspot query, plan event insert, unreadable state),
// the rate proposal (auto-applied, or skipped when the zone is already that high), hotspots off.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService, openedEvent } from '../../src/incidents/service.js'
import type { IncidentStore } from '../../src/incidents/store.js'
import type { OutboundEvent } from '../../src/incidents/events.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { captureLogger, tempDir } from '../helpers/harness.js'
import { BASE, T0, config, feed, fix, standardRaw } from '../rules/helpers.js'

function fakeStore(over: Partial<Record<keyof IncidentStore, unknown>> = {}) {
  const inserted: string[] = []
  const store = {
    existing: async (ids: string[]) => new Set(ids.filter((id) => inserted.includes(id))),
    insert: async (rows: Array<{ incident: { id: string } }>) => { inserted.push(...rows.map((r) => r.incident.id)) },
    hotspotScores: async () => [],
    insertPlanEvents: async () => undefined,
    query: async () => [],
    get: async () => null,
    zonedSince: async () => [],
    ...over,
  }
  return { store: store as unknown as IncidentStore, inserted }
}

function setup(raw: Record<string, unknown>, store: IncidentStore | null, dir = tempDir()) {
  const cfg = config(standardRaw(raw))
  const dep = compileDeployment(cfg)
  const rules = new RuleEngine(dep, { startedAt: T0 })
  const events: OutboundEvent[] = []
  const { logger, logs } = captureLogger()
  const now = { t: T0 }
  const svc = new IncidentService({ setup: compileIncidents(cfg), dep, rules, store: () => store, dir, now: () => now.t, logger, publish: (e) => events.push(e) })
  return { svc, rules, events, logs, now, dir }
}

const robbery = (id: string) => ({ id, type: 'robbery', lat: BASE.lat, lon: BASE.lon })

t.test('ClickHouse not ready: incidents refused as NOT_READY, hotspots skipped', async (t) => {
  const { svc } = setup({}, null)
  await t.rejects(svc.add([robbery('A')], { source: 'api', search: true, by: 'x' }), { code: 'HEXP_ERR_NOT_READY' })
  t.equal(await svc.recomputeHotspots(), false)
  t.throws(() => svc.query({ from: 0, to: 1, limit: 1 }), { code: 'HEXP_ERR_NOT_READY' })
})

t.test('duplicates within a request, rejections, no search for imports', async (t) => {
  const { store, inserted } = fakeStore()
  const { svc, events } = setup({}, store)
  const r = await svc.add([robbery('A'), robbery('A'), { id: 5 }, { ...robbery('B'), lat: 'x' }], { source: 'import', search: false, by: 'x' })
  t.same(r.map((x) => [x.id, x.status]), [['A', 'exists'], ['', 'rejected'], ['B', 'rejected'], ['A', 'created']])
  t.same(inserted, ['A'])
  t.equal(events.length, 0, 'an import dispatches nothing')
  t.equal(r[3]!.resources, undefined)
  t.same(await svc.query({ from: 0, to: 1, limit: 1 }), [])
  t.equal(await svc.incident('A'), null)
})

t.test('a failing hotspot query keeps the previous hotspots; hotspots disabled', async (t) => {
  const { store } = fakeStore({ hotspotScores: async () => { throw new Error('boom') } })
  const { svc, logs } = setup({}, store)
  t.equal(await svc.recomputeHotspots(), false)
  t.ok(logs.some((l) => l.msg === 'Hotspot recomputation failed; the previous hotspots stay in force.' && l.err === 'boom'))
  t.same(svc.hotspotList(), [])
  const off = setup({ incidents: { hotspots: { enabled: false } } }, fakeStore().store)
  t.equal(await off.svc.recomputeHotspots(), false)
})

t.test('rate proposal: auto-applied with an expiry; not proposed when the zone is already as high', async (t) => {
  const { store } = fakeStore()
  const { svc, events, now } = setup({ incidents: { rate: { threshold: 2, suggest_level: 'high', auto_apply: true, auto_expiry: '1h' } } }, store)
  await svc.add([robbery('A'), robbery('B')], { source: 'api', search: true, by: 'x' })
  t.same(events.map((e) => e.type), ['incident.opened', 'incident.opened', 'patrol_level.suggested', 'patrol_level.changed'])
  t.match(events[3]!.data, { zoneId: 'grid-2', to: 'high', by: 'hexpatrol', expiresAt: T0 + 3_600_000 })
  t.match(events[3]!.summary, /until \d{4}-\d\d-\d\dT\d\d:\d\dZ/)
  t.equal(svc.levels.view('grid-2', now.t).level, 'high')

  const s2 = setup({ patrol_levels: { zones: { 'grid-2': 'emergency' } }, incidents: { rate: { threshold: 1, suggest_level: 'high' } } }, fakeStore().store)
  await s2.svc.add([robbery('A')], { source: 'api', search: true, by: 'x' })
  t.same(s2.events.map((e) => e.type), ['incident.opened'], 'already above the suggested level')
})

t.test('plan events reach publish even when ClickHouse refuses them; state files persist; unreadable ones are ignored', async (t) => {
  const { store } = fakeStore({ insertPlanEvents: async () => { throw new Error('down') } })
  const plans = [{ id: 'p', checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['P-017'], radius_m: 50 }] }]
  const { svc, rules, events, logs, now, dir } = setup({ plans }, store)
  t.same(svc.planSpecs().map((p) => p.id), ['p'])
  t.equal(svc.activate('nope', { by: 'x', incidentId: null, centre: null }), null)
  svc.activate('p', { by: 'x', incidentId: null, centre: null })
  await svc.idle()
  t.ok(logs.some((l) => l.msg === 'Plan events could not be stored in ClickHouse; they were delivered.'))
  t.same(svc.search(BASE.lat, BASE.lon, now.t), [], 'no live unit yet')
  for (let s = 0; s <= 40; s += 10) {
    now.t = T0 + 1000 + s * 1000
    feed(rules, fix('P-017', now.t, BASE))
    svc.tick(now.t)
  }
  t.same(events.map((e) => e.type), ['plan.activated', 'checkpoint.reached', 'plan.completed'])
  t.equal(svc.search(BASE.lat, BASE.lon, now.t).length, 0, 'the committed unit is not proposed')
  t.equal(svc.search(BASE.lat, BASE.lon, now.t, 3).length, 0)
  t.match(svc.planStatus('p'), { checkpoints: [{ state: 'reached', units: [{ unitId: 'P-017', live: true, inside: true }] }] })
  // Restart from the state files.
  const again = setup({ plans }, store, dir)
  t.ok(again.svc.board.get('p'))
  svc.deactivate('p', 'x')
  svc.tick(now.t)
  // Corrupt state files: start without them.
  mkdirSync(join(dir, 'x'), { recursive: true })
  writeFileSync(join(dir, 'plans.json'), '{not json')
  const fresh = setup({ plans }, store, dir)
  t.equal(fresh.svc.board.list().length, 0)
  t.ok(fresh.logs.some((l) => l.msg === 'Incidents state file is unreadable; starting without it.'))
})

t.test('incident.opened summary with and without resources', async (t) => {
  const i = { id: 'A', type: 'robbery', priority: 1, ts: T0, lat: 1, lon: 2, address: '', description: '' }
  t.match(openedEvent(i, null, [], T0).summary, /^Incident A \(robbery, priority 1\): no available unit$/)
  t.match(openedEvent(i, 'g', [{ unitId: 'U', name: 'U', kind: 'vehicle', post: null, zone: null, lat: 1, lon: 2, lastFixAt: T0, distanceM: 420, etaS: 61 }], T0).summary, /in g: nearest U at 420 m, ETA 2 min/)
})
