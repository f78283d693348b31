// Starts a real engine in-process for integration tests: its own temp data directory (and so its
// own embedded ClickHouse), loopback ports chosen at run time, logs captured as JSON lines.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { webhookSecretSource } from '../../src/config/resolve.js'
import { Engine } from '../../src/engine.js'

export interface Harness {
  engine: Engine
  dataDir: string
  logs: Array<Record<string, unknown>>
  mqttUrl: string
  httpUrl: string
}

export function tempDir(prefix = 'hexp-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function captureLogger(level = 'info') {
  const logs: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      cb()
    },
  })
  return { logger: pino({ level }, stream), logs }
}

export async function startEngine(raw: Record<string, unknown> = {}, opts: { dataDir?: string; rules?: boolean; env?: NodeJS.ProcessEnv; now?: () => number; wrapClickHouse?: (c: import('@clickhouse/client').ClickHouseClient) => import('@clickhouse/client').ClickHouseClient } = {}): Promise<Harness> {
  const dataDir = opts.dataDir ?? tempDir()
  const base: Record<string, unknown> = { data_dir: dataDir, log_level: 'info', ...raw }
  base.http = { host: '127.0.0.1', port: 0, ...(raw.http as object | undefined) }
  base.broker = { host: '127.0.0.1', port: 0, ...(raw.broker as object | undefined) }
  const config = validateConfig(base, undefined, { ...process.env, ...opts.env })
  const { logger, logs } = captureLogger()
  const engine = new Engine({ config, logger, webhookSecrets: webhookSecretSource(opts.env ?? {}), ...(opts.rules === undefined ? {} : { rules: opts.rules }), ...(opts.now ? { now: opts.now } : {}), ...(opts.wrapClickHouse ? { wrapClickHouse: opts.wrapClickHouse } : {}) })
  await engine.start()
  const mqttUrl = config.mqtt.url ?? `mqtt://127.0.0.1:${engine.testHandle().source.broker!.port}`
  return { engine, dataDir, logs, mqttUrl, httpUrl: engine.httpAddress() ?? '' }
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
