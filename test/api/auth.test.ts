// Access control: the route enumeration (nothing but the public routes answers without a token,
// and authentication comes before validation), tokens and their scopes, the bootstrap admin token,
// browser sessions, rate limits, Host and CORS guards, the metrics token, and no secret in logs.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateConfig, loadConfig } from '../../src/config/load.js'
import { routesOf } from '../../src/api/server.js'
import { TokenBook } from '../../src/api/tokens.js'
import { scopeAllows, minScope } from '../../src/api/scopes.js'
import { ENV, TOKENS, as, rig, testConfig } from './helpers.js'
import { captureLogger, tempDir } from '../helpers/harness.js'

const r = await rig()
t.teardown(() => r.app.close())

// The map's page and bundle are public (they hold no data: everything they show comes from the API after login).
const PUBLIC = ['GET /', 'GET /assets/*', 'GET /docs', 'GET /healthz', 'GET /login', 'GET /metrics', 'GET /readyz', 'POST /api/v1/session']

t.test('route enumeration: only public routes answer without a token, and auth precedes validation', async (t) => {
  const routes = routesOf(r.app).filter((x) => x.method !== 'HEAD')
  t.ok(routes.length >= 25, `${routes.length} routes`)
  const publicRoutes = routes.filter((x) => x.scope === 'public' && !x.url.startsWith('/docs/')).map((x) => `${x.method} ${x.url}`).sort()
  t.same(publicRoutes, PUBLIC, 'the public routes are exactly these (plus the docs assets)')
  for (const route of routesOf(r.app)) {
    if (route.scope === 'public' || route.scope === 'device') continue
    // Invalid on purpose: an unknown query key, a path parameter over the limit, a malformed body.
    const url = `${route.url.replace(/:[A-Za-z]+/g, 'x'.repeat(150)).replace('*', 'x')}?zz=${'1'.repeat(5)}`
    const write = route.method !== 'GET' && route.method !== 'HEAD'
    const req = { method: route.method as 'GET', url, ...(write ? { payload: '{"bogus":', headers: { 'content-type': 'application/json' } } : {}) }
    const none = await r.app.inject(req)
    t.equal(none.statusCode, 401, `${route.method} ${route.url} without a token`)
    if (route.method !== 'HEAD') t.equal(none.json().code, 'HEXP_ERR_UNAUTHORIZED')
    const bad = await r.app.inject({ ...req, headers: { ...(req as { headers?: object }).headers, authorization: 'Bearer not-a-token-at-all' } })
    t.equal(bad.statusCode, 401, `${route.method} ${route.url} with a wrong token`)
    if (route.scope !== 'read') {
      const low = await r.app.inject({ ...req, headers: { ...(req as { headers?: object }).headers, ...as(route.scope === 'admin' ? 'operate' : 'read') } })
      t.equal(low.statusCode, 403, `${route.method} ${route.url} with too small a scope`)
    }
  }
  t.equal((await r.app.inject({ url: '/api/v1/units', headers: { authorization: 'Basic abc' } })).statusCode, 401, 'only Bearer')
})

t.test('scopes are ordered read < operate < admin', async (t) => {
  t.ok(scopeAllows('admin', 'operate'))
  t.ok(scopeAllows('operate', 'read'))
  t.notOk(scopeAllows('read', 'operate'))
  t.equal(minScope('admin', 'read'), 'read')
  t.equal(minScope('read', 'admin'), 'read')
})

