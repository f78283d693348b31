import t from 'tap'
import { AlertBook } from '../../src/rules/alert-book.js'
import { fmtClock, fmtDistance, fmtPercent, fmtSpan, summaries, unitLabel } from '../../src/rules/summary.js'
import { T0 } from './helpers.js'

// The book does not look inside the fields; a minimal set stands for any kind's.
const fields = (summary: string) => ({ unitId: 'P-017', summary }) as never

t.test('lifecycle: opened → acknowledged → resolved, one open per (kind, subject)', async (t) => {
  const b = new AlertBook()
  const o = b.openAlert('radius_breach', 'unit:P-017/post:s', T0, fields('out'))
  t.ok(o)
  // Golden: alert ids are persisted (ClickHouse, outbox, receivers' dedup); a change of the
  // derivation would re-open every stored alert under a new id.
  t.equal(T0, 1_740_837_600_000)
  t.equal(o?.alertId, 'al_8082f5670128aac6644c')
  t.equal(o?.eventId, `${o?.alertId}.opened`)
  t.equal(o?.type, 'radius_breach.opened')
  t.equal(b.openAlert('radius_breach', 'unit:P-017/post:s', T0 + 1, fields('again')), null, 'already open')
  t.ok(b.isOpen('radius_breach', 'unit:P-017/post:s'))
  t.equal(b.openedAt('radius_breach', 'unit:P-017/post:s'), T0)
  t.equal(b.openedAt('zone_exit', 'unit:P-017'), null)
  const a = b.acknowledge(o?.alertId as string, 'sgt.wang', T0 + 5)
  t.equal(a?.type, 'radius_breach.acknowledged')
  t.equal(a?.at, T0 + 5)
  t.equal(a?.openedAt, T0)
  t.equal(a?.acknowledgedBy, 'sgt.wang')
  t.equal(a?.unitId, 'P-017', 'keeps the data of the last event')
  t.equal(a?.summary, 'Acknowledged by sgt.wang: out')
  t.equal(b.acknowledge(o?.alertId as string, 'x', T0 + 6), null, 'only once')
  t.equal(b.acknowledge('al_nope', 'x', T0 + 6), null, 'unknown')
  t.equal(b.get(o?.alertId as string)?.state, 'acknowledged')
  t.equal(b.get(o?.alertId as string)?.acknowledgedAt, T0 + 5)
  t.equal(b.list().length, 1)
  const r = b.resolve('radius_breach', 'unit:P-017/post:s', T0 + 10, fields('back'))
  t.equal(r?.eventId, `${o?.alertId}.resolved`)
  t.equal(r?.acknowledgedBy, 'sgt.wang')
  t.equal(b.resolve('radius_breach', 'unit:P-017/post:s', T0 + 11, fields('back')), null, 'nothing open')
  t.equal(b.acknowledge(o?.alertId as string, 'x', T0 + 12), null, 'resolved')
  t.same(b.list(), [])
  t.equal(b.get(o?.alertId as string)?.state, 'resolved')
  t.equal(b.get('al_nope'), undefined)
})

t.test('a re-open in the same millisecond gets a distinct, deterministic id', async (t) => {
  const b = new AlertBook()
  const o1 = b.openAlert('zone_exit', 'unit:A', T0, fields('1'))
  b.resolve('zone_exit', 'unit:A', T0, fields('r'))
  const o2 = b.openAlert('zone_exit', 'unit:A', T0, fields('2'))
  t.not(o2?.alertId, o1?.alertId)
  t.equal(o2?.alertId, 'al_6ed0d7da8d18fd54a2ac', 'golden')
})

