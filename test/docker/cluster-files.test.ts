// The cluster stack in docker/cluster/, checked without a Docker engine: the compose file parses
// and every service an engine depends on exists, published ports do not collide, the three engines
// differ only in node id, client id and data volume, their cluster URL names the three NATS servers
// whose configs route to each other, the engine config validates with the engine's own loader and
// the environment compose gives it, and nginx balances over all three engines with SSE unbuffered.
// (test/docker/cluster-nats.test.ts runs the NATS configs on real servers.)
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { ENV_VARS, loadConfig } from '../../src/config/load.js'
import { clusterServers } from '../../src/config/cluster-schema.js'
import { natsServerPath } from '../helpers/nats.js'
import { directives, parseNatsConf, parseNginxConf, type NatsValue, type NginxDirective } from '../helpers/server-conf.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const dir = join(root, 'docker', 'cluster')
const read = (p: string) => readFileSync(join(dir, p), 'utf8')

interface Service {
  image?: string
  build?: { context: string; dockerfile: string }
  environment?: Record<string, string>
  volumes?: string[]
  ports?: string[]
  networks?: string[]
  network_mode?: string
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  command?: string[]
  entrypoint?: string[]
  profiles?: string[]
}
const composeText = read('docker-compose.yml')
const compose = parseYaml(composeText, { merge: true, strict: true }) as {
  name: string; services: Record<string, Service>; volumes: Record<string, unknown>; networks: Record<string, { internal?: boolean } | null>
}
const services = compose.services
const ENGINES = ['engine-1', 'engine-2', 'engine-3']
const NATS = ['nats-1', 'nats-2', 'nats-3']
const engine = (name: string) => services[name]!

function binds(s: Service): Array<{ host: string; container: string; ro: boolean }> {
  return (s.volumes ?? []).map((v) => v.split(':')).filter(([src]) => src!.startsWith('.') || src!.startsWith('/'))
    .map(([src, dst, mode]) => ({ host: resolve(dir, src!), container: dst!, ro: mode === 'ro' }))
}
function hostPath(s: Service, containerPath: string): string | null {
  for (const b of binds(s)) {
    const prefix = b.container.replace(/\/?$/, '/')
    if (containerPath === b.container) return b.host
    if (containerPath.startsWith(prefix)) return join(b.host, containerPath.slice(prefix.length))
  }
  return null
}
/** The named volume mounted at `path` in a service, if any. */
function namedVolumeAt(s: Service, path: string): string | null {
  const v = (s.volumes ?? []).map((x) => x.split(':')).find(([src, dst]) => !src!.startsWith('.') && !src!.startsWith('/') && dst === path)
  return v?.[0] ?? null
}
/** Host ports a service publishes ("8080:8080" → 8080). */
const published = (s: Service) => (s.ports ?? []).map((p) => Number(p.split(':').at(-2)))

/** The environment an engine runs with: the image's ENV, then compose's, secrets filled in. */
function engineEnv(name: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  const df = readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ')
  for (const line of df.split('\n').filter((l) => /^\s*ENV\s/.test(l))) {
    for (const m of line.matchAll(/\b(HEXPATROL_[A-Z0-9_]+)=(\S+)/g)) env[m[1]!] = m[2]!
  }
  for (const [k, v] of Object.entries(engine(name).environment!)) env[k] = v.replace(/\$\{([A-Z0-9_]+)[^}]*\}/g, (_m, n: string) => `secret-for-${n}-0123456789abcdef0123456789`)
  return env
}
const loaded = Object.fromEntries(ENGINES.map((n) => {
  const env = engineEnv(n)
  return [n, loadConfig({ env, path: hostPath(engine(n), env.HEXPATROL_CONFIG!)! }).config]
}))

