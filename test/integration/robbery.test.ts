// A scripted robbery through the wired engine (embedded broker and ClickHouse, HTTP API, a fake
// clock): past incidents imported as CSV make hotspots that tighten coverage in their zone; a
// patrol level change tightens coverage_gap at the next tick and survives a restart; the live
// incident's nearest units are the right ones (brute force over the scenario, silent and committed
// units excluded); a plan activation with units driving to their checkpoints records arrivals,
// one checkpoint.missed for the unit that is late (and its checkpoint_missed alert, stored), resolved
// when it arrives, and plan.completed.
import t from 'tap'
import { haversineM } from '../../src/geo/distance.js'
import { cellCentre } from '../../src/geo/cells.js'
import type { Engine } from '../../src/engine.js'
import { startEngine, tempDir, waitFor, type Harness } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { rows } from '../helpers/clickhouse.js'
import { rng } from '../helpers/workload.js'
import { BASE, offset, square } from '../rules/helpers.js'

const MIN = 60_000
const TOKEN = 'admin-token-0123456789'
const T0 = Date.UTC(2025, 5, 1, 8, 0, 0)
let clock = T0
const G2 = offset(BASE, 0, 3000)
const UNITS = ['V-01', 'V-02', 'V-03', 'V-04', 'V-05', 'V-06', 'V-07', 'V-08', 'O-01', 'O-02', 'O-03', 'O-04']
const raw = {
  http: { admin_token: TOKEN },
  broker: { subscribe_acl: ['hexpatrol/#'] },
  posts: [{ id: 'st-1', lat: BASE.lat, lon: BASE.lon, radius_m: 5000 }],
  units: UNITS.map((id) => ({ id, kind: id.startsWith('V') ? 'vehicle' : 'officer', post: 'st-1' })),
  zones: [
    { id: 'g1', geometry: square(BASE, 1000), coverage: { max_interval: '5m', min_ratio: 0, credit: 'any' } },
    { id: 'g2', geometry: square(G2, 300), coverage: { max_interval: '5m', min_ratio: 0.5, credit: 'any' } },
  ],
  rules: { tick: '1h', coverage_snapshot_interval: '1h', allowed_lateness: '0s', silent_after: '180s', coverage_gap: { dwell: '0s' } },
  patrol_levels: { ladder: [{ name: 'normal' }, { name: 'high', max_interval: '2m', min_ratio: 0.9, hotspot_interval: '1m' }] },
  incidents: { search: { k: 3 }, hotspots: { top_per_zone: 2, min_score: 1, max_interval: '3m', recompute_every: '1h' }, rate: { threshold: 3, window: '24h', suggest_level: 'high' } },
  plans: [{ id: 'ring', name: 'Robbery ring', positions: 'scene', dwell: '20s', checkpoints: [
    { name: 'North', north_m: 800, units: ['V-01'], arrive_within: '2m', radius_m: 80 },
    { name: 'East', east_m: 900, units: ['V-02'], arrive_within: '2m', radius_m: 80 },
  ] }],
}
const r = rng(14)
const jitter = (p: { lat: number; lon: number }, m = 15) => offset(p, (r() - 0.5) * 2 * m, (r() - 0.5) * 2 * m)
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }

async function send(e: Engine, unit: string, p: { lat: number; lon: number }, ts = clock): Promise<void> {
  await e.testHandle().ingestor.handle(`fleet/${unit}/position`, Buffer.from(JSON.stringify({ ts, lat: p.lat, lon: p.lon, accuracy: 8 })))
}

const api = (h: Harness, path: string, init: RequestInit = {}) => fetch(`${h.httpUrl}${path}`, init)
const json = async <T>(res: Response | Promise<Response>) => (await (await res).json()) as T
const openGaps = (e: Engine) => e.testHandle().rules!.openAlerts().filter((a) => a.kind === 'coverage_gap' && a.state !== 'resolved').map((a) => a.last.zoneId)

