// Runs a real Mosquitto (Debian package) on a free loopback port with persistence on, for the
// tests that need an external broker. Tests skip with a message when it is not installed.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import { tempDir } from './harness.js'

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']

export function mosquittoPath(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null
}

/** Ports this process has handed out: the kernel may offer a port again once its probe is closed. */
const handedOut = new Set<number>()

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

/**
 * A loopback port free now and never handed out before by this process. The kernel can offer the
 * port of a closed probe again: a test that asked for a server's client, route and monitor ports
 * in a row once got the same port twice (nats-server: "address already in use").
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = await probePort()
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
  throw new Error('no loopback port this process has not used already after 100 tries')
}

// A hang bound, not a speed bound: a loaded machine (load average 20-30) can take long to start mosquitto.
async function waitPort(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1')
      c.once('connect', () => { c.destroy(); resolve(true) })
      c.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface Mosquitto {
  url: string
  port: number
  stop(): Promise<void>
  restart(): Promise<void>
}

export async function startMosquitto(): Promise<Mosquitto> {
  const bin = mosquittoPath()
  if (bin === null) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)')
  const dir = tempDir('hexp-mosq-')
  // Mosquitto started as root drops to the mosquitto user: it must be able to write its persistence file.
  chmodSync(dir, 0o777)
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  // Persistence on, and no silent drops under load: unlimited queue for the engine's session.
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${dir}/`,
    'autosave_interval 1',
    'max_queued_messages 0',
    'max_inflight_messages 100',
    'log_type error',
    '',
  ].join('\n'))
  let child: ChildProcess | null = null
  const launch = async () => {
    child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] })
    await waitPort(port)
  }
  const stop = async () => {
    const c = child
    if (c === null || c.exitCode !== null) return
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve())
      c.kill('SIGTERM')
    })
    child = null
  }
  await launch()
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop,
    async restart() {
      await stop()
      await launch()
    },
  }
}
