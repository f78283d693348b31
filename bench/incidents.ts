// Incidents hot paths: the resource search over 100,000 live units (k = 5, the one-pass bounded
// selection vs a full sort, the ceiling a naive search reaches), the same search through
// IncidentService (the dispatcher's path: POST /incidents → add() → search() over the rule
// engine's live units, 100,000 of them actually tracked), and the hotspot density over
// 100,000 incident rows (a year, clustered) on the embedded ClickHouse, beside scoreIncidents()
// in JS over the same rows.
// Run: npx tsx bench/incidents.ts [units] [incidents]
import { rmSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { haversineM } from '../src/geo/distance.js'
import { searchUnits, type Candidate } from '../src/incidents/resource-search.js'
import { scoreIncidents, type HotspotSpec } from '../src/incidents/hotspots.js'
import { ClickHouseIncidentStore } from '../src/store/clickhouse/incidents.js'
import type { Incident } from '../src/incidents/incident.js'
import { validateConfig } from '../src/config/load.js'
import { openClickHouse } from '../src/store/clickhouse/client.js'
import { migrate } from '../src/store/clickhouse/schema.js'
import { createDeliver } from '../src/store/clickhouse/deliver.js'
import { createMetrics } from '../src/telemetry/metrics.js'
import { incidentRow, rowsRecord } from '../src/journal/record.js'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { compileDeployment } from '../src/rules/deployment.js'
import { RuleEngine } from '../src/rules/engine.js'
import { IncidentService } from '../src/incidents/service.js'
import { compileIncidents } from '../src/incidents/compile.js'
import { UnshippedIncidents } from '../src/incidents/unshipped.js'

const UNITS = Number(process.argv[2] ?? 100_000)
const INCIDENTS = Number(process.argv[3] ?? 100_000)
const DAY = 86_400_000
// mulberry32: a seeded PRNG with full double precision (an LCG in doubles repeats values at this size).
let seed = 14
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0
  let x = seed
  x = Math.imul(x ^ (x >>> 15), x | 1)
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] as number
const ms = (x: number) => `${x.toFixed(2)} ms`

const units: Candidate[] = Array.from({ length: UNITS }, (_, i) => ({ id: `U-${i}`, name: `U-${i}`, kind: i % 3 === 0 ? 'officer' : 'vehicle', lat: 36.3 + rnd() * 0.4, lon: 117.6 + rnd() * 0.5, ts: i, post: null, zone: null }))
const settings = { k: 5, speedKmh: { vehicle: 30, officer: 5, default: 20 }, detourFactor: 1.3, maxDistanceM: 0 }
const committed = new Set(units.slice(0, 200).map((u) => u.id))
const fast: number[] = []
const naive: number[] = []
const points = Array.from({ length: 60 }, () => ({ lat: 36.3 + rnd() * 0.4, lon: 117.6 + rnd() * 0.5 }))
const firstIds: string[] = []
// Separate loops: the naive search's garbage must not land its GC pauses on the fast one.
for (const { lat, lon } of points) {
  const t = performance.now()
  const got = searchUnits(units, lat, lon, settings, committed)
  fast.push(performance.now() - t)
  firstIds.push(got[0]!.unitId)
}
for (const [q, { lat, lon }] of points.entries()) {
  const t = performance.now()
  const all = units.filter((u) => !committed.has(u.id)).map((u) => ({ u, d: haversineM(lat, lon, u.lat, u.lon) })).sort((a, b) => a.d - b.d || (a.u.id < b.u.id ? -1 : 1)).slice(0, 5)
  naive.push(performance.now() - t)
  if (all[0]!.u.id !== firstIds[q]) throw new Error('search disagrees with the full sort')
}
console.log(`resource search, ${UNITS} units, k = 5 (60 queries)`)
console.log(`  bounded selection   median ${ms(median(fast))}  p99 ${ms(p99(fast))}`)
console.log(`  full sort (naive)   median ${ms(median(naive))}  p99 ${ms(p99(naive))}`)

