// Rule-engine throughput: fixes/s through classify + ingest for (a) a deployment like the sample
// (6 zones, 11 posts, 60 units) and (b) 10,000 posts and 1,000 zones, beside the bare cost of
// latLngToCell for the same fixes (the enrich stage: the ingest ceiling); (c) the sample deployment
// with 300 units on plausible tracks (bench/lib/tracks.ts, the stream the ingest benchmarks
// publish: a real fleet's path, nothing flagged), where the rule engine's cost per fix is printed
// alone (µs/fix, median of runs), beside latLngToCell's and the integrity detectors'; and the
// median time of one tick() with a zone of ≥ 10,000 cells.
//   npx tsx bench/rules.ts [--only=plausible] [--profile=file.cpuprofile]
// --profile: a CPU profile of the plausible-track rows (self and total time per function).
import { latLngToCell } from 'h3-js'
import { compileStages } from '../src/boot.js'
import { loadConfig, validateConfig } from '../src/config/load.js'
import { IntegrityMonitor } from '../src/integrity/monitor.js'
import { offsetOf } from '../src/reports/periods.js'
import type { Fix } from '../src/decode/fix.js'
import { metresPerDegree } from '../src/geo/distance.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { RuleEngine } from '../src/rules/engine.js'
import { rng } from '../test/helpers/workload.js'
import { median } from './lib/measure.js'
import { CpuProfiler } from './lib/profile.js'
import { benchUnits, plausibleStream, type Sample } from './lib/tracks.js'

const BASE = { lat: 36.49, lon: 117.86 }
const T0 = Date.UTC(2025, 2, 1, 8, 0, 0)

const off = (p: { lat: number; lon: number }, north: number, east: number) => {
  const { perLat, perLon } = metresPerDegree(p.lat)
  return { lat: p.lat + north / perLat, lon: p.lon + east / perLon }
}

function square(c: { lat: number; lon: number }, half: number) {
  const sw = off(c, -half, -half)
  const ne = off(c, half, half)
  return { type: 'Polygon', coordinates: [[[sw.lon, sw.lat], [ne.lon, sw.lat], [ne.lon, ne.lat], [sw.lon, ne.lat], [sw.lon, sw.lat]]] }
}

interface Scenario {
  zones: number
  zoneHalfM: number
  posts: number
  units: number
  spreadM: number
}

function buildConfig(s: Scenario, rand: () => number) {
  const side = Math.ceil(Math.sqrt(s.zones))
  const step = (2 * s.spreadM) / side
  const zones = Array.from({ length: s.zones }, (_, i) => ({
    id: `z${i}`,
    geometry: square(off(BASE, -s.spreadM + step * (Math.floor(i / side) + 0.5), -s.spreadM + step * ((i % side) + 0.5)), s.zoneHalfM),
    coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8, response_radius_m: 1500 },
  }))
  const posts = Array.from({ length: s.posts }, (_, i) => {
    const p = off(BASE, (rand() * 2 - 1) * s.spreadM, (rand() * 2 - 1) * s.spreadM)
    return { id: `p${i}`, lat: p.lat, lon: p.lon, radius_m: 1500 }
  })
  const units = Array.from({ length: s.units }, (_, i) => ({
    id: `u${i}`,
    kind: i % 3 === 0 ? 'officer' : 'vehicle',
    post: `p${i % s.posts}`,
    zone: `z${i % s.zones}`,
  }))
  return validateConfig({ zones, posts, units, rules: { allowed_lateness: '5s' } })
}

/** Fixes every 5 s per unit, units wandering at plausible speeds around their post. */
function buildFixes(s: Scenario, cfg: ReturnType<typeof buildConfig>, n: number, rand: () => number): Fix[] {
  const pos = cfg.units.map((u) => {
    const p = cfg.posts.find((x) => x.id === u.post) as { lat: number; lon: number }
    return { lat: p.lat, lon: p.lon, kind: u.kind }
  })
  const fixes: Fix[] = []
  for (let i = 0; i < n; i++) {
    const ui = i % s.units
    const p = pos[ui] as { lat: number; lon: number; kind: string }
    const speed = p.kind === 'officer' ? 1.5 : 12
    const a = rand() * 2 * Math.PI
    const np = off(p, Math.cos(a) * speed * 5, Math.sin(a) * speed * 5)
    p.lat = np.lat
    p.lon = np.lon
    const ts = T0 + Math.floor(i / s.units) * 5000
    fixes.push({
      unitId: `u${ui}`, ts, receivedAt: ts + 200, lat: p.lat, lon: p.lon, h3: '',
      speed, heading: null, accuracy: 8, altitude: null, battery: null, seq: null, source: 'native', topic: `fleet/u${ui}/position`, flags: 0,
    })
  }
  return fixes
}

/** CPU seconds (user + system) the process spent in fn: on a shared machine, unlike wall time, not stretched by other processes. */
function cpuIt(fn: () => void): number {
  const t = process.cpuUsage()
  fn()
  const d = process.cpuUsage(t)
  return (d.user + d.system) / 1e6
}

