// Latency from the breach-confirming fix being published over MQTT to the signed webhook arriving
// at a receiver, with a background load of ordinary fixes from a separate publisher process at
// 25 %, 50 % and 75 % of the ingest capacity MEASURED FIRST IN THE SAME RUN (same engine config,
// same publisher, publish → rows committed in ClickHouse), with the DEFAULT rule and delivery
// settings (allowed_lateness 5 s, tick 5 s: in-order fixes are evaluated at once, so neither is
// paid). The only setting the bench changes is rules.radius.dwell (10 s instead of 60 s, so a
// drive needs four fixes); it says so in its output.
// Per level: the achieved background rate, n, p50/p90/p99/max, breaches over 150 ms, over 1 s,
// and missing 10 s after their confirming fix, the event-loop delay (p99, max) of the engine's
// process, and where the time went: fix published → breach opened by the rules (MQTT, decode,
// journal append), opened → queued for delivery (alert journal record, rule-state save), queued →
// webhook received (outbox write, signing, HTTP).
//   npx tsx bench/alert-latency.ts [breaches per level=200] [fixes for the capacity run=60000] [ms between breaches=250] [background units=5000] [--track=plausible|jumps]
// --track: the background stream (bench/lib/tracks.ts), for the capacity run and every level.
// plausible (default): the background units are the sample deployment's (config/hexpatrol.yaml),
// cloned up to their number and registered in the engine's config with the sample's posts and
// zones, each on a loop inside its post radius and zone, 5–10 s apart in fix time, so the rules
// take the path a real fleet takes; jumps: the stream of the figures recorded up to 2026-12-06
// (unknown units U-0…, fixes 10 ms and ~3 km apart: nearly all flagged impossible_speed). The
// breaching units (B-0…, their own post) keep their scripted drive-out either way. After the
// tables, the rule outcomes of the capacity run and of each level: fixes flagged and rejects (of
// every fix the engine accepted, the breaches' four each included) and the alert transitions of
// every unit but the breaching ones (counted as the engine publishes them).
import { createServer } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, loadavg, cpus } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { pino } from 'pino'
import mqtt from 'mqtt'
import { validateConfig } from '../src/config/load.js'
import { Engine } from '../src/engine.js'
import type { AlertEvent } from '../src/rules/alert-event.js'
import { alertOf } from '../src/delivery/outbound-event.js'
import { committedPositions } from '../test/helpers/clickhouse.js'
import { quantile, runPublisher, sleep, startPublisher, table, type PublishOptions } from './lib/measure.js'
import { countTransition, ruleOutcomes, type TransitionCounts } from './lib/rule-outcomes.js'
import { benchUnits, describeTrack, trackFromArgs, type Sample } from './lib/tracks.js'
import { loadConfig } from '../src/config/load.js'
import { runtimeLine } from './lib/runtime.js'

console.log(runtimeLine())

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const BREACHES = Number(positional[0] ?? 200)
const CAPACITY_FIXES = Number(positional[1] ?? 60_000)
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
/**
 * Confirming fixes are sent this far apart (the background never pauses). 250 ms is 4 alerts/s, a
 * storm for a city's fleet already; at 40 ms (25/s) the bench measures the alert storm itself
 * (each alert is one fsynced outbox file and one rule-state write) more than the background load.
 */
const SPACING_MS = Number(positional[2] ?? 250)
/** A breach not at the receiver this long after its confirming fix counts as missing. */
const MISSING_MS = 10_000
/** Units the background fixes come from: a district-to-city fleet (the mission's 5,000+), so each alert's rule-state delta is as large as it is in the field. */
const BG_UNITS = Number(positional[3] ?? 5000)
const TRACK = trackFromArgs(process.argv.slice(2).filter((a) => a.startsWith('--')))
const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
/** The background publisher's fixes: the same stream for the capacity run and the levels. */
const BACKGROUND: PublishOptions = { units: BG_UNITS, track: TRACK, sample: { units: sample.units, posts: sample.posts, zones: sample.zones } as unknown as Sample }
/** The breaching units: their alerts are the measured ones, not the background's. */
const BREACH_UNITS = Array.from({ length: BREACHES }, (_, i) => `B-${i}`)
/**
 * The plausible background's units (the sample's, cloned: P-…, B-0038…, never a breaching unit's
 * B-n) with the sample's posts and zones; none for the old stream, as its figures were measured.
 */