// The dispatcher's path: the rule engine tracks the same units (registered in the config: the
// search proposes registered units only), the service lists the live ones and runs the same
// search. Journal and publish are stubbed; ClickHouse is absent (store null).
{
  const now = Date.now()
  const config = validateConfig({ data_dir: mkdtempSync(join(tmpdir(), 'hexp-bench-svc-')), units: units.map((u) => ({ id: u.id, kind: u.kind })) })
  const dep = compileDeployment(config)
  const rules = new RuleEngine(dep, { startedAt: now - 60_000 })
  for (const u of units) {
    const fix = { unitId: u.id, ts: now - 1000, receivedAt: now - 1000, lat: u.lat, lon: u.lon, h3: latLngToCell(u.lat, u.lon, 9), speed: 5, heading: 90, accuracy: 5, altitude: null, battery: 90, seq: 1, source: 'native', topic: `fleet/${u.id}/position`, flags: 0 }
    rules.ingest(fix, now - 1000)
  }
  const tracked = rules.units(now)
  const service = new IncidentService({
    setup: compileIncidents(config), dep, rules, store: () => null, journal: { incidents: () => undefined, planEvents: () => undefined }, unshipped: new UnshippedIncidents(),
    dir: join(config.data_dir, 'incidents'), now: () => now, logger: pino({ level: 'silent' }), publish: () => undefined,
  })
  const viaService: number[] = []
  const listing: number[] = []
  const viaAdd: number[] = []
  for (const [q, { lat, lon }] of points.entries()) {
    let t = performance.now()
    rules.units(now)
    listing.push(performance.now() - t)
    t = performance.now()
    const got = service.search(lat, lon, now, 5)
    viaService.push(performance.now() - t)
    if (got.length !== 5) throw new Error(`the service proposed ${got.length} units`)
    t = performance.now()
    const [r] = await service.add([{ id: `B-${q}`, type: 'robbery', lat, lon, time: now }], { source: 'bench', search: true, by: 'bench' })
    viaAdd.push(performance.now() - t)
    if (r?.resources?.length !== 5) throw new Error(`add() answered ${JSON.stringify(r)}`)
  }
  console.log(`resource search through IncidentService, ${tracked.length} units tracked by the rule engine (${tracked.filter((u) => u.lastFix !== null).length} with a position, all registered), k = 5 (60 queries)`)
  console.log(`  rules.units() (listed per search before the grid index)  median ${ms(median(listing))}  p99 ${ms(p99(listing))}`)
  console.log(`  IncidentService.search()             median ${ms(median(viaService))}  p99 ${ms(p99(viaService))}  (${(median(viaService) / median(fast)).toFixed(1)}× the pure function)`)
  console.log(`  IncidentService.add() (one incident)  median ${ms(median(viaAdd))}  p99 ${ms(p99(viaAdd))}`)
  rmSync(config.data_dir, { recursive: true, force: true })
}

const dir = mkdtempSync(join(tmpdir(), 'hexp-bench-inc-'))
const config = validateConfig({ data_dir: dir })
const ch = openClickHouse(config)
try {
  await migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 })
  const store = new ClickHouseIncidentStore(ch.client, ch.database)
  const NOW = Date.UTC(2025, 11, 31)
  const types = ['robbery', 'snatch_theft', 'burglary', 'theft', 'fraud', 'fight']
  const centres = Array.from({ length: 40 }, () => [36.3 + rnd() * 0.4, 117.6 + rnd() * 0.5] as const)
  const list: Incident[] = Array.from({ length: INCIDENTS }, (_, i) => {
    const c = centres[i % centres.length]!
    const hot = rnd() < 0.5
    return { id: `I-${i}`, type: types[i % types.length]!, priority: 3, ts: NOW - Math.floor(rnd() * 365 * DAY), lat: hot ? c[0] + (rnd() - 0.5) * 0.01 : 36.3 + rnd() * 0.4, lon: hot ? c[1] + (rnd() - 0.5) * 0.01 : 117.6 + rnd() * 0.5, address: '', description: '' }
  })
  let t = performance.now()
  // The engine's write path: journal records shipped by the sink (one insert per segment).
  const deliver = createDeliver({ client: ch.client, database: ch.database, instanceId: 'bench', logger: pino({ level: 'silent' }), metrics: createMetrics({ defaults: false }) })
  for (let i = 0; i < list.length; i += 20_000) await deliver({ id: i }, [rowsRecord('i', list.slice(i, i + 20_000).map((incident) => incidentRow({ ...incident, zone: '', source: 'import', createdAt: NOW })))])
  const insertMs = performance.now() - t
  const spec: HotspotSpec = { resolution: 9, windowMs: 365 * DAY, halfLifeMs: 30 * DAY, weights: { robbery: 3, snatch_theft: 3, burglary: 2, default: 1 }, topPerZone: 5, minScore: 1 }
  const sql: number[] = []
  let cells = 0
  for (let r = 0; r < 7; r++) {
    t = performance.now()
    cells = (await store.hotspotScores(spec, NOW, 5000)).length
    sql.push(performance.now() - t)
  }
  const js: number[] = []
  for (let r = 0; r < 3; r++) {
    t = performance.now()
    scoreIncidents(spec, list, NOW)
    js.push(performance.now() - t)
  }
  console.log(`hotspots, ${INCIDENTS} incidents over a year, resolution 9, embedded ClickHouse`)
  console.log(`  insert (5 × 20k rows)           ${ms(insertMs)}`)
  console.log(`  hotspot SQL (FINAL, ${cells} cells)  median ${ms(median(sql))}  (7 runs)`)
  console.log(`  same in JS (reference)          median ${ms(median(js))}  (3 runs)`)
} finally {
  await ch.close()
  rmSync(dir, { recursive: true, force: true })
}
