// The service's edges with a fake store and a journal in memory: ClickHouse not ready or failing
// (incidents still journaled and readable), duplicates within one request, failures that must not
// break anything (hotspot query, plan event append, unreadable state),
// the rate proposal (auto-applied, or skipped when the zone is already that high), hotspots off.
import t from 'tap'
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService, openedEvent } from '../../src/incidents/service.js'
import type { IncidentStore } from '../../src/incidents/incident-store.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { incidentJournal, readIncidents } from '../../src/journal/record.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { captureLogger, tempDir } from '../helpers/harness.js'
import { BASE, T0, config, feed, fix, standardRaw } from '../rules/helpers.js'
import { searchUnits } from '../../src/incidents/resource-search.js'
import { rng } from '../helpers/workload.js'
import { incidentTexts, type IncidentTexts } from '../../src/i18n/incident-texts.js'

function fakeStore(over: Partial<Record<keyof IncidentStore, unknown>> = {}) {
  const inserted: string[] = []
  const store = {
    existing: async (ids: string[]) => new Set(ids.filter((id) => inserted.includes(id))),
    hotspotScores: async () => [],
    query: async () => [],
    get: async () => null,
    zonedSince: async () => [],
    ...over,
  }
  return { store: store as unknown as IncidentStore, inserted }
}

/**
 * `journal`: the service's journal (default: records kept in `records`). `inserted`: the fake
 * store's ids, to which each journaled incident is "shipped" (and leaves the read model).
 */
function setup(raw: Record<string, unknown>, store: IncidentStore | null, dir = tempDir(), o: { inserted?: string[]; journal?: (r: Buffer) => void | Promise<void>; texts?: IncidentTexts } = {}) {
  const cfg = config(standardRaw(raw))
  const dep = compileDeployment(cfg)
  const rules = new RuleEngine(dep, { startedAt: T0 })
  const events: OutboundEvent[] = []
  const records: Buffer[] = []
  const unshipped = new UnshippedIncidents()
  const { logger, logs } = captureLogger()
  const now = { t: T0 }
  const journal = o.journal ?? ((r: Buffer) => {
    records.push(r)
    if (o.inserted === undefined) return
    const ids = Array.from(readIncidents([r]), (i) => i.id)
    o.inserted.push(...ids)
    unshipped.shipped(ids)
  })
  const svc = new IncidentService({ setup: compileIncidents(cfg), dep, rules, store: () => store, dir, now: () => now.t, logger, publish: (e) => events.push(e), journal: incidentJournal(journal), unshipped, ...(o.texts === undefined ? {} : { texts: o.texts }) })
  return { svc, rules, events, logs, now, dir, records, unshipped }
}

const robbery = (id: string) => ({ id, type: 'robbery', lat: BASE.lat, lon: BASE.lon })

t.test('ClickHouse not ready: incidents journaled and readable from the read model, hotspots skipped', async (t) => {
  const { svc, records, events, logs } = setup({ incidents: { rate: { threshold: 5, suggest_level: 'high' } } }, null)
  const r = await svc.add([robbery('A')], { source: 'api', search: true, by: 'x' })
  t.match(r, [{ id: 'A', status: 'created' }])
  t.equal(records.length, 1, 'journaled')
  t.same(Array.from(readIncidents(records), (i) => i.id), ['A'])
  t.same(events.map((e) => e.type), ['incident.opened'])
  t.ok(logs.some((l) => l.msg === 'The incident rate window could not be read from ClickHouse; counting without the history until it can.' && l.err === 'ClickHouse is not ready'))
  t.same((await svc.add([robbery('A')], { source: 'api', search: true, by: 'x' })).map((x) => x.status), ['exists'], 'a re-sent POST finds it')
  t.match(await svc.add([{ ...robbery('FAR'), lat: 10, lon: 10 }], { source: 'import', search: false, by: 'x' }), [{ id: 'FAR', status: 'created', zone: null }])
  t.equal([...readIncidents(records)].find((i) => i.id === 'FAR')?.zone, '', 'outside every zone: stored as ""')
  t.equal(records.length, 2, 'the re-sent POST journaled nothing')
  t.equal(await svc.recomputeHotspots(), false)
  t.match(await svc.query({ from: 0, to: T0 + 1, limit: 10 }), { rows: [{ id: 'A', type: 'robbery', zone: 'grid-2' }, { id: 'FAR', zone: '' }], partial: true })
  t.same(await svc.query({ from: 0, to: 1, limit: 1 }), { rows: [], partial: true })
  t.match(await svc.incident('A'), { id: 'A' })
  await t.rejects(svc.incident('B'), { code: 'HEXP_ERR_NOT_READY' })
})

