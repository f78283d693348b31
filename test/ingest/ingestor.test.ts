// The ingestor: one message → one journal record, acked only once written; rules see fixes in
// fix-time order; alert transitions are journaled before they are handed on; backpressure holds
// acknowledgements (in order) while the journal is full.
import t from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { Ingestor, type JournalWriter, type RuleSink } from '../../src/ingest/ingestor.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { groupByTable } from '../../src/sink/clickhouse/rows.js'
import type { Fix } from '../../src/decode/fix.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'

const NOW = 1_800_000_000_000
const decode = createDecoder(decoderOptionsFromConfig(validateConfig({})))

class FakeJournal implements JournalWriter {
  records: Buffer[] = []
  full = false
  private waiters: Array<() => void> = []
  append(r: Buffer): boolean {
    if (this.full) return false
    this.records.push(r)
    return true
  }
  whenWritable(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }
  free(): void {
    this.full = false
    for (const w of this.waiters.splice(0)) w()
  }
}

function setup(rules?: RuleSink) {
  const journal = new FakeJournal()
  const metrics = createMetrics({ defaults: false })
  const alerts: AlertEvent[][] = []
  const lines: string[] = []
  const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(s) })
  let now = NOW
  const ing = new Ingestor({ decode, journal, rules, metrics, logger, now: () => now, onAlerts: (e) => alerts.push(e), rejectLogIntervalMs: 1000 })
  return { ing, journal, metrics, alerts, lines, tick: (ms: number) => (now += ms) }
}

const msg = (ts: number, extra = '') => Buffer.from(`{"ts":${ts},"lat":36.49,"lon":117.86${extra}}`)

t.test('a valid message becomes one record and is acknowledged synchronously', async (t) => {
  const { ing, journal, metrics } = setup()
  t.equal(ing.handle('fleet/P-1/position', msg(NOW - 1000)), undefined, 'no promise: ack at once')
  t.equal(journal.records.length, 1)
  const { tables } = groupByTable(journal.records)
  t.equal(tables.get('positions')!.length, 1)
  t.match(tables.get('positions')![0], /"unit_id":"P-1"/)
  t.equal((await metrics.fixesAccepted.get()).values[0]!.value, 1)
})

t.test('a batch is sorted by fix time for the rules, bad elements rejected beside good ones', async (t) => {
  const seen: number[] = []
  const rules: RuleSink = {
    classify: (f: Fix) => (f.ts === NOW - 3000 ? 1 : 0),
    ingest: (f: Fix) => {
      seen.push(f.ts)
      return []
    },
  }
  const { ing, journal, metrics } = setup(rules)
  const batch = `[{"ts":${NOW - 1000},"lat":36.49,"lon":117.86},{"ts":${NOW - 3000},"lat":36.49,"lon":117.86},{"ts":"x","lat":1,"lon":2},{"ts":${NOW - 2000},"lat":36.49,"lon":117.86}]`
  ing.handle('fleet/P-1/position', Buffer.from(batch))
  t.same(seen, [NOW - 3000, NOW - 2000, NOW - 1000])
  const { tables } = groupByTable(journal.records)
  t.equal(tables.get('positions')!.length, 3)
  t.equal(tables.get('rejects')!.length, 1)
  t.equal(tables.get('positions')!.filter((r) => r.includes('"flags":1')).length, 1, 'classification is stored with the row')
  t.equal((await metrics.rejects.get()).values[0]!.labels.reason, 'invalid_ts')
})

t.test('alert transitions are journaled with the fix and handed on after', async (t) => {
  const ev = { eventId: 'a.opened', alertId: 'a', type: 'unit_silent.resolved', kind: 'unit_silent', state: 'resolved', subject: 'unit:P-1', at: NOW, openedAt: NOW - 5, summary: 's' } as AlertEvent
  const rules: RuleSink = { classify: () => 0, ingest: () => [ev] }
  const { ing, journal, alerts } = setup(rules)
  ing.handle('fleet/P-1/position', msg(NOW - 1000))
  const { tables } = groupByTable(journal.records)
  t.equal(tables.get('alerts')!.length, 1)
  t.same(alerts, [[ev]])
})

