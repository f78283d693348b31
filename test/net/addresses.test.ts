import t from 'tap'
import { CidrList, embeddedIPv4, ipv6Groups, isLoopbackAddress, isLoopbackHost, mappedIPv4 } from '../../src/net/addresses.js'
import { HexpatrolError } from '../../src/errors.js'

t.test('CIDR list: IPv4, IPv6, bare addresses, IPv4-mapped IPv6', async (t) => {
  const l = new CidrList('k', ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', ' 172.16.0.0/12 '])
  t.ok(l.has('10.1.2.3'))
  t.ok(l.has('::ffff:10.1.2.3'), 'an IPv4 client of a dual-stack socket')
  t.ok(l.has('::ffff:a01:203'), 'the same in hex')
  t.ok(l.has('192.168.1.7'), 'a bare IPv4 address is a /32')
  t.notOk(l.has('192.168.1.8'))
  t.ok(l.has('172.31.0.1'), 'entries are trimmed')
  t.ok(l.has('2001:db8::1'))
  t.notOk(l.has('2001:db9::1'))
  t.notOk(l.has('::ffff:11.0.0.1'))
  t.notOk(l.has('not an ip'))
  t.notOk(l.has('127.0.0.1'))
  t.equal(l.empty, false)
  t.same(l.cidrs, ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', ' 172.16.0.0/12 '])
  const v6 = new CidrList('k', ['fd00::1'])
  t.ok(v6.has('fd00::1'), 'a bare IPv6 address is a /128')
  t.notOk(v6.has('fd00::2'))
  const none = new CidrList('k', [])
  t.equal(none.empty, true)
  t.notOk(none.has('203.0.113.9'), 'an empty list matches nothing (callers decide what empty means)')
  t.ok(new CidrList('k', ['0.0.0.0/0']).has('203.0.113.9'), 'a /0 matches every IPv4 address')
})

t.test('bad entries fail at start-up naming the key', async (t) => {
  let err: unknown
  try {
    new CidrList('http_ingest.osmand_allow_ips', ['10.0.0/8']) // eslint-disable-line no-new
  } catch (e) {
    err = e
  }
  t.ok(err instanceof HexpatrolError)
  t.equal((err as HexpatrolError).code, 'HEXP_ERR_CONFIG')
  t.match((err as Error).message, /http_ingest.osmand_allow_ips: "10.0.0\/8" is not a CIDR \(e\.g\. 10\.0\.0\.0\/8\)/)
  t.throws(() => new CidrList('k', ['nonsense/8']), /k: "nonsense\/8" is not a CIDR/)
  t.throws(() => new CidrList('k', ['']), /is not a CIDR/)
  t.throws(() => new CidrList('k', ['10.0.0.0/33']), /k: "10.0.0.0\/33" has an invalid prefix length/)
  t.throws(() => new CidrList('k', ['::/129']), /invalid prefix length/)
  t.throws(() => new CidrList('k', ['::/x']), /invalid prefix length/)
  t.throws(() => new CidrList('k', ['10.0.0.0/-1']), /invalid prefix length/)
  t.throws(() => new CidrList('k', ['10.0.0.0/8.5']), /invalid prefix length/)
})

t.test('IPv6 groups and the IPv4 address an IPv6 address carries', async (t) => {
  t.same(ipv6Groups('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304])
  t.same(ipv6Groups('fe80::1%eth0'), [0xfe80, 0, 0, 0, 0, 0, 0, 1])
  t.same(ipv6Groups('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8])
  t.same(ipv6Groups('::'), [0, 0, 0, 0, 0, 0, 0, 0])
  t.equal(mappedIPv4('::ffff:127.0.0.1'), '127.0.0.1')
  t.equal(mappedIPv4('::FFFF:7f00:1'), '127.0.0.1')
  t.equal(mappedIPv4('64:ff9b::10.0.0.1'), null, 'NAT64 is not a mapped address')
  t.equal(mappedIPv4('10.0.0.1'), null)
  t.equal(mappedIPv4('nope'), null)
  t.equal(embeddedIPv4('::ffff:7f00:1'), '127.0.0.1')
  t.equal(embeddedIPv4('64:ff9b::10.0.0.1'), '10.0.0.1')
  t.equal(embeddedIPv4('::127.0.0.1'), '127.0.0.1', 'deprecated IPv4-compatible form')
  t.equal(embeddedIPv4('::1'), null)
  t.equal(embeddedIPv4('::'), null)
  t.equal(embeddedIPv4('2001:db8::1'), null)
  t.equal(embeddedIPv4('1.2.3.4'), null)
})

t.test('loopback addresses', async (t) => {
  for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::0:1', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:0001']) t.ok(isLoopbackAddress(ip), ip)
  for (const ip of ['0.0.0.0', '10.0.0.1', '128.0.0.1', '::', '::2', '1::1', '::ffff:10.0.0.1', '64:ff9b::127.0.0.1', 'localhost', '127.lan', '']) t.notOk(isLoopbackAddress(ip), ip)
})

t.test('loopback hosts: localhost or a loopback literal, never a look-alike name', async (t) => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LocalHost', '[::1]', '::ffff:127.0.0.1', '[::ffff:127.0.0.1]', '0:0:0:0:0:0:0:1']) t.ok(isLoopbackHost(h), h)
  for (const h of ['0.0.0.0', '10.0.0.1', '::', '[::]', 'example.org', '127.lan', '127.0.0.1.nip.io', '::ffff:10.0.0.1', 'localhost.example.org', '[::1']) t.notOk(isLoopbackHost(h), h)
})
