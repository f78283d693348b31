import t from 'tap'
import { MockRuns } from '../../src/integrity/mock-runs.js'
import { O, T0, at, mock } from './helpers.js'

t.test('a run of mocked fixes ends at the next real fix; shorter runs than min_fixes say nothing', async (t) => {
  const d = new MockRuns(O.mock)
  for (let s = 0; s < 5; s++) t.same(d.observe(mock(at('P-1', s * 30))), [])
  const [sig] = d.observe(at('P-1', 150))
  t.same(sig, { unitId: 'P-1', kind: 'mock_location', from: T0, to: T0 + 120_000, evidence: { fixes: 5, durationMinutes: 2 } })
  d.observe(mock(at('P-1', 200)))
  d.observe(mock(at('P-1', 230)))
  t.same(d.observe(at('P-1', 260)), [], 'two mocked fixes are under min_fixes (3)')
  t.same(d.observe(at('P-1', 100)), [], 'an older fix is ignored')
})

t.test('a gap longer than run_gap ends the run; flush closes the open ones', async (t) => {
  const d = new MockRuns(O.mock)
  for (let s = 0; s < 3; s++) d.observe(mock(at('P-1', s * 30)))
  const gap = d.observe(mock(at('P-1', 60 + 601)))
  t.equal(gap.length, 1, 'the first run closed at the gap')
  t.equal(gap[0]?.to, T0 + 60_000)
  d.observe(mock(at('P-1', 700)))
  d.observe(mock(at('P-1', 730)))
  d.observe(mock(at('P-2', 0)))
  const flushed = d.flush()
  t.same(flushed.map((s) => [s.unitId, s.evidence.fixes]), [['P-1', 3]], 'P-2 has one mocked fix only')
  t.same(d.flush(), [])
})