const bgDeployment = TRACK === 'jumps'
  ? { units: [], posts: [], zones: [] }
  : JSON.parse(JSON.stringify({ units: benchUnits(sample.units, BG_UNITS), posts: sample.posts, zones: sample.zones })) as { units: unknown[]; posts: unknown[]; zones: unknown[] }

function engineConfig(webhookUrl: string) {
  return validateConfig({
    data_dir: mkdtempSync(join(tmpdir(), 'hexp-lat-')),
    http: { port: 0, host: '127.0.0.1' },
    broker: { port: 0 },
    units: [...BREACH_UNITS.map((id) => ({ id, post: 'st' })), ...bgDeployment.units],
    posts: [{ id: 'st', lat: 36.49, lon: 117.86, radius_m: 1500 }, ...bgDeployment.posts],
    zones: bgDeployment.zones,
    rules: { radius: { dwell: '10s' } },
    webhooks: [{ id: 'rx', url: webhookUrl, secret: SECRET, events: ['radius_breach.opened'] }],
    delivery: { allow_private_networks: ['127.0.0.0/8'] },
  })
}

async function fixesAccepted(engine: Engine): Promise<number> {
  return (await engine.metrics.fixesAccepted.get()).values.reduce((n, v) => n + v.value, 0)
}

/** Ingest capacity of this engine config on this machine now: publish → committed in ClickHouse; the rule outcomes of the run. */
async function capacity(): Promise<{ rate: number; outcomes: string }> {
  const config = engineConfig('http://127.0.0.1:9/unused')
  const engine = new Engine({ config, logger: pino({ level: 'warn' }), http: false })
  await engine.start()
  const url = `mqtt://127.0.0.1:${engine.testHandle().source.broker!.port}`
  const t0 = performance.now()
  await runPublisher(url, CAPACITY_FIXES, BACKGROUND)
  while ((await committedPositions(engine.metrics)) < CAPACITY_FIXES) await sleep(20)
  const rate = CAPACITY_FIXES / ((performance.now() - t0) / 1000)
  const outcomes = await ruleOutcomes(engine, CAPACITY_FIXES)
  await engine.stop()
  rmSync(config.data_dir, { recursive: true, force: true })
  return { rate, outcomes }
}

interface Level {
  target: number
  achieved: number
  n: number
  /** ms from the confirming fix's publication to the webhook, per breach that arrived */
  total: number[]
  missing: number
  ingest: number[]
  queue: number[]
  send: number[]
  loopP99: number
  loopMax: number
  /** Units per rule-state delta saved during the level (every alert waits for one). */
  deltaUnits: number[]
  /** What the rules made of the level's fixes, the breaching units' alerts left out (ruleOutcomes). */
  outcomes: string
}

