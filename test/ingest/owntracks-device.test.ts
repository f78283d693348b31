import t from 'tap'
import { basicCredentials, owntracksUnit } from '../../src/ingest/owntracks-device.js'

t.test('the unit an OwnTracks request reports for', async (t) => {
  t.same(owntracksUnit('P-1', undefined), { unit: 'P-1' })
  t.same(owntracksUnit('jane', 'jane'), { unit: 'jane' }, 'the unit is the username: a device header never lengthens it')
  t.same(owntracksUnit('jane', undefined), { unit: 'jane' })
  t.same(owntracksUnit('P', 'P'), { unit: 'P' }, 'device P can never report as unit P-002')
  t.same(owntracksUnit('jane', 'jane'), { unit: 'jane' })
  t.match(owntracksUnit('jane-phone', 'jane'), { mismatch: /jane/ }, 'X-Limit-U is the login, as the MQTT topic\'s <user> level is: no <user>-<device> pairing')
  t.same(owntracksUnit('jane-phone', 'jane-phone'), { unit: 'jane-phone' }, 'a per-phone login is its own user')
  t.same(owntracksUnit('P-1', 'P-1'), { unit: 'P-1' })
  t.match(owntracksUnit('jane', 'bob'), { mismatch: /X-Limit-U names user "bob"/ })
  t.match(owntracksUnit('jane', 'bob'), { mismatch: /bob/ })
  t.same(owntracksUnit('jane', ''), { unit: 'jane' }, 'an empty header is absent')
  t.match(owntracksUnit('P', 'P-002'), { mismatch: /P-002/ }, 'nor name a longer id')
})

t.test('Basic credentials', async (t) => {
  const b = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`
  t.same(basicCredentials(b('u:p:q')), { user: 'u', password: 'p:q' }, 'the password may hold colons')
  t.same(basicCredentials(`basic  ${Buffer.from('u:').toString('base64')} `), { user: 'u', password: '' })
  t.equal(basicCredentials(b(':p')), null, 'no user')
  t.equal(basicCredentials(b('nocolon')), null)
  t.equal(basicCredentials('Bearer abc'), null)
  t.equal(basicCredentials(undefined), null)
  t.equal(basicCredentials('Basic ' + 'A'.repeat(5000)), null, 'absurd headers are not decoded')
  t.equal(basicCredentials('Basic not*base64'), null)
})
