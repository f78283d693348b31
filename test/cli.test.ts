// main() in-process: exit codes (2 for any config error, before a file or connection is opened;
// 1 when the engine cannot start; 0 after a clean stop on SIGTERM), usage errors, --check, and a
// full run configured with passwords and tokens whose captured output holds none of them.
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { stringify } from 'yaml'
import { main, EXIT, type MainIo } from '../src/cli.js'
import { tempDir, waitFor } from './helpers/harness.js'
import { connect } from './helpers/publisher.js'
import { freePort } from './helpers/mosquitto.js'

function io(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = []
  const err: string[] = []
  const logs: string[] = []
  const signals = new Map<string, () => void>()
  let code: number | null = null
  let resolveExit!: (c: number) => void
  const exited = new Promise<number>((resolve) => { resolveExit = resolve })
  const value: MainIo = {
    argv,
    env,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    exit: (c) => { code = c; resolveExit(c) },
    onSignal: (s, h) => signals.set(s, h),
    logDestination: new Writable({ write(chunk: Buffer, _e, cb) { logs.push(chunk.toString()); cb() } }),
  }
  return { io: value, out, err, logs, signals, exited, code: () => code }
}

function configFile(doc: Record<string, unknown>): string {
  const dir = tempDir('hexp-cli-')
  const path = join(dir, 'hexpatrol.yaml')
  writeFileSync(path, stringify(doc))
  return path
}

t.test('usage errors exit 2', async (t) => {
  for (const argv of [['--bogus'], ['--config']]) {
    const c = io(argv)
    t.equal(await main(c.io), null)
    t.equal(c.code(), EXIT.config)
    t.match(c.err.join(''), /usage: hexpatrol/)
  }
})

t.test('an invalid config exits 2 with the code and the key, before any file is opened', async (t) => {
  const dataDir = join(tempDir('hexp-cli-'), 'data')
  const path = configFile({ data_dir: dataDir, zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.8, 36.4], [117.9, 36.4], [117.9, 36.5], [117.8, 36.5]]] } }] })
  const c = io(['--config', path])
  t.equal(await main(c.io), null)
  t.equal(c.code(), 2)
  t.match(c.err.join(''), /^hexpatrol: HEXP_ERR_CONFIG: zones\.g1\.geometry\.coordinates\[0\]: ring is not closed/)
  t.match(c.err.join(''), /names the key/, 'with what to do')
  t.notOk(existsSync(dataDir), 'the data directory was not created')
  t.same(c.logs, [], 'no logger was even created')

  const exposed = io([`--config=${configFile({ data_dir: dataDir, broker: { host: '0.0.0.0' } })}`])
  await main(exposed.io)
  t.equal(exposed.code(), 2)
  t.match(exposed.err.join(''), /HEXP_ERR_BROKER_EXPOSED: broker\.allow_anonymous/)

  const missing = io(['-c', configFile({ data_dir: dataDir, clickhouse: { url: 'http://127.0.0.1:1', password_env: 'CH_PASSWORD' } })])
  await main(missing.io)
  t.equal(missing.code(), 2)
  t.match(missing.err.join(''), /clickhouse\.password_env: environment variable CH_PASSWORD is not set/)
  t.notOk(existsSync(dataDir))
})

t.test('a bad secret is refused without being printed', async (t) => {
  const c = io(['--config', configFile({})], { HEXPATROL_ADMIN_TOKEN: 'Sup3rSecr3t' })
  await main(c.io)
  t.equal(c.code(), 2)
  t.match(c.err.join(''), /http\.admin_token/)
  t.notOk(c.err.join('').includes('Sup3rSecr3t'), 'the token is not echoed')
  const missing = io([], { HEXPATROL_CONFIG: join(tempDir(), 'nope.yaml') })
  await main(missing.io)
  t.equal(missing.code(), 2)
  t.match(missing.err.join(''), /cannot read config file/)
})

t.test('--check validates and exits 0', async (t) => {
  const c = io(['--check', '--config', 'config/hexpatrol.yaml'], { HEXPATROL_LOCALE: 'en' })
  t.equal(await main(c.io), null)
  t.equal(c.code(), EXIT.ok)
  t.match(c.out.join(''), /configuration config\/hexpatrol\.yaml is valid/)
  // The sample deployment says locale: zh-CN.
  const zh = io(['--check', '--config', 'config/hexpatrol.yaml'])
  await main(zh.io)
  t.equal(zh.code(), EXIT.ok)
  t.equal(zh.out.join(''), 'hexpatrol: 配置 config/hexpatrol.yaml 有效\n')
})

t.test('start-up help in the locale of HEXPATROL_LOCALE (the config is not read yet)', async (t) => {
  const c = io(['--bogus'], { HEXPATROL_LOCALE: 'zh-CN' })
  await main(c.io)
  t.equal(c.code(), EXIT.config)
  t.match(c.err.join(''), /^hexpatrol: 未知参数 "--bogus"\n用法：hexpatrol \[--config <文件>\] \[--check\]/)
  const f = io(['--config'], { HEXPATROL_LOCALE: 'zh-CN' })
  await main(f.io)
  t.match(f.err.join(''), /--config 后面需要一个文件/)
  const bad = io(['--config', configFile({ broker: { host: '0.0.0.0' } })], { HEXPATROL_LOCALE: 'zh-CN' })
  await main(bad.io)
  t.equal(bad.code(), EXIT.config)
  t.match(bad.err.join(''), /HEXP_ERR_BROKER_EXPOSED: broker\.allow_anonymous.*\n内置 MQTT 服务将在非本机地址上接受匿名设备/s, 'the message names the key; the help is in Chinese')
  const en = io(['--bogus'], { HEXPATROL_LOCALE: 'fr' })
  await main(en.io)
  t.match(en.err.join(''), /unknown argument "--bogus"\nusage: hexpatrol/, 'an unknown locale: English')
})

