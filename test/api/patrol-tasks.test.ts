// The make-up patrol routes on the API rig (a real rule engine, fake clock): 503 without the
// stage, read may list, operate may accept/dismiss/cancel; refusals 404/409 with codes; every
// change audited with its details; responses match their schemas; events published.
import t from 'tap'
import { compileIncidents } from '../../src/incidents/compile.js'
import { compilePatrolTasks } from '../../src/patrol-tasks/compile.js'
import { PatrolTaskService } from '../../src/patrol-tasks/service.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { as, conforms, fix, rig, testConfig, T0 } from './helpers.js'

const H = 3_600_000

t.test('503 without the make-up stage', async (t) => {
  const r = await rig()
  t.teardown(() => r.app.close())
  const res = await r.app.inject({ url: '/api/v1/patrol-tasks', headers: as('read') })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'HEXP_ERR_NOT_READY')
})

t.test('list, accept, dismiss, cancel: scopes, refusals, audit, events', async (t) => {
  const config = testConfig()
  const published: OutboundEvent[] = []
  // The rig's rule engine, then the rig again with the stage on it (as the incidents test does).
  const base = await rig({ config })
  await base.app.close()
  const svc = new PatrolTaskService({ setup: compilePatrolTasks(config, compileIncidents(config).search), rules: base.engine, busy: () => new Set(), publish: (e) => published.push(e) })
  const r0 = await rig({ config, ctx: { patrolTasks: svc, engine: base.engine } })
  t.teardown(() => r0.app.close())
  const r = { ...r0, engine: base.engine, clock: base.clock, ingest: base.ingest }
  // Two hours without patrol: g1's coverage_gap opens (held for the dwell); both units report.
  r.clock.now = T0 + 2 * H
  r.ingest(fix('P-1', r.clock.now, 36.46, 117.86))
  r.ingest(fix('O-2', r.clock.now, 36.52, 117.86))
  r.clock.now += 3 * 60_000
  r.ingest(fix('P-1', r.clock.now, 36.46, 117.86))
  r.ingest(fix('O-2', r.clock.now, 36.52, 117.86))
  t.ok(r.engine.openAlerts().some((a) => a.kind === 'coverage_gap'), 'g1 in coverage_gap')
  svc.tick(r.clock.now)

  const list = await r.app.inject({ url: '/api/v1/patrol-tasks', headers: as('read') })
  t.equal(list.statusCode, 200)
  conforms(t, r.app, 'GET', '/api/v1/patrol-tasks', list)
  const proposals = list.json().proposals as Array<{ id: string; unit: { id: string } | null }>
  t.ok(proposals.length >= 1, `${proposals.length} proposals`)
  const p = proposals.find((x) => x.unit !== null)!
  const url = `/api/v1/patrol-tasks/proposals/${encodeURIComponent(p.id)}`

  t.equal((await r.app.inject({ method: 'POST', url: `${url}/accept`, headers: as('read') })).statusCode, 403, 'read may not accept')
  const unknown = await r.app.inject({ method: 'POST', url: '/api/v1/patrol-tasks/proposals/makeup:nope/accept', headers: as('operate') })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'HEXP_ERR_NOT_FOUND')
  const dead = await r.app.inject({ method: 'POST', url: `${url}/accept`, headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ unitId: 'GHOST' }) })
  t.equal(dead.statusCode, 409)
  t.match(dead.json(), { code: 'HEXP_ERR_CONFLICT', message: /GHOST is not live/ })
  t.equal((await r.app.inject({ method: 'POST', url: `${url}/accept`, headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ bogus: 1 }) })).statusCode, 400, 'unknown body keys refused')

  const ok = await r.app.inject({ method: 'POST', url: `${url}/accept`, headers: as('operate') })
  t.equal(ok.statusCode, 201)
  conforms(t, r.app, 'POST', `${url}/accept`, ok)
  const task = ok.json() as { id: string; unitId: string; status: string }
  t.match(task, { unitId: p.unit!.id, status: 'assigned', by: 'dispatcher' })
  t.same(published.map((e) => e.type), ['patrol_task.assigned'])

  const others = (await r.app.inject({ url: '/api/v1/patrol-tasks', headers: as('read') })).json().proposals as Array<{ id: string }>
  if (others.length > 0) {
    const d = await r.app.inject({ method: 'POST', url: `/api/v1/patrol-tasks/proposals/${encodeURIComponent(others[0]!.id)}/dismiss`, headers: as('operate') })
    t.equal(d.statusCode, 200)
    t.same(d.json(), { id: others[0]!.id, dismissed: true })
  }
  t.equal((await r.app.inject({ method: 'POST', url: '/api/v1/patrol-tasks/proposals/makeup:nope/dismiss', headers: as('operate') })).statusCode, 404)

  const c = await r.app.inject({ method: 'POST', url: `/api/v1/patrol-tasks/${encodeURIComponent(task.id)}/cancel`, headers: as('operate') })
  t.equal(c.statusCode, 200)
  conforms(t, r.app, 'POST', `/api/v1/patrol-tasks/${encodeURIComponent(task.id)}/cancel`, c)
  t.match(c.json(), { id: task.id, status: 'cancelled' })
  t.equal(published.at(-1)!.type, 'patrol_task.cancelled')
  t.equal((await r.app.inject({ method: 'POST', url: `/api/v1/patrol-tasks/${encodeURIComponent(task.id)}/cancel`, headers: as('operate') })).statusCode, 404, 'not open any more')

  const mine = r.audits.filter((a) => a.action.startsWith('patrol_task.'))
  t.same(mine.map((a) => [a.action, a.details.status]).slice(0, 3), [['patrol_task.accept', 403], ['patrol_task.accept', 404], ['patrol_task.accept', 409]], 'refusals audited too')
  const accepted = mine.find((a) => a.action === 'patrol_task.accept' && a.details.status === 201)!
  t.match(accepted, { target: p.id, details: { taskId: task.id, unitId: p.unit!.id } })
  t.ok(mine.some((a) => a.action === 'patrol_task.cancel' && a.details.status === 200 && a.details.unitId === p.unit!.id))
})
