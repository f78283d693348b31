// Incident rate per zone: a proposal once per crossing of the threshold, window sliding, off at 0,
// incidents counted once by id, and the window restored after a restart.
import t from 'tap'
import { RateWatch } from '../../src/incidents/rate-watch.js'

t.test('once per crossing; again after the rate fell below', async (t) => {
  const w = new RateWatch(1000, 2)
  t.equal(w.count('g', 0), 0)
  t.equal(w.add('g', 'a', 0, 0), 1)
  t.notOk(w.shouldSuggest('g', 0))
  t.equal(w.add('g', 'b', 500, 500), 2)
  t.ok(w.shouldSuggest('g', 500))
  t.notOk(w.shouldSuggest('g', 600), 'not twice')
  t.equal(w.add('g', 'c', 700, 700), 3)
  t.notOk(w.shouldSuggest('g', 700))
  t.equal(w.count('g', 1600), 1, 'older ones slid out of the window')
  t.notOk(w.shouldSuggest('g', 1600))
  w.add('g', 'd', 1650, 1650)
  t.ok(w.shouldSuggest('g', 1650), 'a new crossing')
  t.equal(w.add('g', 'e', 5000, 1000), 1, 'a future incident is not counted yet (700 is)')
  t.equal(w.count('g', 5000), 1, '… but counts when its time comes')
  const off = new RateWatch(1000, 0)
  off.add('g', 'a', 0, 0)
  t.notOk(off.shouldSuggest('g', 0))
})

t.test('an incident counts once, by id', async (t) => {
  const w = new RateWatch(1000, 3)
  w.add('g', 'a', 100, 100)
  t.equal(w.add('g', 'a', 100, 100), 1)
  t.equal(w.add('h', 'a', 100, 100), 1, 'zones are apart')
})

t.test('restore: the window as before the restart, an already crossed zone not proposed again', async (t) => {
  const w = new RateWatch(1000, 2)
  w.restore([{ zoneId: 'g', id: 'a', ts: 100 }, { zoneId: 'g', id: 'b', ts: 200 }, { zoneId: 'h', id: 'c', ts: 300 }, { zoneId: 'k', id: 'old', ts: -5000 }], 500)
  t.equal(w.count('g', 500), 2)
  t.equal(w.count('k', 500), 0, 'outside the window')
  t.notOk(w.shouldSuggest('g', 500), 'g crossed before the restart')
  w.add('h', 'd', 400, 500)
  t.ok(w.shouldSuggest('h', 500), 'h crosses now')
  w.restore([{ zoneId: 'g', id: 'a', ts: 100 }], 500)
  t.equal(w.count('g', 500), 2, 'restoring what is held counts nothing twice')
  const off = new RateWatch(1000, 0)
  off.restore([{ zoneId: 'g', id: 'a', ts: 100 }], 500)
  t.equal(off.count('g', 500), 1)
  t.notOk(off.shouldSuggest('g', 500))
})
