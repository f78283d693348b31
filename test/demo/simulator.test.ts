// The simulator's failure paths, against a bare aedes broker and an API that refuses: a failed
// incident is logged (a few lines at most), never thrown; without a token the incident is skipped.
import t, { type Test } from 'tap'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { Aedes } from 'aedes'
import { validateConfig } from '../../src/config/load.js'
import { DemoScript } from '../../src/demo/script.js'
import { DemoSimulator } from '../../src/demo/simulator.js'
import { captureLogger, waitFor } from '../helpers/harness.js'

const config = validateConfig({
  units: [{ id: 'P-1', post: 'p' }, { id: 'P-2', post: 'p' }, { id: 'P-3', post: 'q' }, { id: 'P-4', post: 'q' }],
  posts: [{ id: 'p', lat: 36.47, lon: 117.81, radius_m: 1500 }, { id: 'q', lat: 36.48, lon: 117.85, radius_m: 1500 }],
}, undefined, {})

async function peers(t: Test) {
  const aedes = await Aedes.createBroker()
  const received: string[] = []
  aedes.on('publish', (p) => { if (!p.topic.startsWith('$SYS')) received.push(p.topic) })
  const broker = createServer(aedes.handle)
  await new Promise<void>((r) => broker.listen(0, '127.0.0.1', r))
  const calls: string[] = []
  const api = createHttpServer((req, res) => { calls.push(req.url ?? ''); res.statusCode = 503; res.end('not now') })
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r))
  t.teardown(async () => {
    await new Promise((r) => api.close(r))
    await new Promise((r) => broker.close(r))
    await new Promise<void>((r) => aedes.close(() => r()))
  })
  return { mqttUrl: `mqtt://127.0.0.1:${(broker.address() as AddressInfo).port}`, httpUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, received, calls }
}

t.test('a refused incident is logged, the fixes keep flowing', async (t) => {
  const p = await peers(t)
  const { logger, logs } = captureLogger()
  const sim = new DemoSimulator({ script: new DemoScript(config, { breachLeaveS: 100, breachBackS: 200, sosS: 100, incidentS: 0 }), mqttUrl: p.mqttUrl, httpUrl: p.httpUrl, token: 'tok', passwords: new Map(), logger, tickMs: 200 })
  await sim.start()
  t.teardown(() => sim.stop())
  await waitFor(() => sim.published >= 4)
  await waitFor(() => logs.some((l) => l.msg === 'Demo mode: the simulated incident failed.'))
  t.same(p.calls, ['/api/v1/incidents'], 'the plan is not activated for an incident that was not taken')
  t.ok(p.received.includes('fleet/P-1/position'))
})

t.test('without a token the incident is skipped', async (t) => {
  const p = await peers(t)
  const { logger } = captureLogger()
  const sim = new DemoSimulator({ script: new DemoScript(config, { breachLeaveS: 100, breachBackS: 200, sosS: 100, incidentS: 0 }), mqttUrl: p.mqttUrl, httpUrl: p.httpUrl, token: null, passwords: new Map(), logger, now: () => Date.now() })
  await sim.start()
  await sim.tick()
  await sim.stop()
  t.same(p.calls, [])
  t.ok(sim.published >= 1)
})
