// A day of fix time through the real engine on a fake clock: does anything grow with time?
// The engine runs in this process (sample deployment, default config but for one setting below,
// embedded ClickHouse storing every row, http off) with `now` a fake clock that follows the
// fixes; a district's fleet (the sample's units cloned, on plausible loops inside their posts and
// zones, a fix each 5–10 s: bench/lib/tracks.ts) reports for `hours` of fix time, native JSON
// handed straight to the ingestor (decode → H3 → journal → rules → integrity, as bench/pipeline.ts),
// with a rule tick every rules.tick (5 s) of fix time as the timer gives it. At the end of each
// hour of fix time it collects garbage and records the heap after it and V8's resident heap,
// external memory, the process's anonymous and file-backed resident memory, embedded ClickHouse's
// own figures (its memory tracker, its allocator's allocated and resident bytes, its active
// parts), the journal's unshipped records and the main thread's CPU per fix over the hour; it
// prints every hour of a run up to 12 hours, else about twelve rows, then the highest figures of
// the run's first and second half (and, while it runs, a progress line per hour on stderr). A
// leak shows as a heap that keeps rising after the first hours, a cost that grows with the
// engine's age as CPU per fix rising with the hours. At the end, one heap trim
// (src/heap-trim.ts) shows how much of the resident memory is V8's pooled and committed-but-unused
// heap, which the engine gives back at most once an hour of wall time (the run is minutes of wall
// time, so the engine's own trim never runs in it).
// Changed from the defaults: journal.segment_max_age is 5 min (of fix time, which runs several
// hundred times faster than the wall clock here: at the default 1 s the journal would seal a
// segment every few dozen fixes).
//   npx tsx bench/soak.ts [units=300] [hours=24]
// 300 units at a fix each 5–10 s are about 3.5 million fixes a day, a district's day in the brief
// (2.6 million); `5000 2` is the brief's large fleet for two hours (about 5 million fixes).
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getHeapStatistics } from 'node:v8'
import { pino } from 'pino'
import { loadConfig, validateConfig } from '../src/config/load.js'
import { Engine } from '../src/engine.js'
import { trimHeap, v8Gc } from '../src/heap-trim.js'
import { mainThreadUs, median, sleep, table } from './lib/measure.js'
import { ruleOutcomes } from './lib/rule-outcomes.js'
import { runtimeLine } from './lib/runtime.js'
import { benchUnits, plausibleStream, type Sample } from './lib/tracks.js'

console.log(runtimeLine())

const UNITS = Number(process.argv[2] ?? 300)
const HOURS = Number(process.argv[3] ?? 24)
const HOUR_MS = 3_600_000
/** Fix time between a fix and its arrival. */
const LAG_MS = 400
/** Messages per event-loop turn (about what one socket read brings at load), as bench/pipeline.ts. */
const PER_TURN = 32

const gc = v8Gc()

const mb = (bytes: number): string => (bytes / 1_048_576).toFixed(1)
/**
 * Resident memory from /proc, bytes: anonymous (the heaps: V8's, ClickHouse's, buffers) and
 * file-backed (mostly embedded ClickHouse's ~550 MB library, paged in as its code runs: shared,
 * clean and reclaimable, so not a leak when it grows).
 */
const resident = (): { anon: number; file: number } => {
  const status = readFileSync('/proc/self/status', 'utf8')
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024
  return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') }
}

const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
const units = benchUnits(sample.units, UNITS)
const config = validateConfig(JSON.parse(JSON.stringify({
  data_dir: mkdtempSync(join(tmpdir(), 'hexp-soak-')), log_level: 'warn',
  http: { port: 0, host: '127.0.0.1' }, broker: { port: 0 },
  journal: { segment_max_age: '5m' },
  units, posts: sample.posts, zones: sample.zones,
})) as Record<string, unknown>)

