// HTTP ingest throughput and latency with autocannon: phones posting through the real engine
// (auth, decode, rules, journal append before the answer), every request a distinct fix, beside
// the ceiling of a bare node:http server answering the same requests, in the same run.
// Each server runs in its own process (bench/lib/http-server-child.ts) and autocannon in this one,
// so the load generator shares no event loop with the server it measures (they share the
// machine's cores). Bare rows are measured first in each round, then the engine's, so the
// engine's background work (shipping the rows to ClickHouse) does not run during a bare row of the
// same round; rounds are 3 s apart. The engine's CPU time per request (all its threads, chdb's
// included) is printed beside: it reads the same on a busy machine as on an idle one. So is how
// busy the load generator (this process: autocannon and the requests' setup, one thread) and each
// server's main thread were over the rows: a generator near 100 % in the bare rows means the
// ceiling is the generator's, not node:http's; an engine's main thread near 100 % bounds its rate.
// Every limiter in front of ingest is raised out of the way (the per-device bucket and the cap on
// all devices together, http_ingest.rate_limit_global_per_second, 1,000/s by default, and the
// API's per-IP limit), so the figure is the ingest path; the 429 count is printed to show it.
// Every other setting is the default (journal.fsync: interval, embedded ClickHouse).
// npx tsx bench/http-ingest.ts [seconds=5] [connections=20] [--devices=100] [--rounds=1] [--profile[=dir]] [--only=owntracks|osmand] [--track=plausible|jumps]
// --track: the devices' fixes. plausible (default, bench/lib/tracks.ts): each device (a clone of a
// sample unit: its kind, post and zone) drives or walks a loop inside its post radius and zone,
// 5–10 s apart in fix time (whole seconds, as both protocols send), with speed, bearing and
// accuracy; the fleet's fixes in fix-time order from two days back (they would reach the wall
// clock after some 2.7 million requests at 100 devices, far more than a run sends). jumps: the stream of the figures before (a metre a
// second northward from points south of the zones, 1 s apart, no accuracy: its units breach).
// --profile records a CPU profile of the engine's main thread over its rows (not its start-up),
// writes it to the directory given (default: a new one under the temporary directory) and prints
// where the busy time went.
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { childEnv } from '../test/helpers/child-env.js'
import { median, sleep, table } from './lib/measure.js'
import { runtimeLine } from './lib/runtime.js'
import { readProfile, summarizeProfile } from './lib/cpu-profile.js'
import { plausibleStream, trackFromArgs, type FleetStream, type Sample } from './lib/tracks.js'

console.log(runtimeLine())

const here = dirname(fileURLToPath(import.meta.url))
const flags = Object.fromEntries(process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => { const [k, v = ''] = a.slice(2).split('='); return [k!, v] }))
const [secondsArg = '5', connectionsArg = '20'] = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const SECONDS = Number(secondsArg)
const CONNECTIONS = Number(connectionsArg)
const DEVICES = Number(flags.devices || 100)
const ROUNDS = Math.max(1, Number(flags.rounds || 1))
const PROFILE_DIR = flags.profile === undefined ? null : flags.profile || mkdtempSync(join(tmpdir(), 'hexp-http-prof-'))
// A directory named on the command line may not exist yet (the child would fail writing into it).
if (PROFILE_DIR !== null) mkdirSync(PROFILE_DIR, { recursive: true })

interface Child { proc: ChildProcess; url: string; units: string[]; sample: Sample | undefined; ask<T>(m: string): Promise<T> }

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