t.test('compose: the services, and every one an engine depends on exists with its healthcheck', async (t) => {
  t.equal(compose.name, 'hexpatrol-cluster', 'a project name of its own (its volumes never mix with the single-engine stack\'s)')
  t.same(Object.keys(services).sort(), [...ENGINES, 'clickhouse', 'lb', 'mosquitto', 'mosquitto-passwd', ...NATS].sort())
  t.match(services.mosquitto!.image, /^eclipse-mosquitto:2/)
  t.match(services.clickhouse!.image, /^clickhouse\/clickhouse-server:\d/)
  t.match(services.lb!.image, /^nginx:1\.(2[89]|[3-9]\d)/, 'nginx 1.28+: `resolve` on upstream servers is in open-source nginx from 1.27.3')
  for (const n of NATS) t.match(services[n]!.image, /^nats:2\.(1[1-9]|[2-9]\d)/, `${n}: NATS 2.11+ (compare-and-set serialized on replicated buckets)`)
  for (const [name, s] of Object.entries(services)) {
    for (const b of binds(s)) {
      const userCreated = b.host.endsWith('/passwd') && existsSync(`${b.host}.example`)
      t.ok(existsSync(b.host) || userCreated, `${name}: ${relative(dir, b.host)} exists`)
    }
    for (const v of s.volumes ?? []) {
      const src = v.split(':')[0]!
      if (!src.startsWith('.') && !src.startsWith('/')) t.ok(src in compose.volumes, `${name}: named volume ${src} is declared`)
    }
    for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
      t.ok(dep in services, `${name} depends on an existing service ${dep}`)
      if (condition === 'service_healthy') t.ok(services[dep]!.healthcheck, `${dep} has the healthcheck ${name} waits for`)
    }
    for (const net of s.networks ?? []) t.ok(net in compose.networks, `${name}: network ${net} is declared`)
  }
  for (const n of ENGINES) {
    t.same(Object.keys(engine(n).depends_on!).sort(), ['clickhouse', 'mosquitto', ...NATS].sort(), `${n} waits for NATS, Mosquitto and ClickHouse`)
    t.ok(Object.values(engine(n).depends_on!).every((d) => d.condition === 'service_healthy'))
  }
  t.same(Object.keys(services.lb!.depends_on!).sort(), ENGINES, 'the balancer starts after the engines')
})

t.test('compose: published ports do not collide, the backplane is not reachable from outside', async (t) => {
  const owners = new Map<number, string>()
  for (const [name, s] of Object.entries(services)) {
    for (const p of published(s)) {
      t.notOk(owners.has(p), `host port ${p} (${name}) is published once${owners.has(p) ? `, not also by ${owners.get(p)}` : ''}`)
      owners.set(p, name)
    }
  }
  t.same([...owners.entries()].sort(([a], [b]) => a - b), [[1883, 'mosquitto'], [5055, 'lb'], [8080, 'lb']], 'devices reach Mosquitto, everyone else the balancer')
  t.equal(compose.networks.backplane?.internal, true, 'the backplane network has no route outside')
  for (const n of [...NATS, 'clickhouse']) {
    t.same(services[n]!.networks, ['backplane'], `${n} is on the backplane only`)
    t.same(published(services[n]!), [], `${n} publishes no port`)
  }
  for (const n of ENGINES) {
    t.same([...engine(n).networks!].sort(), ['backplane', 'edge'], `${n} reaches both networks`)
    t.same(published(engine(n)), [], `${n} is reached through the balancer only (http.trust_proxy: 1 relies on it)`)
  }
  t.same(services.lb!.networks, ['edge'])
  t.same(services.mosquitto!.networks, ['edge'])
})

