// Incident rate per zone: a proposal once per crossing of the threshold, window sliding, off at 0.
import t from 'tap'
import { RateWatch } from '../../src/incidents/rate-watch.js'

t.test('once per crossing; again after the rate fell below', async (t) => {
  const w = new RateWatch(1000, 2)
  t.equal(w.count('g', 0), 0)
  t.equal(w.add('g', 0, 0), 1)
  t.notOk(w.shouldSuggest('g', 0))
  t.equal(w.add('g', 500, 500), 2)
  t.ok(w.shouldSuggest('g', 500))
  t.notOk(w.shouldSuggest('g', 600), 'not twice')
  t.equal(w.add('g', 700, 700), 3)
  t.notOk(w.shouldSuggest('g', 700))
  t.equal(w.count('g', 1600), 1, 'older ones slid out of the window')
  t.notOk(w.shouldSuggest('g', 1600))
  w.add('g', 1650, 1650)
  t.ok(w.shouldSuggest('g', 1650), 'a new crossing')
  t.equal(w.add('g', 5000, 1000), 1, 'a future incident is not counted yet (700 is)')
  t.equal(w.count('g', 5000), 1, '… but counts when its time comes')
  const off = new RateWatch(1000, 0)
  off.add('g', 0, 0)
  t.notOk(off.shouldSuggest('g', 0))
})
