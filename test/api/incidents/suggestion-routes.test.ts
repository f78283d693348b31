// Suggested patrol levels over the API: listed in GET /levels, accepted (the level changes, by the
// caller, with an expiry) or dismissed (patrol_level.suggestion_dismissed) once; 404 unknown, 409
// closed, 403 for read tokens, audit rows; closed by a level raised by hand; kept across a restart.
import t from 'tap'
import { pino } from 'pino'
import { compileIncidents } from '../../../src/incidents/compile.js'
import { IncidentService } from '../../../src/incidents/service.js'
import type { IncidentStore } from '../../../src/incidents/incident-store.js'
import type { OutboundEvent } from '../../../src/delivery/outbound-event.js'
import { UnshippedIncidents } from '../../../src/incidents/unshipped.js'
import { compileDeployment } from '../../../src/rules/deployment.js'
import { tempDir } from '../../helpers/harness.js'
import { as, rig, testConfig, T0 } from '../helpers.js'
import { suggestionCall } from '../../../src/api/incidents/level-routes.js'
import { SuggestionError } from '../../../src/incidents/level-suggestions.js'
import { LevelError } from '../../../src/incidents/levels.js'

t.test('suggestionCall: unknown is 404, closed 409, a level refusal 400, anything else as thrown', async (t) => {
  t.equal(await suggestionCall('s', () => 7), 7)
  await t.rejects(suggestionCall('s1', () => { throw new SuggestionError('not_found', 'no suggestion s1') }), { code: 'HEXP_ERR_NOT_FOUND', statusCode: 404, message: 'suggestion s1 not found' })
  await t.rejects(suggestionCall('s1', async () => { throw new SuggestionError('closed', 'suggestion s1 is already closed') }), { code: 'HEXP_ERR_CONFLICT', statusCode: 409 })
  await t.rejects(suggestionCall('s1', () => { throw new LevelError('the expiry is in the past') }), { code: 'HEXP_ERR_BAD_REQUEST', message: 'the expiry is in the past' })
  const disk = new Error('EIO')
  await t.rejects(suggestionCall('s1', () => { throw disk }), disk)
})

