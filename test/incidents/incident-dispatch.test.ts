// Dispatch at run time with a fake rule engine and incident lookup: an assignment carries distance
// and ETA from live positions (null without one), is persisted and told once (incident.assigned),
// a close is told (incident.closed), an unknown incident is null, dispatch.json is restored at
// start, and cluster mode hands the command, with the incident's target, to the log.
import t from 'tap'
import { IncidentDispatch, type IncidentDispatchDeps } from '../../src/incidents/incident-dispatch.js'
import type { IncidentCommand } from '../../src/incidents/commands.js'
import type { IncidentRow } from '../../src/incidents/incident-store.js'
import { StateFiles } from '../../src/incidents/state-files.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { DEFAULT_INCIDENT_TEXTS } from '../../src/i18n/incident-texts.js'
import { offset } from '../rules/helpers.js'
import { captureLogger, tempDir } from '../helpers/harness.js'

const T0 = Date.UTC(2025, 5, 1)
const SCENE = { lat: 36.49, lon: 117.86 }
const row = (id: string, zone: string): IncidentRow => ({ id, type: 'theft', priority: 2, ts: T0, lat: SCENE.lat, lon: SCENE.lon, address: '', description: '', zone })
const fix = offset(SCENE, 0, 1000)
const units: Record<string, unknown> = {
  U1: { id: 'U1', kind: 'vehicle', silent: false, lastFix: { ...fix, ts: T0 } },
  U2: { id: 'U2', kind: 'vehicle', silent: true, lastFix: { ...fix, ts: T0 } },
}

function setup(dir = tempDir(), o: Partial<IncidentDispatchDeps> = {}) {
  const { logger } = captureLogger()
  const events: OutboundEvent[] = []
  const files = new StateFiles({ dir, logger, persist: true })
  const incidents = new Map([['I-1', row('I-1', 'Z1')], ['I-2', row('I-2', '')]])
  const now = { t: T0 }
  const d = new IncidentDispatch({
    rules: { unit: (id: string) => units[id] } as unknown as IncidentDispatchDeps['rules'],
    known: (id) => id !== 'ghost',
    search: { speedKmh: { default: 36 }, detourFactor: 1 },
    texts: DEFAULT_INCIDENT_TEXTS,
    files,
    now: () => now.t,
    incident: async (id) => incidents.get(id) ?? null,
    emit: (e) => events.push(e),
    ...o,
  })
  return { d, events, dir, now }
}

t.test('assign: distance and ETA from live positions, persisted, told once; unknown incident null', async (t) => {
  const { d, events, dir } = setup()
  t.equal(await d.assign('nope', ['U1'], { by: 'x', note: '' }), null)
  const r = await d.assign('I-1', ['U1', 'U2', 'U3'], { by: 'sgt.wang', note: 'go' })
  t.same(r?.added.map((a) => [a.unitId, a.distanceM, a.etaS]), [['U1', 1000, 100], ['U2', null, null], ['U3', null, null]])
  t.match(events, [{ type: 'incident.assigned', id: 'incident.I-1.assigned.0', data: { zoneId: 'Z1', by: 'sgt.wang', note: 'go' } }])
  const again = await d.assign('I-1', ['U1'], { by: 'sgt.wang', note: '' })
  t.same(again?.added, [], 'already assigned: nothing new')
  t.equal(events.length, 1, 'and nothing told')
  await t.rejects(d.assign('I-2', ['ghost'], { by: 'x', note: '' }), { code: 'bad_request' })
  t.same(d.view('I-1').assignments.map((a) => a.unitId), ['U1', 'U2', 'U3'])
  t.equal(d.view('I-1').status, 'open')
  const copy = setup(dir).d
  copy.load()
  t.same(copy.view('I-1'), d.view('I-1'), 'dispatch.json restored')
})

t.test('close: told with its outcome, persisted; unknown incident null; closed twice is a conflict', async (t) => {
  const { d, events, dir } = setup()
  t.equal(await d.close('nope', 'done', 'x'), null)
  await d.assign('I-2', ['U1'], { by: 'x', note: '' })
  const s = await d.close('I-2', 'arrested', 'sgt.li')
  t.match(s, { incidentId: 'I-2', status: 'closed', outcome: 'arrested', closedBy: 'sgt.li', closedAt: T0 })
  t.match(events.at(-1), { type: 'incident.closed', data: { incidentId: 'I-2', outcome: 'arrested', units: [{ unitId: 'U1' }] } })
  t.notOk('zoneId' in (events.at(-1)?.data ?? {}), 'outside every zone: no zone')
  await t.rejects(d.close('I-2', 'again', 'x'), { code: 'conflict' })
  const copy = setup(dir).d
  copy.load()
  t.equal(copy.view('I-2').status, 'closed')
})

t.test('cluster mode: assign and close go to the log with the incident as target', async (t) => {
  const sent: IncidentCommand[] = []
  const { d, events } = setup(tempDir(), { toLog: async (cmd) => { sent.push(cmd); return 'applied' } })
  t.equal(await d.assign('I-1', ['U1'], { by: 'x', note: 'n' }) as unknown, 'applied')
  t.equal(await d.close('I-2', 'done', 'y') as unknown, 'applied')
  t.same(sent, [
    { op: 'assign', incident: { id: 'I-1', lat: SCENE.lat, lon: SCENE.lon, zone: 'Z1' }, units: ['U1'], by: 'x', note: 'n' },
    { op: 'close', incident: { id: 'I-2', lat: SCENE.lat, lon: SCENE.lon, zone: null }, outcome: 'done', by: 'y' },
  ])
  t.same(events, [], 'nothing applied here until the log brings it back')
  const applied = d.assignAt({ id: 'I-1', lat: SCENE.lat, lon: SCENE.lon, zone: 'Z1' }, ['U1'], { by: 'x', note: 'n' }, T0 + 5)
  t.equal(applied.added[0]?.at, T0 + 5, "the record's clock")
  t.equal(d.closeAt({ id: 'I-1', lat: SCENE.lat, lon: SCENE.lon, zone: 'Z1' }, 'done', 'x', T0 + 6).closedAt, T0 + 6)
})
