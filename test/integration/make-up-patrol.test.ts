// A make-up patrol through the wired engine (embedded broker and ClickHouse, HTTP API, a fake
// clock): a zone's coverage gap opens → a proposal is listed with the nearest free unit → the
// dispatcher accepts it (patrol_task.assigned on the events topic and the unit's own device topic)
// → the unit drives through the cells → patrol_task.completed; the API's refusals (404 unknown
// proposal, 409 a unit that is not live). An automatic zone: assigned after auto_after without a
// dispatcher, then abandoned (patrol_task.expired, reason abandoned) when the unit drives away. An
// open task and its visits survive a restart on the same data directory. Task outcomes reach
// ClickHouse (patrol_tasks) and the report's make-up section. An overdue priority cell proposes its
// cluster without a coverage gap, and its visit takes the proposal away at the next tick.
import t from 'tap'
import { cellCentre } from '../../src/geo/cells.js'
import type { Engine } from '../../src/engine.js'
import { startEngine, tempDir, waitFor, type Harness } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { BASE, offset, square } from '../rules/helpers.js'

const MIN = 60_000
const TOKEN = 'admin-token-0123456789'
const T0 = Date.UTC(2025, 5, 1, 8, 0, 0)
let clock = T0
const raw = {
  http: { admin_token: TOKEN },
  broker: { subscribe_acl: ['hexpatrol/#'] },
  units: [
    { id: 'V-01', kind: 'vehicle', zone: 'g1' },
    { id: 'V-02', kind: 'vehicle', zone: 'g1' },
    { id: 'O-01', kind: 'officer', zone: 'g1' },
  ],
  zones: [{ id: 'g1', geometry: square(BASE, 300), coverage: { max_interval: '5m', min_ratio: 0.9, credit: 'any', make_up: 'propose' } }],
  rules: { tick: '1h', coverage_snapshot_interval: '1h', allowed_lateness: '0s', coverage_gap: { dwell: '0s' } },
  incidents: { hotspots: { enabled: false } },
  patrol_tasks: { refresh_every: '1m' },
}
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }

async function send(e: Engine, unit: string, p: { lat: number; lon: number }, ts = clock): Promise<void> {
  await e.testHandle().ingestor.handle(`fleet/${unit}/position`, Buffer.from(JSON.stringify({ ts, lat: p.lat, lon: p.lon, accuracy: 8 })))
}
const api = (h: Harness, path: string, init: RequestInit = {}) => fetch(`${h.httpUrl}${path}`, init)

interface Board {
  proposals: Array<{ id: string; zoneId: string; cells: Array<{ cell: string }>; unit: { id: string } | null }>
  tasks: Array<{ id: string; unitId: string; status: string; visited: number; total: number }>
}