async function startChild(kind: 'engine' | 'bare'): Promise<Child> {
  const proc = fork(join(here, 'lib', 'http-server-child.ts'), [kind, String(DEVICES)], { execArgv: ['--import', 'tsx'], env: childEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.add(proc)
  proc.on('exit', () => children.delete(proc))
  const first = await new Promise<{ url: string; units?: string[]; sample?: Sample }>((resolve, reject) => {
    proc.once('message', (m) => resolve(m as { url: string; units?: string[]; sample?: Sample }))
    proc.once('exit', (code) => reject(new Error(`${kind} server exited ${code} before listening`)))
  })
  const ask = <T>(m: string) => new Promise<T>((resolve) => {
    proc.once('message', (r) => resolve(r as T))
    proc.send(m)
  })
  return { proc, url: first.url, units: first.units ?? [], sample: first.sample, ask }
}

async function stopChild(c: Child): Promise<void> {
  const exited = new Promise<void>((r) => c.proc.once('exit', () => r()))
  c.proc.send('stop')
  await exited
}

type Stats = { accepted: number; alerts: number; cpuUs: number; mainUs: number }

const engine = await startChild('engine')
const bare = await startChild('bare')
const units = engine.units
const TRACK = trackFromArgs(process.argv.slice(2))

let n = 0
// Every request is a new fix (a distinct unit and time, so none is dropped as a re-delivery).
const start = Date.now() - 2 * 86_400_000
/** The old stream (--track=jumps): two days back, one second per round of all devices, each moving a metre or so a second. */
const jumpsNext = () => {
  const i = n++
  const u = i % units.length
  const round = Math.floor(i / units.length)
  return { unit: units[u]!, ts: start + round * 1000, lat: 36.44 + (u % 10) * 0.006 + (round % 1000) * 1e-5, lon: 117.79 + Math.floor(u / 10) * 0.006, speed: null, heading: 90, accuracy: null }
}
/** Two days of the fleet's fixes, ending at the wall clock: a run sends far fewer, so none is in the future. */
const fleet: FleetStream | null = TRACK === 'jumps' ? null : plausibleStream({ ...engine.sample!, windowMs: 2 * 86_400_000, endTs: Date.now(), wholeSeconds: true })
if (fleet !== null && fleet.ids.join() !== units.join()) throw new Error('the tracks are not for the engine child\'s devices')
const next = (): { unit: string; ts: number; lat: number; lon: number; speed: number | null; heading: number; accuracy: number | null } => (fleet === null ? jumpsNext() : (n++, fleet.next()))

type Req = { method?: string; path?: string; body?: string; headers?: Record<string, string> }
const osmand = (r: Req): Req => {
  const f = next()
  // OsmAnd speed is in knots.
  const motion = f.speed === null ? 'speed=3&bearing=90' : `speed=${(f.speed * 1.943844).toFixed(1)}&bearing=${f.heading}&accuracy=${f.accuracy}`
  return { ...r, method: 'GET', path: `/ingest/osmand?id=${f.unit}&key=${f.unit}-password&timestamp=${Math.floor(f.ts / 1000)}&lat=${f.lat.toFixed(6)}&lon=${f.lon.toFixed(6)}&${motion}&batt=80` }
}
const owntracks = (r: Req): Req => {
  const f = next()
  return {
    ...r, method: 'POST', path: '/ingest/owntracks',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${f.unit}:${f.unit}-password`).toString('base64')}` },
    body: JSON.stringify(f.speed === null
      ? { _type: 'location', tst: Math.floor(f.ts / 1000), lat: Number(f.lat.toFixed(6)), lon: Number(f.lon.toFixed(6)), acc: 8, vel: 12 }
      // OwnTracks vel is km/h, cog degrees, acc metres (whole numbers, as the app sends them).
      : { _type: 'location', tst: Math.floor(f.ts / 1000), lat: f.lat, lon: f.lon, acc: Math.round(f.accuracy ?? 0), vel: Math.round(f.speed * 3.6), cog: f.heading }),
  }
}

interface Run { rps: number; p50: number; p99: number; limited: number; other: number; requests: number; accepted: number; alerts: number; cpuUsPerReq: number; mainUsPerReq: number; loadShare: number; mainShare: number }
async function cannon(server: Child, setup: (r: Req) => Req): Promise<Run> {
  const before = await server.ask<Stats>('stats')
  const sent = n
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await autocannon({ url: server.url, duration: SECONDS, connections: CONNECTIONS, pipelining: 1, requests: [{ setupRequest: setup as never }] })
  const c1 = process.cpuUsage(c0)
  // The load generator's share of one core over the row (autocannon and the requests' setup: one thread).
  const elapsedMs = performance.now() - t0
  const loadShare = (c1.user + c1.system) / 1000 / elapsedMs
  const after = await server.ask<Stats>('stats')
  const codes = (r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}
  const limited = codes['429']?.count ?? 0
  const answered = r.requests.total
  return {
    rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, limited, other: r.errors + r.non2xx - limited,
    requests: n - sent, accepted: after.accepted - before.accepted, alerts: after.alerts - before.alerts, cpuUsPerReq: answered > 0 ? (after.cpuUs - before.cpuUs) / answered : 0, mainUsPerReq: answered > 0 ? (after.mainUs - before.mainUs) / answered : 0, loadShare, mainShare: (after.mainUs - before.mainUs) / 1000 / elapsedMs,
  }
}

const kinds = ([['osmand', 'OsmAnd GET', osmand], ['owntracks', 'OwnTracks POST (Basic auth)', owntracks]] as const).filter(([k]) => flags.only === undefined || flags.only === k)
const runs = new Map<string, { bare: Run[]; ours: Run[] }>(kinds.map(([k]) => [k, { bare: [], ours: [] }]))
for (let round = 0; round < ROUNDS; round++) {
  if (round > 0) await sleep(3000)
  for (const [k, , setup] of kinds) runs.get(k)!.bare.push(await cannon(bare, setup))
  if (PROFILE_DIR !== null && round === 0) await engine.ask('profile-start')
  for (const [k, , setup] of kinds) runs.get(k)!.ours.push(await cannon(engine, setup))
  if (PROFILE_DIR !== null && round === 0) await engine.ask(`profile-stop ${join(PROFILE_DIR, 'engine-rows.cpuprofile')}`)
}
const outcomes = (await engine.ask<{ outcomes: string }>('outcomes')).outcomes
await stopChild(bare)
await stopChild(engine)

const rows = kinds.map(([k, name]) => {
  const { bare: b, ours: o } = runs.get(k)!
  const ratios = o.map((r, i) => r.rps / b[i]!.rps)
  const last = o[o.length - 1]!
  const sum = (xs: Run[], f: (r: Run) => number) => xs.reduce((s, r) => s + f(r), 0)
  return [
    name, Math.round(median(o.map((r) => r.accepted / SECONDS))), median(o.map((r) => r.rps)), median(b.map((r) => r.rps)),
    median(ratios).toFixed(2) + (ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : ''),
    `${Math.round(median(o.map((r) => r.cpuUsPerReq)))} (${Math.round(median(o.map((r) => r.mainUsPerReq)))})`, Math.round(median(b.map((r) => r.cpuUsPerReq))),
    `${Math.round(100 * median(b.map((r) => r.loadShare)))} / ${Math.round(100 * median(o.map((r) => r.loadShare)))} %`,
    `${Math.round(100 * median(b.map((r) => r.mainShare)))} / ${Math.round(100 * median(o.map((r) => r.mainShare)))} %`,
    last.p50, last.p99, sum(o, (r) => r.limited), sum(o, (r) => r.other), sum(o, (r) => r.requests), sum(o, (r) => r.accepted), sum(o, (r) => r.alerts),
  ]
})
console.log(table(`HTTP ingest, autocannon ${CONNECTIONS} connections × ${SECONDS} s per row, ${ROUNDS} round(s), medians (sample deployment, ${units.length} devices, journal append before every answer; servers in their own processes), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  ['request', 'accepted fixes/s', 'req/s', 'bare node:http req/s (ceiling)', 'ratio', 'engine CPU µs/req (main thread)', 'bare CPU µs/req', 'load generator busy (bare / engine rows)', 'server main thread busy (bare / engine)', 'p50 ms', 'p99 ms', '429', 'other errors', 'requests', 'fixes accepted', 'alert transitions'], rows))
console.log(TRACK === 'jumps'
  ? '\nstream: jumps (--track=jumps, the stream of the figures recorded up to 2026-12-06): devices a metre a second northward from points south of the zones, 1 s apart in fix time, OsmAnd without accuracy: many breach their post and leave their zone'
  : '\nstream: plausible tracks (--track=plausible): each device on a loop inside its post radius and zone, 5–10 s apart in fix time, accuracy 5–15 m, occasional stops')
console.log(`rule outcomes (engine, all rounds): ${outcomes}`)

if (PROFILE_DIR !== null) {
  const file = join(PROFILE_DIR, 'engine-rows.cpuprofile')
  // The child's `profiling` (the profiler's own stop) is left out.
  const s = summarizeProfile(readProfile(file), 20, new Set(['profiling']))
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`
  console.log(`\nEngine main thread over its rows of the first round (${file}): busy ${(s.busyMs / 1000).toFixed(1)} s of ${(s.totalMs / 1000).toFixed(1)} s`)
  console.log(table('Busy time by area (self time)', ['area', 'share'], s.areas.map((a) => [a.area, pct(a.share)])))
  console.log(table('Busy time by function (self time)', ['function', 'share'], s.functions.map((f) => [f.fn, pct(f.share)])))
}
process.exit(0)
