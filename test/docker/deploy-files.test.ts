// The deployment files in docker/, checked without a Docker engine: they parse, every file a
// service mounts or a config names exists, the compose environment is one the engine accepts,
// the image builds what package.json builds and runs what src/main.ts becomes, and the
// Mosquitto configuration keeps messages under load.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { ENV_VARS, loadConfig } from '../../src/config/load.js'
import { childEnv } from '../helpers/child-env.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const docker = join(root, 'docker')
const read = (p: string) => readFileSync(join(docker, p), 'utf8')

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
}

interface Service {
  image?: string
  build?: { context: string; dockerfile: string }
  environment?: Record<string, string>
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  command?: string[]
  entrypoint?: string[]
  profiles?: string[]
}
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> }
const services = compose.services

/** Bind mounts of a service: host path (absolute) → container path. Named volumes are skipped. */
function binds(s: Service): Array<{ host: string; container: string; ro: boolean }> {
  return (s.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([src]) => src!.startsWith('.') || src!.startsWith('/'))
    .map(([src, dst, mode]) => ({ host: resolve(docker, src!), container: dst!, ro: mode === 'ro' }))
}

/** Where a path inside a service's container comes from on the host, if it is bind-mounted. */
function hostPath(s: Service, containerPath: string): string | null {
  for (const b of binds(s)) {
    if (containerPath === b.container) return b.host
    if (containerPath.startsWith(b.container.replace(/\/?$/, '/'))) return join(b.host, containerPath.slice(b.container.replace(/\/?$/, '/').length))
  }
  return null
}

/** Files that users create from a committed .example and that git must ignore. */
function userCreated(host: string): boolean {
  const dir = dirname(host)
  const ignore = existsSync(join(dir, '.gitignore')) ? readFileSync(join(dir, '.gitignore'), 'utf8').split('\n').map((l) => l.trim()) : []
  return ignore.includes(relative(dir, host)) && existsSync(`${host}.example`)
}

t.test('every YAML and JSON file under docker/ parses', async (t) => {
  const files = walk(docker).filter((f) => /\.(ya?ml|json)$/.test(f))
  t.ok(files.length >= 6, `found ${files.length} files`)
  for (const f of files) {
    const text = readFileSync(f, 'utf8')
    t.doesNotThrow(() => (f.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { merge: true, strict: true })), relative(root, f))
  }
})

t.test('compose: services, build, mounts and dependencies', async (t) => {
  t.same(Object.keys(services).sort(), ['clickhouse', 'grafana', 'hexpatrol', 'mosquitto', 'mosquitto-passwd', 'prometheus'])
  const hp = services.hexpatrol!
  t.same(hp.build, { context: '..', dockerfile: 'docker/Dockerfile' })
  t.ok(existsSync(join(resolve(docker, hp.build!.context), hp.build!.dockerfile)), 'the Dockerfile is where compose looks')
  t.match(services.mosquitto!.image, /^eclipse-mosquitto:2/)
  t.match(services.clickhouse!.image, /^clickhouse\/clickhouse-server:24\.8/)
  t.match(services.grafana!.image, /^grafana\/grafana:11\./)
  t.match(services.prometheus!.image, /^prom\/prometheus:/)
  t.match(services.grafana!.environment!.GF_INSTALL_PLUGINS, /grafana-clickhouse-datasource/)

  for (const [name, s] of Object.entries(services)) {
    for (const b of binds(s)) {
      t.ok(existsSync(b.host) || userCreated(b.host), `${name}: ${relative(docker, b.host)} exists`)
    }
    for (const v of s.volumes ?? []) {
      const src = v.split(':')[0]!
      if (!src.startsWith('.') && !src.startsWith('/')) t.ok(src in compose.volumes, `${name}: named volume ${src} is declared`)
    }
    for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
      t.ok(dep in services, `${name} depends on an existing service ${dep}`)
      if (condition === 'service_healthy') t.ok(services[dep]!.healthcheck, `${dep} has the healthcheck ${name} waits for`)
    }
  }
  t.same(Object.keys(hp.depends_on ?? {}).sort(), ['clickhouse', 'mosquitto'])
  t.ok(binds(hp).some((b) => b.host === join(root, 'config') && b.container === '/config' && b.ro), 'the config folder is mounted read-only at /config')
  t.ok(existsSync(hostPath(hp, hp.environment!.HEXPATROL_CONFIG!)!), 'HEXPATROL_CONFIG points into the mounted config')
  t.ok(hp.volumes!.some((v) => v.endsWith(':/data')), 'the data directory is a volume')
  t.equal(hp.environment!.HEXPATROL_DATA_DIR, '/data')
})

