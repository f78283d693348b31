// Partition rows of several tables: bare JSON rows are positions (as they always were), tagged ones
// go to their table, unknown codes are counted apart, order is kept per table, and each table's
// token derives from the batch's (positions keep it unchanged: batches stored before stay deduplicated).
import t from 'tap'
import { rowsByTable, tableRow, tableToken } from '../../src/cluster/effect-rows.js'

t.test('rows split per table, in order', async (t) => {
  const rows = ['{"unit_id":"P-1"}', tableRow('i', '{"id":"I-1"}'), tableRow('e', '{"event_id":"e1"}'), '{"unit_id":"P-2"}', tableRow('i', '{"id":"I-2"}'), 'x\t{}', 'garbage']
  const { tables, unknown } = rowsByTable(rows)
  t.same([...tables.keys()], ['positions', 'incidents', 'plan_events'])
  t.same(tables.get('positions'), ['{"unit_id":"P-1"}', '{"unit_id":"P-2"}'])
  t.same(tables.get('incidents'), ['{"id":"I-1"}', '{"id":"I-2"}'])
  t.same(tables.get('plan_events'), ['{"event_id":"e1"}'])
  t.equal(unknown, 2, 'an unknown code and an untagged non-JSON line')
  t.same(rowsByTable([]).tables, new Map())
})

t.test('tokens', async (t) => {
  t.equal(tableToken('hexpatrol-cluster:p1:0:9', 'positions'), 'hexpatrol-cluster:p1:0:9', 'positions: the batch token as before')
  t.equal(tableToken('hexpatrol-cluster:p1:0:9', 'incidents'), 'hexpatrol-cluster:p1:0:9:incidents')
  t.not(tableToken('k', 'incidents'), tableToken('k', 'plan_events'))
})
