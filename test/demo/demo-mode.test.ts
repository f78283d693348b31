// Demo mode end to end, in-process: the sample configuration with the overlay, the engine, and the
// simulator publishing through the embedded broker with its per-unit logins, on a compressed
// timeline (SOS at 2 s, incident at 3 s); then `hexpatrol --demo` from the CLI: refused in
// production, and a run stopped by SIGTERM.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import mqtt from 'mqtt'
import { loadAndCompile } from '../../src/boot.js'
import { Engine } from '../../src/engine.js'
import { main, EXIT, type MainIo } from '../../src/cli.js'
import { prepareDemo } from '../../src/demo/demo-mode.js'
import { captureLogger, tempDir, waitFor } from '../helpers/harness.js'

const LOOPBACK = { HEXPATROL_HTTP_PORT: '0', HEXPATROL_MQTT_PORT: '0' }

function sampleCopy(): { path: string; dir: string } {
  const dir = tempDir('hexp-demo-')
  const path = join(dir, 'hexpatrol.yaml')
  const text = readFileSync('config/hexpatrol.yaml', 'utf8').replace('osmand_port: 5055', 'osmand_port: 0')
  writeFileSync(path, `${text}\ndata_dir: ${join(dir, 'data')}\n`)
  return { path, dir }
}

t.test('the sample district, simulated through the real ingest path', { timeout: 120_000 }, async (t) => {
  const { path, dir } = sampleCopy()
  const demo = prepareDemo({}, { breachLeaveS: 600, breachBackS: 700, sosS: 2, incidentS: 3 }, 250)
  const { config, stages } = loadAndCompile({ path, env: LOOPBACK, transform: demo.overlay })
  demo.check(config)
  t.equal(config.data_dir, join(dir, 'data', 'demo'))
  const { logger, logs } = captureLogger()
  const engine = new Engine({ config, stages, logger })
  await engine.start()
  t.teardown(async () => {
    await demo.stop()
    await engine.stop()
  })
  await demo.run(engine, logger)
  const token = readFileSync(join(dir, 'data', 'demo', 'admin-token'), 'utf8').trim()
  const api = async (p: string) => (await fetch(`${engine.httpAddress()}${p}`, { headers: { authorization: `Bearer ${token}` } })).json()
  t.ok(logs.some((l) => /SIMULATED/.test(String(l.msg)) && l.component === 'demo'), 'the log says the fleet is simulated')

  const units = await waitFor(async () => {
    const u = (await api('/api/v1/units')).units as Array<{ id: string; name: string; lastFix: { lat: number } | null }>
    return u.filter((x) => x.lastFix !== null).length === 38 ? u : undefined
  })
  t.ok(units.every((u) => u.name.endsWith('(simulated)')), 'every unit on the map is marked simulated')
  const sos = await waitFor(async () => ((await api('/api/v1/alerts?kind=unit_sos')).alerts as Array<{ unitId?: string; subject?: string }> | undefined)?.[0])
  t.match(JSON.stringify(sos), /O-124/, 'the SOS was raised')
  const plan = await waitFor(async () => { const p = await api('/api/v1/plans/demo-ring'); return p.active !== null && p.active !== undefined ? p : undefined })
  t.ok(plan, 'the incident\'s plan is active')
  t.ok(logs.some((l) => /incident reported and its plan activated/.test(String(l.msg))))
  const anon = await mqtt.connectAsync(engine.brokerUrl()!, { reconnectPeriod: 0 }).then(() => 'connected', () => 'refused')
  t.equal(anon, 'refused', 'no anonymous device reports into the demo')
})

function io(argv: string[], env: NodeJS.ProcessEnv) {
  const err: string[] = []
  const logs: string[] = []
  const signals = new Map<string, () => void>()
  let resolveExit!: (c: number) => void
  const exited = new Promise<number>((resolve) => { resolveExit = resolve })
  const value: MainIo = {
    argv,
    env,
    stdout: { write: () => true },
    stderr: { write: (s: string) => err.push(s) },
    exit: (c) => resolveExit(c),
    onSignal: (s, h) => signals.set(s, h),
    logDestination: new Writable({ write(chunk: Buffer, _e, cb) { logs.push(chunk.toString()); cb() } }),
  }
  return { io: value, err, logs, signals, exited }
}

t.test('hexpatrol --demo: refused in production, runs and stops from the CLI', { timeout: 120_000 }, async (t) => {
  const { path } = sampleCopy()
  const refused = io(['--demo', '--config', path], { ...LOOPBACK, NODE_ENV: 'production' })
  t.equal(await main(refused.io), null)
  t.equal(await refused.exited, EXIT.config)
  t.match(refused.err.join(''), /HEXP_ERR_CONFIG: --demo: NODE_ENV is production/)
  const run = io(['--demo', '--config', path], LOOPBACK)
  const engine = await main(run.io)
  t.ok(engine)
  await waitFor(() => run.logs.some((l) => l.includes('SIMULATED')))
  run.signals.get('SIGTERM')!()
  t.equal(await run.exited, EXIT.ok)
})
