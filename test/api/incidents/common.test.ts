// What the incidents routes share: the service or HEXP_ERR_NOT_READY, the actor, the audit call, time parameters.
import t from 'tap'
import type { FastifyRequest } from 'fastify'
import { routeDeps, timeParam } from '../../../src/api/incidents/common.js'
import type { ApiContext } from '../../../src/api/context.js'

t.test('svc: the running incidents stage, or HEXP_ERR_NOT_READY', async (t) => {
  t.throws(() => routeDeps({} as ApiContext).svc(), { code: 'HEXP_ERR_NOT_READY', message: 'The incidents stage is not running.' })
  const incidents = { marker: 1 }
  t.equal(routeDeps({ incidents } as unknown as ApiContext).svc(), incidents)
})

t.test('audit logs the change by the principal and hands its details to the audit hook', async (t) => {
  const logged: Array<[unknown, string]> = []
  const req = { principal: { name: 'sgt.wang' }, log: { info: (o: unknown, m: string) => logged.push([o, m]) } } as unknown as FastifyRequest
  const d = routeDeps({} as ApiContext)
  t.equal(d.actor(req), 'sgt.wang')
  d.audit(req, 'plan.activate', 'flood', { centre: null })
  t.same(logged, [[{ actor: 'sgt.wang', action: 'plan.activate', target: 'flood', details: { centre: null } }, 'Audit: plan.activate flood.']])
  t.same(req.auditDetails, { target: 'flood', centre: null })
})

t.test('timeParam: epoch ms or ISO-8601, the fallback when absent or empty, else a bad request naming the key', async (t) => {
  t.equal(timeParam(undefined, 5, 'to'), 5)
  t.equal(timeParam('', 5, 'to'), 5)
  t.equal(timeParam('1800000000000', 5, 'to'), 1_800_000_000_000)
  t.equal(timeParam('2026-11-30T08:00:00Z', 5, 'from'), Date.UTC(2026, 10, 30, 8))
  t.throws(() => timeParam('yesterday', 5, 'from'), { code: 'HEXP_ERR_BAD_REQUEST', message: '"from" must be epoch milliseconds or an ISO-8601 time.' })
})
