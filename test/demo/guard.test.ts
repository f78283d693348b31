import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { demoRefusal } from '../../src/demo/guard.js'

const units = [{ id: 'P-1' }]
const c = (raw: Record<string, unknown>) => validateConfig({ units, ...raw }, undefined, { HEXP_TEST_SECRET: 'whsec_' + Buffer.from('x'.repeat(32)).toString('base64') })

t.test('demo mode runs only on a single loopback engine with embedded stores and no webhooks', async (t) => {
  t.equal(demoRefusal(c({}), {}), null)
  t.match(demoRefusal(c({}), { NODE_ENV: 'production' }), /NODE_ENV is production/)
  t.match(demoRefusal(c({ mqtt: { url: 'mqtt://b:1883' } }), {}), /mqtt\.url/)
  t.match(demoRefusal(c({ clickhouse: { url: 'http://ch:8123' } }), {}), /clickhouse\.url/)
  t.match(demoRefusal({ ...c({}), cluster: { ...c({}).cluster, url: 'nats://127.0.0.1:4222' } }, {}), /cluster\.url/)
  t.match(demoRefusal(c({ http: { host: '0.0.0.0', metrics_token: 'm'.repeat(20) }, http_ingest: { enabled: false } }), {}), /http\.host \(0\.0\.0\.0\) is not loopback/)
  t.match(demoRefusal(c({ broker: { host: '0.0.0.0', allow_anonymous: false, users: [{ username: 'P-1', password: 'pw' }] } }), {}), /broker\.host/)
  t.match(demoRefusal(c({ units: [] }), {}), /units is empty/)
  t.match(demoRefusal({ ...c({}), webhooks: [{ id: 'w' }] as never }, {}), /webhooks lists 1/)
})
