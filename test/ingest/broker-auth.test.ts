import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { createBrokerAuth } from '../../src/ingest/broker-auth.js'
import { DeviceCredentials } from '../../src/ingest/device-credentials.js'

t.test('credentials and per-device ACL', async (t) => {
  const cfg = validateConfig({ broker: { host: '0.0.0.0', allow_anonymous: false, users: [{ username: 'P-1', password: 'pw1' }, { username: 'alice-phone', password_env: 'ALICE_PW' }, { username: 'bad+user', password: 'x' }] } }, undefined, { ALICE_PW: 'pw2' })
  const auth = createBrokerAuth(cfg)
  t.ok(auth.authenticate('P-1', Buffer.from('pw1')))
  t.notOk(auth.authenticate('P-1', Buffer.from('pw2')), 'wrong password')
  t.notOk(auth.authenticate('P-1', undefined), 'no password')
  t.notOk(auth.authenticate('nobody', Buffer.from('pw1')), 'unknown user')
  t.notOk(auth.authenticate(undefined, undefined), 'anonymous refused')
  t.ok(auth.authenticate('alice-phone', Buffer.from('pw2')), 'password from env')
  t.ok(auth.canPublish('P-1', 'fleet/P-1/position'))
  t.notOk(auth.canPublish('P-1', 'fleet/P-2/position'), 'may not report as another unit')
  t.ok(auth.canPublish('alice-phone', 'owntracks/alice-phone/phone'), 'OwnTracks <user>/<device> is the unit <user>, the login')
  t.notOk(auth.canPublish('alice-phone', 'owntracks/alice/phone'), 'unit alice is another unit')
  t.notOk(auth.canPublish('alice-phone', 'owntracks/bob/phone'))
  t.notOk(auth.canPublish('P-1', '$SYS/x'))
  t.notOk(auth.canPublish('bad+user', 'fleet/bad+user/position'), 'wildcards in usernames never widen an ACL')
  // Issue 19 item 8: a device reads only its own topics (the full alert feed carries every unit's position).
  t.ok(auth.canSubscribe('P-1', 'hexpatrol/devices/P-1/#'))
  t.ok(auth.canSubscribe('P-1', 'hexpatrol/devices/P-1/alerts/radius_breach/+/+'))
  t.notOk(auth.canSubscribe('P-1', 'hexpatrol/alerts/#'), 'not the full alert feed')
  t.notOk(auth.canSubscribe('P-1', 'hexpatrol/devices/P-2/#'))
  t.notOk(auth.canSubscribe('P-1', 'hexpatrol/devices/+/alerts/#'))
  t.notOk(auth.canSubscribe('P-1', '#'))
  t.notOk(auth.canSubscribe('P-1', 'fleet/+/position'), 'devices cannot read other units')
  t.notOk(auth.canSubscribe('bad+user', 'hexpatrol/devices/bad+user/#'), 'wildcards in usernames never widen a subscribe ACL')
})

t.test('integration logins: the full feed, no publishing, no HTTP ingest', async (t) => {
  const cfg = validateConfig({ broker: { users: [{ username: 'P-1', password: 'pw1' }, { username: 'dispatch', password: 'pw-d', role: 'integration' }] } })
  const auth = createBrokerAuth(cfg)
  t.ok(auth.authenticate('dispatch', Buffer.from('pw-d')))
  t.notOk(auth.authenticate('dispatch', Buffer.from('pw1')))
  t.ok(auth.canSubscribe('dispatch', 'hexpatrol/alerts/#'))
  t.ok(auth.canSubscribe('dispatch', 'hexpatrol/incidents/#'))
  t.notOk(auth.canSubscribe('dispatch', 'fleet/+/position'))
  t.notOk(auth.canPublish('dispatch', 'fleet/dispatch/position'), 'an integration is no unit')
  t.notOk(auth.canPublish('dispatch', 'hexpatrol/alerts/x'))
  t.notOk(new DeviceCredentials(cfg).verify('dispatch', 'pw-d'), 'HTTP ingest (device credentials) does not know integrations')
  t.ok(new DeviceCredentials(cfg).verify('P-1', 'pw1'))
  // Anonymous clients (loopback only, already trusted to report as any unit) read the integration feed.
  const anon = createBrokerAuth(validateConfig({}))
  t.ok(anon.canSubscribe(null, 'hexpatrol/alerts/#'))
  t.notOk(anon.canSubscribe(null, '#'))
})

t.test('anonymous devices on loopback publish to subscription topics only', async (t) => {
  const auth = createBrokerAuth(validateConfig({}))
  t.ok(auth.authenticate(undefined, undefined))
  t.ok(auth.authenticate('', undefined))
  t.ok(auth.canPublish(null, 'fleet/P-9/position'))
  t.ok(auth.canPublish(null, 'owntracks/a/b'))
  t.notOk(auth.canPublish(null, 'hexpatrol/alerts/x'), 'nobody impersonates the engine')
})

t.test('unit_from: first_level on the embedded broker: the login is the <user> level, exactly', async (t) => {
  const cfg = validateConfig({ broker: { users: [{ username: 'P', password: 'pw' }] }, mqtt: { subscriptions: [{ topic: 'owntracks/+/+', format: 'owntracks', unit_from: 'first_level' }] } })
  const auth = createBrokerAuth(cfg)
  t.ok(auth.canPublish('P', 'owntracks/P/phone'), 'unit P')
  t.ok(auth.canPublish('P', 'owntracks/P/002'), 'unit P too: the device level never lengthens the id')
  t.notOk(auth.canPublish('P', 'owntracks/P-002/phone'), 'unit P-002 is not P')
})