t.test('a coverage gap becomes a make-up patrol, accepted, driven and completed', async (t) => {
  const h = await startEngine(raw, { dataDir: tempDir(), now: () => clock })
  t.teardown(() => h.engine.stop())
  const mq = await connect(h.mqttUrl, { clientId: 'watch' })
  t.teardown(() => mq.endAsync())
  const events: Array<{ topic: string; type: string; data: Record<string, unknown> }> = []
  mq.on('message', (topic, payload) => events.push({ topic, ...(JSON.parse(payload.toString()) as { type: string; data: Record<string, unknown> }) }))
  await mq.subscribeAsync('hexpatrol/incidents/#', { qos: 1 })
  await mq.subscribeAsync('hexpatrol/devices/+/tasks/#', { qos: 1 })

  // Units sit outside the zone: V-01 400 m south, V-02 1.5 km south, O-01 (on foot) 300 m north.
  clock = T0 + 10 * MIN
  await send(h.engine, 'V-01', offset(BASE, -700, 0))
  await send(h.engine, 'V-02', offset(BASE, -1800, 0))
  await send(h.engine, 'O-01', offset(BASE, 600, 0))
  const before = await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json() as Board
  t.same(before, { proposals: [], tasks: [] }, 'nothing before the gap opens')
  h.engine.testHandle().tick()
  t.ok(h.engine.testHandle().rules!.openAlerts().some((a) => a.kind === 'coverage_gap'), 'g1 is in coverage_gap (never patrolled)')

  const board = await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json() as Board
  t.ok(board.proposals.length >= 1, `${board.proposals.length} proposal(s)`)
  const p = board.proposals[0]!
  t.match(p, { zoneId: 'g1', unit: { id: 'V-01' } }, 'the nearest free vehicle (by ETA) is proposed')

  t.equal((await api(h, '/api/v1/patrol-tasks/proposals/makeup:nope/accept', { method: 'POST', headers: auth, body: '{}' })).status, 404)
  t.equal((await api(h, `/api/v1/patrol-tasks/proposals/${p.id}/accept`, { method: 'POST', headers: auth, body: JSON.stringify({ unitId: 'NOBODY' }) })).status, 409, 'not a live unit')
  const acc = await api(h, `/api/v1/patrol-tasks/proposals/${p.id}/accept`, { method: 'POST', headers: auth, body: '{}' })
  t.equal(acc.status, 201)
  const task = await acc.json() as { id: string; unitId: string; status: string; cells: Array<{ cell: string }> }
  t.match(task, { unitId: 'V-01', status: 'assigned', by: 'dispatcher' })
  const assigned = await waitFor(() => events.filter((e) => e.type === 'patrol_task.assigned').length === 2 && events.filter((e) => e.type === 'patrol_task.assigned'))
  t.same(assigned.map((e) => e.topic).sort(), ['hexpatrol/devices/V-01/tasks/patrol_task.assigned', 'hexpatrol/incidents/patrol_task.assigned/unit:V-01'])
  t.equal(assigned[0]!.data.taskId, task.id)
  t.match(h.logs.find((l) => l.action === 'patrol_task.accept'), { target: p.id }, 'audit-logged')

  // V-01 drives through its cells, 20 s apart.
  for (const [i, c] of task.cells.entries()) {
    clock = T0 + 11 * MIN + i * 20_000
    await send(h.engine, 'V-01', cellCentre(c.cell))
  }
  const done = await waitFor(() => events.find((e) => e.type === 'patrol_task.completed'))
  t.match(done, { topic: 'hexpatrol/incidents/patrol_task.completed/unit:V-01', data: { taskId: task.id, status: 'completed', visited: task.cells.length, total: task.cells.length } })
  const after = await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json() as Board
  t.match(after.tasks[0], { id: task.id, status: 'completed' })
  t.equal((await api(h, `/api/v1/patrol-tasks/${task.id}/cancel`, { method: 'POST', headers: auth })).status, 404, 'an ended task cannot be cancelled')

  // Journaled, shipped to ClickHouse (patrol_tasks) and counted by the report.
  const report = await waitFor(async () => {
    // The fake clock does not age the journal's segment: sealed here, as time would.
    h.engine.testHandle().journal.sealActive()
    const r = await api(h, `/api/v1/reports/summary?from=${T0}&to=${T0 + 3600_000}`, { headers: auth })
    const body = r.status === 200 ? await r.json() as { makeUp?: { summary: { completed: number }; zones: unknown[]; units: unknown[] } } : null
    return body?.makeUp?.summary.completed === 1 ? body.makeUp : false
  }, 60_000, 500)
  t.match(report, {
    summary: { assigned: 1, completed: 1, expired: 0, completionRate: 1, medianTimeToCompleteMs: (task.cells.length - 1) * 20_000 + MIN, cellsRecovered: task.cells.length },
    zones: [{ zoneId: 'g1', assigned: 1, completed: 1 }],
    units: [{ unitId: 'V-01', assigned: 1, completed: 1, cellsRecovered: task.cells.length }],
  }, 'the make-up section of the report')
  const csv = await (await api(h, `/api/v1/reports/summary?from=${T0}&to=${T0 + 3600_000}&format=csv&table=make_up_units`, { headers: auth })).text()
  t.match(csv, /^unitId,assigned,completed,.*\r\nV-01,1,1,/, 'as a CSV table')
})

