// Runs a real nats-server (Debian package) with JetStream on free loopback ports and a temp store
// dir, for the cluster-mode tests. When it is not installed the caller's test is skipped visibly.
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { Test } from 'tap'
import { existsSync } from 'node:fs'
import { freePort } from './mosquitto.js'
import { tempDir } from './harness.js'

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']
export const NATS_MISSING = 'nats-server is not installed (apt-get install -y nats-server; .ci/run does it): JetStream tests skipped'

export function natsServerPath(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null
}

export interface NatsServer {
  url: string
  port: number
  storeDir: string
  /** SIGTERM, waits for exit. Idempotent. */
  stop(): Promise<void>
  /** SIGKILL (a crash: nothing flushed beyond what the server had synced), waits for exit. */
  kill(): Promise<void>
  /** Starts again on the same port and store dir (stopping first if running). */
  restart(): Promise<void>
}

/** Starts the server; null (and the test skipped with a message) when nats-server is missing. */
export async function startNats(t: Test): Promise<NatsServer | null> {
  const bin = natsServerPath()
  if (bin === null) {
    void t.skip(NATS_MISSING, () => undefined)
    return null
  }
  const storeDir = tempDir('hexp-nats-')
  const port = await freePort()
  const monitor = await freePort()
  let child: ChildProcess | null = null
  const launch = async (): Promise<void> => {
    const c = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    c.stderr!.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-2000) })
    child = c
    // Ready means JetStream answers, not only the port: /healthz checks both.
    const deadline = Date.now() + 15_000
    for (;;) {
      if (c.exitCode !== null) throw new Error(`nats-server exited (${c.exitCode}): ${stderr}`)
      const ok = await fetch(`http://127.0.0.1:${monitor}/healthz`).then((r) => r.ok, () => false)
      if (ok) return
      if (Date.now() > deadline) throw new Error(`nats-server did not become healthy on ${port}: ${stderr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child
    child = null
    if (c === null || c.exitCode !== null || c.signalCode !== null) return
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve())
      c.kill(signal)
    })
  }
  await launch()
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async restart() {
      await halt('SIGTERM')
      await launch()
    },
  }
  t.teardown(() => server.stop())
  return server
}

/**
 * One nats-server for a test file's subtests (started in t.before), connections opened through
 * conn() and closed at the end, and fresh bucket names (`<prefix><n>`) so subtests never share one.
 */
export function natsFixture(t: Test, prefix: string, connectOpts: { maxReconnectAttempts?: number } = { maxReconnectAttempts: -1 }): { readonly server: NatsServer; conn(): Promise<NatsConnection>; bucket(): string } {
  let server: NatsServer | null = null
  let n = 0
  const conns: NatsConnection[] = []
  t.before(async () => { server = await startNats(t) })
  t.teardown(async () => { for (const nc of conns) await nc.close() })
  const started = (): NatsServer => {
    if (server === null) throw new Error('natsFixture: the server is not started (use it inside a subtest)')
    return server
  }
  return {
    get server() {
      return started()
    },
    async conn() {
      const nc = await connect({ servers: started().url, reconnectTimeWait: 50, ...connectOpts })
      conns.push(nc)
      return nc
    },
    bucket: () => `${prefix}${++n}`,
  }
}
