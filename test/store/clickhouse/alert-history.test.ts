// Alert history and the audit table against the embedded ClickHouse: alerts folded to their latest
// state, filters, cursor pages, transitions in order (each once), the API routes on top, and audit
// rows shipped from the journal that survive a failed insert and a re-sent segment.
import t from 'tap'
import { Readable } from 'node:stream'
import { pino } from 'pino'
import type { ClickHouseClient } from '@clickhouse/client'
import { validateConfig } from '../../../src/config/load.js'
import { openClickHouse } from '../../../src/store/clickhouse/client.js'
import { migrate } from '../../../src/store/clickhouse/schema.js'
import { alertRow, auditRow, rowsRecord } from '../../../src/journal/record.js'
import { createDeliver } from '../../../src/store/clickhouse/deliver.js'
import { createMetrics } from '../../../src/telemetry/metrics.js'
import { clickHouseAlertHistory, queryAlertHistory, queryAlertTransitions } from '../../../src/store/clickhouse/alert-history.js'
import type { AlertEvent, AlertKind, AlertState } from '../../../src/rules/alert-event.js'
import { tempDir } from '../../helpers/harness.js'
import { rows } from '../../helpers/clickhouse.js'
import { as, rig } from '../../api/helpers.js'

const config = validateConfig({ data_dir: tempDir() })
const ch = openClickHouse(config)
const db = ch.database
t.teardown(() => ch.close())
await migrate(ch.client, { database: db, ttlDays: 0, rejectsTtlDays: 0 })

const T = 1_800_000_000_000
function ev(alertId: string, kind: AlertKind, state: AlertState, at: number, openedAt: number, extra: Partial<AlertEvent> = {}): AlertEvent {
  return { eventId: `${alertId}.${state}`, alertId, type: `${kind}.${state}`, kind, state, subject: `unit:${extra.unitId ?? 'P-1'}`, at, openedAt, summary: `${kind} ${state}`, ...extra } as AlertEvent
}
const events = [
  ev('al_a', 'radius_breach', 'opened', T, T, { unitId: 'P-1', postId: 's1' }),
  ev('al_a', 'radius_breach', 'acknowledged', T + 10, T, { unitId: 'P-1', acknowledgedBy: 'sgt.wang', ackNote: 'on scene' }),
  ev('al_a', 'radius_breach', 'resolved', T + 20, T, { unitId: 'P-1', acknowledgedBy: 'sgt.wang', ackNote: 'on scene' }),
  ev('al_b', 'coverage_gap', 'opened', T + 100, T + 100, { zoneId: 'g1', subject: 'zone:g1' } as Partial<AlertEvent>),
  // Opened and resolved in the same millisecond: the lifecycle order decides.
  ev('al_c', 'unit_silent', 'resolved', T + 200, T + 200, { unitId: 'O-2' }),
  ev('al_c', 'unit_silent', 'opened', T + 200, T + 200, { unitId: 'O-2' }),
  ev('al_d', 'zone_exit', 'opened', T + 300, T + 300, { unitId: 'P-1', zoneId: 'g1' }),
  ev('al_d', 'zone_exit', 'resolved', T + 400, T + 300, { unitId: 'P-1', zoneId: 'g1' }),
]
// Every row twice (a re-shipped segment without its dedup token): results must not double.
const body = [...events, ...events].map(alertRow).join('\n')
await ch.client.exec({ query: `INSERT INTO ${db}.alerts FORMAT JSONEachRow`, values: Readable.from([Buffer.from(body)], { objectMode: false }) })

const range = { from: T - 1, to: T + 1000 }