t.test('automatic zone: assigned without a dispatcher after auto_after; the unit drives away and the task is abandoned', async (t) => {
  clock = T0
  const autoRaw = { ...raw, zones: [{ ...raw.zones[0]!, coverage: { ...raw.zones[0]!.coverage, make_up: 'auto' } }], patrol_tasks: { refresh_every: '1m', auto_after: '2m', abandon_after: '5m' } }
  const h = await startEngine(autoRaw, { dataDir: tempDir(), now: () => clock })
  t.teardown(() => h.engine.stop())
  const mq = await connect(h.mqttUrl, { clientId: 'watch-auto' })
  t.teardown(() => mq.endAsync())
  const events: Array<{ topic: string; type: string; data: Record<string, unknown> }> = []
  mq.on('message', (topic, payload) => events.push({ topic, ...(JSON.parse(payload.toString()) as { type: string; data: Record<string, unknown> }) }))
  await mq.subscribeAsync('hexpatrol/incidents/#', { qos: 1 })

  clock = T0 + 10 * MIN
  await send(h.engine, 'V-01', offset(BASE, -700, 0))
  h.engine.testHandle().tick()
  t.equal(((await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json()) as Board).tasks.length, 0, 'not before auto_after')
  clock = T0 + 13 * MIN
  await send(h.engine, 'V-01', offset(BASE, -700, 0))
  h.engine.testHandle().tick()
  const assigned = await waitFor(() => events.find((e) => e.type === 'patrol_task.assigned'))
  t.match(assigned.data, { unitId: 'V-01', by: 'auto', status: 'assigned' })
  // V-01 drives 5 km away and stays there, reporting every 30 s.
  for (let s = 30_000; s <= 25 * MIN; s += 30_000) {
    clock = T0 + 13 * MIN + s
    await send(h.engine, 'V-01', offset(BASE, -5000, 0))
    if (s % (5 * MIN) === 0) h.engine.testHandle().tick()
  }
  const expired = await waitFor(() => events.find((e) => e.type === 'patrol_task.expired'))
  t.match(expired.data, { taskId: assigned.data.taskId, status: 'abandoned', reason: 'abandoned', visited: 0 })
})

t.test('an open task survives an engine restart on the same data directory, with its visits', async (t) => {
  clock = T0
  const dataDir = tempDir()
  let h = await startEngine(raw, { dataDir, now: () => clock })
  clock = T0 + 10 * MIN
  await send(h.engine, 'V-01', offset(BASE, -700, 0))
  h.engine.testHandle().tick()
  const board = await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json() as Board
  const acc = await api(h, `/api/v1/patrol-tasks/proposals/${board.proposals[0]!.id}/accept`, { method: 'POST', headers: auth, body: '{}' })
  const task = await acc.json() as { id: string; cells: Array<{ cell: string }> }
  t.ok(task.cells.length >= 2, `${task.cells.length} cells`)
  clock = T0 + 11 * MIN
  await send(h.engine, 'V-01', cellCentre(task.cells[0]!.cell))
  await h.engine.stop()

  h = await startEngine(raw, { dataDir, now: () => clock })
  t.teardown(() => h.engine.stop())
  const mq = await connect(h.mqttUrl, { clientId: 'watch-restart' })
  t.teardown(() => mq.endAsync())
  const events: Array<{ type: string; data: Record<string, unknown> }> = []
  mq.on('message', (_topic, payload) => events.push(JSON.parse(payload.toString()) as { type: string; data: Record<string, unknown> }))
  await mq.subscribeAsync('hexpatrol/incidents/#', { qos: 1 })
  const after = await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json() as Board
  t.match(after.tasks, [{ id: task.id, unitId: 'V-01', status: 'started', visited: 1, total: task.cells.length }], 'the task is open again, its first cell visited')
  t.ok(h.logs.some((l) => l.msg === 'Make-up patrol tasks restored from the last run.' && l.tasks === 1), 'logged')
  for (const [i, c] of task.cells.slice(1).entries()) {
    clock = T0 + 12 * MIN + i * 20_000
    await send(h.engine, 'V-01', cellCentre(c.cell))
  }
  const done = await waitFor(() => events.find((e) => e.type === 'patrol_task.completed'))
  t.match(done.data, { taskId: task.id, visited: task.cells.length, total: task.cells.length })
})

