// Smaller pieces of the API: JSON nesting depth, the session cookie's parsing, device routes
// (skipped by authentication and audit), unknown paths, and the live feed's change detection.
import t from 'tap'
import type { FastifyRequest } from 'fastify'
import { jsonDepth } from '../../src/api/json-body.js'
import { SessionCodec } from '../../src/api/session-cookie.js'
import { LiveFeed } from '../../src/api/live-feed.js'
import { StreamHub, type StreamSocket } from '../../src/api/stream-hub.js'
import { routesOf } from '../../src/api/server.js'
import { as, fix, rig, T0 } from './helpers.js'

t.test('JSON depth', async (t) => {
  t.equal(jsonDepth('{"a":[1,{"b":[]}]}'), 4)
  t.equal(jsonDepth('"[[[[" '), 0, 'inside a string')
  t.equal(jsonDepth('{"a":"\\"[[["}'), 1, 'escaped quotes do not end the string')
  t.equal(jsonDepth('['.repeat(100), 10), 11, 'stops counting past the limit')
})

t.test('session cookie parsing refuses anything but its own shape', async (t) => {
  const codec = new SessionCodec({ ttlMs: 1000, now: () => 5 })
  const req = (value: string | null, valid = true, raw: string | undefined = 'x') => ({
    cookies: raw === undefined ? {} : { hexpatrol_session: raw },
    unsignCookie: () => ({ valid, renew: false, value }),
  }) as unknown as FastifyRequest
  const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
  t.same(codec.read(req(enc(['desk', 'read', 10, 'id1']))), { name: 'desk', scope: 'read', expiresAt: 10, id: 'id1' })
  t.equal(codec.read(req(null, true, undefined)), null, 'no cookie')
  t.equal(codec.read(req(enc(['desk', 'read', 10, 'id1']), false)), null, 'bad signature')
  t.equal(codec.read(req(null)), null)
  t.equal(codec.read(req(enc('not json'))), null)
  t.equal(codec.read(req(enc({ a: 1 }))), null)
  t.equal(codec.read(req(enc(['desk', 'read', 10]))), null)
  t.equal(codec.read(req(enc([1, 'read', 10, 'id']))), null)
  t.equal(codec.read(req(enc(['desk', 'read', '10', 'id']))), null)
  t.equal(codec.read(req(enc(['desk', 'read', 10, 7]))), null)
  t.equal(codec.read(req(enc(['desk', 'root', 10, 'id']))), null, 'unknown scope')
  t.equal(codec.read(req(enc(['desk', 'admin', 5, 'id']))), null, 'expired')
  const cleared: string[] = []
  const reply = { clearCookie: (n: string) => cleared.push(n) } as never
  codec.revoke(reply, { name: 'desk', scope: 'read', expiresAt: 6, id: 'id1' })
  t.equal(codec.read(req(enc(['desk', 'read', 10, 'id1']))), null, 'revoked')
  codec.revoke(reply, null)
  t.same(cleared, ['hexpatrol_session', 'hexpatrol_session'])
  const later = new SessionCodec({ ttlMs: 1000, now: () => 100 })
  later.revoke(reply, { name: 'a', scope: 'read', expiresAt: 50, id: 'old' })
  later.revoke(reply, null)
  t.same(later.read(req(enc(['desk', 'read', 200, 'old']))), { name: 'desk', scope: 'read', expiresAt: 200, id: 'old' }, 'expired revocations are pruned')
})

t.test('device routes do their own auth and are not audited; unknown paths are 404 and unaudited', async (t) => {
  const r = await rig()
  t.teardown(() => r.app.close())
  r.app.post('/ingest/test', { config: { scope: 'device' }, schema: { body: { type: 'object' } } }, async () => ({ ok: true }))
  t.ok(routesOf(r.app).some((x) => x.url === '/ingest/test' && x.scope === 'device'))
  const res = await r.app.inject({ method: 'POST', url: '/ingest/test', payload: { a: 1 } })
  t.equal(res.statusCode, 200, 'no API token needed')
  t.equal((await r.app.inject({ method: 'POST', url: '/nope', payload: {} })).statusCode, 404)
  t.same(r.audits, [])
  const doc = (await r.app.inject('/docs/json')).json() as { openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>> }
  t.match(doc.openapi, /^3\./, 'an OpenAPI 3 document')
  t.ok('/ingest/test' in doc.paths, 'the device route is documented')
  t.same(doc.paths['/ingest/test']!.post!.security, [], 'as needing no API token')
  t.ok(doc.paths['/api/v1/units']!.get!.security!.length > 0, 'while API routes need one')
})

class Sink implements StreamSocket {
  text = ''
  writableLength = 0
  destroyed = false
  on() {
    return this
  }
  write(c: string) {
    this.text += c
    return true
  }
  end() {}
  destroy() {}
}

t.test('live feed: publishes changed units and zones only, and idles without clients', async (t) => {
  const r = await rig({ config: (await import('./helpers.js')).testConfig({ rules: { allowed_lateness: '0s' } }) })
  t.teardown(() => r.app.close())
  const hub = new StreamHub()
  const feed = new LiveFeed({ hub, engine: () => r.engine, now: () => r.clock.now })
  feed.positions()
  feed.coverage()
  feed.prime()
  feed.prime()
  const s = new Sink()
  hub.subscribe(s, { types: null, zones: null }, undefined, () => ({}))
  feed.positions()
  feed.coverage()
  hub.flushPositions()
  t.notMatch(s.text, /event: (position|coverage)/, 'nothing changed since the prime')
  r.ingest(fix('P-1', T0, 36.49, 117.86))
  feed.positions()
  feed.coverage()
  hub.flushPositions()
  t.match(s.text, /event: position\n/)
  t.match(s.text, /event: coverage\n/)
  const n = s.text.length
  feed.positions()
  feed.coverage()
  hub.flushPositions()
  t.equal(s.text.length, n, 'no change, no event')
  // A unit that reports again within positionMs waits for the next period, then goes out at once (no hub hold).
  r.ingest(fix('P-1', T0 + 300, 36.4901, 117.86))
  feed.positions()
  t.equal(s.text.length, n, 'at most one position per unit per positionMs')
  r.clock.now += 1000
  feed.positions()
  t.ok(s.text.length > n, 'the next period sends it, without waiting for the hub\'s flush')
  const m = s.text.length
  feed.start()
  feed.start()
  feed.stop()
  const none = new LiveFeed({ hub, engine: () => undefined, now: () => 0 })
  none.prime()
  none.positions()
  none.coverage()
  t.equal(s.text.length, m)
  hub.close()
  t.ok(as('read'))
})
