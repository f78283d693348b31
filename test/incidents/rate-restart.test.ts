// Issue 14: the incident-rate window behind patrol_level.suggested survives a restart. Each
// "restart" is a new IncidentService on the same data directory and the same embedded ClickHouse
// (as after a process restart): the window is rebuilt from the `incidents` table.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { openClickHouse } from '../../src/store/clickhouse/client.js'
import { migrate } from '../../src/store/clickhouse/schema.js'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService } from '../../src/incidents/service.js'
import { ClickHouseIncidentStore } from '../../src/store/clickhouse/incidents.js'
import type { IncidentStore } from '../../src/incidents/incident-store.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { directJournal } from '../helpers/journal-rows.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { captureLogger, tempDir } from '../helpers/harness.js'
import { BASE, T0, config, standardRaw } from '../rules/helpers.js'

const HOUR = 3_600_000
const ch = openClickHouse(validateConfig({ data_dir: tempDir() }))
t.teardown(() => ch.close())
t.before(() => migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 }))

/** One engine process: a service over the shared store and data directory. */
function start(store: IncidentStore, dir: string, now: { t: number }, rate: Record<string, unknown> = {}) {
  const cfg = config(standardRaw({ incidents: { hotspots: { enabled: false }, rate: { threshold: 3, window: '24h', suggest_level: 'high', ...rate } } }))
  const dep = compileDeployment(cfg)
  const events: OutboundEvent[] = []
  const { logger, logs } = captureLogger()
  const unshipped = new UnshippedIncidents()
  // Each incident is shipped as it is journaled, into the store's database.
  const journal = directJournal(ch.client, (store as unknown as { db: string }).db, unshipped)
  const svc = new IncidentService({ setup: compileIncidents(cfg), dep, rules: new RuleEngine(dep, { startedAt: T0 }), store: () => store, dir, now: () => now.t, logger, publish: (e) => events.push(e), journal, unshipped })
  const add = (id: string, ts = now.t) => svc.add([{ id, type: 'theft', lat: BASE.lat, lon: BASE.lon, time: ts }], { source: 'api', search: true, by: 'desk' })
  const suggested = () => events.filter((e) => e.type === 'patrol_level.suggested')
  return { svc, add, suggested, logs }
}

t.test('two incidents before a restart and one after make three within the window: suggested', async (t) => {
  // A database of its own per test: the window query reads every zone's incidents.
  const db = 'rate_a'
  await migrate(ch.client, { database: db, ttlDays: 0, rejectsTtlDays: 0 })
  const store = new ClickHouseIncidentStore(ch.client, db)
  const dir = tempDir()
  const now = { t: T0 }
  // Old history outside the window must not count after the restart.
  const first = start(store, dir, now)
  await first.add('OLD-1', T0 - 30 * HOUR)
  await first.add('OLD-2', T0 - 25 * HOUR)
  now.t = T0 + HOUR
  await first.add('A-1')
  now.t = T0 + 2 * HOUR
  await first.add('A-2')
  t.same(first.suggested(), [], 'two within 24 h: below the threshold of 3')

  now.t = T0 + 3 * HOUR
  const second = start(store, dir, now)
  await second.add('A-3')
  t.equal(second.suggested().length, 1, 'the window held A-1 and A-2 across the restart')
  t.match(second.suggested()[0]!.data, { zoneId: 'grid-2', from: 'normal', to: 'high', incidents: 3 })
  t.ok(second.logs.some((l) => l.msg === 'Incident rate window rebuilt from ClickHouse.' && l.incidents === 2), 'the two incidents of the window, not the old ones')

  // Once proposed, a restart does not propose the same crossing again…
  now.t = T0 + 4 * HOUR
  const third = start(store, dir, now)
  await third.add('A-4')
  t.same(third.suggested(), [], 'the zone was already at the threshold before the restart: no second proposal')
  // … but after the rate fell below the threshold (A-* slid out), a new crossing is proposed.
  now.t = T0 + 30 * HOUR
  const fourth = start(store, dir, now)
  await fourth.add('C-1')
  await fourth.add('C-2')
  t.same(fourth.suggested(), [], 'A-3, A-4 slid out: C-1 and C-2 are two')
  await fourth.add('C-3')
  t.equal(fourth.suggested().length, 1, 'C-1..C-3: a new crossing after the rate had fallen below')
})

t.test('the rebuild counts nothing twice, is skipped with the proposal off, and is retried after a failure', async (t) => {
  const db = 'rate_b'
  await migrate(ch.client, { database: db, ttlDays: 0, rejectsTtlDays: 0 })
  const store = new ClickHouseIncidentStore(ch.client, db)
  const now = { t: T0 }
  const a = start(store, tempDir(), now)
  await a.add('X-1')
  await a.add('X-2')
  // Re-sent after the restart: already stored, not counted again.
  const b = start(store, tempDir(), now)
  const again = await b.add('X-2')
  t.equal(again[0]!.status, 'exists')
  t.same(b.suggested(), [], 'X-2 sent again is no third incident')
  await b.add('X-3')
  t.equal(b.suggested().length, 1)

  // The proposal off: no window query at all.
  let calls = 0
  const counting = Object.create(store, { zonedSince: { value: async () => { calls++; return [] } } }) as IncidentStore
  const off = start(counting, tempDir(), now, { threshold: 0 })
  await off.add('X-4')
  t.equal(calls, 0)

  // ClickHouse fails the window query: the add is stored all the same (counted without the
  // history, logged); the next add rebuilds, counting X-5 once.
  let fail = true
  const flaky = Object.create(store, { zonedSince: { value: async (from: number) => { if (fail) throw new Error('Code: 210. Connection refused\nstack'); return store.zonedSince(from) } } }) as IncidentStore
  const c = start(flaky, tempDir(), now)
  t.match(await c.add('X-5'), [{ id: 'X-5', status: 'created' }])
  t.ok(c.logs.some((l) => l.msg === 'The incident rate window could not be read from ClickHouse; counting without the history until it can.' && l.err === 'Code: 210. Connection refused'))
  t.same(await store.existing(['X-5']), new Set(['X-5']), 'stored')
  t.same(c.suggested(), [], 'one incident in this process: below the threshold')
  fail = false
  await c.add('X-6')
  t.ok(c.logs.some((l) => l.msg === 'Incident rate window rebuilt from ClickHouse.' && l.incidents === 5), 'X-1..X-5, X-5 once')
  t.equal(c.suggested().length, 0, 'X-1..X-6 are 6 ≥ 3, already proposed before: rebuilt as raised')
})