t.test('list order, JSON round trip, resolved history bound', async (t) => {
  const b = new AlertBook()
  b.openAlert('unit_silent', 'unit:B', T0 + 2, fields('b'))
  b.openAlert('unit_silent', 'unit:A', T0 + 1, fields('a'))
  b.openAlert('unit_silent', 'unit:C', T0 + 1, fields('c'))
  const listed = b.list()
  t.same(listed.map((v) => v.openedAt), [T0 + 1, T0 + 1, T0 + 2])
  t.ok((listed[0]?.id as string) < (listed[1]?.id as string), 'ties broken by id')
  const copy = AlertBook.fromJSON(JSON.parse(JSON.stringify(b.toJSON())))
  t.same(copy.list(), listed)
  t.equal(copy.openAlert('unit_silent', 'unit:A', T0 + 9, fields('x')), null, 'still open after the round trip')
  t.throws(() => AlertBook.fromJSON({ version: 2 } as never), /malformed/)
  t.throws(() => AlertBook.fromJSON(null as never), /malformed/)
  const big = new AlertBook()
  let first = ''
  for (let i = 0; i < 1002; i++) {
    const ev = big.openAlert('unit_silent', `unit:${i}`, T0 + i, fields('s'))
    if (i === 0) first = ev?.alertId as string
    big.resolve('unit_silent', `unit:${i}`, T0 + i + 1, fields('r'))
  }
  t.equal(big.get(first), undefined, 'the oldest resolved alerts are forgotten')
})

t.test('summary formatting', async (t) => {
  t.equal(fmtDistance(849.6), '850 m')
  t.equal(fmtDistance(1900), '1.9 km')
  t.equal(fmtClock(Date.UTC(2025, 0, 1, 14, 2, 11)), '14:02:11Z')
  t.equal(fmtSpan(45_000), '45 s')
  t.equal(fmtSpan(185_000), '3 min')
  t.equal(fmtSpan(3 * 3_600_000 + 5 * 60_000), '3 h 5 min')
  t.equal(fmtPercent(0.625), '63%')
  t.equal(unitLabel('P-017', 'Patrol car 17'), 'Patrol car 17 (P-017)')
  t.equal(unitLabel('P-017', 'P-017'), 'P-017')
  t.equal(unitLabel('P-017', undefined), 'P-017')
  t.equal(
    summaries.radiusOpened('Patrol car 17 (P-017)', 'Chengxi station', 1900, 1500, Date.UTC(2025, 0, 1, 14, 2, 11)),
    'Patrol car 17 (P-017) is 1.9 km from Chengxi station, outside its 1.5 km radius since 14:02:11Z',
  )
  t.equal(summaries.coverageOpened('Grid 2', 0.5, 0.8, 100, 1_800_000, 0), 'Grid 2: 50% of 100 cells patrolled within 30m (minimum 80%)')
  t.equal(summaries.coverageOpened('Grid 2', 0.9, 0.8, 100, 1_800_000, 1), 'Grid 2: 90% of 100 cells patrolled within 30m (minimum 80%); 1 priority cell overdue')
  t.match(summaries.coverageOpened('Grid 2', 0.9, 0.8, 100, 1_800_000, 2), /2 priority cells overdue$/)
})

t.test('resolveForReason carries the last fields, the reason and the new summary', async (t) => {
  const b = new AlertBook()
  const o = b.openAlert('radius_breach', 'unit:P-017/post:s', T0, { unitId: 'P-017', postId: 's', distanceM: 1700, summary: 'out' } as never)
  b.acknowledge(o?.alertId as string, 'sgt.li', T0 + 1)
  const r = b.resolveForReason('radius_breach', 'unit:P-017/post:s', T0 - 50, 'config_changed', 'gone')
  t.equal(r?.state, 'resolved')
  t.equal(r?.reason, 'config_changed')
  t.equal(r?.postId, 's')
  t.equal(r?.distanceM, 1700)
  t.equal(r?.acknowledgedBy, 'sgt.li')
  t.equal(r?.summary, 'gone')
  t.equal(r?.at, T0, 'never before it opened')
  t.equal(b.resolveForReason('radius_breach', 'unit:P-017/post:s', T0, 'config_changed', 'x'), null, 'nothing open')
  t.ok(b.changes >= 3, 'every transition bumps the change counter')
})
