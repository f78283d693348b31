import t from 'tap'
import { sendOnce, MAX_RESPONSE_BYTES } from '../../src/delivery/http-sender.js'
import { AllowList, guardedLookup } from '../../src/delivery/ssrf.js'
import { startReceiver } from './fixtures/alerts.js'

const allow = new AllowList(['127.0.0.0/8'])
const base = { headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 2000, allow, lookup: guardedLookup(allow) }

t.test('response bodies are read up to 4 kB, then dropped', async (t) => {
  const rx = await startReceiver(() => ({ status: 200, body: 'x'.repeat(MAX_RESPONSE_BYTES * 50) }))
  t.teardown(() => rx.close())
  t.same(await sendOnce({ ...base, url: rx.url }), { ok: true, status: 200 })
})

t.test('a redirect without Location is still a failure', async (t) => {
  const rx = await startReceiver(() => ({ status: 300 }))
  t.teardown(() => rx.close())
  t.same(await sendOnce({ ...base, url: rx.url }), { ok: false, status: 300, error: 'HTTP 300 redirect not followed' })
})

t.test('a 2xx whose body stalls counts as delivered once the timeout cuts it', async (t) => {
  const rx = await startReceiver(() => ({ status: 202, stallBody: true }))
  t.teardown(() => rx.close())
  t.same(await sendOnce({ ...base, url: rx.url, timeoutMs: 150 }), { ok: true, status: 202 })
})

t.test('https to a plain-HTTP receiver fails with the TLS error', async (t) => {
  const rx = await startReceiver()
  t.teardown(() => rx.close())
  const r = await sendOnce({ ...base, url: rx.url.replace('http:', 'https:') })
  t.equal(r.ok, false)
  t.notOk('refused' in r && r.refused)
  t.match(!r.ok && r.error, /SSL|TLS|EPROTO|wrong version/i)
})

t.test('refused by the lookup: flagged as refused', async (t) => {
  const r = await sendOnce({ ...base, url: 'http://localhost:9/', allow: new AllowList([]), lookup: guardedLookup([]) })
  t.match(r, { ok: false, refused: true, error: /localhost refused/ })
  t.match(await sendOnce({ ...base, url: 'http://[::1]:9/', allow: new AllowList([]) }), { ok: false, refused: true, error: /::1 is loopback/ })
})
