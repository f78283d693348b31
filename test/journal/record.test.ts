// The record format's readers: the fix time read without parsing (lag probe) agrees with the JSON,
// whatever the unit id holds, and rows in any other layout give NaN rather than a wrong number.
import t from 'tap'
import { auditRow, groupByTable, incidentJournal, incidentRow, patrolTaskJournal, patrolTaskRow, planEventRow, positionRow, positionTs, readIncidents, readPositions, RecordBuilder, rowsRecord } from '../../src/journal/record.js'
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

t.test('incidents, plan events and audit rows: their own table codes, read back from records', async (t) => {
  const inc = { id: 'ROB-1', type: 'robbery', priority: 1, ts: 1_800_000_000_000, lat: 36.49, lon: 117.86, address: 'Xinhua Rd\t7', description: 'two "suspects"', zone: 'g1', source: 'api', createdAt: 1_800_000_000_500 }
  const rec = rowsRecord('i', [incidentRow(inc), incidentRow({ ...inc, id: 'ROB-2', zone: '' })])
  const { tables, unknown } = groupByTable([rec, rowsRecord('e', [planEventRow({ id: 'ring.1.activated', type: 'plan.activated', at: 5, subject: 'plan:ring', summary: 'on', data: { activationId: 'ring.1', planId: 'ring', incidentId: null } })]), rowsRecord('u', [auditRow(7, { actor: 'desk', action: 'x', target: '', details: { status: 200 }, ip: '::1' })])])
  t.equal(unknown, 0)
  t.same([...tables.keys()], ['incidents', 'plan_events', 'audit'])
  t.match(JSON.parse(tables.get('incidents')![0]!), { id: 'ROB-1', ts: 1_800_000_000_000, zone_id: 'g1', h3: /^\d+$/, created_at: 1_800_000_000_500 })
  t.same(JSON.parse(tables.get('plan_events')![0]!), { at: 5, event_id: 'ring.1.activated', type: 'plan.activated', activation_id: 'ring.1', plan_id: 'ring', incident_id: '', checkpoint: '', unit_id: '', elapsed_ms: null, summary: 'on', data: '{"activationId":"ring.1","planId":"ring","incidentId":null}' })
  t.same(JSON.parse(tables.get('audit')![0]!), { at: 7, actor: 'desk', action: 'x', target: '', ip: '::1', details: '{"status":200}' })
  t.same([...readIncidents([rec])], [inc, { ...inc, id: 'ROB-2', zone: '' }], 'read back as written (a tab inside a field stays inside)')
  const damaged = Buffer.from(`i\t{not json\ni\t{"id":"X"}\np\t{"unit_id":"i\\t"}\n${rec.toString()}`)
  t.same([...readIncidents([damaged])].map((r) => r.id), ['ROB-1', 'ROB-2'], 'damaged or incomplete incident lines are skipped')
  t.same([...readIncidents([new RecordBuilder().add('p', positionRow(fix('P-1', 10))).build()])], [], 'a record of fixes holds none')
})

t.test('incidentJournal: one record per call, the same rows the encoders write; the append settles the call', async (t) => {
  const inc = { id: 'ROB-1', type: 'robbery', priority: 1, ts: 1_800_000_000_000, lat: 36.49, lon: 117.86, address: '', description: '', zone: 'g1', source: 'api', createdAt: 1_800_000_000_500 }
  const plan = { id: 'ring.1.activated', type: 'plan.activated', at: 5, subject: 'plan:ring', summary: 'on', data: { activationId: 'ring.1', planId: 'ring', incidentId: null } }
  const appended: Buffer[] = []
  const j = incidentJournal((record) => { appended.push(record) })
  t.equal(j.incidents([inc, { ...inc, id: 'ROB-2' }]), undefined, 'an append that did not wait: settled at once')
  t.equal(j.planEvents([plan]), undefined)
  t.same(appended.map((b) => b.toString()), [rowsRecord('i', [incidentRow(inc), incidentRow({ ...inc, id: 'ROB-2' })]).toString(), rowsRecord('e', [planEventRow(plan)]).toString()])
  t.same([...readIncidents(appended)].map((r) => r.id), ['ROB-1', 'ROB-2'])
  const waiting = incidentJournal(() => Promise.reject(new Error('journal is closed')))
  await t.rejects(Promise.resolve(waiting.incidents([inc])), { message: 'journal is closed' }, 'a failed append fails the call')
  t.throws(() => incidentJournal(() => { throw new Error('EIO') }).planEvents([plan]), { message: 'EIO' })
})

t.test('patrol task events: their own table code (t), a patrol_tasks row each; one record per journal call', async (t) => {
  const e = { id: 'task:g1:8930a6b4557ffff:5:completed', type: 'patrol_task.completed', at: 9, subject: 'unit:V-01', summary: 'done', data: { taskId: 'task:g1:8930a6b4557ffff:5', zoneId: 'g1', unitId: 'V-01', by: 'dispatcher', assignedAt: 5, etaS: 120, cells: [], status: 'completed', visited: 3, total: 3, startedAt: 6, endedAt: 9 } }
  const records: Buffer[] = []
  await patrolTaskJournal((r) => { records.push(r) })([e, { ...e, id: 'x:expired', type: 'patrol_task.expired', data: { ...e.data, status: 'abandoned', reason: 'abandoned', visited: 1, endedAt: 9 } }])
  t.equal(records.length, 1)
  const { tables, unknown } = groupByTable(records)
  t.equal(unknown, 0)
  t.same([...tables.keys()], ['patrol_tasks'])
  const [done, expired] = tables.get('patrol_tasks')!.map((r) => JSON.parse(r) as Record<string, unknown>)
  t.same(done, { at: 9, event_id: e.id, type: 'patrol_task.completed', task_id: e.data.taskId, zone_id: 'g1', unit_id: 'V-01', by: 'dispatcher', status: 'completed', reason: '', assigned_at: 5, started_at: 6, ended_at: 9, visited: 3, total: 3, eta_s: 120, summary: 'done', data: JSON.stringify(e.data) })
  t.match(expired, { type: 'patrol_task.expired', status: 'abandoned', reason: 'abandoned', visited: 1 })
  t.equal(patrolTaskRow(e), tables.get('patrol_tasks')![0])
})