function timeIt(fn: () => void): number {
  const t = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t) / 1e9
}

function throughput(name: string, s: Scenario, n: number) {
  const rand = rng(42)
  const cfg = buildConfig(s, rand)
  const tCompile = timeIt(() => compileDeployment(cfg))
  const dep = compileDeployment(cfg)
  const fixes = buildFixes(s, cfg, n, rand)
  const res = cfg.h3.resolution
  // Ceiling: the enrich stage alone.
  let sink = 0
  const tCeil = timeIt(() => {
    for (const f of fixes) sink += latLngToCell(f.lat, f.lon, res).length
  })
  const engine = new RuleEngine(dep, { startedAt: T0 })
  let events = 0
  let flagged = 0
  const tRules = timeIt(() => {
    for (const f of fixes) {
      f.h3 = latLngToCell(f.lat, f.lon, res)
      f.flags = engine.classify(f)
      if (f.flags !== 0) flagged++
      events += engine.ingest(f, f.receivedAt).length
    }
  })
  if (sink < 0) console.log(sink)
  return { name, n, compileMs: tCompile * 1000, ceil: n / tCeil, rules: n / tRules, events, flagged, cells: dep.zones.reduce((a, z) => a + z.coverage.cells.length, 0) }
}

function tickBench() {
  const cfg = validateConfig({
    zones: [{ id: 'big', geometry: square(BASE, 7000), coverage: { resolution: 10, max_interval: '30m', response_radius_m: 1500 } }],
    units: Array.from({ length: 60 }, (_, i) => ({ id: `u${i}`, zone: 'big' })),
  })
  const dep = compileDeployment(cfg)
  const zone = dep.zones[0]
  const cells = zone?.coverage.cells ?? []
  const engine = new RuleEngine(dep, { startedAt: T0 })
  const rand = rng(7)
  // Visits spread over the last 40 minutes, so ticks keep expiring cells.
  engine.seedVisits(cells.map((cell) => ({ zoneId: 'big', cell, ts: T0 + Math.floor(rand() * 40 * 60_000) })))
  for (let i = 0; i < 60; i++) {
    const p = off(BASE, (rand() * 2 - 1) * 6000, (rand() * 2 - 1) * 6000)
    const f: Fix = { unitId: `u${i}`, ts: T0 + 40 * 60_000, receivedAt: T0 + 40 * 60_000, lat: p.lat, lon: p.lon, h3: latLngToCell(p.lat, p.lon, 9), speed: null, heading: null, accuracy: 5, altitude: null, battery: null, seq: null, source: 'native', topic: '', flags: 0 }
    engine.ingest(f, f.receivedAt)
  }
  const times: number[] = []
  for (let k = 0; k < 60; k++) {
    const now = T0 + 40 * 60_000 + k * 5000
    times.push(timeIt(() => engine.tick(now)) * 1000)
  }
  times.sort((a, b) => a - b)
  return { cells: cells.length, medianMs: times[Math.floor(times.length / 2)] as number, p90Ms: times[Math.floor(times.length * 0.9)] as number }
}

/**
 * The sample deployment with `units` units on plausible tracks: fixes built (and H3-indexed by a
 * first pass timed as the ceiling) before the clock starts, then per run a fresh engine and a
 * fresh integrity monitor, each timed alone over the same fixes. µs of CPU per fix, median of runs.
 */