t.test('tokens: env or sha256, never plaintext; config errors name the key', async (t) => {
  const { logger } = captureLogger()
  const sha = createHash('sha256').update('grafana-token-0123456789').digest('hex')
  const book = TokenBook.fromConfig(validateConfig({ data_dir: tempDir(), api: { tokens: [{ name: 'grafana', scope: 'read', token_sha256: sha.toUpperCase() }, { name: 'ops', scope: 'admin', token_env: 'T_OPS' }] } }, undefined, { T_OPS: 'ops-token-0123456789' }), logger)
  t.same(book.verify('grafana-token-0123456789'), { name: 'grafana', scope: 'read' })
  t.same(book.verify('ops-token-0123456789'), { name: 'ops', scope: 'admin' })
  t.equal(book.verify('grafana-token-012345678'), null)
  t.equal(book.size, 2)
  t.equal(book.bootstrapFile, null)
  const bad = (tokens: unknown[], env: NodeJS.ProcessEnv = {}, http: object = {}) => () => TokenBook.fromConfig(validateConfig({ data_dir: tempDir(), http, api: { tokens } }, undefined, env), logger)
  t.throws(bad([{ name: 'a', scope: 'read' }]), /api\.tokens\.0: give exactly one of token_env/)
  t.throws(bad([{ name: 'a', scope: 'read', token_env: 'X', token_sha256: sha }]), /exactly one/)
  t.throws(bad([{ name: 'a', scope: 'read', token_env: 'X' }]), /api\.tokens\.0\.token_env: environment variable X is not set/)
  t.throws(bad([{ name: 'a', scope: 'read', token_env: 'X' }], { X: 'short' }), /shorter than 16/)
  t.throws(bad([{ name: 'a', scope: 'read', token_sha256: sha }, { name: 'a', scope: 'admin', token_sha256: sha }]), /appears twice/)
  t.throws(bad([{ name: 'admin', scope: 'read', token_sha256: sha }], {}, { admin_token: TOKENS.admin }), /"admin" is taken/)
  t.throws(() => validateConfig({ api: { tokens: [{ name: 'a', scope: 'root', token_sha256: sha }] } }), /scope/)
  t.throws(() => validateConfig({ api: { tokens: [{ name: 'a', scope: 'read', token: 'plain-text-token-01234' }] } }), /unknown key/, 'a plaintext token is not a key')
})

t.test('HEXPATROL_ADMIN_TOKEN keeps working', async (t) => {
  const { config } = loadConfig({ path: '/dev/null', env: { HEXPATROL_ADMIN_TOKEN: 'env-admin-token-0123456789', HEXPATROL_DATA_DIR: tempDir() } })
  const book = TokenBook.fromConfig(config, captureLogger().logger)
  t.same(book.verify('env-admin-token-0123456789'), { name: 'admin', scope: 'admin' })
})

t.test('first start without any token creates an admin token file (0600) and logs its path only', async (t) => {
  const dir = tempDir()
  const { logger, logs } = captureLogger()
  const config = validateConfig({ data_dir: dir })
  const book = TokenBook.fromConfig(config, logger)
  const file = join(dir, 'admin-token')
  t.equal(book.bootstrapFile, file)
  t.equal(statSync(file).mode & 0o777, 0o600)
  const token = readFileSync(file, 'utf8').trim()
  t.ok(token.length >= 40)
  t.same(book.verify(token), { name: 'admin', scope: 'admin' })
  t.equal(logs[0]!.file, file)
  t.match(logs[0]!.msg, /created an admin token/)
  t.notMatch(JSON.stringify(logs), token, 'the token is never logged')
  // The next start reuses it (and tightens loose permissions).
  const { chmodSync } = await import('node:fs')
  chmodSync(file, 0o644)
  const again = captureLogger()
  const book2 = TokenBook.fromConfig(config, again.logger)
  t.same(book2.verify(token), { name: 'admin', scope: 'admin' })
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.match(again.logs[0]!.msg, /is the one in this file/)
  writeFileSync(file, 'short\n')
  t.throws(() => TokenBook.fromConfig(config, again.logger), /no usable token/)
  // And the API built on it requires that token.
  const x = await rig({ config: validateConfig({ data_dir: tempDir() }, undefined, {}) })
  t.teardown(() => x.app.close())
  const tok = readFileSync(join(x.ctx.config.data_dir, 'admin-token'), 'utf8').trim()
  t.equal((await x.app.inject('/api/v1/units')).statusCode, 401)
  t.equal((await x.app.inject({ url: '/api/v1/units', headers: { authorization: `Bearer ${tok}` } })).statusCode, 200)
})

function cookieOf(res: { headers: Record<string, unknown> }): string {
  return String(res.headers['set-cookie']).split(';')[0] as string
}

