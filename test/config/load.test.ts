import t from 'tap'
import { existsSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, validateConfig, readConfigFile, ENV_VARS } from '../../src/config/load.js'
import { resolveSecret } from '../../src/config/resolve.js'
import { HexpatrolError } from '../../src/errors.js'
import { tempDir } from '../helpers/harness.js'

t.test('defaults give a runnable config', async (t) => {
  const c = validateConfig({})
  t.equal(c.http.port, 8080)
  t.equal(c.broker.host, '127.0.0.1')
  t.equal(c.broker.port, 1883)
  t.equal(c.clickhouse.database, 'hexpatrol')
  t.equal(c.data_dir, './data')
  t.equal(c.h3.resolution, 9)
  t.same(c.mqtt.subscriptions, [{ topic: 'fleet/+/position', format: 'native' }, { topic: 'owntracks/+/+', format: 'owntracks' }])
  t.equal(c.rules.radius.dwell, 60_000, 'durations decode to ms')
  t.same(c.delivery.schedule.slice(0, 3), [0, 5000, 300_000])
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.rules.radius), 'frozen')
})

t.test('unknown keys and bad values name the key', async (t) => {
  t.throws(() => validateConfig({ htp: {} }), /htp: unknown key/)
  t.throws(() => validateConfig({ rules: { radius: { dwel: '5s' } } }), /rules\.radius\.dwel: unknown key/)
  t.throws(() => validateConfig({ http: { port: 'x' } }), /http\.port: Expected integer \(got "x"\)/)
  t.throws(() => validateConfig({ rules: { radius: { dwell: 'soon' } } }), /rules\.radius\.dwell.*invalid duration "soon"/s)
  const err = (() => { try { validateConfig({ zzz: 1 }) } catch (e) { return e } return undefined })()
  t.ok(err instanceof HexpatrolError && err.code === 'HEXP_ERR_CONFIG' && err.help.length > 0, 'coded error with help')
})

t.test('cross-references are checked', async (t) => {
  const base = { posts: [{ id: 's1', lat: 36.5, lon: 117.8, radius_m: 1500 }] }
  t.throws(() => validateConfig({ ...base, units: [{ id: 'P-1', post: 's2' }] }), /units\.P-1\.post: no post with id "s2" \(known: s1\)/)
  t.throws(() => validateConfig({ units: [{ id: 'P-1', zone: 'g1' }] }), /units\.P-1\.zone: no zone with id "g1" \(known: none\)/)
  t.throws(() => validateConfig({ units: [{ id: 'a' }, { id: 'a' }] }), /units: id "a" appears twice/)
  // Webhooks, geometry, the broker's exposure, terminals and incidents: test/boot.test.ts.
  const zone = { id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.8, 36.4], [117.9, 36.4], [117.9, 36.5], [117.8, 36.4]]] }, coverage: { priority_cells: [{ name: 'x' }] } }
  t.throws(() => validateConfig({ zones: [zone] }), /priority_cells\.0: give either cell or lat and lon/)
})