// Whole hours, ending about now: the rows stored are dated like a real day's.
const start = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOURS * HOUR_MS
let clock = start
const engine = new Engine({ config, logger: pino({ level: 'warn' }), http: false, now: () => clock })
await engine.start()
const h = engine.testHandle()
const deployment = { posts: sample.posts, zones: sample.zones } as unknown as Sample
const fleet = plausibleStream({ posts: deployment.posts, zones: deployment.zones, units, windowMs: HOURS * HOUR_MS, endTs: start + HOURS * HOUR_MS })
const tickMs = config.rules.tick

interface Hour { hour: number; fixes: number; cpuUs: number; heap: number; v8Physical: number; external: number; rssAnon: number; rssFile: number; chTracked: number; chAllocated: number; chResident: number; parts: number; pending: number }

/**
 * Embedded ClickHouse's own view of its memory: its memory tracker, its allocator's (jemalloc)
 * allocated and resident bytes, and the active parts it keeps.
 */
async function clickHouseMemory(): Promise<{ tracked: number; allocated: number; resident: number; parts: number }> {
  const q = async (query: string): Promise<number> => {
    const rs = await h.ch.client.query({ query, format: 'JSONEachRow' })
    const rows = await rs.json<{ v: string | number }>()
    return Number(rows[0]?.v ?? Number.NaN)
  }
  const jemalloc = async (): Promise<{ allocated: number; resident: number }> => {
    const rs = await h.ch.client.query({ query: 'SELECT stats FROM system.jemalloc_stats', format: 'JSONEachRow' })
    const text = (await rs.json<{ stats: string }>())[0]?.stats ?? ''
    const m = /Allocated: (\d+),.*resident: (\d+),/.exec(text)
    return { allocated: Number(m?.[1] ?? Number.NaN), resident: Number(m?.[2] ?? Number.NaN) }
  }
  return {
    tracked: await q("SELECT value AS v FROM system.metrics WHERE metric = 'MemoryTracking'"),
    ...(await jemalloc()),
    parts: await q('SELECT count() AS v FROM system.parts WHERE active'),
  }
}
const hours: Hour[] = []
let nextTick = start + tickMs
let fixes = 0
let total = 0
let cpu0 = mainThreadUs()
const wall0 = Date.now()

async function endOfHour(hour: number): Promise<void> {
  const cpuUs = (mainThreadUs() - cpu0) / Math.max(1, fixes)
  // Let the sink ship what the hour sealed, then measure what stays.
  await sleep(50)
  gc()
  const m = process.memoryUsage()
  const pending = h.journal.pending().reduce((n, s) => n + s.records, 0)
  const ch = await clickHouseMemory()
  const r = resident()
  hours.push({ hour, fixes, cpuUs, heap: m.heapUsed, v8Physical: getHeapStatistics().total_physical_size, external: m.external + m.arrayBuffers, rssAnon: r.anon, rssFile: r.file, chTracked: ch.tracked, chAllocated: ch.allocated, chResident: ch.resident, parts: ch.parts, pending })
  // Progress on stderr (a long run is otherwise silent until its table): stdout keeps the figures.
  console.error(`hour ${hour}/${HOURS} of fix time after ${((Date.now() - wall0) / 1000).toFixed(0)} s: ${total.toLocaleString('en-US')} fixes, ${cpuUs.toFixed(1)} µs/fix, heap after GC ${mb(m.heapUsed)} MB, anonymous resident ${mb(r.anon)} MB, ${pending.toLocaleString('en-US')} records unshipped`)
  fixes = 0
  cpu0 = mainThreadUs()
}

let hour = 1
let f = fleet.next()
while (f.ts < start + HOURS * HOUR_MS) {
  h.journal.defer(() => {
    for (let k = 0; k < PER_TURN && f.ts < start + HOURS * HOUR_MS; k++) {
      clock = Math.max(clock, f.ts + LAG_MS)
      while (nextTick <= clock) {
        h.tick()
        nextTick += tickMs
      }
      const payload = Buffer.from(`{"ts":${f.ts},"lat":${f.lat},"lon":${f.lon},"speed":${f.speed},"heading":${f.heading},"accuracy":${f.accuracy},"seq":${f.seq}}`)
      if (h.ingestor.handle(`fleet/${f.unit}/position`, payload) !== undefined) throw new Error('the journal applied backpressure: the sink fell behind')
      fixes++
      total++
      f = fleet.next()
    }
  })
  h.journal.flush()
  if (total % (PER_TURN * 16) === 0) await new Promise((r) => setImmediate(r))
  if (clock >= start + hour * HOUR_MS) await endOfHour(hour++)
}
if (hours.length < HOURS) await endOfHour(hour)
const wallS = (Date.now() - wall0) / 1000

