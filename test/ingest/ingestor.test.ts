// The ingestor: one message → one journal record, acked only once written; rules see fixes in
// fix-time order; alert transitions are journaled before they are handed on; backpressure holds
// acknowledgements (in order) while the journal is full.
import t from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { Ingestor, type RuleSink } from '../../src/ingest/ingestor.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { groupByTable } from '../../src/journal/record.js'
import { RecentFixes } from '../../src/ingest/recent-fixes.js'
import { FixFlag, type Fix } from '../../src/decode/fix.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { MemoryJournal } from '../helpers/memory-journal.js'

const NOW = 1_800_000_000_000
const decode = createDecoder(decoderOptionsFromConfig(validateConfig({})))

function setup(rules?: RuleSink) {
  const journal = new MemoryJournal()
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

t.test('issue 19 item 10: a batch of 10,000 bad elements stores at most the cap of reject rows, counts all, keeps the good ones', async (t) => {
  const cap = validateConfig({}).validation.max_rejects_per_message
  t.equal(cap, 20, 'default cap')
  const seen: number[] = []
  const rules: RuleSink = { classify: () => 0, ingest: (f: Fix) => { seen.push(f.ts); return [] } }
  const journal = new MemoryJournal()
  const metrics = createMetrics({ defaults: false })
  const lines: string[] = []
  const ing = new Ingestor({ decode, journal, rules, metrics, logger: pino({ level: 'warn' }, { write: (l: string) => lines.push(l) }), now: () => NOW, maxRejectsPerMessage: cap })
  const good = [1000, 2000, 3000].map((d) => `{"ts":${NOW - d},"lat":36.49,"lon":117.86}`)
  // 20 kB of `0,` (the observed attack) with three good fixes spread through it: 10,000 elements.
  const elements: string[] = Array.from({ length: 9_996 }, () => '0')
  elements.splice(10, 0, good[0]!)
  elements.splice(5000, 0, good[1]!)
  elements.push(`{"ts":"x","lat":1,"lon":2}`, good[2]!)
  t.equal(elements.length, 10_000)
  ing.handle('fleet/P-1/position', Buffer.from(`[${elements.join(',')}]`))
  const { tables } = groupByTable(journal.records)
  t.equal(tables.get('positions')!.length, 3, 'every good fix is kept')
  t.same(seen, [NOW - 3000, NOW - 2000, NOW - 1000])
  const rows = tables.get('rejects')!.map((r) => JSON.parse(r) as { reason: string; detail: string; unit_id: string; topic: string; payload: string })
  t.ok(rows.length <= cap, `${rows.length} reject rows, at most ${cap}`)
  t.equal(rows.length, cap)
  t.ok(rows.slice(0, -1).every((r) => r.reason === 'not_an_object'), 'the first cap − 1 rejects as they are')
  const last = rows[rows.length - 1]!
  t.equal(last.reason, 'too_many_rejects')
  t.equal(last.unit_id, 'P-1')
  t.equal(last.topic, 'fleet/P-1/position')
  t.match(last.detail, /^9978 more rejects of this message were counted but not stored \(validation.max_rejects_per_message is 20\): not_an_object 9977, invalid_ts 1$/)
  const counted = (await metrics.rejects.get()).values.map((v) => [v.labels.reason, v.value])
  t.same(counted.sort(), [['invalid_ts', 1], ['not_an_object', 9996]], 'every reject counted, the summary row is not a reject')
  const unstored = (await metrics.rejectsNotStored.get()).values.map((v) => [v.labels.reason, v.value])
  t.same(unstored.sort(), [['invalid_ts', 1], ['not_an_object', 9977]])
  t.ok(lines.length <= 1, 'logged at most once a second')
})

t.test('a message with exactly the cap of rejects stores them all; a cap of 1 stores only the summary', async (t) => {
  const batch = (n: number) => Buffer.from(`[${Array.from({ length: n }, () => '0').join(',')}]`)
  for (const [cap, n, reasons] of [[3, 3, ['not_an_object', 'not_an_object', 'not_an_object']], [3, 4, ['not_an_object', 'not_an_object', 'too_many_rejects']], [1, 5, ['too_many_rejects']]] as const) {
    const journal = new MemoryJournal()
    const metrics = createMetrics({ defaults: false })
    const ing = new Ingestor({ decode, journal, metrics, logger: pino({ level: 'silent' }), now: () => NOW, maxRejectsPerMessage: cap })
    ing.handle('fleet/P-1/position', batch(n))
    const rows = groupByTable(journal.records).tables.get('rejects')!.map((r) => (JSON.parse(r) as { reason: string }).reason)
    t.same(rows, reasons, `cap ${cap}, ${n} rejects`)
    t.equal((await metrics.rejects.get()).values[0]!.value, n, 'all counted')
    t.equal((await metrics.rejectsNotStored.get()).values[0]?.value ?? 0, n - reasons.filter((r) => r !== 'too_many_rejects').length)
  }
})

t.test('alert transitions are journaled after the fix and handed on after', async (t) => {
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
  const rules: RuleSink = { classify: () => 0, ingest: (f) => (f.ts === NOW - 2000 ? [ev] : []) }
  const { ing, journal, alerts } = setup(rules)
  journal.full = true
  const order: number[] = []
  const p1 = ing.handle('fleet/P-1/position', msg(NOW - 3000))
  const p2 = ing.handle('fleet/P-1/position', msg(NOW - 2000))
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
  t.equal(journal.records.length, 4, 'three positions, then the transition the second one caused')
  t.match(journal.records[2]!.toString(), /^a\t/)
  t.same(alerts, [[ev]])
  t.equal(ing.handle('fleet/P-1/position', msg(NOW - 500)), undefined, 'back to synchronous acks')
  t.equal(ing.writeRecord(Buffer.from('p\t{}\n')), undefined)
})

/** A journal whose next `failures` appends throw (a disk error, a closed journal), then accept. */
class FlakyJournal extends MemoryJournal {
  constructor(public failures: number) { super() }
  override append(r: Buffer): boolean {
    if (this.failures > 0) {
      this.failures--
      throw new Error('EIO: i/o error, write')
    }
    return super.append(r)
  }
}

function flakySetup(failures: number, withRules: boolean) {
  const journal = new FlakyJournal(failures)
  const metrics = createMetrics({ defaults: false })
  const ingested: number[] = []
  const rules: RuleSink | undefined = withRules
    ? { classify: (f) => (ingested.includes(f.ts) ? 2 : 0), ingest: (f) => { ingested.push(f.ts); return [] } }
    : undefined
  const ing = new Ingestor({ decode, journal, rules, metrics, logger: pino({ level: 'silent' }), now: () => NOW, recent: new RecentFixes(100) })
  return { ing, journal, metrics, ingested }
}

for (const withRules of [true, false]) {
  t.test(`a failed append changes nothing: the re-delivery is stored exactly once (rules ${withRules ? 'on' : 'off'})`, async (t) => {
    const { ing, journal, metrics, ingested } = flakySetup(1, withRules)
    const payload = msg(NOW - 1000)
    t.throws(() => ing.handle('fleet/P-1/position', payload), /EIO/, 'the source does not acknowledge')
    t.same(ingested, [], 'the rules did not see the fix')
    t.same((await metrics.fixesAccepted.get()).values, [], 'not counted as accepted')
    t.equal(ing.handle('fleet/P-1/position', payload), undefined, 'the broker re-delivers it: acknowledged')
    t.equal(journal.records.length, 1)
    const rows = groupByTable(journal.records).tables.get('positions')!
    t.equal(rows.length, 1, 'stored exactly once')
    t.match(rows[0], /"flags":0/, 'not flagged as a duplicate of itself')
    t.equal((await metrics.redeliveries.get()).values[0]?.value ?? 0, 0, 'not dropped as a re-delivery')
    t.equal((await metrics.fixesAccepted.get()).values[0]!.value, 1)
    if (withRules) t.same(ingested, [NOW - 1000], 'the rules saw it once')
    t.equal(ing.handle('fleet/P-1/position', payload), undefined)
    t.equal(journal.records.length, 1, 'a third copy (after the ack) is a real re-delivery: dropped')
    t.equal((await metrics.redeliveries.get()).values[0]!.value, 1)
  })
}

t.test('a batch interrupted by a failed append resumes where it stopped on re-delivery', async (t) => {
  const { ing, journal, metrics, ingested } = flakySetup(0, true)
  const batch = Buffer.from(`[{"ts":${NOW - 3000},"lat":36.49,"lon":117.86},{"ts":"bad","lat":1,"lon":2},{"ts":${NOW - 2000},"lat":36.49,"lon":117.86},{"ts":${NOW - 1000},"lat":36.49,"lon":117.86}]`)
  let appends = 0
  const append = journal.append.bind(journal)
  journal.append = (r: Buffer) => {
    if (++appends === 2) throw new Error('EIO: i/o error, write')
    return append(r)
  }
  t.throws(() => ing.handle('fleet/P-1/position', batch), /EIO/)
  t.same(ingested, [NOW - 3000], 'only the fix whose record is durable reached the rules')
  t.equal(ing.handle('fleet/P-1/position', batch), undefined)
  const { tables } = groupByTable(journal.records)
  t.same(tables.get('positions')!.map((r) => JSON.parse(r).ts), [NOW - 3000, NOW - 2000, NOW - 1000], 'each fix stored once, in fix-time order')
  t.equal(tables.get('rejects')!.length, 1, 'the bad element is stored once')
  t.equal((await metrics.rejects.get()).values[0]!.value, 1, 'and counted once')
  t.same(ingested, [NOW - 3000, NOW - 2000, NOW - 1000])
  t.equal((await metrics.redeliveries.get()).values[0]!.value, 1, 'the durable first fix was recognised')
})

/** An ingestor whose rules answer every fix with one transition `id`: what is delivered, and the log's lines. */
function transitionRig(id: string) {
  const ev = { eventId: `${id}.opened`, alertId: id, type: 'unit_silent.resolved', kind: 'unit_silent', state: 'resolved', subject: 'unit:P-1', at: NOW, openedAt: NOW - 5, summary: 's' } as AlertEvent
  const journal = new MemoryJournal()
  const lines: string[] = []
  const alerts: AlertEvent[][] = []
  const ing = new Ingestor({ decode, journal, rules: { classify: () => 0, ingest: () => [ev] }, metrics: createMetrics({ defaults: false }), logger: pino({}, { write: (l: string) => lines.push(l) }), now: () => NOW, onAlerts: (e) => alerts.push(e) })
  return { ev, journal, lines, alerts, ing }
}

t.test('a transition that cannot be journaled is still delivered; the fix stays acknowledged', async (t) => {
  const { ev, journal, lines, alerts, ing } = transitionRig('c')
  const append = journal.append.bind(journal)
  journal.append = (r: Buffer) => {
    if (r.toString().startsWith('a\t')) throw new Error('EIO: i/o error, write')
    return append(r)
  }
  t.equal(ing.handle('fleet/P-1/position', msg(NOW - 1000)), undefined, 'acknowledged: the fix is durable')
  t.same(alerts, [[ev]])
  t.match(lines.join(''), /"stack":"Error: EIO.*could not be journaled/, 'logged with its stack')
})

t.test('transitions held by a group commit whose write never happens are not delivered, and say so', async (t) => {
  const { journal, lines, alerts, ing } = transitionRig('d')
  // A group commit holding the write (flush() false), then the journal closing before it is written.
  Object.assign(journal, { flush: () => false, whenWritable: () => Promise.reject(new Error('journal is closed')) })
  ing.handle('fleet/P-1/position', msg(NOW - 1000))
  await new Promise((r) => setImmediate(r))
  t.same(alerts, [], 'not delivered: they never reached the journal')
  t.match(lines.join(''), /journal is closed.*not written to the journal; not delivering them/)
})

t.test('idle() waits for blocked records, bounded by its timeout', async (t) => {
  const { ing, journal } = setup()
  await ing.idle(10)
  journal.full = true
  const p = ing.handle('fleet/P-1/position', msg(NOW - 1000))
  await ing.idle(20)
  t.equal(journal.records.length, 0, 'timed out while the journal is full')
  setTimeout(() => journal.free(), 10)
  await ing.idle(5000)
  await p
  t.equal(journal.records.length, 1)
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

t.test('a transition waits for journal space like any record, then is handed on', async (t) => {
  const ev = { eventId: 'd.opened', alertId: 'd', type: 'unit_silent.resolved', kind: 'unit_silent', state: 'resolved', subject: 'unit:P-1', at: NOW, openedAt: NOW - 5, summary: 's' } as AlertEvent
  const { ing, journal, alerts } = setup({ classify: () => 0, ingest: () => { journal.full = true; return [ev] } })
  t.equal(ing.handle('fleet/P-1/position', msg(NOW - 1000)), undefined, 'the fix is durable: acknowledged at once')
  t.same(alerts, [], 'the transition waits for its record')
  journal.free()
  await ing.idle(1000)
  t.same(alerts, [[ev]])
  t.match(journal.records.at(-1)!.toString(), /^a\t/)
})

t.test('a decoder flag (mock location) survives the rules classification, is stored with it and counted', async (t) => {
  const { ing, journal, metrics } = setup({ classify: (f: Fix) => (f.ts === NOW - 2000 ? 4 : 0), ingest: () => [] })
  const fix = (ts: number, flags: number): Fix => ({ unitId: 'P-1', ts, receivedAt: NOW, lat: 36.49, lon: 117.86, h3: '8928308280fffff', speed: null, heading: null, accuracy: 5, altitude: null, battery: null, seq: null, source: 'osmand', topic: 'http:osmand', flags })
  await ing.ingest({ format: 'osmand', fixes: [fix(NOW - 2000, FixFlag.Mock), fix(NOW - 1000, FixFlag.Mock)], rejects: [], ignored: null }, NOW, 'http')
  const rows = groupByTable(journal.records).tables.get('positions')!
  t.match(rows[0], /"flags":20/, 'mock | too_late')
  t.match(rows[1], /"flags":16/, 'mock alone')
  const byFlag = new Map((await metrics.fixesFlagged.get()).values.map((v) => [v.labels.flag, v.value]))
  t.equal(byFlag.get('mock'), 2)
  t.equal(byFlag.get('too_late'), 1)
})