t.test('suggestions over HTTP: list, accept, dismiss, refusals, audit, closed by hand, kept across a restart', async (t) => {
  const config = testConfig({ incidents: { rate: { threshold: 2, window: '1h', suggest_level: 'high' } } })
  const base = await rig({ config })
  await base.app.close()
  const dir = tempDir()
  const clock = { now: T0 }
  const events: OutboundEvent[] = []
  const store = { existing: async () => new Set<string>(), hotspotScores: async () => [], query: async () => [], get: async () => null, zonedSince: async () => [] } as unknown as IncidentStore
  const service = () => new IncidentService({ setup: compileIncidents(config), dep: compileDeployment(config), rules: base.engine, store: () => store, dir, now: () => clock.now, logger: pino({ level: 'silent' }), publish: (e) => events.push(e), journal: { incidents: () => undefined, planEvents: () => undefined }, unshipped: new UnshippedIncidents() })
  const incidents = service()
  const r = await rig({ config, ctx: { incidents } })
  t.teardown(() => r.app.close())
  r.clock.now = T0
  const get = () => r.app.inject({ url: '/api/v1/levels', headers: as('read') })
  const post = (url: string, body?: unknown, scope: 'operate' | 'read' = 'operate') => r.app.inject({ method: 'POST', url, headers: { ...as(scope), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })
  const burst = async (prefix: string) => {
    for (const n of [1, 2]) await incidents.add([{ id: `${prefix}-${n}`, type: 'robbery', lat: 36.49, lon: 117.86, time: String(clock.now) }], { source: 'api', search: true, by: 'sgt.wang' })
  }

  t.same((await get()).json().suggestions, [], 'none before the threshold')
  await burst('A')
  const first = `patrol_level.suggested.g1.${T0}`
  t.same((await get()).json().suggestions, [{ id: first, zoneId: 'g1', from: 'normal', to: 'high', incidents: 2, windowMs: 3_600_000, at: T0 }])
  t.equal((await post(`/api/v1/levels/suggestions/${first}/accept`, {}, 'read')).statusCode, 403, 'a read token cannot accept')
  t.equal((await post('/api/v1/levels/suggestions/nope/accept')).statusCode, 404)
  t.equal((await post(`/api/v1/levels/suggestions/${first}/accept`, { until: String(T0 - 1) })).statusCode, 400, 'an expiry in the past')
  t.equal((await get()).json().suggestions.length, 1, '…leaves it open')

  const until = T0 + 4 * 3_600_000
  const ok = await post(`/api/v1/levels/suggestions/${first}/accept`, { until: String(until) })
  t.equal(ok.statusCode, 200)
  t.match(ok.json(), { suggestion: { id: first, status: 'accepted', closedBy: 'sgt.wang' }, zone: { zoneId: 'g1', level: 'high', override: { by: 'sgt.wang', expiresAt: until, reason: /^accepted suggestion patrol_level\.suggested\.g1\./ } }, changed: true, effective: 'next tick' })
  t.same((await get()).json().suggestions, [])
  t.match(events.filter((e) => e.type.startsWith('patrol_level.')).map((e) => [e.type, e.data.to]), [['patrol_level.suggested', 'high'], ['patrol_level.changed', 'high']])
  const again = await post(`/api/v1/levels/suggestions/${first}/accept`)
  t.equal(again.statusCode, 409, 'accepted already')
  t.match(again.json(), { code: 'HEXP_ERR_CONFLICT', message: /already closed \(accepted by sgt\.wang\)/ })
  t.equal((await post(`/api/v1/levels/suggestions/${first}/dismiss`)).statusCode, 409)

  // Back to normal; an hour later the rate falls, a new burst crosses again: a second suggestion, dismissed.
  await r.app.inject({ method: 'PUT', url: '/api/v1/zones/g1/level', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ level: 'normal', reason: 'calm' }) })
  clock.now = r.clock.now = T0 + 2 * 3_600_000
  await burst('B')
  const second = `patrol_level.suggested.g1.${clock.now}`
  t.same((await get()).json().suggestions.map((s: { id: string }) => s.id), [second])
  const no = await post(`/api/v1/levels/suggestions/${second}/dismiss`, { reason: 'a fair, not a crime wave' })
  t.equal(no.statusCode, 200)
  t.match(no.json(), { id: second, status: 'dismissed', closedBy: 'sgt.wang', reason: 'a fair, not a crime wave' })
  t.match(events.at(-1), { id: `${second}.dismissed`, type: 'patrol_level.suggestion_dismissed', subject: 'zone:g1', data: { suggestionId: second, zoneId: 'g1', to: 'high', by: 'sgt.wang', reason: 'a fair, not a crime wave' } })
  t.equal((await post(`/api/v1/levels/suggestions/${second}/dismiss`)).statusCode, 409, 'dismissed already')

  // A third one, closed by a level raised by hand; a fourth left open for the restart.
  clock.now = r.clock.now = T0 + 4 * 3_600_000
  await burst('C')
  const third = `patrol_level.suggested.g1.${clock.now}`
  await r.app.inject({ method: 'PUT', url: '/api/v1/zones/g1/level', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ level: 'emergency', reason: 'riot' }) })
  t.same((await get()).json().suggestions, [], 'a zone raised to at least the suggested level closes it')
  t.match((await post(`/api/v1/levels/suggestions/${third}/accept`)).json(), { code: 'HEXP_ERR_CONFLICT', message: /reached by hexpatrol/ })
  await r.app.inject({ method: 'PUT', url: '/api/v1/zones/g1/level', headers: { ...as('operate'), 'content-type': 'application/json' }, payload: JSON.stringify({ level: 'normal', reason: 'calm' }) })
  clock.now = r.clock.now = T0 + 6 * 3_600_000
  await burst('D')
  const fourth = `patrol_level.suggested.g1.${clock.now}`

  const audits = r.audits.filter((a) => a.action.startsWith('level.suggestion.')).map((a) => [a.action, a.target, a.details.status, a.details.zoneId ?? null, a.details.to ?? null])
  t.same(audits, [
    ['level.suggestion.accept', first, 403, null, null],
    ['level.suggestion.accept', 'nope', 404, null, null],
    ['level.suggestion.accept', first, 400, null, null],
    ['level.suggestion.accept', first, 200, 'g1', 'high'],
    ['level.suggestion.accept', first, 409, null, null],
    ['level.suggestion.dismiss', first, 409, null, null],
    ['level.suggestion.dismiss', second, 200, 'g1', null],
    ['level.suggestion.dismiss', second, 409, null, null],
    ['level.suggestion.accept', third, 409, null, null],
  ], 'every attempt audited; only an accepted change carries `to` (the bulletin reads it)')

  const restarted = service()
  t.same(restarted.suggestions.list().map((s) => s.id), [fourth], 'the open one is back after a restart')
  t.throws(() => restarted.suggestions.get(second), { code: 'closed' }, 'and a closed one stays closed')
})