t.test('ignored and invalid messages', async (t) => {
  const { ing, journal, metrics, lines, tick } = setup()
  t.equal(ing.handle('owntracks/a/b', Buffer.from('{"_type":"lwt","tst":1}')), undefined)
  t.equal(journal.records.length, 0, 'nothing to store for an lwt')
  ing.handle('fleet/P-1/position', Buffer.from('nope'))
  ing.handle('fleet/P-1/position', Buffer.from('nope'))
  tick(1500)
  ing.handle('fleet/P-1/position', Buffer.from('nope'))
  t.equal(journal.records.length, 3, 'every reject is stored')
  t.equal(lines.length, 2, 'rejections are logged at most once a second')
  t.match(lines[1], /"suppressed":1/)
  const ignored = await metrics.messagesIgnored.get()
  t.same(ignored.values.map((v) => [v.labels.type, v.value]), [['lwt', 1]])
})

t.test('a full journal holds acknowledgements, in order, until it has room', async (t) => {
  const ev = { eventId: 'b.opened', alertId: 'b', type: 'radius_breach.opened', kind: 'radius_breach', state: 'opened', subject: 'unit:P-1/post:s', at: NOW, openedAt: NOW, summary: 's' } as AlertEvent
  let emit = false
  const rules: RuleSink = { classify: () => 0, ingest: () => (emit ? [ev] : []) }
  const { ing, journal, alerts } = setup(rules)
  journal.full = true
  const order: number[] = []
  const p1 = ing.handle('fleet/P-1/position', msg(NOW - 3000))
  emit = true
  const p2 = ing.handle('fleet/P-1/position', msg(NOW - 2000))
  emit = false
  t.ok(p1 instanceof Promise && p2 instanceof Promise, 'acks deferred')
  void p1!.then(() => order.push(1))
  void p2!.then(() => order.push(2))
  const p3 = ing.handle('fleet/P-1/position', msg(NOW - 1000))
  t.ok(p3 instanceof Promise, 'a later message queues behind the blocked ones')
  void p3!.then(() => order.push(3))
  await new Promise((r) => setTimeout(r, 10))
  t.same(order, [], 'nothing acked while blocked')
  t.same(alerts, [], 'alerts wait for their record')
  journal.free()
  await Promise.all([p1, p2, p3])
  t.same(order, [1, 2, 3])
  t.equal(journal.records.length, 3)
  t.same(alerts, [[ev]])
  t.equal(ing.handle('fleet/P-1/position', msg(NOW - 500)), undefined, 'back to synchronous acks')
  t.equal(ing.writeRecord(Buffer.from('p\t{}\n')), undefined)
})

t.test('messages are counted by the decode route format and transport (an empty native batch is native)', async (t) => {
  const { ing, metrics } = setup()
  const counts = async () => Object.fromEntries((await metrics.messagesReceived.get()).values.map((v) => [`${v.labels.format}/${v.labels.transport}`, v.value]))
  ing.handle('fleet/P-1/position', Buffer.from('[]'))
  t.same(await counts(), { 'native/mqtt': 1 }, 'not owntracks')
  ing.handle('fleet/P-1/position', Buffer.from('not json'))
  ing.handle('owntracks/a/b', Buffer.from('{"_type":"lwt"}'))
  ing.handle('elsewhere/x', Buffer.from('{}'))
  t.same(await counts(), { 'native/mqtt': 2, 'owntracks/mqtt': 1, 'unknown/mqtt': 1 })
  ing.ingest({ format: 'osmand', fixes: [], rejects: [], ignored: 'empty' }, NOW, 'http')
  t.equal((await counts())['osmand/http'], 1, 'HTTP ingest shares the path, labelled by transport')
})