t.test('file + env: env overrides file, zone geometry from a file', async (t) => {
  const dir = tempDir()
  mkdirSync(join(dir, 'zones'))
  writeFileSync(join(dir, 'zones', 'g1.geojson'), JSON.stringify({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[117.8, 36.4], [117.9, 36.4], [117.9, 36.5], [117.8, 36.4]]] } }))
  writeFileSync(join(dir, 'fc.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [{ geometry: { type: 'Polygon', coordinates: [[[117.8, 36.4], [117.9, 36.4], [117.9, 36.5], [117.8, 36.4]]] } }] }))
  writeFileSync(join(dir, 'bad.geojson'), JSON.stringify({ type: 'Point', coordinates: [1, 2] }))
  const path = join(dir, 'c.yaml')
  writeFileSync(path, 'http:\n  port: 9000\nzones:\n  - id: g1\n    geometry: { file: zones/g1.geojson }\n  - id: g2\n    geometry: { file: fc.geojson }\n')
  const { config } = loadConfig({ path, env: { HEXPATROL_HTTP_PORT: '9100', HEXPATROL_MQTT_URL: 'mqtt://b:1883', HEXPATROL_CLICKHOUSE_DATABASE: 'fleet', HEXPATROL_LOG_LEVEL: 'debug', HEXPATROL_DATA_DIR: '/tmp/x' } })
  t.equal(config.http.port, 9100)
  t.equal(config.mqtt.url, 'mqtt://b:1883')
  t.equal(config.clickhouse.database, 'fleet')
  t.equal(config.log_level, 'debug')
  t.equal(config.data_dir, '/tmp/x')
  t.equal((config.zones[0]!.geometry as { type: string }).type, 'Polygon')
  t.equal((config.zones[1]!.geometry as { type: string }).type, 'Polygon')
  t.throws(() => loadConfig({ path, env: { HEXPATROL_HTTP_PORT: 'eighty' } }), /HEXPATROL_HTTP_PORT: "eighty" is not a whole number/)
  writeFileSync(path, 'zones:\n  - id: g1\n    geometry: { file: bad.geojson }\n')
  t.throws(() => loadConfig({ path, env: {} }), /holds no GeoJSON Polygon/)
  const jpath = join(dir, 'c.json')
  writeFileSync(jpath, JSON.stringify({ http: { port: 9001 } }))
  t.equal(loadConfig({ path: jpath, env: {} }).config.http.port, 9001)
  t.equal(loadConfig({ env: { HEXPATROL_CONFIG: jpath } }).path, jpath)
  t.equal(loadConfig({ path: jpath, env: {}, overrides: { http: { host: '::1' } } }).config.http.host, '::1')
})

t.test('unreadable or malformed files say so', async (t) => {
  const dir = tempDir()
  t.throws(() => readConfigFile(join(dir, 'missing.yaml')), /cannot read config file .*Set HEXPATROL_CONFIG/)
  writeFileSync(join(dir, 'bad.yaml'), 'a: [1, 2\n')
  t.throws(() => readConfigFile(join(dir, 'bad.yaml')), /not valid YAML/)
  writeFileSync(join(dir, 'bad.json'), '{')
  t.throws(() => readConfigFile(join(dir, 'bad.json')), /not valid JSON/)
  writeFileSync(join(dir, 'list.yaml'), '- 1\n- 2\n')
  t.throws(() => readConfigFile(join(dir, 'list.yaml')), /mapping of keys/)
  writeFileSync(join(dir, 'empty.yaml'), '')
  t.same(readConfigFile(join(dir, 'empty.yaml')), {})
})

t.test('secrets from the environment', async (t) => {
  t.equal(resolveSecret('k', 'inline', 'X', {}), 'inline')
  t.equal(resolveSecret('k', undefined, undefined, {}), undefined)
  t.equal(resolveSecret('k', undefined, 'X', { X: 's3cret' }), 's3cret')
  t.throws(() => resolveSecret('mqtt.password', undefined, 'X', {}), /mqtt\.password: environment variable X is not set/)
})

t.test('the sample deployment is valid', async (t) => {
  const { config } = loadConfig({ path: 'config/hexpatrol.yaml', env: {} })
  t.equal(config.zones.length, 6)
  t.equal(config.posts.length, 11)
  t.ok(config.units.length >= 24)
})

t.test('env var list matches the configuration reference', async (t) => {
  const { readFileSync } = await import('node:fs')
  const reference = readFileSync('docs/configuration.md', 'utf8')
  for (const v of ENV_VARS) t.ok(reference.includes(v), `${v} is documented in docs/configuration.md`)
})

/** The HexpatrolError validateConfig throws (fails the test when it does not throw). */
function configErr(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): HexpatrolError {
  try {
    validateConfig(raw, undefined, env)
  } catch (e) {
    if (e instanceof HexpatrolError) return e
    throw e
  }
  throw new Error('validateConfig accepted the config')
}

const square = (closed: boolean) => ({ type: 'Polygon', coordinates: [[[117.8, 36.4], [117.9, 36.4], [117.9, 36.5], [117.8, 36.5], ...(closed ? [[117.8, 36.4]] : [])]] })