t.test('ClickHouse failing: the add is journaled all the same; reads merge the read model; the journal failing fails the add', async (t) => {
  const down = async () => { throw new Error('connect ECONNREFUSED') }
  const { store } = fakeStore({ existing: down, query: down, zonedSince: down, get: down })
  const s = setup({ incidents: { rate: { threshold: 2, suggest_level: 'high' } } }, store)
  t.match(await s.svc.add([robbery('A')], { source: 'api', search: true, by: 'x' }), [{ id: 'A', status: 'created' }])
  t.ok(s.logs.some((l) => l.msg === 'ClickHouse could not be asked which incidents it holds; they are journaled as new.'))
  t.ok(s.logs.some((l) => l.msg === 'The incident rate window could not be read from ClickHouse; counting without the history until it can.' && l.err === 'connect ECONNREFUSED'))
  t.match(await s.svc.query({ from: 0, to: T0 + 1, limit: 10 }), { rows: [{ id: 'A' }], partial: true })
  t.ok(s.logs.some((l) => l.msg === 'Incidents could not be read from ClickHouse; answering with those not shipped yet.'))
  await t.rejects(s.svc.incident('Z'), /ECONNREFUSED/)
  // The rate window counts what this process saw until the history can be read.
  await s.svc.add([robbery('B')], { source: 'api', search: true, by: 'x' })
  t.ok(s.events.some((e) => e.type === 'patrol_level.suggested'), 'two incidents reach the threshold without the history')

  // ClickHouse up: the stored rows and the ones not shipped yet, merged newest first, one per id.
  const stored = { id: 'S', type: 'theft', priority: 3, ts: T0 - 5000, lat: 1, lon: 2, zone: '', address: '', description: '' }
  const up = fakeStore({ query: async () => [stored, { ...stored, id: 'A', ts: T0 - 1 }] })
  const u = setup({}, up.store)
  await u.svc.add([robbery('A'), { ...robbery('B'), time: T0 - 10_000 }], { source: 'import', search: false, by: 'x' })
  const q = await u.svc.query({ from: 0, to: T0 + 1, limit: 10 })
  t.same(q.rows.map((r) => r.id), ['A', 'S', 'B'])
  t.equal(q.partial, false)
  t.same((await u.svc.query({ from: 0, to: T0 + 1, limit: 2 })).rows.map((r) => r.id), ['A', 'S'], 'limited after the merge')

  // The journal refuses the record: the add fails and nothing is kept as created.
  const broken = setup({}, fakeStore().store, tempDir(), { journal: () => { throw new Error('EIO') } })
  await t.rejects(broken.svc.add([robbery('C')], { source: 'api', search: true, by: 'x' }), /EIO/)
  t.equal(broken.unshipped.size, 0)
  t.same(broken.events, [], 'no incident.opened for an incident not journaled')
})