t.test('compose: files named inside mounted configs exist', async (t) => {
  const mosq = services.mosquitto!
  const conf = readFileSync(hostPath(mosq, '/mosquitto/config/mosquitto.conf')!, 'utf8')
  for (const key of ['password_file', 'acl_file']) {
    const path = conf.match(new RegExp(`^${key}\\s+(\\S+)`, 'm'))?.[1]
    t.ok(path, `mosquitto.conf sets ${key}`)
    const host = hostPath(mosq, path!)
    t.ok(host !== null && (existsSync(host) || userCreated(host)), `${key} ${path} is mounted and exists (or is created from its .example)`)
  }
  const dataDir = conf.match(/^persistence_location\s+(\S+)/m)?.[1]
  t.ok(mosq.volumes!.some((v) => v === `mosquitto-data:${dataDir!.replace(/\/$/, '')}`), 'persistence_location is on a named volume')
  // The helper that creates the password file writes where the broker reads it.
  const helper = services['mosquitto-passwd']!
  t.same(helper.profiles, ['tools'], 'the helper is not started by `up`')
  t.ok(existsSync(hostPath(helper, helper.entrypoint![1]!)!), 'the helper script is mounted')
  t.equal(hostPath(helper, '/mosquitto/config/passwd'), hostPath(mosq, '/mosquitto/config/passwd'))

  const prom = services.prometheus!
  const promConf = parseYaml(readFileSync(hostPath(prom, prom.command!.find((c) => c.startsWith('--config.file='))!.split('=')[1]!)!, 'utf8')) as {
    rule_files: string[]; scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>
  }
  for (const f of promConf.rule_files) t.ok(existsSync(hostPath(prom, f) ?? ''), `prometheus rule file ${f} is mounted`)
  const job = promConf.scrape_configs.find((s) => s.job_name === 'hexpatrol')
  t.same(job?.static_configs[0]?.targets, ['hexpatrol:8080'])
  t.equal(job?.metrics_path ?? '/metrics', '/metrics')
  t.match(readFileSync(join(root, 'src/api/health.ts'), 'utf8'), /'\/metrics'/, 'the engine serves /metrics')

  const graf = services.grafana!
  const providers = (parseYaml(readFileSync(hostPath(graf, '/etc/grafana/provisioning/dashboards/hexpatrol.yaml')!, 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> }).providers
  for (const p of providers) {
    const host = hostPath(graf, p.options.path)
    t.ok(host !== null && readdirSync(host).some((f) => f.endsWith('.json')), `dashboard provider path ${p.options.path} holds dashboards`)
  }
  t.ok(existsSync(hostPath(graf, graf.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!)!), 'the home dashboard exists')
  t.ok(existsSync(hostPath(graf, '/etc/grafana/provisioning/datasources/clickhouse.yaml')!), 'the datasources are provisioned')
  t.ok(existsSync(hostPath(services.clickhouse!, '/etc/clickhouse-server/users.d/hexpatrol.xml')!), 'the ClickHouse users are mounted')
})

t.test('compose: environment variables are known to the engine, and secrets are not committed', async (t) => {
  const example = read('.env.example')
  const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!))
  const known = new Set(ENV_VARS)
  const text = read('docker-compose.yml')
  for (const [name, s] of Object.entries(services)) {
    for (const key of Object.keys(s.environment ?? {})) {
      if (key.startsWith('HEXPATROL_')) t.ok(known.has(key) || documented.has(key), `${name}: ${key} is read by src/config/load.ts (or is a documented secret)`)
    }
  }
  // Every ${VAR} compose interpolates must be documented in .env.example, and must be required
  // (`:?`) so an empty password never reaches a service.
  const interpolated = [...text.matchAll(/\$\{([A-Z0-9_]+)(:?[?-])?[^}]*\}/g)]
  t.ok(interpolated.length > 0)
  for (const [whole, name, op] of interpolated) {
    t.ok(documented.has(name!), `${name} is documented in docker/.env.example`)
    t.equal(op, ':?', `${whole} is required`)
  }
  t.notMatch(text, /PASSWORD:[ \t]+(?!\$\{)\S/, 'no literal passwords in compose')
  t.ok(read('.gitignore').split('\n').includes('.env'), 'docker/.env is git-ignored')
  t.notOk(existsSync(join(docker, 'mosquitto', 'passwd')) && !read('mosquitto/.gitignore').includes('passwd'), 'mosquitto/passwd is never committed')
  t.ok(read('mosquitto/.gitignore').split('\n').includes('passwd'))
  t.ok(existsSync(join(docker, 'mosquitto/passwd.example')))
  t.notMatch(read('mosquitto/passwd.example'), /^[^#\s][^:]*:\$7\$\d+\$[A-Za-z0-9+/=]{8,}\$[A-Za-z0-9+/=]{20,}/m, 'passwd.example holds no real hash')
  t.notMatch(read('clickhouse/users.d/hexpatrol.xml'), /<password>[^<]|<password_sha256_hex>/, 'no literal ClickHouse passwords')

  // The engine accepts exactly this environment with the mounted config.
  const hp = services.hexpatrol!
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(hp.environment!)) env[k] = v.replace(/\$\{([A-Z0-9_]+)[^}]*\}/g, (_m, n: string) => `secret-for-${n}`)
  const { config, path } = loadConfig({ env, path: hostPath(hp, env.HEXPATROL_CONFIG!)! })
  t.ok(path)
  t.equal(config.mqtt.url, 'mqtt://mosquitto:1883')
  t.equal(config.mqtt.username, 'hexpatrol')
  t.equal(config.mqtt.password, 'secret-for-HEXPATROL_MQTT_PASSWORD')
  t.equal(config.clickhouse.url, 'http://clickhouse:8123')
  t.equal(config.clickhouse.username, 'hexpatrol')
  t.equal(config.clickhouse.password, 'secret-for-CLICKHOUSE_HEXPATROL_PASSWORD')
  t.equal(config.clickhouse.database, 'hexpatrol')
  t.equal(config.data_dir, '/data')
  // The same secret reaches both ends.
  t.equal(services.mosquitto!.environment!.HEXPATROL_MQTT_PASSWORD, hp.environment!.HEXPATROL_MQTT_PASSWORD)
  t.equal(services.clickhouse!.environment!.CLICKHOUSE_HEXPATROL_PASSWORD, hp.environment!.HEXPATROL_CLICKHOUSE_PASSWORD)
  t.equal(services.clickhouse!.environment!.CLICKHOUSE_GRAFANA_PASSWORD, services.grafana!.environment!.CLICKHOUSE_GRAFANA_PASSWORD)
  const users = read('clickhouse/users.d/hexpatrol.xml')
  t.match(users, /<hexpatrol>[\s\S]*from_env="CLICKHOUSE_HEXPATROL_PASSWORD"[\s\S]*GRANT ALL ON hexpatrol\.\*[\s\S]*<\/hexpatrol>/, 'the writer user')
  t.match(users, /<grafana>[\s\S]*from_env="CLICKHOUSE_GRAFANA_PASSWORD"[\s\S]*<profile>grafana_readonly<\/profile>[\s\S]*GRANT SELECT ON hexpatrol\.\*[\s\S]*<\/grafana>/, 'the read-only user')
  t.match(users, /<grafana_readonly>[\s\S]*<readonly>1<\/readonly>[\s\S]*<max_execution_time>\s*<changeable_in_readonly\/>/, 'readonly=1, with the timeout the Grafana plugin sets')
})

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.split(/\s+/)[0]!.length).trim() }))
}

