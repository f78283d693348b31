// The incidents SQL on the embedded ClickHouse: schema from migrate(), rows journaled and shipped
// like fixes (journal/record.ts, deliver: a re-sent segment is stored once), the incident query with
// its filters, plan events, and the hotspot density against the reference
// implementation (scoreIncidents) on a seeded year of incidents.
import t from 'tap'
import { validateConfig } from '../../../src/config/load.js'
import { openClickHouse } from '../../../src/store/clickhouse/client.js'
import { migrate } from '../../../src/store/clickhouse/schema.js'
import { ClickHouseIncidentStore } from '../../../src/store/clickhouse/incidents.js'
import { scoreIncidents, type HotspotSpec } from '../../../src/incidents/hotspots.js'
import type { Incident } from '../../../src/incidents/incident.js'
import type { OutboundEvent } from '../../../src/delivery/outbound-event.js'
import { incidentRow, planEventRow, rowsRecord } from '../../../src/journal/record.js'
import { recordDeliverer } from '../../helpers/journal-rows.js'
import { tempDir } from '../../helpers/harness.js'
import { rows } from '../../helpers/clickhouse.js'
import { rng } from '../../helpers/workload.js'

const config = validateConfig({ data_dir: tempDir() })
const ch = openClickHouse(config)
const db = ch.database
t.teardown(() => ch.close())
const DAY = 86_400_000
const NOW = Date.UTC(2025, 11, 31, 12)
const inc = (id: string, ts: number, type = 'theft', lat = 36.49, lon = 117.86): Incident => ({ id, type, priority: 3, ts, lat, lon, address: 'a', description: 'd' })
const shipper = recordDeliverer(ch.client, db)
const incidents = (list: Array<{ incident: Incident; zone: string | null }>, source: string, createdAt: number) =>
  rowsRecord('i', list.map(({ incident, zone }) => incidentRow({ ...incident, zone: zone ?? '', source, createdAt })))
const planEvents = (events: OutboundEvent[]) => rowsRecord('e', events.map(planEventRow))

t.before(async () => {
  await migrate(ch.client, { database: db, ttlDays: 0, rejectsTtlDays: 0 })
  await migrate(ch.client, { database: db, ttlDays: 0, rejectsTtlDays: 0 })
})

t.test('insert, existing, query filters, get', async (t) => {
  const s = new ClickHouseIncidentStore(ch.client, db)
  t.same(await s.existing([]), new Set())
  const first = incidents([{ incident: inc('A', NOW - DAY, 'robbery'), zone: 'g1' }, { incident: inc('B', NOW - 2 * DAY), zone: null }], 'api', NOW)
  await shipper.ship([first], 100)
  await shipper.ship([first], 100)
  t.same((await rows<{ c: number }>(ch.client, `SELECT count() AS c FROM ${db}.incidents`))[0], { c: 2 }, 'a re-sent segment is stored once (no FINAL needed)')
  await shipper.ship([incidents([{ incident: inc('A', NOW - DAY, 'robbery'), zone: 'g1' }], 'api', NOW + 1)])
  t.same(await s.existing(['A', 'C']), new Set(['A']))
  const all = await s.query({ from: NOW - 10 * DAY, to: NOW, limit: 10 })
  t.same(all.map((r) => r.id), ['A', 'B'], 'newest first, one row per id')
  t.same(all[0], { id: 'A', type: 'robbery', priority: 3, ts: NOW - DAY, lat: 36.49, lon: 117.86, zone: 'g1', address: 'a', description: 'd' })
  t.same((await s.query({ from: 0, to: NOW, type: 'theft', limit: 10 })).map((r) => r.id), ['B'])
  t.same((await s.query({ from: 0, to: NOW, zone: 'g1', limit: 10 })).map((r) => r.id), ['A'])
  t.same((await s.query({ from: NOW - 36 * 3_600_000, to: NOW, limit: 10 })).map((r) => r.id), ['A'])
  t.equal((await s.get('B'))?.id, 'B')
  t.equal(await s.get('Z'), null)
})