t.test('browser session: login, cookie flags, CSRF guard, logout, expiry, restart', async (t) => {
  const { app, clock, audits } = r
  let res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'wrong-token-0123456789' } })
  t.equal(res.statusCode, 401)
  t.same(audits.at(-1), { actor: 'anonymous', action: 'POST /api/v1/session', target: '', details: { status: 401 }, ip: '127.0.0.1' }, 'failed logins are audited')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/session', payload: {} })).statusCode, 400)
  res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.operate } })
  t.equal(res.statusCode, 204)
  t.equal(audits.at(-1)!.actor, 'sgt.wang')
  const set = String(res.headers['set-cookie'])
  t.match(set, /^hexpatrol_session=/)
  t.match(set, /HttpOnly/)
  t.match(set, /SameSite=Strict/)
  t.match(set, /Max-Age=43200/)
  t.notMatch(set, /Secure/, 'not Secure over plain HTTP')
  t.notMatch(set, TOKENS.operate, 'the cookie does not carry the token')
  const cookie = cookieOf(res)
  res = await app.inject({ url: '/api/v1/session', headers: { cookie } })
  t.same(res.json(), { name: 'sgt.wang', scope: 'operate', expiresAt: clock.now + 43_200_000 })
  t.same((await app.inject({ url: '/api/v1/session', headers: as('read') })).json(), { name: 'desk', scope: 'read', expiresAt: null }, 'a bearer token has no expiry')
  t.equal((await app.inject({ url: '/api/v1/units', headers: { cookie } })).statusCode, 200)
  // CSRF: a cookie-authenticated change must be JSON.
  const open = r.engine.openAlerts()
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/alerts/al_x/ack', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'note=x' })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/alerts/al_x/ack', headers: { cookie } })).statusCode, 403)
  res = await app.inject({ method: 'POST', url: '/api/v1/alerts/al_x/ack', headers: { cookie, 'content-type': 'application/json' }, payload: {} })
  t.equal(res.statusCode, 404, 'JSON with the cookie passes auth')
  t.equal(open.length, 0)
  // Tampered and foreign cookies.
  const [name, value] = cookie.split('=') as [string, string]
  const forged = Buffer.from(JSON.stringify(['sgt.wang', 'admin', clock.now + 1e9, 'x'])).toString('base64url')
  t.equal((await app.inject({ url: '/api/v1/units', headers: { cookie: `${name}=${forged}.${value.split('.')[1]}` } })).statusCode, 401, 'a re-scoped cookie fails the signature')
  t.equal((await app.inject({ url: '/api/v1/units', headers: { cookie: `${name}=garbage` } })).statusCode, 401)
  // Logout revokes this cookie.
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'content-type': 'application/json' } })).statusCode, 204)
  t.equal((await app.inject({ url: '/api/v1/units', headers: { cookie } })).statusCode, 401, 'revoked')
  // Expiry.
  res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.read } })
  const c2 = cookieOf(res)
  t.equal((await app.inject({ url: '/api/v1/units', headers: { cookie: c2 } })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/alerts/al_x/ack', headers: { cookie: c2, 'content-type': 'application/json' }, payload: {} })).statusCode, 403, 'a read session cannot acknowledge')
  clock.now += 43_200_001
  t.equal((await app.inject({ url: '/api/v1/units', headers: { cookie: c2 } })).statusCode, 401, 'expired')
  // A restart signs with a new secret: old cookies are worthless.
  res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.read } })
  const c3 = cookieOf(res)
  const restarted = await rig()
  t.teardown(() => restarted.app.close())
  restarted.clock.now = clock.now
  t.equal((await restarted.app.inject({ url: '/api/v1/units', headers: { cookie: c3 } })).statusCode, 401)
})

t.test('a configured session secret keeps sessions across restarts; removed tokens end their sessions', async (t) => {
  const secret = { http: { session_secret_env: 'S' } }
  const env = { ...ENV, S: 's'.repeat(40) }
  const a = await rig({ config: testConfig(secret, env) })
  t.teardown(() => a.app.close())
  const cookie = cookieOf(await a.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.operate } }))
  const b = await rig({ config: testConfig(secret, env) })
  t.teardown(() => b.app.close())
  t.equal((await b.app.inject({ url: '/api/v1/units', headers: { cookie } })).statusCode, 200)
  const c = await rig({ config: testConfig({ ...secret, api: { tokens: [] } }, env) })
  t.teardown(() => c.app.close())
  t.equal((await c.app.inject({ url: '/api/v1/units', headers: { cookie } })).statusCode, 401, 'the token behind the session is gone')
  const d = await rig({ config: testConfig({ ...secret, api: { tokens: [{ name: 'sgt.wang', scope: 'read', token_env: 'HEXP_T_READ' }] } }, env) })
  t.teardown(() => d.app.close())
  t.same((await d.app.inject({ url: '/api/v1/session', headers: { cookie } })).json().scope, 'read', 'a downgraded token downgrades its sessions')
})