t.test('an assignment the journal refuses is still delivered; the engine says it is missing from patrol_tasks', async (t) => {
  clock = T0
  const h = await startEngine(raw, { dataDir: tempDir(), now: () => clock })
  t.teardown(() => h.engine.stop())
  const mq = await connect(h.mqttUrl, { clientId: 'watch-refused' })
  t.teardown(() => mq.endAsync())
  const events: string[] = []
  mq.on('message', (_topic, payload) => events.push((JSON.parse(payload.toString()) as { type: string }).type))
  await mq.subscribeAsync('hexpatrol/incidents/#', { qos: 1 })
  clock = T0 + 10 * MIN
  await send(h.engine, 'V-01', offset(BASE, -700, 0))
  h.engine.testHandle().tick()
  const board = await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json() as Board
  // The journal refuses task rows (a disk error on that append).
  const ingestor = h.engine.testHandle().ingestor
  const write = ingestor.writeRecord.bind(ingestor)
  ingestor.writeRecord = (r) => {
    if (r.toString().startsWith('t\t')) throw new Error('EIO: i/o error, write')
    return write(r)
  }
  const acc = await api(h, `/api/v1/patrol-tasks/proposals/${board.proposals[0]!.id}/accept`, { method: 'POST', headers: auth, body: '{}' })
  t.equal(acc.status, 201, 'accepted')
  const task = await acc.json() as { id: string }
  await waitFor(() => events.includes('patrol_task.assigned') || undefined, 10_000, 50)
  t.match(h.logs.find((l) => /Make-up patrol events could not be journaled/.test(String(l.msg))), { level: 50, err: /EIO/, events: [String] })
  t.match(await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json(), { tasks: [{ id: task.id, status: 'assigned' }] }, 'the task stands')
})

t.test('an overdue priority cell without a coverage gap: its cluster is proposed; visited, the proposal goes', async (t) => {
  clock = T0
  const market = offset(BASE, 300, 300)
  const h = await startEngine({
    http: { admin_token: TOKEN },
    units: [{ id: 'V-01', kind: 'vehicle', zone: 'g2' }],
    // min_ratio 0 and a long dwell: the zone's share never opens a gap, nor (within the test) the priority cell.
    zones: [{ id: 'g2', geometry: square(BASE, 600), coverage: { max_interval: '30m', min_ratio: 0, credit: 'any', make_up: 'propose', priority_cells: [{ name: 'Market', lat: market.lat, lon: market.lon, max_interval: '10m' }] } }],
    rules: { tick: '1h', coverage_snapshot_interval: '1h', allowed_lateness: '0s', coverage_gap: { dwell: '1h' } },
    incidents: { hotspots: { enabled: false } },
    patrol_tasks: { refresh_every: '1h', max_cells: 6 },
  }, { dataDir: tempDir(), now: () => clock })
  t.teardown(() => h.engine.stop())
  // Past the zone's grace period (its max_interval); the priority cell never visited.
  clock = T0 + 31 * MIN
  await send(h.engine, 'V-01', offset(BASE, -900, 0))
  h.engine.testHandle().tick()
  t.notOk(h.engine.testHandle().rules!.openAlerts().some((a) => a.kind === 'coverage_gap'), 'no coverage gap open')
  const board = await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json() as { proposals: Array<{ zoneId: string; priorityCells: number; unit: { id: string } | null; cells: Array<{ cell: string; priority: boolean }> }> }
  t.equal(board.proposals.length, 1, 'one proposal: the piece holding the priority cell, not the whole stale zone')
  const p = board.proposals[0]!
  t.match(p, { zoneId: 'g2', priorityCells: 1, unit: { id: 'V-01' } })
  t.ok(p.cells.length > 1 && p.cells.length <= 6, `the priority cell and its overdue neighbours (${p.cells.length} cells)`)
  t.ok(p.cells.some((c) => c.priority), 'the priority cell is in it')

  clock += MIN
  await send(h.engine, 'V-01', market)
  clock += 1000
  h.engine.testHandle().tick()
  const after = await (await api(h, '/api/v1/patrol-tasks', { headers: auth })).json() as Board
  t.same(after.proposals, [], 'the priority cell visited: refreshed at the next tick (before refresh_every), nothing to propose')
})