t.test('robbery scenario', async (t) => {
  const dataDir = tempDir()
  let h = await startEngine(raw, { dataDir, now: () => clock })
  t.teardown(() => h.engine.stop())
  const mq = await connect(h.mqttUrl, { clientId: 'watch' })
  t.teardown(() => mq.endAsync())
  const events: Array<{ topic: string; type: string; data: Record<string, unknown> }> = []
  mq.on('message', (topic, payload) => events.push({ topic, ...(JSON.parse(payload.toString()) as { type: string; data: Record<string, unknown> }) }))
  await mq.subscribeAsync('hexpatrol/incidents/#', { qos: 1 })
  const ofType = (type: string) => events.filter((e) => e.type === type)

  // Units patrol the southern half of g1; O-03 and O-04 last reported 5 minutes ago (silent).
  const home = new Map(UNITS.map((u) => [u, offset(BASE, -100 - r() * 800, (r() - 0.5) * 1800)]))
  clock = T0 + MIN
  for (const u of ['O-03', 'O-04']) await send(h.engine, u, jitter(home.get(u)!))
  // V-08 drives through g2's cells, 30 s apart.
  const g2cells = h.engine.testHandle().rules!.zoneCoverage('g2', clock, 0)!.zone.cellCount
  const g2 = h.engine.testHandle().rules!.deployment.zonesById.get('g2')!.coverage.cells
  t.equal(g2.length, g2cells)
  clock = T0 + 5 * MIN
  for (const [i, c] of g2.entries()) await send(h.engine, 'V-08', cellCentre(c), clock + i * 30_000)
  clock = T0 + 6 * MIN
  for (const u of UNITS) if (u !== 'O-03' && u !== 'O-04' && u !== 'V-08') await send(h.engine, u, jitter(home.get(u)!))
  h.engine.testHandle().tick()
  t.same(openGaps(h.engine), [], 'no coverage gap before hotspots and level changes')

  await t.test('hotspots from imported incidents tighten coverage in their zone', async (t) => {
    const spots = [offset(BASE, 400, -500), offset(BASE, 500, 300), offset(BASE, 600, 600)]
    const lines = ['id,type,priority,time,lat,lon,address']
    let n = 0
    for (const [i, count] of [12, 6, 3].entries()) {
      for (let k = 0; k < count; k++) {
        const p = jitter(spots[i]!, 20)
        lines.push(`H-${n++},${['robbery', 'theft', 'burglary'][i]},2,${new Date(clock - (2 + k) * 86_400_000).toISOString()},${p.lat},${p.lon},"Xinhua Rd, ${k}"`)
      }
    }
    lines.push('BAD-1,robbery,2,,91,117.86,x')
    const res = await api(h, '/api/v1/incidents', { method: 'POST', headers: { authorization: auth.authorization, 'content-type': 'text/csv' }, body: lines.join('\n') })
    t.equal(res.status, 200)
    const body = await res.json() as { created: number; rejected: number; results: Array<{ id: string; reason: string }> }
    t.match(body, { created: 21, exists: 0, rejected: 1 })
    t.match(body.results[0], { id: 'BAD-1', status: 'rejected', reason: /^lat:/ })
    const again = await json<{ created: number; exists: number }>(api(h, '/api/v1/incidents', { method: 'POST', headers: auth, body: JSON.stringify({ incidents: [{ id: 'H-0', type: 'robbery', lat: 36.5, lon: 117.8 }] }) }))
    t.match(again, { created: 0, exists: 1 }, 'import is idempotent by id')

    const hs = await json<{ features: Array<{ geometry: { type: string }; properties: { zone: string; cell: string; score: number; incidents: number } }> }>(api(h, '/api/v1/hotspots?zone=g1', { headers: auth }))
    t.equal(hs.features.length, 2, 'bounded: at most top_per_zone hotspot cells')
    t.equal(hs.features[0]!.geometry.type, 'Polygon')
    t.ok(hs.features[0]!.properties.incidents >= 8 && hs.features[0]!.properties.score > hs.features[1]!.properties.score)
    t.ok(haversineM(cellCentre(hs.features[0]!.properties.cell).lat, cellCentre(hs.features[0]!.properties.cell).lon, spots[0]!.lat, spots[0]!.lon) < 400, 'the robbery cluster leads')
    t.same((await json<{ features: unknown[] }>(api(h, '/api/v1/hotspots?zone=g2', { headers: auth }))).features, [])
    const gj = await json<{ type: string; features: Array<{ geometry: { coordinates: number[] }; properties: { type: string } }> }>(api(h, `/api/v1/incidents?format=geojson&type=robbery&zone=g1&from=${clock - 30 * 86_400_000}`, { headers: auth }))
    t.equal(gj.features.length, 12)
    t.equal(gj.features[0]!.properties.type, 'robbery')

    h.engine.testHandle().tick()
    t.same(openGaps(h.engine), ['g1'], 'the hotspot cells (never patrolled) are overdue in g1 only')
    const gap = h.engine.testHandle().rules!.openAlerts().find((a) => a.last.zoneId === 'g1')!
    const stale = gap.last.staleCells!.filter((c) => c.priority)
    t.equal(stale.length, 2)
    t.ok(stale.every((c) => /^hotspot cell \(score [\d.]+, \d+ incidents?\)$/.test(c.name!)), 'named "hotspot cell" in the alert')
  })

  await t.test('a level change tightens coverage_gap at the next tick', async (t) => {
    clock = T0 + 8 * MIN
    h.engine.testHandle().tick()
    t.notOk(openGaps(h.engine).includes('g2'), 'g2 visits are 2-3 min old: fresh at normal (5 min)')
    const bad = await api(h, '/api/v1/zones/g2/level', { method: 'PUT', headers: auth, body: JSON.stringify({ level: 'purple', reason: 'x' }) })
    t.equal(bad.status, 400)
    t.equal((await api(h, '/api/v1/zones/nope/level', { method: 'PUT', headers: auth, body: JSON.stringify({ level: 'high', reason: 'x' }) })).status, 404)
    t.equal((await api(h, '/api/v1/zones/g2/level', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level: 'high', reason: 'x' }) })).status, 401)
    const res = await json<{ level: string; changed: boolean }>(api(h, '/api/v1/zones/g2/level', { method: 'PUT', headers: auth, body: JSON.stringify({ level: 'high', reason: 'robbery in the district' }) }))
    t.match(res, { level: 'high', base: 'normal', changed: true, effective: 'next tick' })
    t.match((await json<{ changed: boolean }>(api(h, '/api/v1/zones/g2/level', { method: 'PUT', headers: auth, body: JSON.stringify({ level: 'high', reason: 'again' }) }))), { changed: false })
    t.notOk(openGaps(h.engine).includes('g2'), 'not before the tick')
    clock += 5000
    h.engine.testHandle().tick()
    t.ok(openGaps(h.engine).includes('g2'), 'coverage_gap opened for g2 at the next tick')
    t.equal(h.engine.testHandle().rules!.zones(clock).find((z) => z.id === 'g2')!.minRatio, 0.9)
    await waitFor(() => ofType('patrol_level.changed').length === 1)
    t.match(ofType('patrol_level.changed')[0]!.data, { zoneId: 'g2', from: 'normal', to: 'high', by: 'admin', cause: 'set' })
    t.match(h.logs.find((l) => l.action === 'zone.level'), { actor: 'admin', target: 'g2' }, 'audit-logged')
  })

  const live = (exclude: Set<string>) => UNITS.filter((u) => !['O-03', 'O-04'].includes(u) && !exclude.has(u))
  const brute = (p: { lat: number; lon: number }, exclude: Set<string>) => {
    const units = h.engine.testHandle().rules!.units(clock)
    return live(exclude)
      .map((u) => { const f = units.find((x) => x.id === u)!.lastFix!; return { u, d: haversineM(p.lat, p.lon, f.lat, f.lon) } })
      .sort((a, b) => a.d - b.d || (a.u < b.u ? -1 : 1)).slice(0, 3).map((x) => x.u)
  }
  const scene = jitter(BASE, 50)

  await t.test('the live robbery: nearest free units, incident.opened, idempotent', async (t) => {
    t.equal((await api(h, '/api/v1/incidents', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401, 'operate needed')
    const res = await api(h, '/api/v1/incidents', { method: 'POST', headers: auth, body: JSON.stringify({ id: 'R-1', type: 'robbery', priority: 1, lat: scene.lat, lon: scene.lon, address: 'Xinhua Rd 12' }) })
    t.equal(res.status, 201)
    const body = await res.json() as { status: string; zone: string; resources: Array<{ unitId: string; distanceM: number; etaS: number }> }
    t.match(body, { id: 'R-1', status: 'created', zone: 'g1' })
    t.same(body.resources.map((x) => x.unitId), brute(scene, new Set()), 'the nearest live units (silent ones excluded)')
    t.ok(body.resources.every((x) => x.etaS > 0))
    const ev = await waitFor(() => ofType('incident.opened')[0])
    t.equal(ev.topic, 'hexpatrol/incidents/incident.opened/incident:R-1')
    t.same((ev.data.resources as Array<{ unitId: string }>).map((x) => x.unitId), body.resources.map((x) => x.unitId))
    const dup = await api(h, '/api/v1/incidents', { method: 'POST', headers: auth, body: JSON.stringify({ id: 'R-1', type: 'robbery', lat: scene.lat, lon: scene.lon }) })
    t.equal(dup.status, 200)
    t.match(await dup.json(), { status: 'exists' })
    const rej = await api(h, '/api/v1/incidents', { method: 'POST', headers: auth, body: JSON.stringify({ id: 'R-x', type: 'robbery', lat: 0, lon: 0 }) })
    t.equal(rej.status, 400)
    t.equal((await api(h, '/api/v1/incidents', { method: 'POST', headers: auth, body: '"x"' })).status, 400)
    await new Promise((res) => setTimeout(res, 200))
    t.equal(ofType('incident.opened').length, 1, 'no second event for a repeated id')
  })

  await t.test('plan activation: arrivals, one miss resolved by a late arrival, completion', async (t) => {
    t.equal((await api(h, '/api/v1/plans/nope/activate', { method: 'POST', headers: auth, body: '{}' })).status, 404)
    t.equal((await api(h, '/api/v1/plans/ring/activate', { method: 'POST', headers: auth, body: JSON.stringify({ incident_id: 'NOPE' }) })).status, 404)
    t.equal((await api(h, '/api/v1/plans/ring/activate', { method: 'POST', headers: auth, body: '{}' })).status, 400, 'a scene plan needs a position')
    const act = await api(h, '/api/v1/plans/ring/activate', { method: 'POST', headers: auth, body: JSON.stringify({ incident_id: 'R-1' }) })
    t.equal(act.status, 200)
    const st = await act.json() as { centre: { lat: number }; checkpoints: Array<{ name: string; lat: number; lon: number; units: Array<{ unitId: string; distanceM: number }> }> }
    t.equal(st.centre.lat, scene.lat, 'centred on the incident')
    t.equal((await api(h, '/api/v1/plans/ring/activate', { method: 'POST', headers: auth, body: JSON.stringify({ lat: 1, lon: 1 }) })).status, 409)
    const plans = await json<{ plans: Array<{ id: string; active: boolean; checkpoints: unknown[] }> }>(api(h, '/api/v1/plans', { headers: auth }))
    t.match(plans.plans, [{ id: 'ring', active: true }])

    // A second incident nearby: the units committed to the plan are not proposed.
    const r2 = await json<{ resources: Array<{ unitId: string }> }>(api(h, '/api/v1/incidents', { method: 'POST', headers: auth, body: JSON.stringify({ id: 'R-2', type: 'snatch_theft', lat: scene.lat, lon: scene.lon }) }))
    t.same(r2.resources.map((x) => x.unitId), brute(scene, new Set(['V-01', 'V-02'])))
    await api(h, '/api/v1/incidents', { method: 'POST', headers: auth, body: JSON.stringify({ id: 'R-3', type: 'theft', lat: scene.lat, lon: scene.lon }) })
    const sug = await waitFor(() => ofType('patrol_level.suggested')[0])
    t.match(sug.data, { zoneId: 'g1', from: 'normal', to: 'high', incidents: 3, autoApplied: false })

    const start = clock
    const north = { lat: st.checkpoints[0]!.lat, lon: st.checkpoints[0]!.lon }
    const east = { lat: st.checkpoints[1]!.lat, lon: st.checkpoints[1]!.lon }
    const from1 = home.get('V-01')!
    const from2 = home.get('V-02')!
    const along = (a: { lat: number; lon: number }, b: { lat: number; lon: number }, f: number) => ({ lat: a.lat + (b.lat - a.lat) * Math.min(1, f), lon: a.lon + (b.lon - a.lon) * Math.min(1, f) })
    for (let s = 10_000; s <= 5 * MIN; s += 10_000) {
      clock = start + s
      for (const u of live(new Set(['V-01', 'V-02']))) await send(h.engine, u, jitter(home.get(u)!))
      await send(h.engine, 'V-01', jitter(along(from1, north, s / 100_000), 10))
      await send(h.engine, 'V-02', jitter(s < 3 * MIN ? from2 : along(from2, east, (s - 3 * MIN) / 60_000), 10))
      h.engine.testHandle().tick()
    }
    await waitFor(() => ofType('plan.completed').length === 1, 60_000).catch(() => t.fail(`events: ${JSON.stringify(events.map((e) => [e.type, e.data.checkpoint]))}`))
    const seq = events.filter((e) => /^(checkpoint|plan)\./.test(e.type)).map((e) => `${e.type}:${(e.data.checkpoint as { name?: string } | undefined)?.name ?? ''}`)
    t.same(seq, ['plan.activated:', 'checkpoint.reached:North', 'checkpoint.missed:East', 'checkpoint.reached:East', 'plan.completed:'])
    t.match(ofType('checkpoint.reached')[1]!.data, { unitId: 'V-02', late: true, resolves: /\.1\.missed$/ })
    const status = await json<{ active: { completedAt: number; checkpoints: Array<{ state: string; reachedBy: string }> } }>(api(h, '/api/v1/plans/ring', { headers: auth }))
    t.same(status.active.checkpoints.map((c) => [c.state, c.reachedBy]), [['reached', 'V-01'], ['reached', 'V-02']])
    t.equal((await api(h, '/api/v1/plans/nope', { headers: auth })).status, 404)
    await waitFor(async () => (await rows(h.engine.testHandle().ch.client, `SELECT 1 FROM ${h.engine.testHandle().ch.database}.plan_events`)).length === 5)
    const stored = await rows<{ type: string; checkpoint: string; unit_id: string; elapsed_ms: number | null }>(h.engine.testHandle().ch.client, `SELECT type, checkpoint, unit_id, elapsed_ms FROM ${h.engine.testHandle().ch.database}.plan_events FINAL ORDER BY at, type`)
    t.same(stored.map((x) => x.type), ['plan.activated', 'checkpoint.reached', 'checkpoint.missed', 'checkpoint.reached', 'plan.completed'])
    t.ok(stored[1]!.elapsed_ms! > 60_000 && stored[1]!.elapsed_ms! < 2 * MIN, 'time to man North stored')
    // The miss was an alert too (checkpoint_missed): stored in `alerts`, resolved by the late arrival.
    const db = h.engine.testHandle().ch.database
    await waitFor(async () => (await rows(h.engine.testHandle().ch.client, `SELECT 1 FROM ${db}.alerts WHERE kind = 'checkpoint_missed'`)).length === 2)
    const cp = await rows<{ state: string; subject: string; by: string }>(h.engine.testHandle().ch.client, `SELECT state, subject, JSONExtractString(data, 'reachedBy') AS by FROM ${db}.alerts WHERE kind = 'checkpoint_missed' ORDER BY at, state`)
    t.same(cp.map((x) => [x.state, x.subject, x.by]), [['opened', 'plan:ring/checkpoint:1', ''], ['resolved', 'plan:ring/checkpoint:1', 'V-02']])
  })

  await t.test('levels and active plans survive a restart; an expiry returns the zone to base', async (t) => {
    await h.engine.stop()
    h = await startEngine(raw, { dataDir, now: () => clock })
    const levels = await json<{ zones: Array<{ zoneId: string; level: string }> }>(api(h, '/api/v1/levels', { headers: auth }))
    t.same(levels.zones.map((z) => [z.zoneId, z.level]), [['g1', 'normal'], ['g2', 'high']])
    h.engine.testHandle().tick()
    t.equal(h.engine.testHandle().rules!.zones(clock).find((z) => z.id === 'g2')!.minRatio, 0.9, 'the level applies after the restart')
    t.ok(openGaps(h.engine).includes('g2'))
    t.ok((await json<{ active: unknown }>(api(h, '/api/v1/plans/ring', { headers: auth }))).active !== null, 'the plan is still active')
    const bearer = { authorization: auth.authorization }
    const off = await api(h, '/api/v1/plans/ring/deactivate', { method: 'POST', headers: bearer })
    t.match(await off.json(), { planId: 'ring', deactivated: true })
    t.equal((await api(h, '/api/v1/plans/ring/deactivate', { method: 'POST', headers: bearer })).status, 409)
    t.equal((await api(h, '/api/v1/plans/nope/deactivate', { method: 'POST', headers: bearer })).status, 404)

    const mq2 = await connect(h.mqttUrl, { clientId: 'watch2' })
    t.teardown(() => mq2.endAsync())
    const evs: string[] = []
    mq2.on('message', (_topic, payload) => evs.push((JSON.parse(payload.toString()) as { type: string; data: { cause: string } }).data.cause))
    await mq2.subscribeAsync('hexpatrol/incidents/patrol_level.changed/#', { qos: 1 })
    const until = new Date(clock + MIN).toISOString()
    const set = await json<{ level: string; override: { expiresAt: number } }>(api(h, '/api/v1/zones/g1/level', { method: 'PUT', headers: auth, body: JSON.stringify({ level: 'high', reason: 'until the suspects are caught', until }) }))
    t.match(set, { level: 'high', override: { expiresAt: Date.parse(until) } })
    clock += 2 * MIN
    h.engine.testHandle().tick()
    await waitFor(() => evs.length === 2)
    t.same(evs, ['set', 'expired'])
    t.equal((await json<{ zones: Array<{ level: string }> }>(api(h, '/api/v1/levels', { headers: auth }))).zones[0]!.level, 'normal')
  })
})
