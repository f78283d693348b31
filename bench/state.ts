// Rule-state persistence with a large fleet: 100,000 units known to the rules, 1 % of them moving
// (one fix each per 5 s tick). Prints the per-tick cost of takeDelta() + save (one appended line)
// and of a compaction slice, against the old cost of serialising the whole snapshot.
//   npx tsx bench/state.ts [units=100000] [ticks=20]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { latLngToCell } from 'h3-js'
import { validateConfig } from '../src/config/load.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { RuleEngine } from '../src/rules/engine.js'
import type { Fix } from '../src/decode/fix.js'
import { RuleStateStore } from '../src/state/rule-state-store.js'
import { median, quantile, table } from './lib/measure.js'

const UNITS = Number(process.argv[2] ?? 100_000)
const TICKS = Number(process.argv[3] ?? 20)
const T0 = Date.UTC(2025, 2, 1, 8, 0, 0)
const cfg = validateConfig({ rules: { max_unknown_units: UNITS } })
const engine = new RuleEngine(compileDeployment(cfg), { startedAt: T0 })
const fix = (i: number, ts: number): Fix => {
  const lat = 36.49 + (i % 1000) * 1e-4
  const lon = 117.86 + Math.floor(i / 1000) * 1e-4 + (ts - T0) * 1e-8
  return { unitId: `U-${i}`, ts, receivedAt: ts, lat, lon, h3: latLngToCell(lat, lon, 9), speed: null, heading: null, accuracy: 10, altitude: null, battery: null, seq: null, source: 'native', topic: '', flags: 0 }
}
for (let i = 0; i < UNITS; i++) engine.ingest(fix(i, T0), T0)
const store = new RuleStateStore(join(mkdtempSync(join(tmpdir(), 'hexp-state-')), 'rules'))
store.save(engine.takeDelta())
await store.flush()

const tickMs: number[] = []
const bytes: number[] = []
const moving = Math.max(1, Math.floor(UNITS / 100))
for (let k = 1; k <= TICKS; k++) {
  const now = T0 + k * 5000
  for (let j = 0; j < moving; j++) {
    const f = fix((k * moving + j) % UNITS, now)
    f.flags = engine.classify(f)
    engine.ingest(f, now)
  }
  engine.tick(now)
  const t0 = performance.now()
  const d = engine.takeDelta()
  store.save(d)
  tickMs.push(performance.now() - t0)
  bytes.push(JSON.stringify(d).length)
}
// Longest synchronous step of a compaction: measure event-loop lag while one runs.
let maxLag = 0
let last = performance.now()
const timer = setInterval(() => {
  const n = performance.now()
  maxLag = Math.max(maxLag, n - last - 1)
  last = n
}, 1)
const t1 = performance.now()
;(store as unknown as { compact(): Promise<void> }).compact = (store as unknown as { compact(): Promise<void> }).compact.bind(store)
await (store as unknown as { compact(): Promise<void> }).compact()
const compactS = (performance.now() - t1) / 1000
clearInterval(timer)
const full = performance.now()
JSON.stringify(engine.snapshot())
const fullMs = performance.now() - full
console.log(table(`Rule-state persistence, ${UNITS.toLocaleString('en-US')} units, ${moving.toLocaleString('en-US')} moving per 5 s tick, ${TICKS} ticks`, ['measure', 'value'], [
  ['per-tick delta save, median ms', median(tickMs)],
  ['per-tick delta save, p99 ms', quantile(tickMs, 0.99)],
  ['per-tick delta, median bytes', median(bytes)],
  ['compaction, total s (in slices)', compactS],
  ['compaction, worst event-loop stall ms', maxLag],
  ['old: whole snapshot JSON.stringify, ms (per tick before)', fullMs],
]))