async function level(background: number): Promise<Level> {
  const arrivals = new Map<string, number>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const b = JSON.parse(body) as { type: string; data: { unitId: string } }
      if (b.type === 'radius_breach.opened' && !arrivals.has(b.data.unitId)) arrivals.set(b.data.unitId, performance.now())
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const config = engineConfig(`http://127.0.0.1:${(server.address() as { port: number }).port}/hook`)
  const engine = new Engine({ config, logger: pino({ level: 'warn' }), http: false })
  await engine.start()
  const h = engine.testHandle()
  // Timestamps at the stage boundaries: the rules' verdict and the hand-over to the dispatcher.
  const opened = new Map<string, number>()
  const queued = new Map<string, number>()
  const mark = (evs: AlertEvent[]) => {
    for (const e of evs) if (e.kind === 'radius_breach' && e.state === 'opened' && e.unitId !== null && !opened.has(e.unitId)) opened.set(e.unitId, performance.now())
    return evs
  }
  const rules = h.rules!
  const ingest = rules.ingest.bind(rules)
  const tick = rules.tick.bind(rules)
  rules.ingest = (fix, now) => mark(ingest(fix, now))
  rules.tick = (now) => mark(tick(now))
  // The rule-state deltas an alert waits for (beforeDeliver saves one before every delivery).
  const take = rules.takeDelta.bind(rules)
  const deltaUnits: number[] = []
  rules.takeDelta = () => {
    const d = take()
    deltaUnits.push(d.units.length)
    return d
  }
  const dispatcher = h.dispatcher!
  // The engine hands every outbound event to the dispatcher through the one publish path (publishEvent).
  const publish = dispatcher.publishEvent.bind(dispatcher)
  // The background's alert transitions (every unit but the breaching ones), as the engine publishes them.
  const scripted = new Set(BREACH_UNITS)
  const backgroundAlerts: TransitionCounts = new Map()
  dispatcher.publishEvent = (ev) => {
    const e = alertOf(ev)
    if (e !== null) countTransition(backgroundAlerts, e, scripted)
    if (e !== null && e.kind === 'radius_breach' && e.state === 'opened' && e.unitId !== null && !queued.has(e.unitId)) queued.set(e.unitId, performance.now())
    return publish(ev)
  }

  const url = `mqtt://127.0.0.1:${h.source.broker!.port}`
  // Enough background for the whole level; stopped when the level ends.
  const bg = startPublisher(url, Math.round(background * (60 + (BREACHES * SPACING_MS) / 1000 + MISSING_MS / 1000)), { ...BACKGROUND, rate: background })
  void bg.done.catch(() => undefined)
  const pub = mqtt.connect(url, { clientId: 'lat-pub' })
  await new Promise<void>((r) => pub.once('connect', () => r()))
  const start = Date.now() - 300_000
  const units = BREACH_UNITS
  // Each unit: at its post, then out 1.8 km a minute later (110 km/h) for 5 s; the fix at +130 s
  // completes the 10 s dwell and latency is measured from its publication. The gap is one minute,
  // no longer than a run may pause: after a longer gap the engine holds the unit's fixes for
  // allowed_lateness (a reconnecting device may back-fill its buffer after its live fix).
  for (const u of units) {
    const topic = `fleet/${u}/position`
    await pub.publishAsync(topic, JSON.stringify({ ts: start + 60_000, lat: 36.49, lon: 117.86 }), { qos: 1 })
    await pub.publishAsync(topic, JSON.stringify({ ts: start + 120_000, lat: 36.5065, lon: 117.86 }), { qos: 1 })
    await pub.publishAsync(topic, JSON.stringify({ ts: start + 125_000, lat: 36.5065, lon: 117.86 }), { qos: 1 })
  }
  // The background publisher is a child process (slow to start on a busy machine): the breaches
  // start once the engine takes the background at ≥ 80 % of its rate, or after 30 s whatever it is.
  for (let i = 0; i < 30; i++) {
    const a = await fixesAccepted(engine)
    await sleep(1000)
    if ((await fixesAccepted(engine)) - a >= 0.8 * background) break
  }
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  const sent = new Map<string, number>()
  const acceptedBefore = await fixesAccepted(engine)
  const t0 = performance.now()
  // Confirming fixes on a fixed schedule, not awaiting PUBACKs: a slow breach does not delay the next.
  for (const [i, u] of units.entries()) {
    const wait = t0 + i * SPACING_MS - performance.now()
    if (wait > 0) await sleep(wait)
    sent.set(u, performance.now())
    pub.publish(`fleet/${u}/position`, JSON.stringify({ ts: start + 130_000, lat: 36.5065, lon: 117.86 }), { qos: 1 })
  }
  const sendEnd = performance.now()
  const acceptedAfter = await fixesAccepted(engine)
  const achieved = (acceptedAfter - acceptedBefore - BREACHES) / ((sendEnd - t0) / 1000)
  const deadline = sendEnd + MISSING_MS
  while (arrivals.size < BREACHES && performance.now() < deadline) await sleep(50)
  loop.disable()
  bg.stop()
  await pub.endAsync()
  const outcomes = await ruleOutcomes(engine, await fixesAccepted(engine), { counts: backgroundAlerts, label: 'of the background (breaching units left out)' })
  await engine.stop()
  server.close()
  rmSync(config.data_dir, { recursive: true, force: true })

  const total: number[] = []
  const stage = { ingest: [] as number[], queue: [] as number[], send: [] as number[] }
  let missing = 0
  for (const [u, t] of sent) {
    const a = arrivals.get(u)
    if (a === undefined || a - t > MISSING_MS) {
      missing++
      continue
    }
    total.push(Math.max(0, a - t))
    const o = opened.get(u)
    const q = queued.get(u)
    if (o !== undefined && q !== undefined) {
      stage.ingest.push(o - t)
      stage.queue.push(q - o)
      stage.send.push(a - q)
    }
  }
  return { target: background, achieved, n: total.length, total, missing, ...stage, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, deltaUnits, outcomes }
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' / ')
console.log(`machine: ${cpus().length} cores, load average ${load()} (1 / 5 / 15 min) at start`)
console.log(describeTrack(TRACK))
const { rate: cap, outcomes: capOutcomes } = await capacity()
console.log(`capacity measured: ${Math.round(cap)} fixes/s (${CAPACITY_FIXES} QoS 1 fixes from ${BG_UNITS} units, embedded broker → journal → ClickHouse, rules on)`)
const rows: Array<Array<string | number>> = []
const stages: Array<Array<string | number>> = []
const outcomes: Array<[string, string]> = [['capacity run', capOutcomes]]
const ms = (xs: number[], q: number) => (xs.length === 0 ? Number.NaN : quantile(xs, q))
for (const share of [0.25, 0.5, 0.75]) {
  const r = await level(Math.round(cap * share))
  const name = `${share * 100} %`
  rows.push([name, r.target, Math.round(r.achieved), r.n, ms(r.total, 0.5), ms(r.total, 0.9), ms(r.total, 0.99), r.total.length === 0 ? Number.NaN : Math.max(...r.total), r.total.filter((x) => x > 150).length, r.total.filter((x) => x > 1000).length, r.missing, r.loopP99, r.loopMax])
  for (const [label, xs] of [['published → opened', r.ingest], ['opened → queued', r.queue], ['queued → received', r.send]] as const) {
    stages.push([name, label, ms(xs, 0.5), ms(xs, 0.99), xs.length === 0 ? Number.NaN : Math.max(...xs)])
  }
  outcomes.push([`${name} level`, r.outcomes])
  stages.push([name, 'units per rule-state delta', ms(r.deltaUnits, 0.5), ms(r.deltaUnits, 0.99), Math.max(...r.deltaUnits)])
  console.log(`| ${rows.at(-1)!.join(' | ')} |  (load average ${load()})`)
}
console.log(table(`Breach → signed webhook latency (ms), ${BREACHES} breaches per level (one every ${SPACING_MS} ms), default rule and delivery settings except rules.radius.dwell = 10s; background from a separate process at a share of the capacity measured above (${Math.round(cap)} fixes/s)`,
  ['load', 'target fixes/s', 'achieved fixes/s', 'n', 'p50', 'p90', 'p99', 'max', '> 150 ms', '> 1 s', `missing after ${MISSING_MS / 1000} s`, 'loop delay p99', 'loop delay max'], rows))
console.log(table('Where the time went (ms): published → opened (MQTT, decode, journal append, rules); opened → queued (alert journal record, rule-state save); queued → received (outbox write, signing, HTTP)', ['load', 'stage', 'p50', 'p99', 'max'], stages))
console.log(`\n${describeTrack(TRACK)}`)
for (const [run, o] of outcomes) console.log(`rule outcomes (${run}): ${o}`)
process.exit(0)