t.test('an engine that cannot start exits 1 with the error and its stack in the log', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const c = io(['--config', configFile({ data_dir: tempDir(), http: { host: '127.0.0.1', port }, broker: { port: 0 } })])
  t.equal(await main(c.io), null)
  t.equal(c.code(), EXIT.failed)
  const fatal = c.logs.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { stack: string } }).find((l) => l.level === 60)
  t.equal(fatal?.msg, 'hexpatrol could not start.')
  t.match(fatal?.err?.stack, /EADDRINUSE/)
})

t.test('a full run with secrets configured: none reaches the output; SIGTERM stops with 0', async (t) => {
  const secrets = {
    admin: 'admin-token-Z9x8c7v6b5n4',
    device: 'device-pw-Q1w2e3r4',
    deviceEnv: 'device-env-pw-A5s6d7',
    webhook: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    webhookEnv: 'whsec_c2VjcmV0LWZyb20tZW52aXJvbm1lbnQ=',
    ding: 'SECdingtalk0123456789abcdef',
  }
  const httpPort = await freePort()
  const path = configFile({
    data_dir: tempDir(),
    log_level: 'debug',
    http: { host: '127.0.0.1', port: httpPort, admin_token_env: 'HEXP_ADMIN' },
    broker: { port: 0, allow_anonymous: false, users: [{ username: 'P-1', password: secrets.device }, { username: 'P-2', password_env: 'HEXP_DEV2' }] },
    webhooks: [
      { id: 'desk', url: 'https://duty.example.org/hook?access_token=abc', secret: secrets.webhook },
      { id: 'env', url: 'https://ops.example.org/hook', secret_env: 'HEXPATROL_WEBHOOK_SECRET_ENV' },
      { id: 'ding', url: 'https://oapi.dingtalk.com/robot/send', format: 'dingtalk', dingtalk_secret: secrets.ding },
    ],
    delivery: { allow_private_networks: [] },
  })
  const c = io(['--config', path], { HEXP_ADMIN: secrets.admin, HEXP_DEV2: secrets.deviceEnv, HEXPATROL_WEBHOOK_SECRET_ENV: secrets.webhookEnv })
  const engine = await main(c.io)
  t.ok(engine, 'running')
  t.equal(c.code(), null, 'not exited')
  const base = `http://127.0.0.1:${httpPort}`
  t.equal((await fetch(`${base}/api/v1/webhooks`, { headers: { authorization: `Bearer ${secrets.admin}` } })).status, 200)
  t.equal((await fetch(`${base}/api/v1/webhooks`, { headers: { authorization: `Bearer ${secrets.admin}x` } })).status, 401)
  const mqttUrl = `mqtt://127.0.0.1:${engine!.testHandle().source.broker!.port}`
  const bad = await connect(mqttUrl, { clientId: 'bad', username: 'P-1', password: `${secrets.device}x`, reconnectPeriod: 0 }).catch((e: Error) => e)
  t.ok(bad instanceof Error, 'a wrong device password is refused')
  const good = await connect(mqttUrl, { clientId: 'good', username: 'P-2', password: secrets.deviceEnv })
  await good.publishAsync('fleet/P-2/position', JSON.stringify({ ts: Date.now() - 1000, lat: 36.49, lon: 117.86 }), { qos: 1 })
  await good.endAsync()
  c.signals.get('SIGTERM')!()
  c.signals.get('SIGINT')!() // a second signal while stopping is ignored
  t.equal(await c.exited, EXIT.ok)
  await waitFor(() => c.logs.some((l) => l.includes('hexpatrol stopped.')), 60_000)
  const text = [...c.logs, ...c.out, ...c.err].join('')
  // Refusals are logged in aggregate (one summary a minute, issue 9) and counted per reason.
  t.match(text, /Refused device and API authentications since the last summary/, 'the refusal is logged (in aggregate, by the credential throttle every transport shares)')
  t.match(text, /"level":20/, 'debug lines were written too')
  for (const [name, s] of Object.entries(secrets)) t.notOk(text.includes(s), `the ${name} secret is not in the output`)
  t.notOk(text.includes('access_token=abc'), 'URL tokens are masked')
})

t.test('a failed shutdown exits 1 with the error in the log', async (t) => {
  const { main: mockedMain } = await t.mockImport<typeof import('../src/cli.js')>('../src/cli.js', {
    '../src/engine.js': {
      Engine: class {
        async start() {}
        async stop() { throw new Error('journal could not be sealed') }
      },
    },
  })
  const c = io(['--config', configFile({ data_dir: tempDir() })])
  t.ok(await mockedMain(c.io))
  c.signals.get('SIGTERM')!()
  t.equal(await c.exited, EXIT.failed)
  t.match(c.logs.join(''), /"stack":"Error: journal could not be sealed.*Shutdown failed/)
})