t.test('history: latest state, filters, newest first, cursor', async (t) => {
  const resolved = await queryAlertHistory(ch, { states: ['resolved'], ...range, limit: 10 })
  t.same(resolved.map((a) => a.id), ['al_d', 'al_c', 'al_a'])
  const a = resolved.find((x) => x.id === 'al_a')!
  t.same({ state: a.state, openedAt: a.openedAt, acknowledgedAt: a.acknowledgedAt, acknowledgedBy: a.acknowledgedBy, ackNote: a.ackNote, resolvedAt: a.resolvedAt }, { state: 'resolved', openedAt: T, acknowledgedAt: T + 10, acknowledgedBy: 'sgt.wang', ackNote: 'on scene', resolvedAt: T + 20 })
  t.equal(a.last.eventId, 'al_a.resolved')
  t.equal(resolved.find((x) => x.id === 'al_c')!.state, 'resolved', 'same-millisecond open and resolve ends resolved')
  t.same((await queryAlertHistory(ch, { states: null, ...range, limit: 10 })).map((x) => x.id), ['al_d', 'al_c', 'al_b', 'al_a'])
  t.same((await queryAlertHistory(ch, { states: ['opened'], ...range, limit: 10 })).map((x) => x.id), ['al_b'])
  t.same((await queryAlertHistory(ch, { states: null, ...range, limit: 10, kind: 'zone_exit' })).map((x) => x.id), ['al_d'])
  t.same((await queryAlertHistory(ch, { states: null, ...range, limit: 10, zone: 'g1' })).map((x) => x.id), ['al_d', 'al_b'])
  t.same((await queryAlertHistory(ch, { states: null, ...range, limit: 10, unit: 'O-2' })).map((x) => x.id), ['al_c'])
  t.same((await queryAlertHistory(ch, { states: null, from: T + 150, to: T + 301, limit: 10 })).map((x) => x.id), ['al_d', 'al_c'])
  const p1 = await queryAlertHistory(ch, { states: null, ...range, limit: 2 })
  const p2 = await queryAlertHistory(ch, { states: null, ...range, limit: 2, after: { openedAt: p1[1]!.openedAt, id: p1[1]!.id } })
  t.same([...p1, ...p2].map((x) => x.id), ['al_d', 'al_c', 'al_b', 'al_a'])
})

t.test('transitions in lifecycle order, each once', async (t) => {
  t.same((await queryAlertTransitions(ch, 'al_a')).map((e) => e.state), ['opened', 'acknowledged', 'resolved'])
  t.same((await queryAlertTransitions(ch, 'al_c')).map((e) => e.state), ['opened', 'resolved'])
  t.same(await queryAlertTransitions(ch, 'al_none'), [])
})

t.test('API: history from ClickHouse with cursor, one stored alert with transitions', async (t) => {
  const x = await rig({ ctx: { alertHistory: clickHouseAlertHistory(ch) } })
  t.teardown(() => x.app.close())
  x.clock.now = T + 1000
  const url = `/api/v1/alerts?state=resolved&from=${T - 1}&limit=2`
  let res = await x.app.inject({ url, headers: as('read') })
  t.equal(res.statusCode, 200)
  t.same(res.json().alerts.map((a: { id: string }) => a.id), ['al_d', 'al_c'])
  res = await x.app.inject({ url: `${url}&cursor=${res.json().nextCursor}`, headers: as('read') })
  t.same(res.json().alerts.map((a: { id: string }) => a.id), ['al_a'])
  t.equal(res.json().nextCursor, null)
  res = await x.app.inject({ url: `/api/v1/alerts?state=all&from=${new Date(T - 1).toISOString()}&zone=g1`, headers: as('read') })
  t.same(res.json().alerts.map((a: { id: string }) => a.id), ['al_d', 'al_b'])
  t.same((await x.app.inject({ url: '/api/v1/alerts?state=resolved', headers: as('read') })).json().alerts.length, 3, 'default range: the last 7 days')
  res = await x.app.inject({ url: '/api/v1/alerts/al_a', headers: as('read') })
  t.equal(res.statusCode, 200)
  t.same(res.json().transitions.map((e: { state: string }) => e.state), ['opened', 'acknowledged', 'resolved'])
  t.same({ state: res.json().state, acknowledgedBy: res.json().acknowledgedBy, ackNote: res.json().ackNote, resolvedAt: res.json().resolvedAt }, { state: 'resolved', acknowledgedBy: 'sgt.wang', ackNote: 'on scene', resolvedAt: T + 20 })
  res = await x.app.inject({ url: '/api/v1/alerts/al_b', headers: as('read') })
  t.same({ state: res.json().state, n: res.json().transitions.length, ack: res.json().acknowledgedAt }, { state: 'opened', n: 1, ack: undefined })
  t.equal((await x.app.inject({ url: '/api/v1/alerts/al_none', headers: as('read') })).statusCode, 404)
})

