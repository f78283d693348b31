// Coverage hot paths: one ZoneCoverage.evaluate() per zone per tick must stay in microseconds
// for zones of 10k–50k cells while units keep visiting. Printed beside a naive O(cells) recount
// (a tight Float64Array loop: the best a full scan can do) and ResponseCoverage for 300 units.
// Run: npx tsx bench/coverage.ts
import { latLngToCell, gridDisk, cellToLatLng } from 'h3-js'
import { ZoneCoverage } from '../src/rules/coverage.js'
import { ResponseCoverage } from '../src/rules/response-coverage.js'

const RES = 9
const MIN = 60_000
const TICK = 5_000
const UNITS = 300
const MAX_INTERVAL = 30 * MIN

let seed = 42
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}
const now = () => Number(process.hrtime.bigint())
const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`)

/** k rings around the deployment centre: 3k(k+1)+1 cells. */
function zoneOf(k: number): string[] {
  return gridDisk(latLngToCell(36.49, 117.86, RES), k).sort()
}

interface Row { what: string; cells: number; median: string; note: string }
const rows: Row[] = []

function benchZone(k: number): void {
  const cells = zoneOf(k)
  const z = new ZoneCoverage({ id: 'bench', cells, resolution: RES, maxIntervalMs: MAX_INTERVAL, minRatio: 0.8, priority: [] }, 0)
  // Units random-walk from random cells, one fix per unit per tick; every fix credits the path
  // from the previous cell, as the engine does.
  const pos = Array.from({ length: UNITS }, () => cells[Math.floor(rnd() * cells.length)] as string)
  const naiveLast = new Float64Array(cells.length).fill(-Infinity)
  const index = new Map(cells.map((c, i) => [c, i]))
  const evalNs: number[] = []
  const naiveNs: number[] = []
  const naiveMapNs: number[] = []
  const naiveMap = new Map<string, number>()
  const visitNs: number[] = []
  const pathNs: number[] = []
  let sink = 0
  const ticks = 1200 // 100 simulated minutes: the first 30 fill the heap, the rest is steady state
  for (let tick = 0; tick < ticks; tick++) {
    const t = tick * TICK
    const next = pos.map((c) => {
      const ring = gridDisk(c, 1)
      return ring[Math.floor(rnd() * ring.length)] as string
    })
    let t0 = now()
    for (let u = 0; u < UNITS; u++) z.visit(next[u] as string, t)
    visitNs.push((now() - t0) / UNITS)
    t0 = now()
    let credited = 0
    for (let u = 0; u < UNITS; u++) credited += z.visitPath(pos[u] as string, next[u] as string, t)
    pathNs.push((now() - t0) / UNITS)
    for (let u = 0; u < UNITS; u++) {
      pos[u] = next[u] as string
      const i = index.get(pos[u] as string)
      if (i !== undefined) {
        naiveLast[i] = t
        naiveMap.set(pos[u] as string, t)
      }
    }
    t0 = now()
    const e = z.evaluate(t)
    const te = now() - t0
    t0 = now()
    let fresh = 0
    for (let i = 0; i < naiveLast.length; i++) if (t - (naiveLast[i] as number) <= MAX_INTERVAL) fresh++
    const tn = now() - t0
    t0 = now()
    let freshMap = 0
    for (const c of cells) {
      const lv = naiveMap.get(c)
      if (lv !== undefined && t - lv <= MAX_INTERVAL) freshMap++
    }
    const tm = now() - t0
    sink += freshMap
    sink += e.fresh + fresh + credited
    if (t >= MAX_INTERVAL + 10 * MIN) {
      evalNs.push(te)
      naiveNs.push(tn)
      naiveMapNs.push(tm)
    }
  }
  const last = z.evaluate((ticks - 1) * TICK)
  rows.push({ what: 'ZoneCoverage.evaluate', cells: cells.length, median: fmt(median(evalNs)), note: `steady state, ${UNITS} units, fresh ${(last.ratio * 100).toFixed(1)} %` })
  rows.push({ what: '  naive full recount', cells: cells.length, median: fmt(median(naiveNs)), note: 'Float64Array scan: the best a full scan can do' })
  rows.push({ what: '  naive Map recount', cells: cells.length, median: fmt(median(naiveMapNs)), note: 'Map<cell, lastVisit> scan: the obvious implementation' })
  rows.push({ what: 'ZoneCoverage.visit', cells: cells.length, median: fmt(median(visitNs)), note: 'per call' })
  rows.push({ what: 'ZoneCoverage.visitPath', cells: cells.length, median: fmt(median(pathNs)), note: 'per call, neighbouring cells (H3 gridPathCells)' })
  if (sink === -1) console.log(sink)
}

function benchResponse(k: number): void {
  const cells = zoneOf(k)
  const rc = new ResponseCoverage(cells, RES, 1500)
  const ns: number[] = []
  const warmNs: number[] = []
  let ratio = 0
  for (let round = 0; round < 60; round++) {
    const units = Array.from({ length: UNITS }, () => {
      const [lat, lon] = cellToLatLng(cells[Math.floor(rnd() * cells.length)] as string)
      return { lat: lat + (rnd() - 0.5) * 0.002, lon: lon + (rnd() - 0.5) * 0.002 }
    })
    const t0 = now()
    ratio = rc.evaluate(units).ratio
    ns.push(now() - t0)
    // The same unit cells again (units that moved within their cells): candidate lists cached.
    const t1 = now()
    rc.evaluate(units)
    warmNs.push(now() - t1)
  }
  rows.push({ what: 'ResponseCoverage.evaluate', cells: cells.length, median: fmt(median(ns.slice(10))), note: `${UNITS} units, r = 1.5 km, covered ${(ratio * 100).toFixed(1)} % (cold: every unit in a new cell)` })
  rows.push({ what: 'ResponseCoverage.evaluate', cells: cells.length, median: fmt(median(warmNs.slice(10))), note: `${UNITS} units, warm: unit cells seen before (the usual tick)` })
}

benchZone(57) // 9 919 cells
benchZone(129) // 50 311 cells
benchResponse(57)

console.log(`coverage bench — node ${process.version}, H3 res ${RES}, tick ${TICK / 1000} s, max_interval ${MAX_INTERVAL / MIN} min\n`)
const w = [28, 8, 12]
console.log(`${'what'.padEnd(w[0]!)}${'cells'.padStart(w[1]!)}  ${'median'.padStart(w[2]!)}  note`)
for (const r of rows) console.log(`${r.what.padEnd(w[0]!)}${String(r.cells).padStart(w[1]!)}  ${r.median.padStart(w[2]!)}  ${r.note}`)
