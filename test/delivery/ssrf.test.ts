import t from 'tap'
import http from 'node:http'
import { once } from 'node:events'
import { checkAddress, checkLiteralHost, guardedLookup, AllowList } from '../../src/delivery/ssrf.js'

t.test('refused ranges', async (t) => {
  const refused = [
    '127.0.0.1', '127.255.0.9', '0.0.0.0', '169.254.169.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1',
    '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::1', 'fc12::3', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:0001', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '64:ff9b::10.0.0.1', '::127.0.0.1',
  ]
  for (const ip of refused) {
    const r = checkAddress(ip, [])
    t.equal(r.ok, false, ip)
    t.match(r.reason, /allow_private_networks/, ip)
  }
  t.match(checkAddress('169.254.169.254', []).reason, /link-local.*metadata/)
  t.match(checkAddress('::ffff:7f00:1', []).reason, /IPv4 127\.0\.0\.1\) is loopback \(127/)
  t.match(checkAddress('::1', []).reason, /::1 is loopback \(::1\)/)
  t.match(checkAddress('127.0.0.1', []).reason, /127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\)/)
  t.match(checkAddress('nope', []).reason, /not an IP/)
})

t.test('public addresses pass', async (t) => {
  for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8']) {
    t.same(checkAddress(ip, []), { ok: true }, ip)
  }
})

t.test('allow list, including mapped forms of an allowed IPv4 range', async (t) => {
  const allow = new AllowList(['127.0.0.0/8', 'fd00::/8', '10.9.9.9'])
  t.equal(checkAddress('127.0.0.1', allow).ok, true)
  t.equal(checkAddress('::ffff:7f00:1', allow).ok, true)
  t.equal(checkAddress('fd00::5', allow).ok, true)
  t.equal(checkAddress('10.9.9.9', allow).ok, true)
  t.equal(checkAddress('10.9.9.8', allow).ok, false)
  t.equal(checkAddress('::1', allow).ok, false)
  t.throws(() => new AllowList(['nonsense/8']), /not a CIDR/)
  t.throws(() => new AllowList(['10.0.0.0/33']), /prefix length/)
  t.throws(() => new AllowList(['10.0.0.0/x']), /prefix length/)
})

t.test('literal hosts', async (t) => {
  t.equal(checkLiteralHost('example.org', []), null)
  t.equal(checkLiteralHost('[::ffff:127.0.0.1]', [])?.ok, false)
  t.equal(checkLiteralHost('8.8.8.8', [])?.ok, true)
})

t.test('guarded lookup: any refused address refuses the host (DNS rebinding, mixed answers)', async (t) => {
  const fake = (answers: Record<string, Array<{ address: string; family: number }>>) =>
    (h: string, cb: (e: NodeJS.ErrnoException | null, a: Array<{ address: string; family: number }>) => void) => {
      const a = answers[h]
      if (a === undefined) {
        const e = new Error('ENOTFOUND') as NodeJS.ErrnoException
        e.code = 'ENOTFOUND'
        return cb(e, [])
      }
      cb(null, a)
    }
  const lookup = guardedLookup([], fake({
    'mixed.test': [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.1', family: 4 }],
    'public.test': [{ address: '93.184.216.34', family: 4 }, { address: '2606:4700::1111', family: 6 }],
  }))
  const call = (h: string, o: { family?: number | string; all?: boolean }) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => lookup(h, o, (err, address, family) => resolve({ err, address, family })))
  const mixed = await call('mixed.test', { all: true })
  t.equal(mixed.err?.code, 'HEXP_ERR_WEBHOOK_DESTINATION')
  t.match(mixed.err?.message, /mixed\.test refused: destination 10\.0\.0\.1 is private/)
  t.same((await call('public.test', { all: true })).address, [{ address: '93.184.216.34', family: 4 }, { address: '2606:4700::1111', family: 6 }])
  t.same(await call('public.test', { family: 6 }), { err: null, address: '2606:4700::1111', family: 6 })
  t.same(await call('public.test', { family: 'IPv4' }), { err: null, address: '93.184.216.34', family: 4 })
  t.same((await call('public.test', { family: 'IPv6', all: true })).address, [{ address: '2606:4700::1111', family: 6 }])
  t.equal((await call('nowhere.test', {})).err?.code, 'ENOTFOUND')
  const v4only = guardedLookup([], fake({ 'v4.test': [{ address: '93.184.216.34', family: 4 }] }))
  const r = await new Promise<NodeJS.ErrnoException | null>((resolve) => v4only('v4.test', { family: 6 }, (err) => resolve(err)))
  t.equal(r?.code, 'ENOTFOUND')
})

t.test('localhost through node:http with the real resolver: refused, no connection', async (t) => {
  let connections = 0
  const server = http.createServer((_q, s) => s.end()).on('connection', () => connections++)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
    http.get(`http://localhost:${port}/`, { lookup: guardedLookup(new AllowList([])) }).on('error', resolve)
  })
  t.equal(err.code, 'HEXP_ERR_WEBHOOK_DESTINATION')
  t.match(err.message, /localhost refused: destination .* is loopback/)
  // Allowed when listed.
  const ok = await new Promise<number>((resolve) => {
    http.get(`http://localhost:${port}/`, { lookup: guardedLookup(['127.0.0.0/8', '::1/128']) }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
  })
  t.equal(ok, 200)
  t.equal(connections, 1)
  server.close()
})
