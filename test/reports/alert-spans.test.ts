// Alert spans summed per subject: gaps per zone, the other kinds per unit, clipped to the period,
// an open alert counted until "now".
import t from 'tap'
import { alertSpanTotals } from '../../src/reports/alert-spans.js'
import type { AlertSpanRow } from '../../src/reports/report-queries.js'

const P = { from: 1_000_000, to: 2_000_000 }
const row = (k: string, opened: number, resolved: number | null, unit = '', zone = ''): AlertSpanRow => ({ alert_id: `${k}${opened}`, k, subj: '', unit, zone, post: '', opened_ms: opened, resolved_ms: resolved })

t.test('coverage and response gaps are per zone, other kinds per unit', async (t) => {
  const spans = alertSpanTotals([
    row('coverage_gap', 1_100_000, 1_200_000, 'U1', 'z'),
    row('coverage_gap', 1_300_000, 1_350_000, '', 'z'),
    row('response_gap', 1_100_000, 1_110_000, '', 'z'),
    row('radius_breach', 1_100_000, 1_400_000, 'U1', 'z'),
    row('zone_exit', 1_500_000, 1_520_000, 'U1', 'z'),
  ], P, P.to)
  t.same(spans('coverage_gap', 'z'), { count: 2, totalMs: 150_000, longestMs: 100_000 })
  t.same(spans('response_gap', 'z'), { count: 1, totalMs: 10_000, longestMs: 10_000 })
  t.same(spans('radius_breach', 'U1'), { count: 1, totalMs: 300_000, longestMs: 300_000 })
  t.same(spans('zone_exit', 'U1'), { count: 1, totalMs: 20_000, longestMs: 20_000 })
  t.same(spans('coverage_gap', 'U1'), { count: 0, totalMs: 0, longestMs: 0 }, 'a gap is never filed under its unit')
  t.same(spans('radius_breach', 'z'), { count: 0, totalMs: 0, longestMs: 0 }, 'a breach is never filed under its zone')
})

t.test('spans are clipped to the period; an open alert counts until openUntil', async (t) => {
  const spans = alertSpanTotals([row('radius_breach', 900_000, 1_100_000, 'U1'), row('radius_breach', 1_900_000, null, 'U1'), row('zone_exit', 1_900_000, null, 'U2')], P, 1_950_000)
  t.same(spans('radius_breach', 'U1'), { count: 2, totalMs: 150_000, longestMs: 100_000 })
  t.same(spans('zone_exit', 'U2'), { count: 1, totalMs: 50_000, longestMs: 50_000 })
  t.same(alertSpanTotals([row('zone_exit', 1_900_000, null, 'U2')], P, P.to)('zone_exit', 'U2').totalMs, 100_000, 'the period has ended: until its end')
})

t.test('no span: zeros, a fresh object each time', async (t) => {
  const spans = alertSpanTotals([], P, P.to)
  const a = spans('zone_exit', 'U1')
  t.same(a, { count: 0, totalMs: 0, longestMs: 0 })
  a.count = 5
  t.equal(spans('zone_exit', 'U1').count, 0)
})
