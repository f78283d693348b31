// POST /api/v1/alerts/{id}/resolve: an operator resolves an open SOS with a note (the device
// never does); the transition is journaled and delivered, the note audited; any other alert,
// an unknown one or one already resolved is refused.
import t from 'tap'
import { T0, as, conforms, rig } from './helpers.js'

const r = await rig()
const { app, engine, emitted, audits, clock } = r
t.teardown(() => app.close())

async function call(url: string, headers: Record<string, string>, payload?: unknown) {
  const res = await app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
  conforms(t, app, 'POST', url, res)
  return res
}

t.test('an operator resolves an SOS with a note', async (t) => {
  clock.now = T0 + 1000
  const [sos] = engine.sos('P-1', T0, 'jt808', null, clock.now)
  const url = `/api/v1/alerts/${sos!.alertId}/resolve`
  t.equal((await call(url, {}, { note: 'x' })).statusCode, 401)
  t.equal((await call(url, as('read'), { note: 'x' })).statusCode, 403, 'read cannot resolve')
  t.equal((await call(url, as('operate'), {})).statusCode, 400, 'a note is required')
  t.equal((await call(url, as('operate'), { note: '' })).statusCode, 400)
  const before = emitted.length
  const n = audits.length
  clock.now = T0 + 60_000
  const res = await call(url, as('operate'), { note: 'Unit called back: button pressed by mistake' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { type: 'unit_sos.resolved', resolvedBy: 'sgt.wang', note: 'Unit called back: button pressed by mistake', at: T0 + 60_000 })
  t.equal(emitted.length, before + 1, 'journaled and delivered')
  t.match(audits.slice(n).find((a) => a.action === 'alert.resolve'), { actor: 'sgt.wang', target: sos!.alertId, details: { note: 'Unit called back: button pressed by mistake' } })
  t.equal((await call(url, as('operate'), { note: 'again' })).statusCode, 409, 'resolved once')
  t.equal((await call('/api/v1/alerts/al_nope/resolve', as('operate'), { note: 'x' })).statusCode, 404)
})

t.test('only an SOS is resolved by hand', async (t) => {
  const silent = engine.tick(T0 + 24 * 3_600_000).find((e) => e.kind === 'unit_silent')
  t.ok(silent, 'a rule-driven alert')
  const res = await call(`/api/v1/alerts/${silent!.alertId}/resolve`, as('operate'), { note: 'x' })
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'HEXP_ERR_CONFLICT')
})