t.test('Dockerfile: builds what package.json builds, runs what src/main.ts becomes', async (t) => {
  const df = instructions(read('Dockerfile'))
  const all = (op: string) => df.filter((i) => i.op === op).map((i) => i.args)
  const args = Object.fromEntries(all('ARG').map((a) => a.split('=') as [string, string]))
  const froms = all('FROM').map((f) => f.replace(/\$\{(\w+)\}/g, (_m, n: string) => args[n] ?? ''))
  t.ok(froms.length >= 2, 'multi-stage')
  // The image runs the Node line CI runs the whole suite on (.ci/run HEXP_NODE_FULL), on Debian.
  const ciNode = readFileSync(join(root, '.ci', 'run'), 'utf8').match(/^HEXP_NODE_FULL=(\d+)\./m)?.[1]
  t.ok(ciNode, '.ci/run names the Node version of the full run')
  for (const f of froms) t.match(f, new RegExp(`^node:${ciNode}-bookworm-slim\\b`), `${f}: Node ${ciNode} on Debian (glibc for chdb), not Alpine`)
  const runs = all('RUN').join('\n')
  t.match(runs, /npm ci\b/)
  t.match(runs, /npm run build\b/)
  t.match(runs, /npm prune --omit=dev\b/)

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; main: string }
  const buildConfig = pkg.scripts.build!.match(/-p\s+(\S+)/)?.[1]
  t.ok(buildConfig, 'the build script names its tsconfig')
  const tsb = JSON.parse(readFileSync(join(root, buildConfig!), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } }
  const cmd = JSON.parse(all('CMD').at(-1)!) as string[]
  t.same(cmd.slice(0, 1), ['node'], 'exec form, node as PID 1')
  const entry = cmd[1]!
  const source = join(tsb.compilerOptions.rootDir, relative(tsb.compilerOptions.outDir, entry)).replace(/\.js$/, '.ts')
  t.equal(source, join('src', 'main.ts'))
  t.ok(existsSync(join(root, source)), `${entry} is compiled from ${source}`)
  t.equal(pkg.main, entry)
  t.match(pkg.scripts.start, new RegExp(`node ${entry}`))
  // Everything the build stage copies from the context exists and is not dockerignored.
  const ignore = read('Dockerfile.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  for (const must of ['node_modules', 'data', 'dist', '.git', '.tap']) t.ok(ignore.includes(must), `dockerignore excludes ${must}`)
  const copies = all('COPY').filter((c) => !c.includes('--from='))
  for (const c of copies) {
    const parts = c.split(/\s+/).filter((p) => !p.startsWith('--'))
    for (const src of parts.slice(0, -1)) {
      t.ok(existsSync(join(root, src)), `COPY ${src} exists in the build context`)
      t.notOk(ignore.includes(src), `COPY ${src} is not dockerignored`)
    }
  }
  t.ok(copies.some((c) => /\bsrc\b/.test(c)) && copies.some((c) => /tsconfig\.build\.json/.test(c)), 'sources and the build tsconfig are copied')

  const user = all('USER').at(-1)
  t.ok(user && user !== 'root' && user !== '0', `runs as a non-root user (${user})`)
  t.match(all('RUN').join('\n'), new RegExp(`useradd\\b.*\\b${user}\\b`), 'the user is created')
  t.same(all('VOLUME'), ['/data'])
  t.ok(all('ENV').some((e) => /\bHEXPATROL_DATA_DIR=\/data\b/.test(e)), 'HEXPATROL_DATA_DIR=/data')
  t.ok(ENV_VARS.includes('HEXPATROL_DATA_DIR'))
  t.same(all('EXPOSE').join(' ').split(/\s+/).sort(), ['1883', '8080'])
  const health = all('HEALTHCHECK').join(' ')
  t.notMatch(health, /\bcurl\b|\bwget\b/, 'no curl or wget in the slim image')
  t.match(readFileSync(join(root, 'src/api/health.ts'), 'utf8'), /'\/healthz'/, 'the engine serves /healthz')
})

