import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { secretKey, webhookHeaders, Signer } from '../../src/delivery/signing.js'
import { SECRET, SECRET2 } from './fixtures/alerts.js'

const body = JSON.stringify({ type: 'radius_breach.opened', timestamp: '2025-05-01T08:00:00.000Z', data: { a: 'é' } })
const ts = Math.floor(Date.now() / 1000)

t.test('a whsec_ secret verifies with the reference library', async (t) => {
  const headers = webhookHeaders([SECRET], 'msg_1', ts, body, '1.2.3')
  t.equal(headers['webhook-id'], 'msg_1')
  t.equal(headers['webhook-timestamp'], String(ts))
  t.equal(headers['content-type'], 'application/json')
  t.equal(headers['user-agent'], 'hexpatrol/1.2.3')
  t.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/)
  t.same(new Webhook(SECRET).verify(body, headers), JSON.parse(body))
  t.throws(() => new Webhook(SECRET2).verify(body, headers), /No matching signature/)
  t.throws(() => new Webhook(SECRET).verify(body + ' ', headers), /No matching signature/)
})

t.test('rotation sends both signatures; each secret verifies alone', async (t) => {
  const sig = new Signer([SECRET, SECRET2]).sign('msg_2', ts, body)
  t.equal(sig.split(' ').length, 2)
  const headers = { 'webhook-id': 'msg_2', 'webhook-timestamp': String(ts), 'webhook-signature': sig }
  t.ok(new Webhook(SECRET).verify(body, headers))
  t.ok(new Webhook(SECRET2).verify(body, headers))
})

t.test('a secret without the prefix is used as raw bytes', async (t) => {
  t.same(secretKey('plain-secret'), Buffer.from('plain-secret'))
  t.same(secretKey(SECRET), Buffer.from(SECRET.slice(6), 'base64'))
  const headers = webhookHeaders(new Signer(['plain-secret']), 'msg_3', ts, body, '0')
  t.ok(new Webhook('plain-secret', { format: 'raw' }).verify(body, headers))
})

t.test('no secret: no signature header', async (t) => {
  const s = new Signer([])
  t.ok(s.empty)
  const headers = webhookHeaders(s, 'msg_4', ts, body, '0')
  t.notOk('webhook-signature' in headers)
})