t.test('plan events are stored once per event id', async (t) => {
  const e = { id: 'ring.1.0.reached', type: 'checkpoint.reached', at: NOW, subject: 'plan:ring', summary: 'manned', data: { activationId: 'ring.1', planId: 'ring', incidentId: 'R-1', checkpoint: { name: 'North' }, unitId: 'P-1', elapsedMs: 123_000 } }
  const a = { id: 'ring.1.activated', type: 'plan.activated', at: NOW - 1000, subject: 'plan:ring', summary: 'on', data: { activationId: 'ring.1', planId: 'ring', incidentId: null } }
  await shipper.ship([planEvents([a, e])], 200)
  await shipper.ship([planEvents([a, e])], 200)
  t.same((await rows<{ c: number }>(ch.client, `SELECT count() AS c FROM ${db}.plan_events`))[0], { c: 2 }, 'a re-sent segment is stored once (no FINAL needed)')
  await shipper.ship([planEvents([e])])
  const r = await rows<{ type: string; checkpoint: string; unit_id: string; elapsed_ms: number | null; incident_id: string }>(ch.client, `SELECT type, checkpoint, unit_id, elapsed_ms, incident_id FROM ${db}.plan_events FINAL ORDER BY at`)
  t.same(r, [
    { type: 'plan.activated', checkpoint: '', unit_id: '', elapsed_ms: null, incident_id: '' },
    { type: 'checkpoint.reached', checkpoint: 'North', unit_id: 'P-1', elapsed_ms: 123_000, incident_id: 'R-1' },
  ])
})

t.test('hotspot density in SQL equals the reference over a seeded year', async (t) => {
  const s = new ClickHouseIncidentStore(ch.client, db)
  await ch.client.command({ query: `TRUNCATE TABLE ${db}.incidents` })
  const r = rng(42)
  const types = ['robbery', 'snatch_theft', 'burglary', 'theft', 'fraud']
  // Clustered: a few hot centres plus background across the district.
  const centres = [[36.49, 117.86], [36.5, 117.88], [36.47, 117.84]] as const
  const list: Incident[] = []
  for (let i = 0; i < 3000; i++) {
    const c = centres[i % 3]!
    const hot = r() < 0.6
    const lat = hot ? c[0] + (r() - 0.5) * 0.004 : 36.44 + r() * 0.1
    const lon = hot ? c[1] + (r() - 0.5) * 0.004 : 117.8 + r() * 0.12
    list.push(inc(`I-${i}`, NOW - Math.floor(r() * 365 * DAY) + (i % 50 === 0 ? 2 * DAY : 0), types[i % 5]!, lat, lon))
  }
  await shipper.ship([incidents(list.map((incident) => ({ incident, zone: null })), 'import', NOW)])
  const spec: HotspotSpec = { resolution: 9, windowMs: 90 * DAY, halfLifeMs: 14 * DAY, weights: { robbery: 3, snatch_theft: 3, burglary: 2, default: 1 }, topPerZone: 5, minScore: 0.5 }
  const want = scoreIncidents(spec, list, NOW)
  const got = await s.hotspotScores(spec, NOW, 10_000)
  t.ok(want.length > 10, `${want.length} cells score`)
  t.same(got.map((c) => c.cell), want.map((c) => c.cell), 'same cells in the same order')
  t.ok(got.every((c, i) => Math.abs(c.score - want[i]!.score) < 1e-6 && c.count === want[i]!.count), 'same scores and counts')
  const coarse = { ...spec, resolution: 7, weights: {}, minScore: 0 }
  t.same((await s.hotspotScores(coarse, NOW, 3)).map((c) => c.cell), scoreIncidents(coarse, list, NOW).slice(0, 3).map((c) => c.cell), 'other resolution, no weights, limit')
})