t.test('every check of the configuration itself is done by validateConfig, with a coded error naming the key', async (t) => {
  t.match(configErr({ broker: { allow_anonymous: false, users: [{ username: 'P-1' }] } }).message, /^broker\.users\.0 \(P-1\): give password or password_env/)

  for (const [raw, key] of [
    [{ mqtt: { password: 'a', password_env: 'B' } }, 'mqtt: give password or password_env, not both'],
    [{ clickhouse: { password: 'a', password_env: 'B' } }, 'clickhouse: give password or password_env, not both'],
    [{ broker: { users: [{ username: 'u', password: 'a', password_env: 'B' }] } }, 'broker.users.0: give password or password_env, not both'],
    [{ http: { admin_token: 'a'.repeat(16), admin_token_env: 'B' } }, 'http: give admin_token or admin_token_env, not both'],
  ] as const) t.equal(configErr(raw, { B: 'b', HEXPATROL_WEBHOOK_SECRET_B: 'b' }).message, key)

  for (const [raw, key] of [
    [{ mqtt: { url: 'mqtt://b', password_env: 'MQ_PW' } }, 'mqtt.password_env: environment variable MQ_PW is not set'],
    [{ clickhouse: { password_env: 'CH_PW' } }, 'clickhouse.password_env: environment variable CH_PW is not set'],
    [{ broker: { users: [{ username: 'u', password_env: 'U_PW' }] } }, 'broker.users.0.password_env: environment variable U_PW is not set'],
    [{ http: { admin_token_env: 'TOK' } }, 'http.admin_token_env: environment variable TOK is not set'],
    [{ webhooks: [{ id: 'w', url: 'https://x', secret_env: 'HEXPATROL_WEBHOOK_SECRET_WH' }] }, 'webhooks.w.secret_env: environment variable HEXPATROL_WEBHOOK_SECRET_WH is not set'],
  ] as const) {
    const e = configErr(raw)
    t.equal(e.code, 'HEXP_ERR_CONFIG')
    t.equal(e.message, key)
  }
})

t.test('the config comes back resolved: secrets are values, no *_env key is left', async (t) => {
  const env = { MQ_PW: 'mq-secret', CH_PW: 'ch-secret', U_PW: 'dev-secret', TOK: 't'.repeat(20), HEXPATROL_WEBHOOK_SECRET_WH: 'whsec_a, whsec_b', HEXPATROL_WEBHOOK_SECRET_ONE: 'mq-secret', API_TOK: 'a'.repeat(20), SESS: 's'.repeat(40), MET: 'm'.repeat(20) }
  const sha = 'f'.repeat(64)
  const c = validateConfig({
    mqtt: { password_env: 'MQ_PW' },
    clickhouse: { password_env: 'CH_PW' },
    broker: { users: [{ username: 'u', password_env: 'U_PW' }, { username: 'v', password: 'inline' }] },
    http: { admin_token_env: 'TOK', session_secret_env: 'SESS', metrics_token_env: 'MET' },
    api: { tokens: [{ name: 'desk', scope: 'read', token_env: 'API_TOK' }, { name: 'ops', scope: 'admin', token_sha256: sha }] },
    webhooks: [{ id: 'w', url: 'https://x', secret_env: 'HEXPATROL_WEBHOOK_SECRET_WH' }, { id: 'one', url: 'https://y', secret_env: 'HEXPATROL_WEBHOOK_SECRET_ONE' }],
    zones: [{ id: 'g1', geometry: square(true) }],
  }, undefined, env)
  t.equal(c.mqtt.password, 'mq-secret')
  t.equal(c.clickhouse.password, 'ch-secret')
  t.same(c.broker.users, [{ username: 'u', password: 'dev-secret', role: 'device' }, { username: 'v', password: 'inline', role: 'device' }])
  t.equal(c.http.admin_token, 't'.repeat(20))
  t.equal(c.http.session_secret, 's'.repeat(40), 'the session secret, read once here')
  t.equal(c.http.metrics_token, 'm'.repeat(20), 'the metrics token, read once here')
  t.same(c.api.tokens, [{ name: 'desk', scope: 'read', token: 'a'.repeat(20) }, { name: 'ops', scope: 'admin', token_sha256: sha }], 'API tokens from token_env are values')
  t.equal(validateConfig({ http: { session_secret: 'i'.repeat(40), session_secret_env: 'SESS' } }, undefined, env).http.session_secret, 'i'.repeat(40), 'an inline secret wins over its variable')
  t.same(c.webhooks[0]!.secret, ['whsec_a', 'whsec_b'], 'two secrets during rotation')
  t.equal(c.webhooks[1]!.secret, 'mq-secret')
  // `delivery.secret_env_prefix` names a prefix, not a variable.
  t.notOk(JSON.stringify(c).replace('"secret_env_prefix"', '').includes('_env'), 'no env reference is left')
  t.ok(Object.isFrozen(c.broker.users[0]))
  t.match(configErr({ http: { admin_token_env: 'TOK' } }, { TOK: 'short' }).message, /^http\.admin_token_env: the token in TOK is shorter than 16 characters$/)
})

