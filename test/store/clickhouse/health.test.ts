// What the engine knows about ClickHouse, with a fake handle: schema creation retried until it
// works, the up gauge and one log line per change, a probe that retries the shipper when the
// server answers again, and a /readyz status that changes nothing.
import t from 'tap'
import { pino } from 'pino'
import type { ClickHouseClient } from '@clickhouse/client'
import { validateConfig } from '../../../src/config/load.js'
import { ClickHouseHealth } from '../../../src/store/clickhouse/health.js'
import type { ClickHouseHandle } from '../../../src/store/clickhouse/client.js'
import { createMetrics } from '../../../src/telemetry/metrics.js'

function setup() {
  const state = { failCommands: true, answers: true, commands: 0 }
  const client = {
    async command() {
      state.commands++
      if (state.failCommands) throw new Error('connect ECONNREFUSED 127.0.0.1:8123')
      return {}
    },
  } as unknown as ClickHouseClient
  const ch: ClickHouseHandle = { client, target: 'server', where: 'http://127.0.0.1:8123/', database: 'hx', ping: async () => state.answers, close: async () => {} }
  const metrics = createMetrics({ defaults: false })
  const lines: Array<{ level: number; msg: string; code?: string; err?: { stack?: string } }> = []
  const logger = pino({}, { write: (l: string) => lines.push(JSON.parse(l)) })
  const health = new ClickHouseHealth(ch, { config: validateConfig({}, undefined, {}), logger, metrics })
  const up = async () => (await metrics.clickhouseUp.get()).values[0]?.value
  return { health, state, lines, up }
}

t.test('schema creation fails, is retried, then succeeds', async (t) => {
  const { health, state, lines, up } = setup()
  t.same(await health.status(), { ok: false, code: 'HEXP_ERR_CLICKHOUSE_UNAVAILABLE', detail: 'schema not created yet (ClickHouse unreachable?)' })
  await health.ensureSchema()
  t.equal(health.migrated, false)
  t.equal(await up(), 0)
  const warn = lines.find((l) => l.msg.startsWith('Could not create the ClickHouse schema'))
  t.match(warn?.err?.stack, /ECONNREFUSED/, 'logged with its stack')
  state.failCommands = false
  await health.ensureSchema()
  t.equal(health.migrated, true)
  t.equal(await up(), 1)
  const n = state.commands
  await health.ensureSchema()
  t.equal(state.commands, n, 'nothing to do once created')
  t.same(await health.status(), { ok: true, detail: 'server' })
})

t.test('reports change the gauge and log once per change; status and probe do not', async (t) => {
  const { health, state, lines, up } = setup()
  state.failCommands = false
  await health.ensureSchema()
  const before = lines.length
  health.report(true)
  t.equal(lines.length, before, 'no change, no line')
  health.report(false)
  health.report(false)
  t.equal(lines.filter((l) => l.msg.startsWith('ClickHouse is not answering')).length, 1)
  t.equal(lines.at(-1)?.code, 'HEXP_ERR_CLICKHOUSE_UNAVAILABLE')
  t.equal(await up(), 0)
  state.answers = false
  t.same(await health.status(), { ok: false, code: 'HEXP_ERR_CLICKHOUSE_UNAVAILABLE', detail: 'not answering' })
  let retried = 0
  await health.probe(() => retried++)
  t.equal(retried, 0, 'still down: no retry')
  state.answers = true
  t.same(await health.status(), { ok: true, detail: 'server' })
  t.equal(await up(), 0, 'status() does not touch the gauge')
  await health.probe(() => retried++)
  t.equal(retried, 1, 'answering again: the shipper retries at once')
})

t.test('no probe retry before the schema exists', async (t) => {
  const { health } = setup()
  let retried = 0
  await health.probe(() => retried++)
  t.equal(retried, 0)
})