t.test('Secure cookie over TLS (behind a proxy with trust_proxy)', async (t) => {
  // trust_proxy: true is refused at start-up (issue 19): the proxy is named.
  const x = await rig({ config: testConfig({ http: { trust_proxy: ['127.0.0.1'] } }) })
  t.teardown(() => x.app.close())
  const res = await x.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.read }, headers: { 'x-forwarded-proto': 'https' } })
  t.match(String(res.headers['set-cookie']), /Secure/)
})

t.test('rate limits per IP and per token', async (t) => {
  const x = await rig({ config: testConfig({ http: { rate_limit: { per_ip: 6, per_token: 3, window: '1m' } } }) })
  t.teardown(() => x.app.close())
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await x.app.inject({ url: '/api/v1/units', headers: as('read') })).statusCode)
  t.same(codes, [200, 200, 200, 429], 'per token')
  const limited = await x.app.inject({ url: '/api/v1/units', headers: as('read') })
  t.equal(limited.json().code, 'HEXP_ERR_RATE_LIMITED')
  t.ok(limited.headers['retry-after'])
  t.equal((await x.app.inject({ url: '/api/v1/units', headers: as('operate') })).statusCode, 200, 'another token has its own budget')
  t.equal((await x.app.inject({ url: '/api/v1/units', headers: as('operate') })).statusCode, 429, 'per IP: 6 requests from this address')
  t.equal((await x.app.inject({ url: '/healthz', remoteAddress: '10.0.0.9' })).statusCode, 200, 'another address has its own budget')
  const guesses: number[] = []
  for (let i = 0; i < 7; i++) guesses.push((await x.app.inject({ url: '/api/v1/units', remoteAddress: '10.0.0.7', headers: { authorization: `Bearer guess-${i}-0123456789` } })).statusCode)
  t.same(guesses, [401, 401, 401, 401, 401, 401, 429], 'token guessing is throttled per IP')
})

t.test('Host check, CORS, security headers', async (t) => {
  let res = await r.app.inject({ url: '/healthz', headers: { origin: 'https://evil.example' } })
  t.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS by default')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.match(String(res.headers['content-security-policy']), /default-src 'self'/)
  t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal((await r.app.inject({ method: 'OPTIONS', url: '/api/v1/units', headers: { origin: 'https://evil.example' } })).statusCode, 404)
  const x = await rig({ config: testConfig({ http: { allowed_hosts: ['patrol.example.org', 'localhost'], cors_origins: ['https://console.example.org'] } }) })
  t.teardown(() => x.app.close())
  res = await x.app.inject({ url: '/healthz', headers: { host: 'rebind.attacker.example:8080' } })
  t.equal(res.statusCode, 421)
  t.equal(res.json().code, 'HEXP_ERR_HOST_NOT_ALLOWED')
  t.equal((await x.app.inject({ url: '/healthz', headers: { host: 'PATROL.example.org:8443' } })).statusCode, 200)
  t.equal((await x.app.inject({ url: '/healthz', headers: { host: 'localhost' } })).statusCode, 200)
  t.equal((await x.app.inject({ url: '/healthz', headers: { host: '[::1]:8080' } })).statusCode, 421)
  const h = { host: 'localhost' }
  res = await x.app.inject({ method: 'OPTIONS', url: '/api/v1/units', headers: { ...h, origin: 'https://console.example.org', 'access-control-request-method': 'GET' } })
  t.equal(res.statusCode, 204)
  t.equal(res.headers['access-control-allow-origin'], 'https://console.example.org')
  t.match(String(res.headers['access-control-allow-headers']), /authorization/)
  res = await x.app.inject({ url: '/api/v1/units', headers: { ...h, ...as('read'), origin: 'https://console.example.org' } })
  t.equal(res.headers['access-control-allow-origin'], 'https://console.example.org')
  res = await x.app.inject({ method: 'OPTIONS', url: '/api/v1/units', headers: { ...h, origin: 'https://evil.example' } })
  t.equal(res.statusCode, 403)
  t.equal(res.headers['access-control-allow-origin'], undefined)
  t.equal((await x.app.inject({ url: '/api/v1/units', headers: { ...h, origin: 'https://evil.example' } })).statusCode, 401, 'a foreign origin gets nothing')
})

