// The logger never writes a secret: every shape a secret travels in (a config section, a broker
// user, request headers, a webhook) is logged and the output grepped for the values.
import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/telemetry/logger.js'

function capture() {
  const out: string[] = []
  const stream = new Writable({ write(chunk: Buffer, _e, cb) { out.push(chunk.toString()); cb() } })
  return { out, stream }
}

t.test('secrets are redacted at every depth they occur', async (t) => {
  const { out, stream } = capture()
  const log = createLogger('debug', stream)
  const secrets = ['pw-top-1', 'tok-2', 'pw-nested-3', 'whsec_4', 'Bearer admin-5', 'pw-user-6', 'SECding-7', 'hexpatrol_session=8', 'apitok-9', 'sess-10', 'met-11', 'amapkey-12', 'tdtkey-13']
  log.info({ password: secrets[0], token: secrets[1] }, 'top level')
  log.info({ clickhouse: { password: secrets[2] }, webhook: { secret: secrets[3] } }, 'one level down')
  log.info({ req: { headers: { authorization: secrets[4], cookie: secrets[7] } } }, 'request headers')
  log.info({ config: { broker: { users: [{ username: 'P-1', password: secrets[5] }] }, webhooks: [{ id: 'w', dingtalk_secret: secrets[6] }] } }, 'a whole config')
  log.info({ config: { api: { tokens: [{ name: 'desk', scope: 'read', token: secrets[8] }] }, http: { session_secret: secrets[9], metrics_token: secrets[10] } } }, 'the resolved API secrets')
  log.info({ geocoder: { provider: 'amap', key: secrets[11] } }, 'the geocoder section')
  log.info({ config: { geocoder: { provider: 'tianditu', key: secrets[12] } }, key: 'not-a-secret' }, 'the geocoder in a whole config; `key` elsewhere is not a secret')
  log.flush()
  const text = out.join('')
  t.equal(out.length, 7, 'every line written')
  t.match(text, /"key":"not-a-secret"/, 'a plain `key` field stays')
  for (const s of secrets) t.notOk(text.includes(s), `${s.slice(0, 3)}… is not in the log`)
  t.match(text, /"username":"P-1"/, 'what is not secret stays')
  t.equal((text.match(/\[redacted\]/g) ?? []).length, secrets.length, 'each secret is replaced by [redacted]')
  const line = JSON.parse(out[0]!) as Record<string, unknown>
  t.equal(line.service, 'hexpatrol')
  t.match(line.time, /^\d{4}-\d\d-\d\dT/, 'ISO timestamps')
})

t.test('the level is honoured; the default destination is stdout', async (t) => {
  const { out, stream } = capture()
  const log = createLogger('warn', stream)
  log.info('hidden')
  log.warn('shown')
  t.equal(out.length, 1)
  const def = createLogger('silent')
  t.equal(def.level, 'silent')
})