t.test('duplicates within a request, rejections, no search for imports', async (t) => {
  const { store, inserted } = fakeStore()
  const { svc, events } = setup({}, store, tempDir(), { inserted })
  const r = await svc.add([robbery('A'), robbery('A'), { id: 5 }, { ...robbery('B'), lat: 'x' }], { source: 'import', search: false, by: 'x' })
  t.same(r.map((x) => [x.id, x.status]), [['A', 'exists'], ['', 'rejected'], ['B', 'rejected'], ['A', 'created']])
  t.same(inserted, ['A'])
  t.equal(events.length, 0, 'an import dispatches nothing')
  t.equal(r[3]!.resources, undefined)
  t.same(await svc.query({ from: 0, to: 1, limit: 1 }), { rows: [], partial: false })
  t.equal(await svc.incident('A'), null, 'shipped: read from the store')
  t.same((await svc.add([robbery('A')], { source: 'api', search: true, by: 'x' })).map((x) => x.status), ['exists'], 'in ClickHouse: exists')
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

  // In Chinese: the zone by its name, the levels in the live map's words, local times.
  const zh = setup({ zones: [{ id: 'grid-2', name: '2 号网格', geometry: { type: 'Polygon', coordinates: [[[BASE.lon - 0.01, BASE.lat - 0.01], [BASE.lon + 0.01, BASE.lat - 0.01], [BASE.lon + 0.01, BASE.lat + 0.01], [BASE.lon - 0.01, BASE.lat + 0.01], [BASE.lon - 0.01, BASE.lat - 0.01]]] } }], incidents: { rate: { threshold: 2, suggest_level: 'high', auto_apply: true, auto_expiry: '1h' } } }, fakeStore().store, tempDir(), { texts: incidentTexts('zh-CN', 'Asia/Shanghai') })
  await zh.svc.add([robbery('A'), robbery('B')], { source: 'api', search: true, by: 'x' })
  t.match(zh.events[0]!.summary, /^警情 A（抢劫，\d 级），位于2 号网格：/)
  t.match(zh.events[2]!.summary, /^2 号网格：\d+ 小时内发生 2 起警情，建议将巡逻等级由常态提升为高等级$/)
  t.match(zh.events[3]!.summary, /^2 号网格：巡逻等级 常态 → 高等级，至 \d{4}-\d\d-\d\d \d\d:\d\d（hexpatrol：自动：\d+ 小时内 2 起警情）$/)

  const s2 = setup({ patrol_levels: { zones: { 'grid-2': 'emergency' } }, incidents: { rate: { threshold: 1, suggest_level: 'high' } } }, fakeStore().store)
  await s2.svc.add([robbery('A')], { source: 'api', search: true, by: 'x' })
  t.same(s2.events.map((e) => e.type), ['incident.opened'], 'already above the suggested level')
})

