// One ClickHouse HTTP endpoint that several engines (child processes) can share in a test, the way
// production points every engine at one server: embedded ClickHouse (chdb) in its own child process
// (clickhouse-http-server.ts, one chdb data directory per process) behind enough of ClickHouse's
// HTTP interface for @clickhouse/client. Not a server: no replication, no distributed DDL, one
// statement at a time.
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'
import { tempDir } from './harness.js'
import { childEnv } from './child-env.js'

/** How long start waits for the child to listen (a cold chdb start takes about a second). */
const START_LIMIT_MS = 60_000

export interface ClickHouseHttp {
  /** http://127.0.0.1:<port>, for `clickhouse.url`. */
  url: string
  /** The chdb data directory the child owns. */
  dataDir: string
  /** Runs one statement; its rows when it returns any (JSONEachRow, 64-bit integers as numbers). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>
  /** SIGTERM, waits for exit, removes the data directory. Idempotent. */
  stop(): Promise<void>
}

const SERVER = fileURLToPath(new URL('./clickhouse-http-server.ts', import.meta.url))

export async function startClickHouseHttp(t: Test): Promise<ClickHouseHttp> {
  const dataDir = tempDir('hexp-chhttp-')
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SERVER, dataDir], { env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000) })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  t.teardown(stop)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ClickHouse HTTP test server did not start within ${START_LIMIT_MS / 1000} s: ${stderr}`)), START_LIMIT_MS)
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => {
      clearTimeout(timer)
      lines.close()
      try {
        resolve((JSON.parse(line) as { port: number }).port)
      } catch {
        reject(new Error(`the ClickHouse HTTP test server said ${line}: ${stderr}`))
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`the ClickHouse HTTP test server exited (${code ?? signal}) while starting: ${stderr}`))
    })
  })
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    dataDir,
    async query<T>(sql: string): Promise<T[]> {
      const r = await fetch(`${url}/?default_format=JSONEachRow&output_format_json_quote_64bit_integers=0`, { method: 'POST', body: sql })
      const text = await r.text()
      if (!r.ok) throw new Error(`ClickHouse test server answered ${r.status}: ${text}`)
      return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T)
    },
    stop,
  }
}
