// incident.assigned and incident.closed: golden ids (numbered by the units assigned before), the
// data receivers read, the zone only when there is one, summaries in the configured locale.
import t from 'tap'
import { assignedEvent, closedEvent } from '../../src/incidents/dispatch-events.js'
import { DispatchBoard } from '../../src/incidents/dispatch.js'
import { incidentTexts } from '../../src/i18n/incident-texts.js'

const T = 1_800_000_000_000
const known = () => true

t.test('ids, data and summaries of an assignment and a close', async (t) => {
  const b = new DispatchBoard()
  const scene = { id: 'R-1', lat: 36.49, lon: 117.86, zone: 'g1' }
  b.assign('R-1', [{ unitId: 'P-1', distanceM: 420, etaS: 61 }], { by: 'li', note: '', known }, T)
  const r = b.assign('R-1', [{ unitId: 'O-2', distanceM: null, etaS: null }, { unitId: 'P-3', distanceM: 900, etaS: 130 }], { by: 'wang', note: 'backup', known }, T + 1)
  const e = assignedEvent(scene, r.state, r.added, { by: 'wang', note: 'backup' }, T + 1)
  t.same(e, {
    id: 'incident.R-1.assigned.1',
    type: 'incident.assigned',
    at: T + 1,
    subject: 'incident:R-1',
    summary: 'Incident R-1: O-2 (no position), P-3 (900 m, ETA 3 min) assigned by wang',
    data: {
      incidentId: 'R-1', zoneId: 'g1', scene: { lat: 36.49, lon: 117.86 },
      units: [{ unitId: 'O-2', distanceM: null, etaS: null }, { unitId: 'P-3', distanceM: 900, etaS: 130 }],
      by: 'wang', note: 'backup', assignments: ['P-1', 'O-2', 'P-3'],
    },
  })
  const s = b.close('R-1', 'two arrested', 'wang', T + 2)
  const c = closedEvent({ ...scene, zone: null }, s, { outcome: 'two arrested', by: 'wang' }, T + 2, incidentTexts('zh-CN', 'Asia/Shanghai'))
  t.same(c, {
    id: 'incident.R-1.closed',
    type: 'incident.closed',
    at: T + 2,
    subject: 'incident:R-1',
    summary: '警情 R-1 已由 wang 结案：two arrested',
    data: { incidentId: 'R-1', outcome: 'two arrested', by: 'wang', units: [{ unitId: 'P-1' }, { unitId: 'O-2' }, { unitId: 'P-3' }] },
  }, 'no zoneId outside every zone')
})
