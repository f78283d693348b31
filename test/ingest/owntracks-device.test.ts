import t from 'tap'
import { basicCredentials, owntracksUnit } from '../../src/ingest/owntracks-device.js'

t.test('the unit an OwnTracks request reports for', async (t) => {
  t.same(owntracksUnit('P-1', undefined, undefined), { unit: 'P-1' })
  t.same(owntracksUnit('jane', 'jane', 'phone'), { unit: 'jane' }, 'the unit is the username: a device header never lengthens it')
  t.same(owntracksUnit('jane', undefined, 'phone'), { unit: 'jane' })
  t.same(owntracksUnit('P', 'P', '002'), { unit: 'P' }, 'device P can never report as unit P-002')
  t.same(owntracksUnit('jane', 'jane', ''), { unit: 'jane' })
  t.same(owntracksUnit('jane-phone', 'jane', 'phone'), { unit: 'jane-phone' }, 'a per-phone credential')
  t.same(owntracksUnit('jane-phone', undefined, 'phone'), { unit: 'jane-phone' })
  t.same(owntracksUnit('P-1', 'P-1', '1'), { unit: 'P-1' })
  t.match(owntracksUnit('jane', 'bob', 'phone'), { mismatch: /X-Limit-U names user "bob"/ })
  t.match(owntracksUnit('jane', 'bob', undefined), { mismatch: /bob/ })
  t.same(owntracksUnit('jane', '', 'x'), { unit: 'jane' }, 'an empty header is absent')
  t.match(owntracksUnit('P', 'P-002', undefined), { mismatch: /P-002/ }, 'nor name a longer id')
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