t.test('plan events are journaled, then published; published even when the journal fails; state files persist; unreadable ones are ignored', async (t) => {
  const { store } = fakeStore()
  const plans = [{ id: 'p', checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['P-017'], radius_m: 50 }] }]
  const { svc, rules, events, now, dir, records } = setup({ plans }, store)
  t.same(svc.planSpecs().map((p) => p.id), ['p'])
  t.equal(await svc.activate('nope', { by: 'x', incidentId: null, centre: null }), null)
  await svc.activate('p', { by: 'x', incidentId: null, centre: null })
  t.equal(records.length, 1, 'the activation is journaled')
  t.match(records[0]!.toString(), /^e\t\{"at":\d+,"event_id":"p\.\d+\.activated","type":"plan\.activated"/)
  t.same(svc.search(BASE.lat, BASE.lon, now.t), [], 'no live unit yet')
  for (let s = 0; s <= 40; s += 10) {
    now.t = T0 + 1000 + s * 1000
    feed(rules, fix('P-017', now.t, BASE))
    svc.tick(now.t)
  }
  t.same(events.map((e) => e.type), ['plan.activated', 'checkpoint.reached', 'plan.completed'])
  t.same(Buffer.concat(records).toString().split('\n').filter(Boolean).map((l) => (JSON.parse(l.slice(2)) as { type: string }).type), ['plan.activated', 'checkpoint.reached', 'plan.completed'], 'every plan event journaled')
  t.equal(svc.search(BASE.lat, BASE.lon, now.t).length, 0, 'the committed unit is not proposed')
  t.equal(svc.search(BASE.lat, BASE.lon, now.t, 3).length, 0)
  t.match(svc.planStatus('p'), { checkpoints: [{ state: 'reached', units: [{ unitId: 'P-017', live: true, inside: true }] }] })
  t.equal(statSync(join(dir, 'plans.json')).mode & 0o777, 0o600, 'state files are private')
  t.equal(statSync(dir).mode & 0o777, 0o700)
  // Restart from the state files.
  const again = setup({ plans }, store, dir)
  t.ok(again.svc.board.get('p'))
  await svc.deactivate('p', 'x')
  svc.tick(now.t)
  // A journal that fails (thrown, or a rejected wait for space): logged, the events still delivered.
  for (const journal of [() => { throw new Error('EIO') }, () => Promise.reject(new Error('journal is closed'))]) {
    const f = setup({ plans }, store, tempDir(), { journal })
    await f.svc.activate('p', { by: 'x', incidentId: null, centre: null })
    t.same(f.events.map((e) => e.type), ['plan.activated'])
    t.ok(f.logs.some((l) => l.msg === 'Plan events could not be journaled (they will be missing from plan_events); delivering them anyway.'))
  }
  // A journal that waits for space: published only once appended.
  let release = () => {}
  const w = setup({ plans }, store, tempDir(), { journal: () => new Promise<void>((resolve) => { release = resolve }) })
  const pending = w.svc.activate('p', { by: 'x', incidentId: null, centre: null })
  await new Promise((r) => setImmediate(r))
  t.same(w.events, [], 'not published before the append')
  const idle = w.svc.idle()
  release()
  await idle
  t.same(w.events.map((e) => e.type), ['plan.activated'], 'idle() waited for the append and the publication')
  await pending
  t.same(w.events.map((e) => e.type), ['plan.activated'])
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

t.test('search() through the grid index proposes exactly what searchUnits over every live registered unit does', async (t) => {
  const rnd = rng(23)
  // Two in three X units are registered; the rest report unregistered and are never proposed.
  const units = [...(standardRaw().units as unknown[]), ...Array.from({ length: 400 }, (_, i) => ({ id: `X-${i}`, kind: 'vehicle' })).filter((_, i) => i % 3 !== 0)]
  for (const search of [{}, { k: 3, max_distance_m: 2000 }]) {
    const plans = [{ id: 'p', checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['P-017', 'P-020'], radius_m: 50 }] }]
    const { svc, rules, now } = setup({ plans, incidents: { search }, units }, null)
    await svc.activate('p', { by: 'x', incidentId: null, centre: null })
    // 400 units around BASE, some on the same spot (ties by id), a quarter silent by the time of the search.
    for (let i = 0; i < 400; i++) {
      const at = i % 4 === 0 ? T0 : T0 + 600_000
      const p = i % 10 === 0 ? BASE : { lat: BASE.lat + (rnd() - 0.5) * 0.08, lon: BASE.lon + (rnd() - 0.5) * 0.1 }
      feed(rules, fix(i < 3 ? ['P-017', 'O-003', 'P-020'][i]! : `X-${i}`, at, p))
    }
    now.t = T0 + 601_000
    t.ok(rules.unknownUnits > 100, `${rules.unknownUnits} unregistered units report`)
    const live = rules.units(now.t).filter((u) => u.lastFix !== null && !u.silent && u.known)
      .map((u) => ({ id: u.id, name: u.name, kind: u.kind, lat: u.lastFix!.lat, lon: u.lastFix!.lon, ts: u.lastFix!.ts, post: u.post, zone: u.zone }))
    t.ok(live.length > 150 && live.length < 250, `${live.length} live registered units, the rest silent or unregistered`)
    const setupSearch = compileIncidents(config(standardRaw({ incidents: { search } }))).search
    let proposals = 0
    for (let q = 0; q < 60; q++) {
      const lat = BASE.lat + (rnd() - 0.5) * 0.1
      const lon = BASE.lon + (rnd() - 0.5) * 0.12
      for (const k of [undefined, 1, 10]) {
        const want = searchUnits(live, lat, lon, k === undefined ? setupSearch : { ...setupSearch, k }, svc.board.committedUnits())
        t.same(svc.search(lat, lon, now.t, k), want)
        proposals += want.length
      }
    }
    const atBase = svc.search(BASE.lat, BASE.lon, now.t, 5)
    t.notOk(atBase.some((p) => ['P-017', 'P-020'].includes(p.unitId)), 'committed units are not proposed')
    t.ok(proposals > 0)
  }
})
