// Runs the real engine as a child process the way an operator does (`node --import tsx
// src/main.ts --config <file>`), so a test can kill -9 it, freeze it (SIGSTOP) and start it again
// on the same data directory, as a crash, a stall and a restart would. Its pino JSON lines are
// captured for assertions. engineProcess() is the bare process; startEngineProcess() adds what
// multi-engine tests need: a temp data dir, an API token, a webhook to a receiver, the cluster
// environment (HEXPATROL_CLUSTER_URL, HEXPATROL_NODE_ID) and a kill -9 in t.teardown.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { stringify } from 'yaml'
import { freePort } from './mosquitto.js'
import { childEnv } from './child-env.js'
import { tempDir } from './harness.js'

/** How long start() waits for /readyz before it gives up (a hang, not a slow machine). */
export const START_LIMIT_MS = 120_000
/** Parsed log lines kept per engine (oldest dropped beyond): bounds a long test's memory. */
const MAX_LOG_LINES = 50_000
const REPO = fileURLToPath(new URL('../..', import.meta.url))
const ENTRY = join(REPO, 'src', 'main.ts')

export type LogLine = Record<string, unknown>

export interface EngineProcess {
  httpUrl: string
  /** Where devices publish: the embedded broker on its chosen port, or the config's mqtt.url. */
  mqttUrl: string
  dataDir: string
  configPath: string
  readonly child: ChildProcess | null
  /** True between pause() and resume(). */
  readonly paused: boolean
  /** The child's pino lines (stdout, parsed; a line that is not JSON comes as { msg }), every run. */
  readonly logs: readonly LogLine[]
  /** The lines of the current (or last) run only. */
  readonly runLogs: readonly LogLine[]
  /** The tail of the child's stderr (every run, last 16 KiB). */
  readonly stderr: string
  /** `env`: extra environment for this start only (e.g. a clock offset computed at spawn). */
  start(env?: Record<string, string>): Promise<void>
  /** SIGKILL (also when paused), waits for exit. Idempotent. */
  kill9(): Promise<void>
  /** SIGTERM (SIGCONT first when paused), waits for exit; the exit code. */
  stop(): Promise<number | null>
  /** SIGSTOP: the process is frozen (connections stay open, nothing answers). */
  pause(): void
  /** SIGCONT. */
  resume(): void
  /** Reads a counter or gauge from /metrics (sum over labels), NaN when unreachable. */
  metric(name: string): Promise<number>
  readyz(): Promise<{ status: number; body: Record<string, unknown> } | null>
  /** The first line of the current run matching `match` (already logged, or waited for). */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>
}

/** `env`: extra environment of the child (token and secret variables, a test clock offset). */
export async function engineProcess(dataDir: string, config: Record<string, unknown>, env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<EngineProcess> {
  const port = await freePort()
  const path = join(dataDir, 'hexpatrol.yaml')
  // Every child listens on ports chosen now (HTTP, and the embedded broker unless the test names
  // one): tests run in parallel, and two children on the default 1883 would fail to start.
  const broker = { port: await freePort(), ...(config.broker as object | undefined) }
  writeFileSync(path, stringify({ data_dir: dataDir, log_level: 'warn', ...config, broker, http: { host: '127.0.0.1', port, ...(config.http as object | undefined) } }))
  const httpUrl = `http://127.0.0.1:${port}`
  const externalMqtt = (config.mqtt as { url?: string } | undefined)?.url
  let child: ChildProcess | null = null
  let paused = false
  let logs: LogLine[] = []
  let runStart = 0
  let stderr = ''
  const exited = () => child === null || child.exitCode !== null || child.signalCode !== null
  const api: EngineProcess = {
    httpUrl,
    mqttUrl: externalMqtt ?? `mqtt://127.0.0.1:${broker.port}`,
    dataDir,
    configPath: path,
    get child() {
      return child
    },
    get paused() {
      return paused
    },
    get logs() {
      return logs
    },
    get runLogs() {
      return logs.slice(runStart)
    },
    get stderr() {
      return stderr
    },
    async start(extra: Record<string, string> = {}) {
      paused = false
      runStart = logs.length
      const c = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ENTRY, '--config', path], { cwd: REPO, env: childEnv({ ...env, ...extra }), stdio: ['ignore', 'pipe', 'pipe'] })
      child = c
      // The child's stderr goes on to ours; the tail of its log (stdout) and stderr is kept for the
      // error if it dies starting.
      let tail = ''
      let partial = ''
      c.stdout!.on('data', (d: Buffer) => {
        const text = partial + d.toString()
        tail = (tail + d.toString()).slice(-4000)
        const lines = text.split('\n')
        partial = lines.pop() ?? ''
        for (const line of lines) {
          if (line === '') continue
          try {
            logs.push(JSON.parse(line) as LogLine)
          } catch {
            logs.push({ msg: line })
          }
        }
        if (logs.length > MAX_LOG_LINES) {
          const drop = logs.length - MAX_LOG_LINES
          logs = logs.slice(drop)
          runStart = Math.max(0, runStart - drop)
        }
      })
      c.stderr!.on('data', (d: Buffer) => {
        process.stderr.write(d)
        tail = (tail + d.toString()).slice(-4000)
        stderr = (stderr + d.toString()).slice(-16_384)
      })
      // Generous: on a loaded machine (8 test runs on 2 cores) a cold start has taken over 20 s; this
      // only bounds how long a broken start-up hangs the test, it asserts nothing about speed.
      const deadline = Date.now() + START_LIMIT_MS
      for (;;) {
        const r = await api.readyz()
        if (r !== null && r.status === 200) return
        if (exited()) throw new Error(`engine exited during start-up (code ${c.exitCode}, signal ${c.signalCode}); its log ended with:\n${tail}`)
        if (Date.now() > deadline) throw new Error(`engine did not become ready within ${START_LIMIT_MS / 1000} s; its log ended with:\n${tail}`)
        await new Promise((res) => setTimeout(res, 100))
      }
    },
    async kill9() {
      const c = child
      paused = false
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
        // A stopped process keeps SIGTERM pending until it runs again.
        if (paused) c.kill('SIGCONT')
        paused = false
      })
    },
    pause() {
      if (child === null || exited()) throw new Error('pause(): the engine is not running')
      child.kill('SIGSTOP')
      paused = true
    },
    resume() {
      if (child === null || exited()) throw new Error('resume(): the engine is not running')
      child.kill('SIGCONT')
      paused = false
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
        const r = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(5000) })
        return { status: r.status, body: (await r.json()) as Record<string, unknown> }
      } catch {
        return null
      }
    },
    async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const hit = logs.slice(runStart).find(match)
        if (hit !== undefined) return hit
        if (Date.now() > deadline) throw new Error(`no log line matched within ${timeoutMs} ms; the run logged ${logs.length - runStart} lines, the last: ${JSON.stringify(logs.slice(-5))}`)
        await new Promise((res) => setTimeout(res, 50))
      }
    },
  }
  return api
}