async function runHealthcheck(port: number | null, status: number): Promise<number> {
  const df = instructions(read('Dockerfile'))
  const hc = df.find((i) => i.op === 'HEALTHCHECK')!.args
  const argv = JSON.parse(hc.slice(hc.indexOf('CMD') + 3).trim()) as string[]
  if (argv[0] !== 'node') throw new Error(`HEALTHCHECK runs ${argv[0]}, expected node`)
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/healthz' ? status : 404
    res.end('{}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const listening = (server.address() as AddressInfo).port
  try {
    return await new Promise<number>((resolveExit, reject) => {
      const child = spawn(process.execPath, argv.slice(1), { env: childEnv({ HEXPATROL_HTTP_PORT: String(port ?? listening) }), stdio: 'ignore' })
      const timer = setTimeout(() => { child.kill(); reject(new Error('healthcheck hung')) }, 15_000)
      child.on('exit', (code) => { clearTimeout(timer); resolveExit(code ?? -1) })
    })
  } finally {
    server.close()
  }
}

t.test('Dockerfile HEALTHCHECK: exit 0 on a healthy /healthz, 1 otherwise', async (t) => {
  t.equal(await runHealthcheck(null, 200), 0, 'healthy')
  t.equal(await runHealthcheck(null, 503), 1, 'unhealthy answer')
  // A port nobody listens on: the fetch fails and the check must fail, not hang or throw.
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const dead = (probe.address() as AddressInfo).port
  await new Promise<void>((r) => probe.close(() => r()))
  t.equal(await runHealthcheck(dead, 200), 1, 'connection refused')
})

t.test('mosquitto.conf keeps messages under load and requires authentication', async (t) => {
  const conf = read('mosquitto/mosquitto.conf')
  const opts = new Map<string, string[]>()
  for (const line of conf.split('\n')) {
    const l = line.trim()
    if (!l || l.startsWith('#')) continue
    const [k, ...v] = l.split(/\s+/)
    opts.set(k!, [...(opts.get(k!) ?? []), v.join(' ')])
  }
  const one = (k: string) => opts.get(k)?.at(-1)
  t.equal(one('persistence'), 'true')
  t.ok(one('persistence_location'))
  t.ok(Number(one('autosave_interval')) > 0, 'autosave_interval set')
  const queued = Number(one('max_queued_messages'))
  t.ok(queued === 0 || queued >= 100_000, `max_queued_messages raised from the default 1000 (${queued})`)
  t.ok(Number(one('max_inflight_messages')) > 20, 'max_inflight_messages raised from the default 20')
  t.same(opts.get('listener'), ['1883'])
  t.equal(one('allow_anonymous'), 'false')
  t.equal(one('password_file'), '/mosquitto/config/passwd')
  t.equal(one('acl_file'), '/mosquitto/config/acl')
  t.ok(Number(one('max_packet_size')) > 262_144, 'the broker passes payloads the engine rejects with a reason (mqtt.max_payload_bytes)')

  const acl = read('mosquitto/acl').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  for (const line of ['pattern write fleet/%u/position', 'pattern write owntracks/%u/+', 'pattern read hexpatrol/devices/%u/#']) t.ok(acl.includes(line), line)
  t.notOk(acl.some((l) => l.startsWith('pattern') && /hexpatrol\/alerts/.test(l)), 'no device reads the full alert feed (it carries every unit\'s position)')
  const userAt = acl.indexOf('user hexpatrol')
  t.ok(userAt >= 0, 'the engine has its own user section')
  const engine = acl.slice(userAt + 1)
  for (const line of ['topic read fleet/+/position', 'topic read owntracks/#', 'topic write hexpatrol/alerts/#', 'topic write hexpatrol/devices/#']) t.ok(engine.includes(line), `hexpatrol: ${line}`)
  t.notOk(acl.some((l) => /^(pattern|topic)\s+((read|readwrite)\s+)?#$/.test(l)), 'nobody may subscribe to #')
  t.equal(services.hexpatrol!.environment!.HEXPATROL_MQTT_USERNAME, 'hexpatrol', 'the engine logs in as the ACL user')
  t.ok(statSync(join(docker, 'mosquitto/add-user.sh')).mode & 0o100, 'add-user.sh is executable')
})
