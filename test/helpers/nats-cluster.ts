// Runs a three-server NATS cluster with JetStream on loopback (a config file, a store dir and
// free client/route/monitor ports per server), for the R3 log tests and multi-engine tests: each
// server can be killed (SIGKILL), stopped and restarted on the same ports and store, so a test
// can take a server down mid-append and watch the stream elect a new leader.
// Ready means JetStream has a meta leader (a stream can be created), not only that ports listen.
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { waitFor } from './cluster.js'
import { tempDir } from './harness.js'
import { freePort } from './mosquitto.js'
import { NATS_MISSING, natsServerPath } from './nats.js'

/** A hang bound: a loaded machine (two cores, other test runs) takes seconds to elect a meta leader. */
const READY_LIMIT_MS = 60_000

export interface ClusterNode {
  /** server_name, e.g. `n1`. */
  readonly name: string
  readonly url: string
  readonly port: number
  readonly monitorUrl: string
  readonly storeDir: string
  /** True while the process runs. */
  readonly running: boolean
  /** SIGKILL (a crash), waits for exit. Idempotent. */
  kill(): Promise<void>
  /** SIGTERM (lame-duck free, graceful), waits for exit. Idempotent. */
  stop(): Promise<void>
  /** Starts it again on the same ports and store dir (stopping it first if running); waits until it answers /healthz. */
  restart(): Promise<void>
}

export interface NatsCluster {
  readonly nodes: readonly ClusterNode[]
  /** Every server's client URL, comma-joined: the value of cluster.url / HEXPATROL_CLUSTER_URL. */
  readonly urls: string
  readonly servers: string[]
  /** SIGTERM to every running server, waits for all. Idempotent (also run by t.teardown). */
  stopAll(): Promise<void>
  /** Resolves once the running servers agree on a JetStream meta leader (its server_name). */
  waitForMetaLeader(timeoutMs?: number): Promise<string>
}

interface Ports { client: number; route: number; monitor: number }

function configText(name: string, ports: Ports, all: readonly Ports[], storeDir: string): string {
  const routes = all.filter((p) => p !== ports).map((p) => `    "nats-route://127.0.0.1:${p.route}"`).join('\n')
  return [
    `server_name: ${name}`,
    'listen: "127.0.0.1:' + ports.client + '"',
    'http: "127.0.0.1:' + ports.monitor + '"',
    `jetstream { store_dir: "${storeDir}" }`,
    'cluster {',
    '  name: hexp-test',
    `  listen: "127.0.0.1:${ports.route}"`,
    '  routes: [',
    routes,
    '  ]',
    '}',
    '',
  ].join('\n')
}

async function jsz(monitorUrl: string): Promise<{ leader?: string; cluster_size?: number } | null> {
  try {
    const r = await fetch(`${monitorUrl}/jsz`, { signal: AbortSignal.timeout(2000) })
    if (!r.ok) return null
    const body = (await r.json()) as { meta_cluster?: { leader?: string; cluster_size?: number } }
    return body.meta_cluster ?? null
  } catch {
    return null
  }
}

/** Starts the cluster; null (and the test skipped with NATS_MISSING) when nats-server is missing. */
export async function startNatsCluster(t: Test, size = 3): Promise<NatsCluster | null> {
  const bin = natsServerPath()
  if (bin === null) {
    void t.skip(NATS_MISSING, () => undefined)
    return null
  }
  // A port chosen free can be taken (by an outgoing connection's local port) before the server
  // binds it: the whole cluster is started again on new ports, since every config names the routes.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchCluster(t, bin, size)
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err
    }
  }
}

async function launchCluster(t: Test, bin: string, size: number): Promise<NatsCluster> {
  const root = tempDir('hexp-natsc-')
  const ports: Ports[] = []
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), route: await freePort(), monitor: await freePort() })
  const nodes = ports.map((p, i) => serverNode(bin, `n${i + 1}`, p, ports, root))
  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url).join(','),
    servers: nodes.map((n) => n.url),
    async stopAll() {
      await Promise.all(nodes.map((n) => n.stop()))
    },
    async waitForMetaLeader(timeoutMs = READY_LIMIT_MS) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const views = await Promise.all(nodes.filter((n) => n.running).map((n) => jsz(n.monitorUrl)))
        const leaders = new Set(views.map((v) => v?.leader ?? ''))
        const [leader] = leaders
        if (views.length > 0 && leaders.size === 1 && leader !== undefined && leader !== '') return leader
        if (Date.now() > deadline) throw new Error(`the NATS cluster elected no JetStream meta leader within ${timeoutMs} ms (views: ${JSON.stringify(views)})`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
  }
  try {
    await Promise.all(nodes.map((n) => n.restart()))
    await cluster.waitForMetaLeader()
  } catch (err) {
    await cluster.stopAll()
    throw err
  }
  t.teardown(() => cluster.stopAll())
  return cluster
}

function serverNode(bin: string, name: string, ports: Ports, all: readonly Ports[], root: string): ClusterNode {
  const storeDir = join(root, name)
  const confPath = join(root, `${name}.conf`)
  writeFileSync(confPath, configText(name, ports, all, storeDir))
  const monitorUrl = `http://127.0.0.1:${ports.monitor}`
  let child: ChildProcess | null = null
  let stderr = ''
  const alive = (c: ChildProcess | null): boolean => c !== null && c.exitCode === null && c.signalCode === null
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child
    child = null
    if (c === null || !alive(c)) return
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve())
      c.kill(signal)
    })
  }
  const launch = async (): Promise<void> => {
    const c = spawn(bin, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] })
    stderr = ''
    c.stderr!.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000) })
    child = c
    // Up means the monitor answers (/varz), not /healthz: a server whose peers are all down is
    // unhealthy until they return, and restarting the first of three must not wait for the others.
    // Callers that need JetStream wait for a meta leader (waitForMetaLeader).
    const deadline = Date.now() + READY_LIMIT_MS
    for (;;) {
      if (!alive(c)) throw new Error(`nats-server ${name} exited (${c.exitCode ?? c.signalCode}): ${stderr}`)
      const ok = await fetch(`${monitorUrl}/varz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)
      if (ok) return
      if (Date.now() > deadline) throw new Error(`nats-server ${name} did not answer on ${ports.monitor}: ${stderr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return {
    name,
    url: `nats://127.0.0.1:${ports.client}`,
    port: ports.client,
    monitorUrl,
    storeDir,
    get running() {
      return alive(child)
    },
    kill: () => halt('SIGKILL'),
    stop: () => halt('SIGTERM'),
    async restart() {
      await halt('SIGTERM')
      await launch()
    },
  }
}

/**
 * Where a stream's Raft leader runs (its server_name), asked through the running servers; waits
 * (up to 60 s) while an election runs.
 */
export async function streamLeader(cluster: NatsCluster, stream: string): Promise<string> {
  const nc = await connect({ servers: cluster.servers.filter((_, i) => cluster.nodes[i]!.running) })
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000, checkAPI: false })
    let leader = ''
    await waitFor(`a leader of stream ${stream}`, async () => {
      leader = (await jsm.streams.info(stream).catch(() => null))?.cluster?.leader ?? ''
      return leader !== ''
    }, 60_000)
    return leader
  } finally {
    await nc.close()
  }
}
