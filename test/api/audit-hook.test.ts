// The audit row is acknowledged with the change: the response leaves only once ctx.audit (the
// journal append) has settled; a journal failure is logged and the response still sent.
import t from 'tap'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { as, rig } from './helpers.js'

t.test('the response waits for the audit row to be journaled', async (t) => {
  let release = () => {}
  const appended: string[] = []
  const r = await rig({ ctx: { audit: (e) => new Promise<void>((resolve) => { release = () => { appended.push(e.action); resolve() } }) } })
  t.teardown(() => r.app.close())
  let answered = false
  const res = r.app.inject({ method: 'POST', url: '/api/v1/alerts/al_none/ack', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: {} }).then((x) => { answered = true; return x })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(answered, false, 'not answered before the append')
  release()
  t.equal((await res).statusCode, 404)
  t.same(appended, ['alert.acknowledge'])
})

t.test('a journal failure is logged; the response is sent all the same', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino(new Writable({ write(c: Buffer, _e, cb) { lines.push(JSON.parse(c.toString()) as Record<string, unknown>); cb() } }))
  const r = await rig({ ctx: { logger, audit: () => Promise.reject(new Error('EIO')) } })
  t.teardown(() => r.app.close())
  const res = await r.app.inject({ method: 'POST', url: '/api/v1/alerts/al_none/ack', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: {} })
  t.equal(res.statusCode, 404)
  t.ok(lines.some((l) => l.msg === 'The audit row could not be journaled; it is missing from the audit table.'))
})

t.test('a change refused for its scope is audited under the token that tried', async (t) => {
  const appended: Array<{ actor: string; action: string; details: Record<string, unknown> }> = []
  const r = await rig({ ctx: { audit: async (e) => { appended.push(e) } } })
  t.teardown(() => r.app.close())
  const res = await r.app.inject({ method: 'POST', url: '/api/v1/alerts/al_none/ack', headers: { ...as('read'), 'content-type': 'application/json' }, payload: {} })
  t.equal(res.statusCode, 403)
  t.match(appended, [{ actor: 'desk', action: 'alert.acknowledge', details: { status: 403 } }])
})