t.test('API: a live alert merges its unshipped transition; ClickHouse errors are 503', async (t) => {
  const x = await rig({ ctx: { alertHistory: clickHouseAlertHistory(ch) } })
  t.teardown(() => x.app.close())
  for (let i = 0; i <= 16; i++) {
    x.clock.now = T + i * 5000
    const { fix } = await import('../../api/helpers.js')
    x.ingest(fix('P-1', x.clock.now, 36.49 + (i < 2 ? 0 : 0.02), 117.86))
  }
  const live = x.engine.openAlerts().find((a) => a.kind === 'radius_breach')!
  const res = await x.app.inject({ url: `/api/v1/alerts/${live.id}`, headers: as('read') })
  t.same(res.json().transitions.map((e: { eventId: string }) => e.eventId), [live.last.eventId], 'not in ClickHouse yet: the engine\'s own')
  const broken = { client: { query: async () => { throw new Error('Code: 60. Table missing\nstack') } } as unknown as ClickHouseClient, database: db }
  const y = await rig({ ctx: { alertHistory: clickHouseAlertHistory(broken) } })
  t.teardown(() => y.app.close())
  const r1 = await y.app.inject({ url: '/api/v1/alerts?state=resolved', headers: as('read') })
  t.equal(r1.statusCode, 503)
  t.equal(r1.json().code, 'HEXP_ERR_CLICKHOUSE_UNAVAILABLE')
  t.equal(r1.json().message, 'Alert history query failed: Code: 60. Table missing')
  t.equal((await y.app.inject({ url: '/api/v1/alerts/al_a', headers: as('read') })).statusCode, 503)
})

t.test('audit rows: journaled rows shipped with their segment\'s token, retried after a failed insert, stored once', async (t) => {
  let fail = 1
  const client = new Proxy(ch.client, {
    get(target, prop, recv) {
      if (prop === 'exec') {
        return async (o: Parameters<ClickHouseClient['exec']>[0]) => {
          if (fail-- > 0) throw Object.assign(new Error('connect ECONNREFUSED (ClickHouse is restarting)'), { code: 'ECONNREFUSED' })
          return target.exec(o)
        }
      }
      return Reflect.get(target, prop, recv)
    },
  })
  const deliver = createDeliver({ client, database: db, instanceId: 'audit-test', logger: pino({ level: 'silent' }), metrics: createMetrics({ defaults: false }) })
  const record = rowsRecord('u', [auditRow(T, { actor: 'sgt.wang', action: 'alert.acknowledge', target: 'al_a', details: { status: 200, note: 'on scene' }, ip: '10.1.2.3' })])
  t.equal(await deliver({ id: 7 }, [record]), 'retriable', 'ClickHouse away: the segment stays in the journal')
  t.equal(await deliver({ id: 7 }, [record]), 'delivered')
  t.equal(await deliver({ id: 7 }, [record]), 'delivered', 're-sent after a crash before the confirmation')
  const stored = await rows<{ actor: string; action: string; target: string; ip: string; details: string; ms: string }>(ch.client, `SELECT actor, action, target, ip, details, toUnixTimestamp64Milli(at) AS ms FROM ${db}.audit`)
  t.same(stored.map((r) => ({ ...r, details: JSON.parse(r.details), ms: Number(r.ms) })), [{ actor: 'sgt.wang', action: 'alert.acknowledge', target: 'al_a', ip: '10.1.2.3', details: { status: 200, note: 'on scene' }, ms: T }], 'stored once')
})
