// Issue 19 item 5: a logout survives a restart. With a configured session secret, a cookie revoked
// by DELETE /api/v1/session stays revoked for a new API over the same data directory; the file is
// 0600, holds only unexpired revocations, and an unreadable one stops start-up with a message.
import t from 'tap'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { SessionCodec } from '../../src/api/session-cookie.js'
import { tempDir } from '../helpers/harness.js'
import { ENV, TOKENS, rig, testConfig } from './helpers.js'

const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0] as string

t.test('login, logout, restart over the same data directory: the old cookie is refused', async (t) => {
  const config = testConfig({ http: { session_secret_env: 'S' } }, { ...ENV, S: 's'.repeat(40) })
  const a = await rig({ config })
  const cookie = cookieOf(await a.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.operate } }))
  const kept = cookieOf(await a.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TOKENS.read } }))
  t.equal((await a.app.inject({ url: '/api/v1/units', headers: { cookie } })).statusCode, 200)
  t.equal((await a.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'content-type': 'application/json' } })).statusCode, 204)
  t.equal((await a.app.inject({ url: '/api/v1/units', headers: { cookie } })).statusCode, 401, 'revoked at once')
  await a.app.close()
  const file = join(config.data_dir, 'sessions', 'revoked.json')
  t.equal(statSync(file).mode & 0o777, 0o600, 'the revocation file is private')
  t.equal(statSync(join(config.data_dir, 'sessions')).mode & 0o777, 0o700)

  const b = await rig({ config })
  t.teardown(() => b.app.close())
  t.equal((await b.app.inject({ url: '/api/v1/units', headers: { cookie } })).statusCode, 401, 'still revoked after the restart')
  t.equal((await b.app.inject({ url: '/api/v1/units', headers: { cookie: kept } })).statusCode, 200, 'other sessions survive the restart')
})

t.test('the file holds unexpired revocations only; unreadable, it stops start-up', async (t) => {
  const dir = tempDir()
  const file = join(dir, 'sessions', 'revoked.json')
  const clock = { now: 1000 }
  const reply = { clearCookie: () => undefined } as unknown as FastifyReply
  const codec = new SessionCodec({ ttlMs: 500, now: () => clock.now, file })
  t.notOk(existsSync(file), 'nothing written before a logout')
  codec.revoke(reply, { name: 'a', scope: 'read', expiresAt: 1200, id: 'early' })
  codec.revoke(reply, { name: 'b', scope: 'read', expiresAt: 1400, id: 'late' })
  t.same(JSON.parse(readFileSync(file, 'utf8')), { early: 1200, late: 1400 })
  clock.now = 1300
  codec.revoke(reply, null)
  t.same(JSON.parse(readFileSync(file, 'utf8')), { late: 1400 }, 'an expired cookie needs no revocation: pruned')

  const enc = (id: string, exp: number) => Buffer.from(JSON.stringify(['b', 'read', exp, id])).toString('base64url')
  const req = (id: string, exp: number) => ({ cookies: { hexpatrol_session: 'x' }, unsignCookie: () => ({ valid: true, renew: false, value: enc(id, exp) }) }) as unknown as FastifyRequest
  // Restarted later: entries already expired at load are dropped, junk values ignored.
  writeFileSync(file, JSON.stringify({ late: 1400, gone: 1250, junk: 'x' }))
  const again = new SessionCodec({ ttlMs: 500, now: () => clock.now, file })
  t.equal(again.read(req('late', 1400)), null, 'loaded: still revoked')
  t.match(again.read(req('junk', 1400)), { id: 'junk' }, 'a junk entry revokes nothing')
  for (const empty of ['null', '5']) {
    writeFileSync(file, empty)
    t.match(new SessionCodec({ ttlMs: 500, now: () => clock.now, file }).read(req('late', 1400)), { id: 'late' }, `${empty}: revokes nothing`)
  }

  writeFileSync(file, '{torn')
  t.throws(() => new SessionCodec({ ttlMs: 500, now: () => clock.now, file }), /session revocation file .* is unreadable .*remove it/)
})
