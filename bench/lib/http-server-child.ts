// The server side of bench/http-ingest.ts, in its own process so that neither it nor the load
// generator (autocannon, in the parent) shares an event loop with the other: `engine` starts the
// real engine (sample deployment, `devices` units with device logins, limiters raised out of the
// way), `bare` a node:http server answering the same bytes without reading them (the ceiling).
// Talks to the parent over IPC: sends { url, units, sample } once listening (sample: the devices'
// units, the posts and the zones, for the parent's tracks, bench/lib/tracks.ts); answers 'stats' with
// { accepted, alerts, cpuUs, mainUs } (fixes the engine took over HTTP, alert transitions raised,
// CPU time of the whole process and of its main thread so far);
// 'outcomes' with { outcomes } (bench/lib/rule-outcomes.ts: fixes flagged, rejects, alert transitions);
// 'profile-start' / 'profile-stop <file>' record a CPU profile of the main thread over the rows
// measured (not the start-up), written to <file>, answered with { profiled }; exits on 'stop'.
// Usage: http-server-child.ts engine|bare [devices=100]
import { createServer } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { loadConfig, validateConfig } from '../../src/config/load.js'
import { Engine } from '../../src/engine.js'
import { mainThreadUs } from './measure.js'
import { benchUnits, type Sample } from './tracks.js'
import { ruleOutcomes } from './rule-outcomes.js'

const [kind = 'engine', devicesArg = '100'] = process.argv.slice(2)
const send = (m: unknown): void => {
  process.send!(m)
}
const cpuUs = (): number => {
  const c = process.cpuUsage()
  return c.user + c.system
}

/** The inspector's CPU profiler on this thread, driven by the parent (bench/http-ingest.ts --profile). */
const inspector = new Session()
async function profiling(m: unknown): Promise<void> {
  if (m === 'profile-start') {
    inspector.connect()
    await inspector.post('Profiler.enable')
    // 0.2 ms between samples: enough samples in a few seconds, little overhead.
    await inspector.post('Profiler.setSamplingInterval', { interval: 200 })
    await inspector.post('Profiler.start')
    send({ profiling: true })
  } else if (typeof m === 'string' && m.startsWith('profile-stop ')) {
    const { profile } = await inspector.post('Profiler.stop')
    inspector.disconnect()
    const file = m.slice('profile-stop '.length)
    writeFileSync(file, JSON.stringify(profile))
    send({ profiled: file })
  }
}
process.on('message', (m) => void profiling(m))

if (kind === 'bare') {
  // OsmAnd is answered with an empty body, OwnTracks with `[]`, as the engine does.
  const bare = createServer((req, res) => {
    const answer = req.method === 'POST' ? '[]' : ''
    req.resume()
    req.on('end', () => res.end(answer))
  })
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()))
  send({ url: `http://127.0.0.1:${(bare.address() as { port: number }).port}` })
  process.on('message', (m) => {
    if (m === 'stats') send({ accepted: 0, alerts: 0, cpuUs: cpuUs(), mainUs: mainThreadUs() })
    if (m === 'stop') bare.close(() => process.exit(0))
  })
} else {
  const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
  // The sample deployment's units, cloned (same kind, post and zone, new id) up to `devices`.
  const units = benchUnits(JSON.parse(JSON.stringify(sample.units)) as Sample['units'], Number(devicesArg))
  const config = validateConfig({
    data_dir: mkdtempSync(join(tmpdir(), 'hexp-http-bench-')), log_level: 'warn',
    // autocannon is one client IP: the per-IP limit (1,200 a minute by default) would be the figure.
    http: { port: 0, host: '127.0.0.1', rate_limit: { per_ip: 1_000_000_000 } },
    broker: { port: 0, allow_anonymous: false, users: units.map((u) => ({ username: u.id, password: `${u.id}-password` })) },
    units, posts: JSON.parse(JSON.stringify(sample.posts)), zones: JSON.parse(JSON.stringify(sample.zones)),
    // The bench measures the path, not the per-device limit nor the cap on all devices together.
    http_ingest: { rate_limit_per_minute: 10_000_000, rate_limit_burst: 1_000_000, rate_limit_global_per_second: 1_000_000 },
  })
  const engine = new Engine({ config, logger: pino({ level: 'warn' }) })
  await engine.start()
  const deployment: Sample = { units, posts: JSON.parse(JSON.stringify(sample.posts)) as Sample['posts'], zones: JSON.parse(JSON.stringify(sample.zones)) as Sample['zones'] }
  send({ url: engine.httpAddress()!, units: units.map((u) => u.id), sample: deployment })
  process.on('message', (m) => {
    if (m === 'stats') {
      void Promise.all([engine.metrics.fixesAccepted.get(), engine.metrics.alertTransitions.get()]).then(([v, a]) => send({
        accepted: v.values.filter((x) => x.labels.transport === 'http').reduce((s, x) => s + x.value, 0),
        alerts: a.values.reduce((s, x) => s + x.value, 0),
        cpuUs: cpuUs(), mainUs: mainThreadUs(),
      }))
    }
    if (m === 'outcomes') {
      void engine.metrics.fixesAccepted.get().then(async (v) => send({ outcomes: await ruleOutcomes(engine, Math.max(1, v.values.reduce((s, x) => s + x.value, 0))) }))
    }
    if (m === 'stop') void engine.stop().then(() => process.exit(0))
  })
}
