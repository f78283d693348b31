// Incidents, patrol levels and plans in cluster mode, two engines in this process on one
// nats-server and one ClickHouse endpoint: an incident created through engine A's API is listed
// by engine B; a level raised on A changes B's coverage (the override its rules apply at the next
// tick record); a plan activated on A is active on B, and its events reach the webhook once
// (delivered by the owner of the plan's partition only); the incident row is stored once; a third
// engine started after a fleet snapshot restores the incident, the level and the plan from it; a
// unit assigned and the incident closed through different engines are so on every engine, each
// event delivered once and the dispatch state in the snapshot; a missed checkpoint is one alert
// (same id on every engine), delivered once, acknowledged anywhere.
import t from 'tap'
import { waitFor } from '../helpers/harness.js'
import { startEngineCluster, startEnginePair } from '../helpers/cluster.js'
import { square } from '../rules/helpers.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OP = 'cluster-incidents-operate-token-0123456789'
const CENTRE = { lat: 36.5, lon: 117.9 }

t.test('two engines: incidents, levels and plans through the log', { timeout: 300_000 }, async (t) => {
  const cluster = await startEngineCluster(t, { secret: SECRET, token: OP, events: ['incident.*', 'plan.*', 'patrol_level.*', 'checkpoint_missed.*'], config: {
    units: [{ id: 'P-1', zone: 'grid-1' }],
    zones: [{ id: 'grid-1', name: 'Grid 1', geometry: square(CENTRE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.5 } }],
    plans: [
      { id: 'gate', name: 'Gate closure', checkpoints: [{ name: 'Gate', lat: CENTRE.lat, lon: CENTRE.lon, units: ['P-1'], radius_m: 50, arrive_within: '10m' }] },
      { id: 'quick', name: 'Quick cordon', checkpoints: [{ name: 'Corner', lat: CENTRE.lat, lon: CENTRE.lon, units: ['P-1'], radius_m: 50, arrive_within: '2s' }] },
    ],
    rules: { tick: '1s' },
  } })
  if (cluster === null) return
  const { ch, rx, call } = cluster
  const [a, b] = await startEnginePair(cluster)
  t.pass('both engines own a share of the partitions')

  // An incident created on A, listed by B.
  const created = await call(a, 'POST', '/api/v1/incidents', { id: 'I-1', type: 'robbery', lat: CENTRE.lat, lon: CENTRE.lon, time: Date.now() })
  t.equal(created.status, 201, 'created once it came back through the log')
  t.match(await created.json(), { id: 'I-1', status: 'created', zone: 'grid-1' })
  const listed = await call(b, 'GET', `/api/v1/incidents?from=${Date.now() - 3_600_000}`)
  t.equal(listed.status, 200)
  t.match(await listed.json(), { incidents: [{ id: 'I-1', zone: 'grid-1' }] }, 'engine B lists it')
  t.equal((await call(b, 'POST', '/api/v1/incidents', { id: 'I-1', type: 'robbery', lat: CENTRE.lat, lon: CENTRE.lon })).status, 200, 'the same id on B: exists')
  await waitFor(() => rx.received.find((r) => r.type === 'incident.opened'), 30_000).catch(async (err: unknown) => {
    t.comment(JSON.stringify({ received: rx.received.map((r) => r.type), ownedA: (await a.engine.cluster!.status()).owned, ownedB: (await b.engine.cluster!.status()).owned, pendingA: [...a.engine.cluster!.pending()], pendingB: [...b.engine.cluster!.pending()] }))
    throw err
  })
  await waitFor(async () => Number((await ch.query('SELECT count() AS n FROM hexpatrol.incidents'))[0]?.n) === 1, 60_000)
  t.pass('the incident row is stored by its partition\'s owner')

  // A level raised on A: B's rules take the override at the next tick record.
  const level = await call(a, 'PUT', '/api/v1/zones/grid-1/level', { level: 'emergency', reason: 'festival' })
  t.equal(level.status, 200)
  t.match(await level.json(), { zoneId: 'grid-1', level: 'emergency', changed: true })
  t.equal((await call(b, 'PUT', '/api/v1/zones/nowhere/level', { level: 'high', reason: 'x' })).status, 404, 'an unknown zone through B: 404')
  const levels = await (await call(b, 'GET', '/api/v1/levels')).json() as { zones: Array<{ zoneId: string; level: string }> }
  t.match(levels.zones, [{ zoneId: 'grid-1', level: 'emergency' }], 'engine B has the level')
  await waitFor(() => b.engine.cluster!.rules.zones(Date.now())[0]?.minRatio === 0.9, 30_000)
  t.equal(a.engine.cluster!.rules.zones(Date.now())[0]?.minRatio, 0.9, 'both engines\' coverage follows the emergency level')

  // A plan activated on A is active on B; its event is delivered once.
  const act = await call(a, 'POST', '/api/v1/plans/gate/activate', { incident_id: 'I-1' })
  t.equal(act.status, 200)
  const onB = await (await call(b, 'GET', '/api/v1/plans/gate')).json() as { active: { activationId: string } | null }
  t.ok(onB.active !== null, 'active on engine B')
  t.equal((await call(b, 'POST', '/api/v1/plans/gate/activate', { incident_id: 'I-1' })).status, 409, 'activated again through B: a conflict')
  await waitFor(() => rx.received.find((r) => r.type === 'plan.activated'), 30_000)
  await waitFor(() => rx.received.find((r) => r.type === 'patrol_level.changed'), 30_000)
  await new Promise((r) => setTimeout(r, 1500))
  const count = (type: string) => rx.received.filter((r) => r.type === type).length
  t.same([count('incident.opened'), count('patrol_level.changed'), count('plan.activated')], [1, 1, 1], 'each event delivered once by the two engines')
  await waitFor(async () => Number((await ch.query('SELECT count() AS n FROM hexpatrol.plan_events'))[0]?.n) === 1, 60_000)
  t.pass('the plan event row is stored once')

  // Dispatch: assigned through B, closed through A; every engine holds it; each event delivered once.
  const assigned = await call(b, 'POST', '/api/v1/incidents/I-1/assign', { units: ['P-1'], note: 'go' })
  t.equal(assigned.status, 200)
  t.match(await assigned.json(), { added: ['P-1'], status: 'open' })
  t.match(await (await call(a, 'GET', '/api/v1/incidents/I-1')).json(), { status: 'open', assignments: [{ unitId: 'P-1', by: 'sgt.wang', note: 'go' }] }, 'engine A holds the assignment')
  t.equal((await call(a, 'POST', '/api/v1/incidents/I-1/assign', { units: ['X-9'] })).status, 400, 'an unregistered unit through A: 400')
  t.equal((await call(a, 'POST', '/api/v1/incidents/I-1/close', { outcome: 'handled' })).status, 200)
  t.equal((await call(b, 'POST', '/api/v1/incidents/I-1/close', { outcome: 'again' })).status, 409, 'closed again through B: a conflict')
  await waitFor(() => rx.received.find((r) => r.type === 'incident.closed'), 30_000)
  await new Promise((r) => setTimeout(r, 1500))
  t.same([count('incident.assigned'), count('incident.closed')], [1, 1], 'incident.assigned and incident.closed delivered once')

  // The fleet snapshot carries them: a third engine restores them before it replays.
  const holder = a.engine.cluster!.holdsRole('schedule') ? a : b
  t.equal(await holder.engine.cluster!.snapshotIfScheduler(), true)
  const c = await cluster.start('c')
  t.ok(c.logs.some((l) => l.msg === 'Cluster replica caught up with the log.' && l.restored !== null), 'engine C restored the snapshot')
  const lv = await (await call(c, 'GET', '/api/v1/levels')).json() as { zones: Array<{ level: string }> }
  t.equal(lv.zones[0]?.level, 'emergency')
  t.ok(((await (await call(c, 'GET', '/api/v1/plans/gate')).json()) as { active: unknown }).active !== null, 'the plan is active on engine C')
  t.match(await (await call(c, 'GET', `/api/v1/incidents?from=${Date.now() - 3_600_000}`)).json(), { incidents: [{ id: 'I-1', status: 'closed', outcome: 'handled', assignments: [{ unitId: 'P-1' }] }] }, 'with its dispatch state')
  await new Promise((r) => setTimeout(r, 1500))
  t.same([count('incident.opened'), count('plan.activated')], [1, 1], 'a third engine delivers nothing again')

  // A missed checkpoint is an alert: opened on every engine alike, delivered once, acknowledged
  // through another engine, resolved when the plan stands down.
  t.equal((await call(a, 'POST', '/api/v1/plans/quick/activate', { incident_id: 'I-1' })).status, 200)
  await waitFor(() => rx.received.find((r) => r.type === 'checkpoint_missed.opened'), 60_000)
  const lists = await Promise.all([a, b, c].map(async (h) => (await (await call(h, 'GET', '/api/v1/alerts?kind=checkpoint_missed')).json() as { alerts: Array<{ id: string; subject: string }> }).alerts))
  t.same(lists.map((l) => l.map((x) => x.subject)), [['plan:quick/checkpoint:0'], ['plan:quick/checkpoint:0'], ['plan:quick/checkpoint:0']])
  t.ok(lists.every((l) => l[0]?.id === lists[0]![0]!.id), 'the same alert id on every engine')
  const acked = await call(b, 'POST', `/api/v1/alerts/${lists[0]![0]!.id}/ack`, { note: 'on it' })
  t.equal(acked.status, 200, 'acknowledged through engine B')
  t.equal((await call(a, 'POST', '/api/v1/plans/quick/deactivate', {})).status, 200)
  await waitFor(() => rx.received.find((r) => r.type === 'checkpoint_missed.resolved'), 60_000)
  await new Promise((r) => setTimeout(r, 1500))
  t.same(['opened', 'acknowledged', 'resolved'].map((s) => count(`checkpoint_missed.${s}`)), [1, 1, 1], 'each transition delivered once by the three engines')
})
