// The security headers are helmet's, computed once: the same set helmet's middleware writes on a
// response, on every route (device ingest included), and a route may still replace one.
import t from 'tap'
import Fastify from 'fastify'
import helmet from 'helmet'
import { securityHeaders, securityHeadersPlugin } from '../../src/api/security-headers.js'

const options = { hsts: false, contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'data:', 'blob:', 'https://tiles.example'] } } } as const

/** What helmet's own middleware sets on a real response, per request. */
function helmetPerRequest(): Record<string, string> {
  const out: Record<string, string> = {}
  const res = { setHeader: (k: string, v: string) => { out[k.toLowerCase()] = v }, removeHeader: (k: string) => { delete out[k.toLowerCase()] } }
  helmet(options)({} as never, res as never, () => {})
  return out
}

t.test('the precomputed set is exactly what helmet writes', async (t) => {
  const h = securityHeaders(options)
  t.same(h, helmetPerRequest())
  t.match(h['content-security-policy'], /img-src 'self' data: blob: https:\/\/tiles\.example/)
  t.equal(h['x-content-type-options'], 'nosniff')
  t.equal(h['x-frame-options'], 'SAMEORIGIN')
  t.equal(h['strict-transport-security'], undefined, 'no HSTS (the TLS proxy sets it)')
  t.ok(Object.isFrozen(h))
})

t.test('every route gets them; a route can replace one', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(securityHeadersPlugin, options)
  app.get('/a', async () => ({ ok: true }))
  app.post('/ingest', { config: { scope: 'device' } }, async (_req, reply) => reply.send('[]'))
  app.get('/docs', async (_req, reply) => reply.header('content-security-policy', "default-src 'none'").send('x'))
  app.get('/fails', async () => { throw new Error('boom') })
  const want = securityHeaders(options)
  for (const [method, url] of [['GET', '/a'], ['POST', '/ingest'], ['GET', '/fails'], ['GET', '/missing']] as const) {
    const res = await app.inject({ method, url })
    for (const [k, v] of Object.entries(want)) t.equal(res.headers[k], v, `${method} ${url} ${k}`)
  }
  const docs = await app.inject({ method: 'GET', url: '/docs' })
  t.equal(docs.headers['content-security-policy'], "default-src 'none'")
  t.equal(docs.headers['x-content-type-options'], 'nosniff')
})

t.test('an option helmet refuses stops start-up', async (t) => {
  t.throws(() => securityHeaders({ contentSecurityPolicy: { directives: { 'img-src': ['a;b'] } } }), /img-src/)
})
