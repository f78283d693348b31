// docker/cluster/nats/nats-{1,2,3}.conf run for real: the shipped files, with only the container
// addresses (0.0.0.0 and the service names) moved to free loopback ports and the store dir to a
// temp dir, form one JetStream cluster; the engine's JetStream log opens its stream there with the
// replicas of docker/cluster/hexpatrol.yaml (3), appends survive the loss of any one server, stop
// being acknowledged when two are gone (no quorum: the engines stop acking devices), and resume
// when one returns. Skips visibly when nats-server is missing (.ci/run installs it).
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../src/config/load.js'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { DEFAULT_STREAM, JetStreamLog } from '../../src/log/jetstream-log.js'
import { LogUnavailableError } from '../../src/log/log-errors.js'
import { tempDir } from '../helpers/harness.js'
import { freePort } from '../helpers/mosquitto.js'
import { natsServerPath, NATS_MISSING } from '../helpers/nats.js'
import { rec } from '../log/log-suite.js'

const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'docker', 'cluster')
const NAMES = ['nats-1', 'nats-2', 'nats-3'] as const
const bin = natsServerPath()

interface Node { name: string; client: number; monitor: number; route: number; conf: string; child: ChildProcess | null; stderr: string }

/** The shipped file with container addresses → loopback ports, /data → a temp dir. */
function localConf(text: string, node: Node, nodes: readonly Node[], store: string): string {
  const out = text
    .replace('0.0.0.0:4222', `127.0.0.1:${node.client}`)
    .replace('0.0.0.0:8222', `127.0.0.1:${node.monitor}`)
    .replace('0.0.0.0:6222', `127.0.0.1:${node.route}`)
    .replace(/nats-route:\/\/(nats-\d):6222/g, (_m, peer: string) => `nats-route://127.0.0.1:${nodes.find((n) => n.name === peer)!.route}`)
    .replace(/(store_dir:\s*)\/data\//, `$1${store}/`)
  if (/0\.0\.0\.0|nats-\d:|\/data\//.test(out.replace(/^\s*#.*$/gm, ''))) throw new Error(`${node.name}: an address or path was left unmapped`)
  return out
}

async function healthy(node: Node): Promise<boolean> {
  return fetch(`http://127.0.0.1:${node.monitor}/healthz`).then((r) => r.ok, () => false)
}

async function until(what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

t.test('the shipped NATS configs form an R3 JetStream cluster the engine\'s log runs on', { skip: bin === null ? NATS_MISSING : false }, async (t) => {
  const base = tempDir('hexp-nats-cluster-')
  const nodes: Node[] = []
  for (const name of NAMES) nodes.push({ name, client: await freePort(), monitor: await freePort(), route: await freePort(), conf: join(base, `${name}.conf`), child: null, stderr: '' })
  for (const n of nodes) {
    const store = join(base, n.name)
    mkdirSync(store)
    writeFileSync(n.conf, localConf(readFileSync(join(dir, 'nats', `${n.name}.conf`), 'utf8'), n, nodes, store))
  }
  const start = (n: Node) => {
    const c = spawn(bin!, ['-c', n.conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    c.stderr!.on('data', (b: Buffer) => { n.stderr = (n.stderr + b.toString()).slice(-4000) })
    n.child = c
  }
  const kill = async (n: Node) => {
    const c = n.child
    n.child = null
    if (c === null || c.exitCode !== null || c.signalCode !== null) return
    await new Promise<void>((r) => { c.once('exit', () => r()); c.kill('SIGKILL') })
  }
  t.teardown(async () => { for (const n of nodes) await kill(n) })
  for (const n of nodes) start(n)
  await until('three healthy servers', async () => (await Promise.all(nodes.map(healthy))).every(Boolean)).catch((err: Error) => {
    throw new Error(`${err.message}\n${nodes.map((n) => `${n.name}: ${n.stderr}`).join('\n')}`)
  })
  for (const n of nodes) {
    const routez = await (await fetch(`http://127.0.0.1:${n.monitor}/routez`)).json() as { num_routes: number }
    t.equal(routez.num_routes, 2, `${n.name} is routed to the other two`)
    const varz = await (await fetch(`http://127.0.0.1:${n.monitor}/varz`)).json() as { server_name: string; cluster: { name: string } }
    t.equal(varz.server_name, n.name)
    t.equal(varz.cluster.name, 'hexpatrol')
  }

  // The stream as the engines would open it: docker/cluster/hexpatrol.yaml's partitions and replicas.
  const configPath = join(dir, 'hexpatrol.yaml')
  const env: NodeJS.ProcessEnv = { HEXPATROL_CLUSTER_URL: nodes.map((n) => `nats://127.0.0.1:${n.client}`).join(','), HEXPATROL_NODE_ID: 'engine-1' }
  for (const m of readFileSync(configPath, 'utf8').matchAll(/^[^#\n]*_env:\s*([A-Z][A-Z0-9_]*)/gm)) env[m[1]!] = 'a-test-secret-of-more-than-32-characters'
  const { config } = loadConfig({ env, path: configPath })
  t.equal(config.cluster.replicas, 3)
  const servers = config.cluster.url!.split(',')
  // The meta leader may still be settling right after /healthz turns green: retry the first open.
  let log: JetStreamLog | null = null
  await until('the stream to be created', async () => {
    log = await JetStreamLog.open({ servers, partitions: config.cluster.partitions, replicas: config.cluster.replicas, name: 'engine-1', ackTimeoutMs: 3000, reconnectWaitMs: 50 }).catch(() => null)
    return log !== null
  }, 30_000)
  const fixes = log! as JetStreamLog
  t.teardown(() => fixes.close())

  const [a] = await fixes.append(5, [rec('P-001@1000')])
  t.equal(a!.duplicate, false)
  const nc = await connect({ servers })
  t.teardown(() => nc.close())
  const info = await (await jetstreamManager(nc)).streams.info(DEFAULT_STREAM)
  t.equal(info.config.num_replicas, 3, 'the fix stream has three replicas')
  t.same([info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].sort(), [...NAMES], 'one on each server')

  // Any one server may go: the other two still form a quorum and acknowledge.
  const leader = nodes.find((n) => n.name === info.cluster?.leader)!
  await kill(leader)
  const killedAt = Date.now()
  let appended = false
  await until('an append acknowledged by the two survivors', async () => {
    appended = await fixes.append(5, [rec('P-001@2000')]).then(() => true, () => false)
    return appended
  }, 30_000)
  t.ok(appended, `appends go on with ${leader.name} (the stream leader) killed`)
  t.comment(`first append acknowledged ${Date.now() - killedAt} ms after the stream leader was killed`)

  // Two gone: no quorum, so no acknowledgement (the engines then stop acking devices).
  const second = nodes.find((n) => n.child !== null)!
  await kill(second)
  await t.rejects(fixes.append(5, [rec('P-001@3000')]), LogUnavailableError, 'no quorum: the append is refused, never acknowledged')

  // One back: quorum again, appends are acknowledged again.
  start(second)
  const backAt = Date.now()
  await until('appends to resume after a server returns', () => fixes.append(5, [rec('P-001@4000')]).then(() => true, () => false), 60_000)
  t.pass(`appends resume once ${second.name} is back`)
  t.comment(`appends acknowledged again ${Date.now() - backAt} ms after ${second.name} was started again`)
})