const every = Math.max(1, Math.round(HOURS / 12))
console.log(table(`Soak: ${UNITS.toLocaleString('en-US')} units, ${HOURS} h of fix time (${total.toLocaleString('en-US')} fixes in ${wallS.toFixed(0)} s), sample rules on, heap after a full GC at each hour's end`,
  ['hour of fix time', 'fixes', 'main-thread CPU µs/fix', 'heap MB: used / resident', 'external + array buffers MB', 'resident MB: anonymous / file', 'embedded ClickHouse MB: tracked / allocated / resident', 'active parts', 'journal records unshipped'],
  hours.filter((x) => x.hour === 1 || x.hour % every === 0 || x.hour === hours.length).map((x) => [String(x.hour), x.fixes.toLocaleString('en-US'), x.cpuUs.toFixed(1), `${mb(x.heap)} / ${mb(x.v8Physical)}`, mb(x.external), `${mb(x.rssAnon)} / ${mb(x.rssFile)}`, `${mb(x.chTracked)} / ${mb(x.chAllocated)} / ${mb(x.chResident)}`, String(x.parts), x.pending.toLocaleString('en-US')])))
// Growth that goes on shows as a second half higher than the first: the first hours fill what is
// bounded by time or by count (coverage windows, the recent-fixes ring, the day's track the replay
// detector keeps), and each day boundary archives a day (integrity.replay.days of them are kept).
const halves = [hours.slice(0, Math.ceil(hours.length / 2)), hours.slice(Math.ceil(hours.length / 2))]
const peak = (xs: Hour[], f: (x: Hour) => number): number => Math.max(...xs.map(f))
const mid = (xs: Hour[]): number => median(xs.map((x) => x.cpuUs))
const span = (xs: Hour[]): string => (xs.length === 0 ? '' : `hours ${xs[0]!.hour}–${xs[xs.length - 1]!.hour}`)
if (halves[1]!.length > 0) {
  const [a, b] = halves as [Hour[], Hour[]]
  console.log(`first half (${span(a)}) → second half (${span(b)}), highest: heap after GC ${mb(peak(a, (x) => x.heap))} → ${mb(peak(b, (x) => x.heap))} MB, ` +
    `external ${mb(peak(a, (x) => x.external))} → ${mb(peak(b, (x) => x.external))} MB, anonymous resident ${mb(peak(a, (x) => x.rssAnon))} → ${mb(peak(b, (x) => x.rssAnon))} MB, ` +
    `embedded ClickHouse resident ${mb(peak(a, (x) => x.chResident))} → ${mb(peak(b, (x) => x.chResident))} MB; median CPU per fix ${mid(a).toFixed(1)} → ${mid(b).toFixed(1)} µs`)
}
{
  // What the engine's hourly heap trim (src/heap-trim.ts) gives back; the run is too short in wall
  // time for the engine's own (at most one an hour of wall time) to have run.
  const before = resident()
  const r = trimHeap()
  const after = resident()
  console.log(`one heap trim at the end (a memory-reducing collection, what the engine runs at most once an hour of wall time): anonymous resident ${mb(before.anon)} → ${mb(after.anon)} MB, V8's resident heap ${mb(getHeapStatistics().total_physical_size)} MB after it, a pause of ${r.pauseMs.toFixed(0)} ms`)
}
console.log(`rule outcomes: ${await ruleOutcomes(engine, total)}`)
await engine.stop()
process.exit(0)
