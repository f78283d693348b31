// Make-up patrol hot paths: one refresh of the board (a zone's stale cells clustered, each cluster
// given its best unit, cells ordered) as the engine runs it every patrol_tasks.refresh_every on
// the event loop, for a growing stale list and fleet; and board.observe() per fix (the cost every
// accepted fix pays after the rules), for a unit without and with an open task.
// Run: npx tsx bench/patrol-tasks.ts [units]
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js'
import type { Fix } from '../src/decode/fix.js'
import type { PatrolTasksSetup } from '../src/patrol-tasks/compile.js'
import { PatrolTaskService } from '../src/patrol-tasks/service.js'

const UNITS = Number(process.argv[2] ?? 500)
const T0 = Date.UTC(2026, 11, 6, 8)
const C = { lat: 36.49, lon: 117.86 }
const setup: PatrolTasksSetup = {
  board: {
    cluster: { linkRings: 2, maxCells: 30 },
    proposal: { speedKmh: { vehicle: 30, default: 20 }, detourFactor: 1.3, otherZonePenaltyS: 600, maxEtaS: 0 },
    task: { maxAccuracyM: 100, pathMaxGapMs: 120_000, pathMaxDistanceM: 2000, awayM: 500, abandonAfterMs: 600_000, expireAfterMs: 7_200_000 },
    auto: new Map(),
    dismissMs: 1_800_000,
    keepEnded: 500,
  },
  zones: new Set(['g1']),
  refreshEveryMs: 30_000,
}
const units = Array.from({ length: UNITS }, (_, i) => ({
  id: `U${i}`, name: `U${i}`, kind: 'vehicle', known: true, post: null, zone: 'g1', silent: false,
  lastFix: { lat: C.lat + (i % 50) * 0.002 - 0.05, lon: C.lon + Math.floor(i / 50) * 0.002 - 0.05, ts: T0 },
}))

function service(staleCount: number): PatrolTaskService {
  const stale = gridDisk(latLngToCell(C.lat, C.lon, 9), 40).slice(0, staleCount).map((cell) => {
    const [lat, lon] = cellToLatLng(cell)
    return { cell, lat, lon, lastVisit: null }
  })
  return new PatrolTaskService({
    setup,
    rules: { openAlerts: () => [{ kind: 'coverage_gap', subject: 'zone:g1', openedAt: T0 }] as never, zoneCoverage: () => ({ zone: {} as never, staleCells: stale }), units: () => units as never, overduePriority: () => [] },
    busy: () => new Set(),
    publish: () => undefined,
  })
}

const rows: string[][] = [['stale cells', 'units', 'proposals', 'refresh (ms)']]
for (const n of [50, 200, 1000]) {
  const svc = service(n)
  svc.refresh(T0)
  const reps = 10
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) svc.refresh(T0 + i)
  rows.push([String(n), String(UNITS), String(svc.proposals().length), ((performance.now() - t0) / reps).toFixed(1)])
}
console.table(rows.slice(1).map((r) => Object.fromEntries(r.map((v, i) => [rows[0]![i]!, v]))))

const svc = service(200)
svc.refresh(T0)
const p = svc.proposals()[0]!
const task = svc.accept(p.id, T0)
if (typeof task === 'string') throw new Error(task)
const fix = (unitId: string, ts: number): Fix => ({ unitId, ts, receivedAt: ts, lat: C.lat + 0.03, lon: C.lon, h3: '', speed: null, heading: null, accuracy: 5, altitude: null, battery: null, seq: null, source: 'native', topic: '', flags: 0 })
for (const [label, unitId] of [['no open task', 'U9999999'], ['open task (away)', task.spec.unitId]] as const) {
  const n = 200_000
  const t0 = performance.now()
  for (let i = 0; i < n; i++) svc.observe(fix(unitId, T0 + 1000 + i))
  console.log(`observe, ${label}: ${(((performance.now() - t0) / n) * 1000).toFixed(2)} µs per fix`)
}
