// The client address behind a proxy (issue 19, item 9): only the configured proxies are believed,
// so rotating X-Forwarded-For neither escapes the per-address limit nor writes a chosen address
// into the audit log, and a client that is not a trusted proxy cannot name an address at all.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { trustProxyOption } from '../../src/api/server.js'
import { HexpatrolError } from '../../src/errors.js'
import { TOKENS, rig, testConfig } from './helpers.js'
import { tempDir } from '../helpers/harness.js'

const trust = (value: unknown) => () => validateConfig({ data_dir: tempDir(), http: { trust_proxy: value } })

t.test('trust_proxy: true is refused at start-up with what to write instead', async (t) => {
  let err: unknown
  try {
    trust(true)()
  } catch (e) {
    err = e
  }
  t.ok(err instanceof HexpatrolError)
  t.equal((err as HexpatrolError).code, 'HEXP_ERR_CONFIG')
  t.match((err as Error).message, /http\.trust_proxy: true .*trust_proxy: \["127\.0\.0\.1"\].*trust_proxy: 1/)
  t.throws(trust(['10.0.0.0/33']), /"10\.0\.0\.0\/33" is not an IP address, a CIDR/)
  t.throws(trust(['proxy.example.org']), /is not an IP address/)
  t.throws(trust(['nothere/8']), /is not an IP address/)
  t.throws(trust(['::1/255.0.0.0']), /is not an IP address/, 'a netmask is for IPv4 only')
  t.throws(trust([]), /trust_proxy/, 'an empty list says nothing: use false')
  t.throws(trust(0), /trust_proxy/)
  for (const ok of [false, ['127.0.0.1'], ['loopback', '10.0.0.0/8', '::1', 'fd00::/8', '192.168.0.0/255.255.0.0'], 1, 2]) t.doesNotThrow(trust(ok), JSON.stringify(ok))
})

t.test('a hop count trusts that many addresses nearest the engine', async (t) => {
  const f = trustProxyOption(2) as (a: string, i: number) => boolean
  t.same([0, 1, 2, 3].map((i) => f('10.0.0.1', i)), [true, true, false, false])
  t.same(trustProxyOption(['127.0.0.1']), ['127.0.0.1'])
  t.equal(trustProxyOption(false), false)
})

t.test('behind a trusted proxy, a rotated X-Forwarded-For does not change the client address', async (t) => {
  const x = await rig({ config: testConfig({ http: { trust_proxy: ['127.0.0.1'], rate_limit: { per_ip: 5, per_token: 1000, window: '1m' } } }) })
  t.teardown(() => x.app.close())
  const codes: number[] = []
  for (let i = 0; i < 7; i++) {
    // The client prepends whatever it likes; the proxy appends the address it saw.
    const r = await x.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: `wrong-token-${i}-0123456789` }, headers: { 'x-forwarded-for': `10.9.${i}.${i}, 203.0.113.7` }, remoteAddress: '127.0.0.1' })
    codes.push(r.statusCode)
  }
  t.same(codes, [401, 401, 401, 401, 401, 429, 429], 'one budget for the address the proxy saw')
  t.ok(x.audits.length >= 5)
  t.same([...new Set(x.audits.map((a) => a.ip))], ['203.0.113.7'], 'the audit log has the address the proxy saw, never a forged one')
  // Another client behind the same proxy has its own budget.
  const other = await x.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.read }, headers: { 'x-forwarded-for': '203.0.113.8' }, remoteAddress: '127.0.0.1' })
  t.equal(other.statusCode, 204)
})

t.test('a client that is not a trusted proxy cannot inject an address', async (t) => {
  const x = await rig({ config: testConfig({ http: { trust_proxy: ['127.0.0.1'], rate_limit: { per_ip: 3, per_token: 1000, window: '1m' } } }) })
  t.teardown(() => x.app.close())
  const codes: number[] = []
  for (let i = 0; i < 4; i++) {
    const r = await x.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'wrong-token-0123456789' }, headers: { 'x-forwarded-for': `198.51.100.${i}` }, remoteAddress: '192.0.2.44' })
    codes.push(r.statusCode)
  }
  t.same(codes, [401, 401, 401, 429])
  t.same([...new Set(x.audits.map((a) => a.ip))], ['192.0.2.44'], 'the socket address, whatever the header says')
})

t.test('a hop count: the address the nearest proxy saw is the client', async (t) => {
  const x = await rig({ config: testConfig({ http: { trust_proxy: 1 } }) })
  t.teardown(() => x.app.close())
  await x.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'wrong-token-0123456789' }, headers: { 'x-forwarded-for': '1.1.1.1, 203.0.113.9' }, remoteAddress: '10.0.0.2' })
  t.same(x.audits.map((a) => a.ip), ['203.0.113.9'])
})