export interface EngineOptions {
  /** Config merged over the helper's (data_dir, http and broker ports, the token, the webhook). */
  config?: Record<string, unknown>
  /** Reuse a data directory (a restart after kill -9); default a new temp dir. */
  dataDir?: string
  /** Extra environment of the child. */
  env?: Record<string, string>
  /** HEXPATROL_CLUSTER_URL (e.g. a NatsCluster's `urls`). */
  clusterUrl?: string
  /** HEXPATROL_NODE_ID. */
  nodeId?: string
  /** A webhook receiving every event (e.g. test/helpers/receiver.ts), loopback allowed. */
  webhook?: { url: string; secret: string; events?: string[] }
  /** Overrides config.log_level; default 'info' (so "hexpatrol started." and the rest can be asserted on). */
  logLevel?: string
  /** Start now (default true); false: call start() yourself. */
  start?: boolean
}

export interface TestEngine extends EngineProcess {
  /** An admin-scope API token (api.tokens, name `test`). */
  readonly token: string
  /** `fetch(httpUrl + path)` with the token; the JSON body (or the text when not JSON). */
  api<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>
}

export const TEST_TOKEN_ENV = 'HEXPATROL_TEST_API_TOKEN'

/** An engine child for test `t`: killed (-9) in t.teardown whatever happens. */
export async function startEngineProcess(t: Test, opts: EngineOptions = {}): Promise<TestEngine> {
  const dataDir = opts.dataDir ?? tempDir('hexp-engine-')
  const token = randomBytes(24).toString('hex')
  const config = opts.config ?? {}
  const api = config.api as { tokens?: unknown[] } | undefined
  const delivery = config.delivery as { allow_private_networks?: string[] } | undefined
  const merged: Record<string, unknown> = {
    ...config,
    log_level: opts.logLevel ?? config.log_level ?? 'info',
    api: { ...api, tokens: [...(api?.tokens ?? []), { name: 'test', scope: 'admin', token_env: TEST_TOKEN_ENV }] },
  }
  if (opts.webhook !== undefined) {
    merged.webhooks = [...((config.webhooks as unknown[] | undefined) ?? []), { id: 'test-receiver', url: opts.webhook.url, secret: opts.webhook.secret, events: opts.webhook.events ?? ['*'] }]
    merged.delivery = { ...delivery, allow_private_networks: [...(delivery?.allow_private_networks ?? []), '127.0.0.0/8'] }
  }
  const env: Record<string, string> = { ...opts.env, [TEST_TOKEN_ENV]: token }
  if (opts.clusterUrl !== undefined) env.HEXPATROL_CLUSTER_URL = opts.clusterUrl
  if (opts.nodeId !== undefined) env.HEXPATROL_NODE_ID = opts.nodeId
  const proc = await engineProcess(dataDir, merged, env)
  t.teardown(() => proc.kill9())
  const engine: TestEngine = Object.assign(proc, {
    token,
    async api<T>(path: string, init: RequestInit = {}) {
      const headers = new Headers(init.headers)
      headers.set('authorization', `Bearer ${token}`)
      const r = await fetch(`${proc.httpUrl}${path}`, { ...init, headers })
      const text = await r.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch { /* not JSON: the text */ }
      return { status: r.status, body: body as T }
    },
  })
  if (opts.start !== false) await proc.start()
  return engine
}