t.test('config errors never print a secret', async (t) => {
  const dir = tempDir()
  const path = join(dir, 'c.yaml')
  writeFileSync(path, 'mqtt:\n  password: 12345\n')
  const cases: Array<[() => unknown, string]> = [
    [() => loadConfig({ env: { HEXPATROL_ADMIN_TOKEN: 'tooShortSecret' } }), 'tooShortSecret'],
    [() => loadConfig({ path, env: {} }), '12345'],
    [() => validateConfig({ clickhouse: { password: 4242 } }, undefined, {}), '4242'],
    [() => validateConfig({ webhooks: [{ id: 'w', url: 'https://x', secret: 777 }] }, undefined, {}), '777'],
    [() => validateConfig({ webhooks: [{ id: 'w', url: 'https://x', dingtalk_secret: 31337 }] }, undefined, {}), '31337'],
  ]
  for (const [run, secret] of cases) {
    const e = (() => { try { run() } catch (err) { return err as HexpatrolError } return undefined })()
    t.equal(e?.code, 'HEXP_ERR_CONFIG')
    t.match(e?.message, /password|secret|admin_token/, 'the key is named')
    t.notOk(`${e?.message}${e?.help}`.includes(secret), `the value of ${secret.length} characters is not shown`)
  }
  t.match(configErr({ http: { port: 'x' } }).message, /\(got "x"\)/, 'other values are still shown')
})

t.test('every secret is read once, while the config is loaded, before any file is opened', async (t) => {
  const dir = tempDir()
  const dataDir = join(dir, 'data')
  const path = join(dir, 'hexpatrol.json')
  const write = (extra: Record<string, unknown>) => writeFileSync(path, JSON.stringify({ data_dir: dataDir, ...extra }))
  const err = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig({ path, env })
    } catch (e) {
      t.equal((e as HexpatrolError).code, 'HEXP_ERR_CONFIG')
      return (e as Error).message
    }
    return 'no error'
  }
  write({ api: { tokens: [{ name: 'desk', scope: 'read', token_env: 'HEXP_DESK' }] } })
  t.equal(err({}), 'api.tokens.0.token_env: environment variable HEXP_DESK is not set')
  t.equal(err({ HEXP_DESK: 'short' }), 'api.tokens.0.token_env: the token in HEXP_DESK is shorter than 16 characters')
  t.equal(err({ HEXP_DESK: 'desk-token-0123456789' }), 'no error')
  write({ http: { session_secret_env: 'HEXP_SESSION' } })
  t.equal(err({}), 'http.session_secret_env: environment variable HEXP_SESSION is not set')
  write({ http: { metrics_token_env: 'HEXP_METRICS' } })
  t.equal(err({}), 'http.metrics_token_env: environment variable HEXP_METRICS is not set')
  t.equal(err({ HEXP_METRICS: 'scrape-token-0123456789' }), 'no error')
  t.notOk(existsSync(dataDir), 'nothing was created')
})
