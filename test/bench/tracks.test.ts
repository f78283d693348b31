// The benchmarks' fix streams (bench/lib/tracks.ts) through the real rule engine on the sample
// deployment: the plausible stream takes the normal path (no fix flagged, no alert, every unit
// registered), as a fleet's window of fix time replayed fast after its end, the way the ingest
// benchmark publishes it; the old `jumps` stream is flagged almost whole.
import t from 'tap'
import { latLngToCell } from 'h3-js'
import { loadConfig, validateConfig } from '../../src/config/load.js'
import { newFix } from '../../src/decode/new-fix.js'
import { haversineM } from '../../src/geo/distance.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { benchUnits, jumpsStream, plausibleStream, trackFromArgs, type FleetStream, type Sample, type TrackFix } from '../../bench/lib/tracks.js'

const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config as unknown as Sample
const UNITS = 300
const PER_UNIT = 40
const FIXES = UNITS * PER_UNIT
const END = Date.UTC(2026, 11, 6, 12, 0, 0)

function engineFor(units: Sample['units']): RuleEngine {
  const config = validateConfig(JSON.parse(JSON.stringify({ units, posts: sample.posts, zones: sample.zones })) as Record<string, unknown>)
  return new RuleEngine(compileDeployment(config), { startedAt: END - 1000 })
}

/** Feeds `n` fixes of the stream (arriving from `at` on, 1 ms apart, as a fast publisher does); returns flags and events. */
function feed(e: RuleEngine, s: FleetStream, n: number, at: number): { flagged: number; events: Array<{ kind: string; state: string }>; fixes: TrackFix[] } {
  let flagged = 0
  const events: Array<{ kind: string; state: string }> = []
  const fixes: TrackFix[] = []
  for (let j = 0; j < n; j++) {
    const f = s.next()
    fixes.push({ ...f })
    const now = at + j
    const fix = newFix(f.unit, f.ts, now, f.lat, f.lon, latLngToCell(f.lat, f.lon, 9), f.speed, f.heading, f.accuracy, null, null, null, 'native', `fleet/${f.unit}/position`)
    fix.flags = e.classify(fix)
    if (fix.flags !== 0) flagged++
    events.push(...e.ingest(fix, now))
    if (j % 1000 === 0) events.push(...e.tick(now))
  }
  return { flagged, events, fixes }
}

t.test('plausible: no fix flagged, no alert, every unit registered, on the sample deployment', async (t) => {
  const units = benchUnits(sample.units, UNITS)
  const s = plausibleStream({ units, posts: sample.posts, zones: sample.zones, fixes: FIXES, endTs: END })
  t.same(s.ids, units.map((u) => u.id))
  const e = engineFor(units)
  const r = feed(e, s, FIXES, END)
  t.equal(r.flagged, 0, 'no fix flagged (impossible speed, too late, future, duplicate)')
  t.same(r.events, [], 'no alert transition')
  t.equal(e.unknownUnits, 0)
  t.equal(e.untrackedFixes, 0)
})

t.test('plausible: in fix-time order, none after endTs, 5–10 s apart per unit; accuracy 5–15 m; speed and heading follow the motion', async (t) => {
  const units = benchUnits(sample.units, UNITS)
  const s = plausibleStream({ units, posts: sample.posts, zones: sample.zones, fixes: FIXES, endTs: END })
  const byUnit = new Map<string, TrackFix[]>()
  let prev = -Infinity
  let disorder = 0
  for (let j = 0; j < FIXES; j++) {
    const f = { ...s.next() }
    if (f.ts < prev || f.ts > END) disorder++
    prev = f.ts
    byUnit.set(f.unit, [...(byUnit.get(f.unit) ?? []), f])
  }
  t.equal(disorder, 0, 'the fleet in fix-time order, none after endTs')
  t.equal(byUnit.size, UNITS, 'every unit reports')
  t.ok(prev > END - 30_000, `the window ends near endTs (${(END - prev) / 1000} s before)`)
  let bad = 0
  let headingErr = 0
  let moving = 0
  let stopped = 0
  for (const [id, fs] of byUnit) {
    const officer = units.find((u) => u.id === id)!.kind === 'officer'
    for (let i = 1; i < fs.length; i++) {
      const a = fs[i - 1]!
      const b = fs[i]!
      const dt = b.ts - a.ts
      if (!(dt >= 4700 && dt <= 10_300) || b.accuracy < 5 || b.accuracy > 15 || b.seq !== a.seq + 1) bad++
      const v = haversineM(a.lat, a.lon, b.lat, b.lon) / (dt / 1000)
      if (b.speed === 0) {
        stopped++
        if (v > 2) bad++
        continue
      }
      if (officer ? v > 3 : v > 15) bad++
      if (officer) continue
      // The bearing of the move against the heading reported (the loop bends between fixes: a few degrees).
      const bearing = (Math.atan2((b.lon - a.lon) * Math.cos((a.lat * Math.PI) / 180), b.lat - a.lat) * 180) / Math.PI
      const d = Math.abs((((bearing - b.heading) % 360) + 540) % 360 - 180)
      headingErr += d
      moving++
    }
  }
  t.equal(bad, 0, 'every step within the bounds')
  t.ok(stopped > 0, `some stops (${stopped} stopped steps)`)
  t.ok(headingErr / moving < 15, `mean heading error ${(headingErr / moving).toFixed(1)}° for vehicles`)
})

t.test('plausible with whole seconds (OwnTracks, OsmAnd): times on the second, increasing per unit', async (t) => {
  const units = benchUnits(sample.units, 50)
  const s = plausibleStream({ units, posts: sample.posts, zones: sample.zones, windowMs: 600_000, endTs: END + 123, wholeSeconds: true })
  const last = new Map<string, number>()
  let bad = 0
  // 600 s of 50 units at 5–10 s: some 4,000 fixes before the end.
  for (let j = 0; j < 3500; j++) {
    const f = s.next()
    if (f.ts % 1000 !== 0 || f.ts > END + 123 || f.ts <= (last.get(f.unit) ?? -Infinity)) bad++
    last.set(f.unit, f.ts)
  }
  t.equal(bad, 0)
})

t.test('jumps: the old stream, formula for formula, and nearly all of it flagged', async (t) => {
  const s = jumpsStream(UNITS, END)
  for (let j = 0; j < 1234; j++) s.next()
  t.same({ ...s.next() }, { unit: 'U-34', ts: END + 4 * 10 + 1, lat: 36.43 + (1234 % 997) * 0.0001, lon: 117.77 + (1234 % 991) * 0.00015, speed: 8.5, heading: 90, accuracy: 5, seq: 1234 })
  const r = feed(engineFor(sample.units), jumpsStream(UNITS, END - 60_000), FIXES, END)
  t.ok(r.flagged > 0.9 * FIXES, `${r.flagged} of ${FIXES} flagged`)
})

t.test('--track picks the model, plausible by default, and refuses an unknown name', async (t) => {
  t.equal(trackFromArgs([]), 'plausible')
  t.equal(trackFromArgs(['--only=x', '--track=jumps']), 'jumps')
  t.throws(() => trackFromArgs(['--track=zigzag']), /expected one of plausible, jumps/)
})