t.test('compose: three engines from one image, one config, each with its own id and data', async (t) => {
  const first = engine('engine-1')
  t.same(first.build, { context: '../..', dockerfile: 'docker/Dockerfile' })
  t.ok(existsSync(join(resolve(dir, first.build!.context), first.build!.dockerfile)), 'the Dockerfile is where compose looks')
  const ids = ENGINES.map((n) => engine(n).environment!.HEXPATROL_NODE_ID)
  t.same(ids, ENGINES, 'node ids engine-1..3')
  t.equal(new Set(ids).size, 3, 'unique node ids')
  const clientIds = ENGINES.map((n) => engine(n).environment!.HEXPATROL_MQTT_CLIENT_ID)
  t.equal(new Set(clientIds).size, 3, 'unique MQTT client ids (one persistent session each; a shared id would kick the others off)')
  const dataVolumes = ENGINES.map((n) => namedVolumeAt(engine(n), '/data'))
  t.ok(dataVolumes.every((v) => v !== null), 'each engine keeps /data on a named volume')
  t.equal(new Set(dataVolumes).size, 3, 'never a shared data volume')
  for (const n of ENGINES) {
    const s = engine(n)
    t.same(s.build, first.build, `${n}: same build`)
    t.equal(s.image, first.image, `${n}: same image`)
    t.equal(s.environment!.HEXPATROL_DATA_DIR, '/data')
    t.equal(hostPath(s, s.environment!.HEXPATROL_CONFIG!), join(dir, 'hexpatrol.yaml'), `${n} reads docker/cluster/hexpatrol.yaml`)
    t.ok(binds(s).every((b) => b.ro), `${n}: its config is mounted read-only`)
    // Only the ids differ between engines.
    const others = (e: Record<string, string>) => Object.entries(e).filter(([k]) => k !== 'HEXPATROL_NODE_ID' && k !== 'HEXPATROL_MQTT_CLIENT_ID')
    t.same(others(s.environment!), others(first.environment!), `${n}: the rest of its environment is engine-1's`)
    t.same(s.healthcheck, first.healthcheck)
  }
  // The healthcheck asks /readyz, a route the engine serves, on the port it listens on.
  const hc = first.healthcheck!.test.join(' ')
  t.match(hc, /http:\/\/127\.0\.0\.1:8080\/readyz/)
  t.match(readFileSync(join(root, 'src/api/health.ts'), 'utf8'), /'\/readyz'/, 'the engine serves /readyz')
  t.equal(loaded['engine-1']!.http.port, 8080)
})

t.test('compose: the cluster URL lists the three NATS servers on their client port', async (t) => {
  for (const n of ENGINES) {
    const servers = clusterServers(engine(n).environment!.HEXPATROL_CLUSTER_URL!)
    t.same(servers, NATS.map((s) => `nats://${s}:4222`), `${n}: all three servers`)
  }
  for (const n of NATS) {
    const conf = parseNatsConf(readFileSync(hostPath(services[n]!, '/etc/nats/nats-server.conf')!, 'utf8'))
    t.match(conf.listen, /:4222$/, `${n} takes clients on 4222`)
  }
})

