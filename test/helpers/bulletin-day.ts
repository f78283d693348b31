// A running engine holding the scripted patrol day (test/fixtures/patrol-day.ts) with its zone's
// coverage snapshots and a robbery plan activation, and the 30 Nov daily bulletin generated
// through the API: what the bulletin's browser test and `npm run screenshots` look at.
import { cellToLatLng, polygonToCells } from 'h3-js'
import { cellToDecimalString } from '../../src/geo/h3-index.js'
import { PlanBoard, type UnitPosition } from '../../src/incidents/plans.js'
import { planEventRow, rowsRecord } from '../../src/journal/record.js'
import { recordDeliverer } from './journal-rows.js'
import { startEngine, type Harness } from './harness.js'
import { M, POST, at, alerts, config, positions, prioritySnapshots, zoneSamples } from '../fixtures/patrol-day.js'

export const OPERATE = 'op-token-0123456789abcdef'
export const READ = 'read-token-0123456789abcdef'
export const PERIOD = '2026-11-30'

/**
 * `locale` is the engine's (the bulletin's language): the fixture's default, English, unless given.
 * `extra` config keys go over the day's config; `stage` stores more rows (make-up tasks, integrity
 * signals) before the bulletin is generated.
 */
export async function bulletinEngine(opts: { locale?: 'en' | 'zh-CN'; extra?: Record<string, unknown>; stage?: (h: Harness) => Promise<void> } = {}): Promise<Harness> {
  const h = await startEngine({
    ...config(),
    ...(opts.locale === undefined ? {} : { locale: opts.locale }),
    ...opts.extra,
    api: { tokens: [{ name: 'sgt.wang', scope: 'operate', token_env: 'HEXP_TEST_OPERATE' }, { name: 'viewer', scope: 'read', token_env: 'HEXP_TEST_READ' }] },
  }, { env: { HEXP_TEST_OPERATE: OPERATE, HEXP_TEST_READ: READ } })
  const ch = h.engine.testHandle().ch
  const insert = (table: string, values: unknown[]) => ch.client.insert({ table: `${ch.database}.${table}`, values, format: 'JSONEachRow' })
  await insert('positions', positions())
  await insert('coverage_zones', zoneSamples())
  await insert('alerts', alerts())
  // The zone's cells, hourly: the east fades as the day goes on (a visible gradient on the map).
  const cells = polygonToCells([[36.46, 117.80], [36.46, 117.83], [36.49, 117.83], [36.49, 117.80]], 9)
  const snaps: unknown[] = [...prioritySnapshots()]
  for (let h = 0; h < 24; h++) {
    for (const c of cells) {
      const [lat, lon] = cellToLatLng(c)
      const fresh = (lon - 117.80) / 0.03 < (24 - h) / 24 ? 1 : 0
      snaps.push({ snapshot_at: at(h), zone_id: 'g1', cell: cellToDecimalString(c), lat, lon, last_visit: at(h) - (fresh === 1 ? 5 * M : 90 * M), fresh })
    }
  }
  await insert('coverage', snaps)
  // A robbery plan at 14:00: the north checkpoint manned by PARK after 3 min, the south one missed.
  const board = new PlanBoard((d) => d / 10)
  const spec = { id: 'robbery', name: 'Robbery response', positions: 'scene' as const, dwellMs: 30_000, checkpoints: [
    { name: 'North gate', northM: 400, units: ['PARK'], arriveWithinMs: 5 * M, radiusM: 50 },
    { name: 'South bridge', northM: -400, units: ['DRIVE'], arriveWithinMs: 5 * M, radiusM: 50 },
  ] }
  const t0 = at(14)
  const events = board.activate(spec, { by: 'sgt.wang', incidentId: 'INC-7', centre: POST }, t0).events
  for (let s = 10; s <= 600; s += 10) {
    const p = new Map<string, UnitPosition>([['PARK', { lat: POST.lat + (s >= 180 ? 400 : 0) / 111_195, lon: POST.lon, ts: t0 + s * 1000, kind: 'vehicle' }]])
    events.push(...board.tick(t0 + s * 1000, p))
  }
  events.push(...board.deactivate('robbery', 'sgt.wang', t0 + 15 * M).events)
  await recordDeliverer(ch.client, ch.database).ship([rowsRecord('e', events.map(planEventRow))])
  await opts.stage?.(h)
  const r = await fetch(`${h.httpUrl}/api/v1/reports/bulletins/daily/${PERIOD}/regenerate`, { method: 'POST', headers: { authorization: `Bearer ${OPERATE}` } })
  if (r.status !== 201) throw new Error(`regenerate: ${r.status} ${await r.text()}`)
  return h
}
