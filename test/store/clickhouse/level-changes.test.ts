// The bulletin's level history on the embedded ClickHouse: levelChanges() reads zone.level rows
// (zone = the row's target) and accepted suggestions (level.suggestion.accept, the zone in
// details.zoneId, the row's target being the suggestion), never dismissals or refusals.
import t from 'tap'
import { validateConfig } from '../../../src/config/load.js'
import { openClickHouse } from '../../../src/store/clickhouse/client.js'
import { migrate } from '../../../src/store/clickhouse/schema.js'
import { levelChanges } from '../../../src/store/clickhouse/report-queries.js'
import { tempDir } from '../../helpers/harness.js'

const ch = openClickHouse(validateConfig({ data_dir: tempDir() }))
t.teardown(() => ch.close())
const db = { client: ch.client, database: ch.database }
const T = Date.UTC(2026, 11, 1, 8)

t.test('zone.level and accepted suggestions, in time order', async (t) => {
  await migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 })
  const row = (at: number, action: string, target: string, details: Record<string, unknown>) => ({ at, actor: 'sgt.wang', action, target, ip: '127.0.0.1', details: JSON.stringify({ status: 200, ...details }) })
  const sid = `patrol_level.suggested.g2.${T}`
  await ch.client.insert({
    table: `${ch.database}.audit`,
    format: 'JSONEachRow',
    values: [
      row(T, 'zone.level', 'g1', { target: 'g1', from: 'normal', to: 'high', reason: 'robbery', expiresAt: T + 3_600_000 }),
      row(T + 1000, 'level.suggestion.accept', sid, { target: sid, zoneId: 'g2', from: 'normal', to: 'enhanced', reason: 'accepted suggestion', expiresAt: null }),
      row(T + 2000, 'level.suggestion.dismiss', 'patrol_level.suggested.g3.1', { target: 'x', zoneId: 'g3', suggested: 'high', reason: null }),
      { ...row(T + 3000, 'level.suggestion.accept', sid, { target: sid }), details: JSON.stringify({ status: 409 }) },
    ],
  })
  t.same(await levelChanges(db, { to: T + 10_000 }), [
    { at: T, zone_id: 'g1', level: 'high', expires_ms: T + 3_600_000 },
    { at: T + 1000, zone_id: 'g2', level: 'enhanced', expires_ms: null },
  ])
})