t.test('compose: environment variables are known to the engine, secrets required and not committed', async (t) => {
  const example = read('.env.example')
  const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!))
  const known = new Set(ENV_VARS)
  const configText = read('hexpatrol.yaml')
  for (const [name, s] of Object.entries(services)) {
    for (const key of Object.keys(s.environment ?? {})) {
      if (!key.startsWith('HEXPATROL_')) continue
      const readByConfig = new RegExp(`_env:\\s*${key}\\b`).test(configText)
      t.ok(known.has(key) || (documented.has(key) && readByConfig), `${name}: ${key} is read by src/config/load.ts or named by hexpatrol.yaml`)
    }
  }
  const interpolated = [...composeText.matchAll(/\$\{([A-Z0-9_]+)(:?[?-])?[^}]*\}/g)]
  t.ok(interpolated.length > 0)
  for (const [whole, name, op] of interpolated) {
    t.ok(documented.has(name!), `${name} is documented in docker/cluster/.env.example`)
    t.equal(op, ':?', `${whole} is required`)
  }
  // Every variable the config file names is given to every engine.
  for (const m of configText.matchAll(/^[^#\n]*_env:\s*([A-Z][A-Z0-9_]*)/gm)) {
    for (const n of ENGINES) t.ok(m[1]! in engine(n).environment!, `${n} gets ${m[1]}`)
  }
  t.notMatch(composeText, /(PASSWORD|TOKEN|SECRET)[A-Z_]*:[ \t]+(?!\$\{)\S/, 'no literal secrets in compose')
  t.notMatch(configText.replace(/#.*$/gm, ''), /\b(password|token|secret):/, 'no inline secrets in hexpatrol.yaml')
  t.ok(read('.gitignore').split('\n').includes('.env'), 'docker/cluster/.env is git-ignored')
  const git = spawnSync('git', ['check-ignore', '-q', join(dir, '.env')], { cwd: root })
  if (git.error === undefined) t.equal(git.status, 0, 'git ignores docker/cluster/.env')
  const users = read('clickhouse/users.d/hexpatrol.xml')
  t.notMatch(users, /<password>[^<]|<password_sha256_hex>/, 'no literal ClickHouse password')
  t.match(users, /<hexpatrol>[\s\S]*from_env="CLICKHOUSE_HEXPATROL_PASSWORD"[\s\S]*GRANT ALL ON hexpatrol\.\*[\s\S]*<\/hexpatrol>/, 'the writer user')
  t.equal(services.clickhouse!.environment!.CLICKHOUSE_HEXPATROL_PASSWORD, engine('engine-1').environment!.HEXPATROL_CLICKHOUSE_PASSWORD, 'the same secret reaches ClickHouse and the engines')
  t.equal(services.mosquitto!.environment!.HEXPATROL_MQTT_PASSWORD, engine('engine-1').environment!.HEXPATROL_MQTT_PASSWORD)
  // The shared Mosquitto folder: the helper writes the passwd file where the broker reads it.
  const helper = services['mosquitto-passwd']!
  t.same(helper.profiles, ['tools'])
  t.equal(hostPath(helper, '/mosquitto/config/passwd'), hostPath(services.mosquitto!, '/mosquitto/config/passwd'))
  t.ok(existsSync(hostPath(helper, helper.entrypoint![1]!)!), 'the helper script is mounted')
})

t.test('hexpatrol.yaml validates with the engine\'s loader and the environment compose gives each engine', async (t) => {
  // src/boot.ts still refuses cluster.url until the cluster wiring lands: validateConfig (through
  // loadConfig, which applies the HEXPATROL_* environment first) is the check that applies.
  const c1 = loaded['engine-1']!
  for (const n of ENGINES) {
    const c = loaded[n]!
    t.equal(c.cluster.node_id, n)
    t.equal(c.cluster.url, 'nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222')
    t.equal(c.cluster.replicas, 3, 'R3: any one NATS server may fail')
    t.equal(c.cluster.partitions, c1.cluster.partitions, `${n}: same partitions`)
    t.equal(c.cluster.takeover, c1.cluster.takeover)
    t.equal(c.mqtt.client_id, `hexpatrol-${n}`)
    t.equal(c.mqtt.url, 'mqtt://mosquitto:1883')
    t.equal(c.mqtt.username, 'hexpatrol', 'the ACL\'s engine user')
    t.equal(c.clickhouse.url, 'http://clickhouse:8123')
    t.equal(c.clickhouse.username, 'hexpatrol')
    t.equal(c.data_dir, '/data')
    t.equal(c.http.host, '0.0.0.0', 'the image binds all interfaces')
    t.ok(c.http.metrics_token !== undefined, 'a metrics token, required off loopback')
    // What must be equal on every engine for the balancer to pick any of them.
    t.equal(c.http.session_secret, c1.http.session_secret, `${n}: one session secret (a map login holds on every engine)`)
    t.ok(c.http.session_secret !== undefined)
    t.same(c.api.tokens, c1.api.tokens, `${n}: the same API tokens`)
  }
  t.equal(c1.cluster.partitions, 32)
  t.equal(c1.cluster.takeover, 10_000)
  t.same(c1.api.tokens.map((x) => [x.name, x.scope]), [['admin', 'admin'], ['dispatch', 'operate'], ['map', 'read']])
  t.equal(c1.http.trust_proxy, 1, 'one proxy hop: nginx')
  // Every engine receives every fix (see the comment in hexpatrol.yaml and cluster-mosquitto.test.ts).
  t.ok(c1.mqtt.subscriptions.every((s) => !s.topic.startsWith('$share/')), 'no shared subscription')
  const acl = readFileSync(join(root, 'docker', 'mosquitto', 'acl'), 'utf8')
  for (const s of c1.mqtt.subscriptions) t.ok(acl.includes(`topic read ${s.topic.replace('/+/+', '/#')}`) || acl.includes(`topic read ${s.topic}`), `the ACL lets the engine read ${s.topic}`)
  t.equal(c1.mqtt.subscriptions.find((s) => s.format === 'owntracks')?.unit_from, 'first_level', 'the unit is the %u level')
})

t.test('NATS configs: one cluster, each server named and routed to the other two', async (t) => {
  const confs = new Map<string, Record<string, NatsValue>>()
  for (const n of NATS) {
    const host = hostPath(services[n]!, '/etc/nats/nats-server.conf')
    t.equal(host, join(dir, 'nats', `${n}.conf`), `${n} mounts nats/${n}.conf`)
    confs.set(n, parseNatsConf(readFileSync(host!, 'utf8')))
  }
  for (const [n, conf] of confs) {
    const cluster = conf.cluster as Record<string, NatsValue>
    const js = conf.jetstream as Record<string, NatsValue>
    t.equal(conf.server_name, n, `${n}: server_name is its service name`)
    t.equal(cluster.name, 'hexpatrol', `${n}: one cluster name`)
    t.match(cluster.listen, /:6222$/)
    const routes = cluster.routes as string[]
    t.same([...routes].sort(), NATS.filter((o) => o !== n).map((o) => `nats-route://${o}:6222`), `${n} routes to the other two`)
    for (const r of routes) {
      const peer = /\/\/([^:]+):(\d+)/.exec(r)!
      t.ok(peer[1]! in services, `${n}: route ${r} names a service`)
      t.match((confs.get(peer[1]!)!.cluster as Record<string, NatsValue>).listen, new RegExp(`:${peer[2]}$`), `${peer[1]} listens for routes on ${peer[2]}`)
    }
    t.ok(js.store_dir, `${n}: JetStream on`)
    t.equal(namedVolumeAt(services[n]!, '/data'), `${n}-data`, `${n}: its store is on its own volume`)
    t.ok(String(js.store_dir).startsWith('/data/'), `${n}: store_dir is on that volume`)
    t.match(conf.http, /:8222$/)
    t.match(services[n]!.healthcheck!.test.join(' '), /127\.0\.0\.1:8222\/healthz/, `${n}: the healthcheck asks the monitoring port`)
  }
  const names = [...confs.values()].map((c) => c.server_name)
  t.equal(new Set(names).size, 3, 'unique server names')
  // Apart from the name and routes, the three files are the same file.
  const strip = (s: string) => s.replace(/nats-\d/g, 'nats-N').split('\n').filter((l) => !/nats-route:\/\//.test(l)).join('\n')
  const texts = NATS.map((n) => strip(read(`nats/${n}.conf`)))
  t.equal(texts[1], texts[0])
  t.equal(texts[2], texts[0])
  const bin = natsServerPath()
  if (bin === null) {
    t.comment('nats-server is not installed: its own syntax check (-t) skipped')
  } else {
    for (const n of NATS) {
      const r = spawnSync(bin, ['-t', '-c', join(dir, 'nats', `${n}.conf`)], { encoding: 'utf8' })
      t.equal(r.status, 0, `nats-server -t accepts ${n}.conf: ${r.stderr.trim()}`)
    }
  }
})

function findServer(conf: NginxDirective[], port: number): NginxDirective[] {
  const http = directives(conf, 'http')[0]!.block!
  return directives(http, 'server').find((s) => directives(s.block!, 'listen').some((l) => l.args[0] === String(port)))!.block!
}
function upstream(conf: NginxDirective[], name: string): string[] {
  const http = directives(conf, 'http')[0]!.block!
  const up = directives(http, 'upstream').find((u) => u.args[0] === name)
  return up === undefined ? [] : directives(up.block!, 'server').map((s) => s.args[0]!)
}
/** The effective value of a directive in a location: its own, else its server's, else http's. */
function effective(conf: NginxDirective[], server: NginxDirective[], location: NginxDirective[], name: string): string[] | undefined {
  const http = directives(conf, 'http')[0]!.block!
  for (const scope of [location, server, http]) {
    const d = directives(scope, name).at(-1)
    if (d !== undefined) return d.args
  }
  return undefined
}

t.test('nginx: round-robin over the three engines, SSE unbuffered, ingest passed through', async (t) => {
  const lb = services.lb!
  const conf = parseNginxConf(readFileSync(hostPath(lb, '/etc/nginx/nginx.conf')!, 'utf8'))
  const c = loaded['engine-1']!
  t.same(upstream(conf, 'engines'), ENGINES.map((n) => `${n}:${c.http.port}`), 'the API upstream lists every engine on http.port')
  t.same(upstream(conf, 'osmand'), ENGINES.map((n) => `${n}:${c.http_ingest.osmand_port}`), 'the OsmAnd upstream lists every engine on http_ingest.osmand_port')
  const http = directives(conf, 'http')[0]!.block!
  for (const up of directives(http, 'upstream')) {
    const block = up.block!
    t.notOk(block.some((d) => ['ip_hash', 'hash', 'least_conn', 'random'].includes(d.name)), `${up.args[0]}: round-robin (nginx's default)`)
    t.ok(directives(block, 'server').every((s) => s.args.includes('resolve')), `${up.args[0]}: names re-resolved (an engine that restarts gets a new address)`)
    t.ok(directives(block, 'zone').length === 1, `${up.args[0]}: a zone, which resolve needs`)
  }
  t.match(directives(http, 'resolver')[0]?.args[0], '127.0.0.11', 'Docker\'s DNS')

  // Host ports → the servers that listen on them.
  for (const p of lb.ports!) {
    const [hostPort, containerPort] = p.split(/\s/)[0]!.split(':')
    t.equal(hostPort, containerPort)
    t.ok(findServer(conf, Number(containerPort)), `a server listens on ${containerPort}`)
  }
  const api = findServer(conf, 8080)
  const locations = directives(api, 'location')
  const loc = (path: string) => locations.find((l) => l.args.at(-1) === path)?.block
  const stream = loc('/api/v1/stream')
  t.ok(stream, 'a location for the live stream')
  t.match(readFileSync(join(root, 'src/api/stream.ts'), 'utf8'), /'\/api\/v1\/stream'/, 'the engine serves the stream there')
  t.same(effective(conf, api, stream!, 'proxy_buffering'), ['off'], 'SSE: proxy_buffering off')
  const readTimeout = effective(conf, api, stream!, 'proxy_read_timeout')![0]!
  t.ok(/h$/.test(readTimeout) || Number(readTimeout.replace(/s$/, '')) > c.api.stream_heartbeat / 1000 * 4, `stream read timeout ${readTimeout} well above the heartbeat`)
  t.same(effective(conf, api, stream!, 'proxy_http_version'), ['1.1'])
  t.same(effective(conf, api, stream!, 'proxy_pass'), ['http://engines'])
  const root_ = loc('/')
  t.same(effective(conf, api, root_!, 'proxy_pass'), ['http://engines'], 'the API, the map and ingest on http.port')
  const headers = directives(http, 'proxy_set_header').map((d) => d.args[0])
  t.ok(headers.includes('X-Forwarded-For') && headers.includes('X-Forwarded-Proto'), 'the client address and scheme reach the engine (http.trust_proxy)')
  t.same(directives(loc('/metrics') ?? [], 'return')[0]?.args, ['404'], '/metrics is per engine, not balanced')
  const maxBody = directives(http, 'client_max_body_size')[0]?.args[0]
  t.equal(maxBody, `${c.http.body_limit_bytes / 1_048_576}m`, 'the balancer passes what the engine accepts (http.body_limit_bytes)')
  t.same(effective(conf, findServer(conf, 5055), directives(findServer(conf, 5055), 'location')[0]!.block!, 'proxy_pass'), ['http://osmand'])
  t.ok(directives(http, 'proxy_next_upstream')[0]?.args.includes('error'), 'a dead engine is skipped')
})
