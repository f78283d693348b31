// The record format's readers: the fix time read without parsing (lag probe) agrees with the JSON,
// whatever the unit id holds, and rows in any other layout give NaN rather than a wrong number.
import t from 'tap'
import { positionRow, positionTs, readPositions, RecordBuilder } from '../../src/journal/record.js'
import type { Fix } from '../../src/decode/fix.js'

const fix = (unitId: string, ts: number): Fix => ({ unitId, ts, receivedAt: ts + 5, lat: 36.49, lon: 117.86, h3: '8930a6b4557ffff', speed: null, heading: null, accuracy: 5, altitude: null, battery: null, seq: 1, source: 'native', topic: 'fleet/x/position', flags: 0 })

t.test('positionTs reads the fix time of a position row, for any unit id', async (t) => {
  for (const id of ['P-1', 'x","ts":5,"y', 'tricky\\', '单位-7']) {
    const row = positionRow(fix(id, 1_800_000_000_123))
    t.equal(positionTs(row), 1_800_000_000_123, JSON.stringify(id))
    t.equal(JSON.parse(row).ts, 1_800_000_000_123)
  }
  t.ok(Number.isNaN(positionTs('{"at":1,"zone_id":"g"}')), 'another table\'s row')
  t.ok(Number.isNaN(positionTs('{"unit_id":"P-1"}')), 'no ts')
  t.ok(Number.isNaN(positionTs('{"unit_id":"P-1","ts":17')), 'cut short')
})

t.test('readPositions yields the identity of every position row', async (t) => {
  const rec = new RecordBuilder().add('p', positionRow(fix('P-1', 10))).add('r', '{"reason":"x"}').add('p', positionRow(fix('P-2', 20))).build()
  t.same([...readPositions([rec])], [{ unitId: 'P-1', ts: 10, lat: 36.49, lon: 117.86 }, { unitId: 'P-2', ts: 20, lat: 36.49, lon: 117.86 }])
})
