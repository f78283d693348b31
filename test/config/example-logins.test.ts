import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { bootConfig } from '../../src/boot.js'
import { exposedDeviceListener } from '../../src/config/example-logins.js'

const users = [{ username: 'P-001', password: 'example-P-001', example: true }, { username: 'P-002', password: 'real-password-2' }]

t.test('example logins count only while every device listener is loopback', async (t) => {
  const local = validateConfig({ broker: { users } }, undefined, {})
  t.same(local.broker.users.map((u) => u.username), ['P-001', 'P-002'], 'on loopback (the sample as shipped) both are logins')
  t.equal(local.startup_warnings, undefined)
  const exposed = validateConfig({ broker: { users }, http: { host: '0.0.0.0', metrics_token: 'm'.repeat(20) } }, undefined, {})
  t.same(exposed.broker.users.map((u) => u.username), ['P-002'], 'the published password is left out')
  t.match(exposed.startup_warnings, [/example login\(s\) P-001 are left out because http\.host \(0\.0\.0\.0\) is not loopback/])
  const onlyExamples = () => bootConfig({ broker: { host: '0.0.0.0', users: [users[0]] } }, undefined, {})
  t.throws(onlyExamples, { code: 'HEXP_ERR_BROKER_EXPOSED' }, 'left out, the broker is as if none were listed: anonymous beyond loopback is refused as before')
  const docker = validateConfig({ broker: { users: [users[0]] }, mqtt: { url: 'mqtt://mosquitto:1883' }, http: { host: '0.0.0.0', metrics_token: 'm'.repeat(20) } }, undefined, {})
  t.same(docker.broker.users, [], 'the Docker image (external broker, HTTP on 0.0.0.0) takes none of them')
})

t.test('which listener is exposed', async (t) => {
  const c = (raw: Record<string, unknown>) => validateConfig(raw, undefined, {})
  t.equal(exposedDeviceListener(c({})), null)
  t.equal(exposedDeviceListener(c({ broker: { host: '0.0.0.0', users: [users[1]] } })), 'broker.host (0.0.0.0)')
  t.equal(exposedDeviceListener(c({ broker: { host: '0.0.0.0', users: [users[1]] }, mqtt: { url: 'mqtt://b:1883' } })), null, 'an external broker is not ours')
  t.equal(exposedDeviceListener(c({ http_ingest: { osmand_port: 5055, osmand_host: '0.0.0.0' } })), 'http_ingest.osmand_host (0.0.0.0)')
  t.equal(exposedDeviceListener(c({ http_ingest: { osmand_host: '0.0.0.0' } })), null, 'no OsmAnd port, no listener')
  t.equal(exposedDeviceListener(c({ http_ingest: { enabled: false }, http: { host: '0.0.0.0', metrics_token: 'm'.repeat(20) } })), null, 'no HTTP ingest: the API takes no device password')
})
