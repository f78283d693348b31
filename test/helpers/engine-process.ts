// Runs the real engine (src/main.ts) as a child process, so a test can kill -9 it and start it
// again on the same data directory, as a crash and a restart would.
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { freePort } from './mosquitto.js'
import { childEnv } from './child-env.js'

/** How long start() waits for /readyz before it gives up (a hang, not a slow machine). */
export const START_LIMIT_MS = 120_000

export interface EngineProcess {
  httpUrl: string
  readonly child: ChildProcess | null
  /** `env`: extra environment for this start only (e.g. a clock offset computed at spawn). */
  start(env?: Record<string, string>): Promise<void>
  kill9(): Promise<void>
  stop(): Promise<number | null>
  /** Reads a counter or gauge from /metrics (sum over labels), NaN when unreachable. */
  metric(name: string): Promise<number>
  readyz(): Promise<{ status: number; body: Record<string, unknown> } | null>
}

/** `env`: extra environment of the child (token and secret variables, a test clock offset). */
export async function engineProcess(dataDir: string, config: Record<string, unknown>, env: Record<string, string> = {}): Promise<EngineProcess> {
  const port = await freePort()
  const path = join(dataDir, 'hexpatrol.yaml')
  // Every child listens on ports chosen now (HTTP, and the embedded broker unless the test names
  // one): tests run in parallel, and two children on the default 1883 would fail to start.
  const broker = { port: await freePort(), ...(config.broker as object | undefined) }
  writeFileSync(path, stringify({ data_dir: dataDir, log_level: 'warn', ...config, broker, http: { host: '127.0.0.1', port, ...(config.http as object | undefined) } }))
  const httpUrl = `http://127.0.0.1:${port}`
  let child: ChildProcess | null = null
  const exited = () => child === null || child.exitCode !== null || child.signalCode !== null
  const api = {
    httpUrl,
    get child() {
      return child
    },
    async start(extra: Record<string, string> = {}) {
      child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: childEnv({ ...env, ...extra, HEXPATROL_CONFIG: path }), stdio: ['ignore', 'pipe', 'pipe'] })
      // The child's stderr goes on to ours; the tail of its log (stdout) and stderr is kept for the
      // error if it dies starting.
      let tail = ''
      const keep = (d: Buffer) => {
        tail = (tail + d.toString()).slice(-4000)
      }
      child.stdout?.on('data', keep)
      child.stderr?.on('data', (d: Buffer) => {
        process.stderr.write(d)
        keep(d)
      })
      // Generous: on a loaded machine (8 test runs on 2 cores) a cold start has taken over 20 s; this
      // only bounds how long a broken start-up hangs the test, it asserts nothing about speed.
      const deadline = Date.now() + START_LIMIT_MS
      for (;;) {
        const r = await api.readyz()
        if (r !== null && r.status === 200) return
        if (exited()) throw new Error(`engine exited during start-up (code ${child.exitCode}, signal ${child.signalCode}); its log ended with:\n${tail}`)
        if (Date.now() > deadline) throw new Error(`engine did not become ready within ${START_LIMIT_MS / 1000} s; its log ended with:\n${tail}`)
        await new Promise((res) => setTimeout(res, 100))
      }
    },
    async kill9() {
      const c = child
      if (c === null || exited()) return
      await new Promise<void>((res) => {
        c.once('exit', () => res())
        c.kill('SIGKILL')
      })
    },
    async stop() {
      const c = child
      if (c === null || exited()) return c?.exitCode ?? null
      return new Promise<number | null>((res) => {
        c.once('exit', (code) => res(code))
        c.kill('SIGTERM')
      })
    },
    async metric(name: string) {
      try {
        const body = await (await fetch(`${httpUrl}/metrics`)).text()
        let sum = 0
        for (const line of body.split('\n')) if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
        return sum
      } catch {
        return Number.NaN
      }
    },
    async readyz() {
      try {
        const r = await fetch(`${httpUrl}/readyz`)
        return { status: r.status, body: (await r.json()) as Record<string, unknown> }
      } catch {
        return null
      }
    },
  }
  return api
}