async function plausible(units: number, n: number, runs: number, profile: string | undefined) {
  const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
  const cfg = validateConfig(JSON.parse(JSON.stringify({ units: benchUnits(sample.units, units), posts: sample.posts, zones: sample.zones })) as Record<string, unknown>)
  const stages = compileStages(cfg)
  const res = cfg.h3.resolution
  const endTs = Date.UTC(2026, 11, 6, 12, 0, 0)
  const stream = plausibleStream({ ...({ units: sample.units, posts: sample.posts, zones: sample.zones } as unknown as Sample), units: benchUnits(sample.units as Sample['units'], units), fixes: n, endTs })
  const fixes: Fix[] = Array.from({ length: n }, () => {
    const f = stream.next()
    return {
      unitId: f.unit, ts: f.ts, receivedAt: f.ts + 300, lat: f.lat, lon: f.lon, h3: '', speed: f.speed, heading: f.heading,
      accuracy: f.accuracy, altitude: null, battery: null, seq: f.seq, source: 'native', topic: `fleet/${f.unit}/position`, flags: 0,
    }
  })
  const ceil: number[] = []
  const rules: number[] = []
  const integrity: number[] = []
  let flagged = 0
  let events = 0
  let signals = 0
  const profiler = profile === undefined ? null : new CpuProfiler()
  await profiler?.start(100)
  for (let r = 0; r < runs; r++) {
    ceil.push(cpuIt(() => {
      for (const f of fixes) f.h3 = latLngToCell(f.lat, f.lon, res)
    }) * 1e6 / n)
    const engine = new RuleEngine(stages.deployment, { startedAt: (fixes[0] as Fix).ts })
    flagged = 0
    events = 0
    rules.push(cpuIt(() => {
      for (const f of fixes) {
        f.flags = engine.classify(f)
        if (f.flags !== 0) flagged++
        events += engine.ingest(f, f.receivedAt).length
      }
    }) * 1e6 / n)
    const monitor = new IntegrityMonitor(stages.integrity.options, stages.integrity.units)
    signals = 0
    integrity.push(cpuIt(() => {
      for (const f of fixes) signals += monitor.observe(f).length
    }) * 1e6 / n)
  }
  // The local day integrity asks twice per fix (src/boot.ts), on the live stream's fix times and
  // on a back-fill after an outage: 300 units' buffers interleaved, so consecutive fixes lie
  // minutes to hours apart in fix time. A fresh offset memory per run, as after a start.
  const tz = cfg.reports.timezone
  const backfill = fixes.map((_, j) => endTs - 7 * 3_600_000 + (((j % units) * 7919) % 360) * 60_000 + Math.floor(j / units) * 30_000)
  const dayRuns = (times: readonly number[]): number[] => Array.from({ length: runs }, () => {
    const offset = offsetOf(tz)
    const dayOf = (ts: number): number => Math.floor((ts + offset(ts)) / 86_400_000)
    let sink = 0
    const cpu = cpuIt(() => {
      for (const ts of times) sink += dayOf(ts) + dayOf(ts)
    })
    if (sink === 0) console.log(sink)
    return cpu * 1e6 / times.length
  })
  const dayLive = dayRuns(fixes.map((f) => f.ts))
  const dayBackfill = dayRuns(backfill)
  if (profiler !== null) {
    await profiler.stop(profile)
    console.log(`profile written to ${profile}`)
  }
  return { units, n, runs, tz, dayLive: median(dayLive), dayBackfill: median(dayBackfill), ceil: median(ceil), rules: median(rules), rulesRuns: rules, integrity: median(integrity), integrityRuns: integrity, flagged, events, signals }
}

const ONLY = process.argv.find((x) => x.startsWith('--only='))?.slice('--only='.length)
const PROFILE = process.argv.find((x) => x.startsWith('--profile='))?.slice('--profile='.length)
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(`node ${process.version}, ${process.platform}/${process.arch}`)
if (ONLY !== 'plausible') {
  const a = throughput('sample-like: 6 zones, 11 posts, 60 units', { zones: 6, zoneHalfM: 1500, posts: 11, units: 60, spreadM: 5000 }, 200_000)
  const b = throughput('large: 1,000 zones, 10,000 posts, 10,000 units', { zones: 1000, zoneHalfM: 400, posts: 10_000, units: 10_000, spreadM: 20_000 }, 200_000)
  const tk = tickBench()
  console.log('')
  console.log('| deployment | fixes | zone cells | compile (ms) | latLngToCell only (fixes/s) | enrich + classify + ingest (fixes/s) | ratio | events | flagged |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of [a, b]) {
    console.log(`| ${r.name} | ${fmt(r.n)} | ${fmt(r.cells)} | ${fmt(r.compileMs)} | ${fmt(r.ceil)} | ${fmt(r.rules)} | ${(r.rules / r.ceil).toFixed(2)} | ${r.events} | ${r.flagged} |`)
  }
  console.log('')
  console.log('| tick() with one zone | cells | median (ms) | p90 (ms) |')
  console.log('|---|---:|---:|---:|')
  console.log(`| coverage + response (60 live units, 1.5 km) | ${fmt(tk.cells)} | ${tk.medianMs.toFixed(3)} | ${tk.p90Ms.toFixed(3)} |`)
}
const p = await plausible(300, 200_000, 5, PROFILE)
const us = (x: number) => x.toFixed(2)
console.log('')
console.log(`| plausible tracks (sample deployment, ${p.units} units), ${fmt(p.n)} fixes × ${p.runs} runs | CPU µs/fix (median) | runs |`)
console.log('|---|---:|---|')
console.log(`| latLngToCell only (enrich) | ${us(p.ceil)} | |`)
console.log(`| rule engine: classify + ingest | ${us(p.rules)} | ${p.rulesRuns.map(us).join(' / ')} |`)
console.log(`| integrity detectors (IntegrityMonitor.observe) | ${us(p.integrity)} | ${p.integrityRuns.map(us).join(' / ')} |`)
console.log(`| integrity's local day (${p.tz}), twice per fix: live stream | ${us(p.dayLive)} | |`)
console.log(`| integrity's local day, twice per fix: back-fill (consecutive fixes minutes to hours apart) | ${us(p.dayBackfill)} | |`)
console.log(`flagged ${p.flagged}, alert transitions ${p.events}, integrity signals ${p.signals} (last run)`)
