// How a level change's refusals reach the API: an unknown zone is 404, anything else 400.
import t from 'tap'
import { levelCall } from '../../../src/api/incidents/level-routes.js'
import { LevelError } from '../../../src/incidents/levels.js'

t.test('levelCall passes the change through', async (t) => {
  t.same(levelCall('z', () => ({ from: 'normal', to: 'high' })), { from: 'normal', to: 'high' })
  t.equal(levelCall('z', () => null), null)
})

t.test('levelCall: no such zone is HEXP_ERR_NOT_FOUND naming the zone; other refusals are bad requests', async (t) => {
  t.throws(() => levelCall('g9', () => { throw new LevelError('no zone g9') }), { code: 'HEXP_ERR_NOT_FOUND', message: 'zone g9 not found' })
  t.throws(() => levelCall('g1', () => { throw new LevelError('unknown level "purple"') }), { code: 'HEXP_ERR_BAD_REQUEST', message: 'unknown level "purple"' })
  t.throws(() => levelCall('g1', () => { throw new Error('expiry in the past') }), { code: 'HEXP_ERR_BAD_REQUEST', message: 'expiry in the past' })
})
