// The engine's per-fix CPU cost without any network: native MQTT payloads handed straight to the
// ingestor (decode → validate → H3 → rules → journal) and OwnTracks bodies through HTTP ingest's
// decoder and the same ingestor, in the real engine (sample deployment, default config, embedded
// ClickHouse shipping in the background). Prints µs of main-thread CPU per fix, median of runs.
// On a shared, noisy machine this is the figure to compare before and after a change: it does not
// depend on how the broker, the load generator and other processes share the cores.
//   npx tsx bench/pipeline.ts [fixes=50000] [runs=5] [--profile=file.cpuprofile] [--track=plausible|jumps]
// --track: the fixes (bench/lib/tracks.ts). plausible (default): 300 units registered in the
// config (the sample's, cloned), each on a loop inside its post radius and zone, 5–10 s apart in
// fix time, the last no later than the start, so the rules take a real fleet's path; jumps: the
// stream of the figures before (unknown units U-0…, fixes 10 ms and ~3 km apart, nearly all
// flagged impossible_speed; its OwnTracks fixes, whole seconds, are mostly duplicates).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { loadConfig, validateConfig } from '../src/config/load.js'
import { Engine } from '../src/engine.js'
import { createHttpDecoders } from '../src/decode/http-decoders.js'
import { decoderOptionsFromConfig } from '../src/decode/decoder.js'
import { mainThreadUs, median, sleep, table } from './lib/measure.js'
import { CpuProfiler } from './lib/profile.js'
import { ruleOutcomes } from './lib/rule-outcomes.js'
import { runtimeLine } from './lib/runtime.js'
import { benchUnits, describeTrack, jumpsStream, plausibleStream, trackFromArgs, type Sample } from './lib/tracks.js'

console.log(runtimeLine())

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const FIXES = Number(positional[0] ?? 50_000)
const RUNS = Number(positional[1] ?? 5)
const PROFILE = process.argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length)
/** Messages per event-loop turn (about what one socket read brings at load). */
const PER_TURN = 32
const UNITS = 300
const TRACK = trackFromArgs(process.argv.slice(2))

const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
const config = validateConfig(JSON.parse(JSON.stringify({
  data_dir: mkdtempSync(join(tmpdir(), 'hexp-pipeline-')), log_level: 'warn',
  http: { port: 0, host: '127.0.0.1' }, broker: { port: 0 },
  units: TRACK === 'plausible' ? benchUnits(sample.units, UNITS) : sample.units, posts: sample.posts, zones: sample.zones,
})) as Record<string, unknown>)
const engine = new Engine({ config, logger: pino({ level: 'warn' }), http: false })
await engine.start()
const h = engine.testHandle()
const owntracks = createHttpDecoders(decoderOptionsFromConfig(config)).owntracks

let seq = 0
const deployment = { units: sample.units, posts: sample.posts, zones: sample.zones } as unknown as Sample
/** One stream for every run (MQTT and HTTP alike): each goes on with the same units' tracks. */
const fleet = TRACK === 'jumps'
  ? jumpsStream(UNITS, Date.now() - 3_600_000)
  : plausibleStream({ ...deployment, units: benchUnits(deployment.units, UNITS), fixes: FIXES * RUNS * 2, endTs: Date.now() })

async function run(kind: 'mqtt' | 'http'): Promise<number> {
  // Payloads built before the clock starts: their cost is the device's, not ours.
  const items = Array.from({ length: FIXES }, () => {
    const j = seq++
    const f = fleet.next()
    return kind === 'mqtt'
      ? { topic: `fleet/${f.unit}/position`, payload: Buffer.from(`{"ts":${f.ts},"lat":${f.lat},"lon":${f.lon},"speed":${f.speed},"heading":${f.heading},"accuracy":${f.accuracy},"seq":${j}}`) }
      : { topic: f.unit, payload: Buffer.from(JSON.stringify(TRACK === 'jumps'
        ? { _type: 'location', tst: Math.floor(f.ts / 1000), lat: f.lat, lon: f.lon, acc: 8, vel: 12 }
        : { _type: 'location', tst: Math.floor(f.ts / 1000), lat: f.lat, lon: f.lon, acc: Math.round(f.accuracy), vel: Math.round(f.speed * 3.6), cog: f.heading })) }
  })
  const journal = h.journal
  const t0 = mainThreadUs()
  for (let i = 0; i < items.length; i += PER_TURN) {
    journal.defer(() => {
      for (let k = i; k < Math.min(i + PER_TURN, items.length); k++) {
        const it = items[k]!
        const done = kind === 'mqtt' ? h.ingestor.handle(it.topic, it.payload) : h.ingestor.ingest(owntracks(it.topic, it.payload, Date.now()), Date.now(), 'http')
        if (done !== undefined) throw new Error('the journal applied backpressure: run fewer fixes')
      }
    })
    journal.flush()
    if ((i / PER_TURN) % 16 === 0) await new Promise((r) => setImmediate(r))
  }
  return (mainThreadUs() - t0) / FIXES
}

const profiler = PROFILE === undefined ? null : new CpuProfiler()
await profiler?.start(200)
const mqttRuns: number[] = []
const httpRuns: number[] = []
for (let r = 0; r < RUNS; r++) {
  mqttRuns.push(await run('mqtt'))
  httpRuns.push(await run('http'))
  await sleep(200)
}
if (profiler !== null) {
  await profiler.stop(PROFILE)
  console.log(`profile written to ${PROFILE}`)
}
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ')
console.log(table(`Pipeline CPU per fix (main thread, no network), ${FIXES.toLocaleString('en-US')} fixes × ${RUNS} runs, sample rules on`, ['input', 'µs/fix (median)', 'runs'], [
  ['native JSON via MQTT handler (decode → journal → rules)', median(mqttRuns).toFixed(1), fmt(mqttRuns)],
  ['OwnTracks body via HTTP decoder → ingestor', median(httpRuns).toFixed(1), fmt(httpRuns)],
]))
console.log(describeTrack(TRACK))
console.log(`rule outcomes (all runs, MQTT and HTTP): ${await ruleOutcomes(engine, FIXES * RUNS * 2)}`)
await engine.stop()
process.exit(0)
