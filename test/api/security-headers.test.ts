// The security headers are helmet's, computed once: the same set helmet's middleware writes on a
// response, on every route but those of scope `device` (which answer apps: DEVICE_HEADERS), and a
// route may still replace one.
import t from 'tap'
import Fastify from 'fastify'
import helmet from 'helmet'
import { DEVICE_HEADERS, securityHeaders, securityHeadersPlugin } from '../../src/api/security-headers.js'

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
  for (const [method, url] of [['GET', '/a'], ['GET', '/fails'], ['GET', '/missing']] as const) {
    const res = await app.inject({ method, url })
    for (const [k, v] of Object.entries(want)) t.equal(res.headers[k], v, `${method} ${url} ${k}`)
  }
  // A device route: the short set, none of the browser policy.
  const device = await app.inject({ method: 'POST', url: '/ingest' })
  for (const [k, v] of Object.entries(DEVICE_HEADERS)) t.equal(device.headers[k], v, `device ${k}`)
  for (const k of ['x-frame-options', 'cross-origin-opener-policy', 'x-xss-protection', 'referrer-policy']) t.equal(device.headers[k], undefined, `device answer without ${k}`)
  t.equal(device.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'")
  const docs = await app.inject({ method: 'GET', url: '/docs' })
  t.equal(docs.headers['content-security-policy'], "default-src 'none'")
  t.equal(docs.headers['x-content-type-options'], 'nosniff')
})

t.test('the device set is small, frozen and forbids rendering and framing', async (t) => {
  t.ok(Object.isFrozen(DEVICE_HEADERS))
  t.same(Object.keys(DEVICE_HEADERS).sort(), ['cache-control', 'content-security-policy', 'x-content-type-options'])
  t.equal(DEVICE_HEADERS['cache-control'], 'no-store')
  t.equal(DEVICE_HEADERS['x-content-type-options'], 'nosniff')
  t.ok(Object.entries(DEVICE_HEADERS).flat().join('').length < 150, 'a tenth of the browser set')
})

t.test('an option helmet refuses stops start-up', async (t) => {
  t.throws(() => securityHeaders({ contentSecurityPolicy: { directives: { 'img-src': ['a;b'] } } }), /img-src/)
})
