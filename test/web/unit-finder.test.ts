// The console's unit search, pure: a unit's label (callsign, else name), every name it goes by,
// text matching over id, name and callsign (any case, accents folded), the filters, and the order
// (exact id or callsign, then prefix, then anywhere; by label within each).
import t from 'tap'
import { NO_QUERY, findUnits, matchesUnit, unitFullName, unitLabel } from '../../src/web/unit-finder.js'
import { unitStatus, type Unit } from '../../src/web/model.js'

const unit = (id: string, o: Partial<Unit> = {}): Unit => ({
  id, name: id, callsign: null, kind: 'vehicle', post: null, zone: null, silent: false, inBreach: false, outsideZone: false, distanceFromPostM: null,
  lat: 36.49, lon: 117.86, ts: 0, speed: 0, accuracy: 5, battery: null, ...o,
})
const units = [
  unit('P-1', { name: 'Patrol car 1', callsign: 'Bravo 12', post: 's1', zone: 'g1' }),
  unit('P-2', { name: 'Patrol car 2', post: 's1', zone: 'g1', inBreach: true }),
  unit('O-3', { name: 'Officer Zoë 3', kind: 'officer', post: 's2', zone: 'g1', silent: true }),
  unit('B-12', { name: 'Bike', kind: 'motorcycle', speed: 5 }),
  unit('N-5', { name: 'Not yet', lat: null, lon: null, ts: null, speed: null, accuracy: null }),
]
const ids = (q: Partial<typeof NO_QUERY>) => findUnits(units, { ...NO_QUERY, ...q }).map((u) => u.id)

t.test('labels', async (t) => {
  t.equal(unitLabel(units[0]!), 'Bravo 12')
  t.equal(unitLabel(units[1]!), 'Patrol car 2')
  t.equal(unitFullName(units[0]!), 'Bravo 12 · Patrol car 1 (P-1)')
  t.equal(unitFullName(unit('X-9')), 'X-9', 'nothing but an id')
})

t.test('text over id, name and callsign', async (t) => {
  t.same(ids({}), ['B-12', 'P-1', 'N-5', 'O-3', 'P-2'], 'no text: every unit by label')
  t.same(ids({ text: 'BRAVO' }), ['P-1'], 'callsign, any case')
  t.same(ids({ text: '  patrol car ' }), ['P-1', 'P-2'], 'name, trimmed')
  t.same(ids({ text: 'zoe' }), ['O-3'], 'accents folded')
  t.same(ids({ text: '12' }), ['B-12', 'P-1'], 'anywhere: an id and a callsign')
  t.same(ids({ text: 'b-12' }), ['B-12'], 'exact id')
  t.same(ids({ text: 'bravo 12' }), ['P-1'], 'exact callsign first')
  t.same(ids({ text: 'nobody' }), [])
})

t.test('filters', async (t) => {
  t.same(ids({ kind: 'officer' }), ['O-3'])
  t.same(ids({ status: 'breach' }), ['P-2'])
  t.same(ids({ status: 'silent' }), ['O-3'])
  t.same(ids({ status: 'moving' }), ['B-12'])
  t.same(ids({ status: 'stationary' }), ['P-1'], 'a unit with no fix is not stationary')
  t.same(ids({ status: 'nofix' }), ['N-5'], 'configured, no fix since the engine started')
  t.same(ids({ post: 's1' }), ['P-1', 'P-2'])
  t.same(ids({ zone: 'g1', text: 'car' }), ['P-1', 'P-2'])
  t.notOk(matchesUnit(units[0]!, { ...NO_QUERY, zone: 'g2' }))
  t.equal(findUnits(units, NO_QUERY, 2).length, 2, 'at most limit')
})

t.test('status: breach, then silent, then no fix yet, then moving or stationary', async (t) => {
  const noFix = { lat: null, lon: null, ts: null, speed: null, accuracy: null }
  t.equal(unitStatus(unit('A', noFix)), 'nofix', 'configured, nothing reported')
  t.equal(unitStatus(unit('A', { ...noFix, silent: true })), 'silent', 'the silence rule has spoken')
  t.equal(unitStatus(unit('A', { speed: null })), 'stationary', 'a fix without a speed')
  t.equal(unitStatus(unit('A', { speed: 1 })), 'moving')
  t.equal(unitStatus(unit('A', { speed: 9, outsideZone: true })), 'breach')
})
