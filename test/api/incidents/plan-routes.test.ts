// How a plan change's refusals reach the API: a conflict is 409, another PlanError 400, the rest as thrown.
import t from 'tap'
import { planCall } from '../../../src/api/incidents/plan-routes.js'
import { PlanError } from '../../../src/incidents/plans.js'

t.test('planCall passes the result through', async (t) => {
  t.same(await planCall(async () => ({ planId: 'p', activationId: 'a1' })), { planId: 'p', activationId: 'a1' })
})

t.test('planCall maps PlanError codes to API errors and leaves other errors alone', async (t) => {
  await t.rejects(planCall(async () => { throw new PlanError('conflict', 'plan p is already active') }), { code: 'HEXP_ERR_CONFLICT', statusCode: 409, message: 'plan p is already active' })
  await t.rejects(planCall(async () => { throw new PlanError('bad_request', 'no such checkpoint') }), { code: 'HEXP_ERR_BAD_REQUEST', statusCode: 400, message: 'no such checkpoint' })
  const disk = new Error('EIO')
  await t.rejects(planCall(async () => { throw disk }), disk)
})