t.test('metrics token', async (t) => {
  const x = await rig({ config: testConfig({ http: { metrics_token_env: 'M' } }, { ...ENV, M: 'scrape-token-0123456789' }) })
  t.teardown(() => x.app.close())
  t.equal((await x.app.inject('/metrics')).statusCode, 401)
  t.equal((await x.app.inject({ url: '/metrics', headers: { authorization: 'Bearer nope' } })).statusCode, 401)
  t.equal((await x.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-token-0123456789' } })).statusCode, 200)
  t.equal((await x.app.inject({ url: '/metrics', headers: as('read') })).statusCode, 200, 'any API token may scrape')
  t.equal((await x.app.inject('/healthz')).statusCode, 200)
})

t.test('no token or cookie secret ever reaches the log', async (t) => {
  const { logger, logs } = captureLogger('trace')
  const x = await rig({ ctx: { logger } })
  t.teardown(() => x.app.close())
  await x.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.admin } })
  await x.app.inject({ url: '/api/v1/units', headers: as('operate') })
  await x.app.inject({ url: '/api/v1/units', headers: { authorization: 'Bearer guessed-token-0123456789' } })
  const text = JSON.stringify(logs)
  for (const tok of [...Object.values(TOKENS), 'guessed-token-0123456789']) t.notMatch(text, tok)
})

// Issue 19, item 9 (login part): the login backs off per client address and per account, through
// the credential throttle the device transports share; a throttled login is 429 with Retry-After
// and its token is not checked.
t.test('login: wrong tokens back off per address, and per account across addresses', async (t) => {
  const x = await rig()
  t.teardown(() => x.app.close())
  const login = (token: string, remoteAddress = '127.0.0.1', name?: string) =>
    x.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token, ...(name === undefined ? {} : { name }) }, remoteAddress })
  const tally: Record<number, number> = {}
  let res = await login('wrong-token-0')
  for (let i = 0; i < 300; i++) {
    res = await login(`wrong-token-${i}`)
    tally[res.statusCode] = (tally[res.statusCode] ?? 0) + 1
  }
  t.same(tally, { 401: 5, 429: 295 }, '300 wrong tokens from one address: 6 checked in all, the rest refused unchecked')
  t.equal(res.headers['retry-after'], '1')
  t.equal(res.json().code, 'HEXP_ERR_RATE_LIMITED')
  t.equal((await login(TOKENS.operate)).statusCode, 429, 'the right token waits out the address back-off too')
  t.equal((await login(TOKENS.operate, '192.0.2.1')).statusCode, 204, 'another address logs in')
  x.clock.now += 1000
  t.equal((await login(TOKENS.operate)).statusCode, 204, 'after the back-off')

  // One account guessed from many addresses (each below its own free failures).
  t.equal((await login(TOKENS.operate, '192.0.2.50', 'sgt.wang')).statusCode, 204, 'sgt.wang logs in from the desk')
  const spread: Record<number, number> = {}
  for (let i = 0; i < 100; i++) {
    const r = await login(`guess-${i}-0123456789`, `10.0.${i}.1`, 'sgt.wang')
    spread[r.statusCode] = (spread[r.statusCode] ?? 0) + 1
  }
  t.same(spread, { 401: 11, 429: 89 }, '100 addresses, one account: 11 checked')
  const stranger = await login(TOKENS.operate, '203.0.113.9', 'sgt.wang')
  t.equal(stranger.statusCode, 429)
  t.match(stranger.json().message, /for this account/)
  t.equal((await login(TOKENS.operate, '192.0.2.50', 'sgt.wang')).statusCode, 204, 'the desk that logged in before is not locked out')
  t.equal((await login(TOKENS.read, '203.0.113.9', 'desk')).statusCode, 204, 'other accounts are unaffected')
  t.equal((await login(TOKENS.read, '203.0.113.10', 'sgt.wang')).statusCode, 429, 'a token of another account under this name is refused unchecked too')
  x.clock.now += 10 * 60_000
  t.equal((await login(TOKENS.read, '203.0.113.10', 'sgt.wang')).statusCode, 401, 'the name must be the token\'s')
})
