import t from 'tap'
import { IpAllowList } from '../../src/ingest/ip-allow-list.js'
import { HexpatrolError } from '../../src/errors.js'

t.test('CIDRs, bare addresses, IPv4-mapped IPv6, empty list', async (t) => {
  const l = new IpAllowList('k', ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32'])
  t.ok(l.has('10.1.2.3'))
  t.ok(l.has('::ffff:10.1.2.3'), 'an IPv4 client of a dual-stack socket')
  t.ok(l.has('192.168.1.7'))
  t.notOk(l.has('192.168.1.8'))
  t.ok(l.has('2001:db8::1'))
  t.notOk(l.has('2001:db9::1'))
  t.notOk(l.has('not an ip'))
  t.notOk(l.has('127.0.0.1'))
  t.ok(new IpAllowList('k', []).has('203.0.113.9'), 'empty allows every address')
})

t.test('bad entries fail at start-up naming the key', async (t) => {
  let err: unknown
  try {
    new IpAllowList('http_ingest.osmand_allow_ips', ['10.0.0/8']) // eslint-disable-line no-new
  } catch (e) {
    err = e
  }
  t.ok(err instanceof HexpatrolError)
  t.equal((err as HexpatrolError).code, 'HEXP_ERR_CONFIG')
  t.match((err as Error).message, /http_ingest.osmand_allow_ips: "10.0.0\/8" is not a CIDR/)
  t.throws(() => new IpAllowList('k', ['10.0.0.0/33']), /invalid prefix length/)
  t.throws(() => new IpAllowList('k', ['::/x']), /invalid prefix length/)
})
