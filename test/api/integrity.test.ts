// GET /api/v1/units/:id/integrity on the API rig (a real rule engine, fake clock): 503 without the
// stage, 401 without a token, read scope suffices; the unit's kept signals overlapping the period
// (default the last 24 h), newest first, with their evidence; 404 for a unit the engine does not
// know; 400 for a reversed range; the body matches its schema.
import t from 'tap'
import { IntegrityStage } from '../../src/integrity/stage.js'
import type { IntegrityDetector, IntegritySignal } from '../../src/integrity/signal.js'
import { as, conforms, fix, rig, T0 } from './helpers.js'

const H = 3_600_000

t.test('503 without the integrity stage', async (t) => {
  const r = await rig()
  t.teardown(() => r.app.close())
  const res = await r.app.inject({ url: '/api/v1/units/P-1/integrity', headers: as('read') })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'HEXP_ERR_NOT_READY')
})

t.test('a unit\'s signals with evidence, by period', async (t) => {
  const queue: IntegritySignal[] = []
  const monitor: IntegrityDetector = { observe: () => queue.splice(0), flush: () => [] }
  const stage = new IntegrityStage({ monitor, dayOf: () => 0, journal: () => undefined, publish: () => undefined, summary: () => '' })
  const r = await rig({ ctx: { integrity: stage } })
  t.teardown(() => r.app.close())
  r.clock.now = T0 + 30 * H
  r.ingest(fix('O-2', r.clock.now, 36.49, 117.86))
  queue.push(
    { unitId: 'O-2', kind: 'mock_location', from: T0, to: T0 + H, evidence: { fixes: 120, durationMinutes: 60 } },
    { unitId: 'O-2', kind: 'vehicle_speed', from: T0 + 26 * H, to: T0 + 27 * H, relatedUnitId: 'P-1', evidence: { fastMinutes: 40, companionShare: 0.9 } },
    { unitId: 'P-1', kind: 'frozen_position', from: T0 + 28 * H, to: T0 + 29 * H, evidence: { fixes: 60 } },
  )
  stage.observe(fix('O-2', r.clock.now, 36.49, 117.86))

  t.equal((await r.app.inject({ url: '/api/v1/units/O-2/integrity' })).statusCode, 401, 'a token is needed')
  const res = await r.app.inject({ url: '/api/v1/units/O-2/integrity', headers: as('read') })
  t.equal(res.statusCode, 200)
  conforms(t, r.app, 'GET', '/api/v1/units/O-2/integrity', res)
  t.same(res.json(), {
    unitId: 'O-2', from: T0 + 6 * H, to: T0 + 30 * H,
    signals: [{ id: `integrity.vehicle_speed.O-2.${T0 + 26 * H}`, kind: 'vehicle_speed', from: T0 + 26 * H, to: T0 + 27 * H, relatedUnitId: 'P-1', evidence: { fastMinutes: 40, companionShare: 0.9 } }],
  }, 'the last 24 h by default; another unit\'s signals left out')
  const all = await r.app.inject({ url: `/api/v1/units/O-2/integrity?from=${T0}&to=${new Date(T0 + 30 * H).toISOString()}`, headers: as('read') })
  t.same(all.json().signals.map((s: { kind: string }) => s.kind), ['vehicle_speed', 'mock_location'], 'newest first')
  t.equal(all.json().signals[1].relatedUnitId, null)
  const ghost = await r.app.inject({ url: '/api/v1/units/GHOST/integrity', headers: as('read') })
  t.equal(ghost.statusCode, 404)
  t.equal(ghost.json().code, 'HEXP_ERR_NOT_FOUND')
  const reversed = await r.app.inject({ url: `/api/v1/units/O-2/integrity?from=${T0 + H}&to=${T0}`, headers: as('read') })
  t.equal(reversed.statusCode, 400)
  t.equal((await r.app.inject({ url: '/api/v1/units/O-2/integrity?bogus=1', headers: as('read') })).statusCode, 400, 'unknown query keys refused')
})
