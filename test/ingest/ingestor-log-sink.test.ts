// The ingestor in cluster mode (IngestorDeps.log): fixes go to the log sink (the JetStream log),
// rejects to this engine's journal, and the message is accepted (acked, counted, remembered for
// re-delivery) only once both are durable. A sink that refuses leaves it unaccepted, and the
// broker's re-delivery then goes through. An SOS whose handler returns a promise holds the ack.
import t from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { Ingestor, type FixLogSink, type Transport } from '../../src/ingest/ingestor.js'
import { RecentFixes } from '../../src/ingest/recent-fixes.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import type { DecodeResult, Fix, SosSignal } from '../../src/decode/fix.js'
import { MemoryJournal } from '../helpers/memory-journal.js'
import { fix } from '../rules/helpers.js'

const NOW = 1_800_000_000_000
const decode = createDecoder(decoderOptionsFromConfig(validateConfig({})))
const TOPIC = 'fleet/P-1/position'
const one = (ts: number) => Buffer.from(`{"ts":${ts},"lat":36.49,"lon":117.86}`)
const batch = (...parts: string[]) => Buffer.from(`[${parts.join(',')}]`)
const el = (ts: number) => `{"ts":${ts},"lat":36.49,"lon":117.86}`

/** A log sink whose appends wait until released (or fail when told to). */
class FakeLog implements FixLogSink {
  calls: Array<{ units: string[]; ts: number[]; format: string; transport: Transport }> = []
  stored: Fix[] = []
  fail = false
  hold = false
  private held: Array<() => void> = []
  async append(fixes: readonly Fix[], format: string, transport: Transport): Promise<void> {
    this.calls.push({ units: fixes.map((f) => f.unitId), ts: fixes.map((f) => f.ts), format, transport })
    if (this.hold) await new Promise<void>((r) => this.held.push(r))
    if (this.fail) throw new Error('NATS away')
    this.stored.push(...fixes)
  }
  release(): void {
    for (const r of this.held.splice(0)) r()
  }
}

function setup(over: { onSos?: (s: SosSignal[]) => unknown } = {}) {
  const journal = new MemoryJournal()
  const metrics = createMetrics({ defaults: false })
  const log = new FakeLog()
  const recent = new RecentFixes(1000)
  const ing = new Ingestor({ decode, journal, log, metrics, recent, logger: pino({ level: 'silent' }), now: () => NOW, ...over })
  const accepted = async () => (await metrics.fixesAccepted.get()).values.reduce((n, v) => n + v.value, 0)
  const rejects = async () => (await metrics.rejects.get()).values.reduce((n, v) => n + v.value, 0)
  const redelivered = async () => (await metrics.redeliveries.get()).values[0]?.value ?? 0
  return { ing, journal, metrics, log, recent, accepted, rejects, redelivered }
}

t.test('fixes go to the sink, rejects to the journal; accepted only after both', async (t) => {
  const s = setup()
  s.log.hold = true
  s.journal.full = true
  const p = s.ing.handle(TOPIC, batch(el(NOW - 1000), '{"ts":"x","lat":1,"lon":2}', el(NOW - 3000)))
  t.type(p, Promise, 'a promise: the ack waits')
  await new Promise((r) => setImmediate(r))
  t.same(s.log.calls, [{ units: ['P-1', 'P-1'], ts: [NOW - 3000, NOW - 1000], format: 'native', transport: 'mqtt' }], 'one append for the message, in fix-time order')
  t.equal(s.journal.records.length, 0, 'the journal is full: the rejects wait')
  s.log.release()
  await new Promise((r) => setImmediate(r))
  t.equal(await s.accepted(), 0, 'the log has them but the rejects are not durable yet: not accepted')
  t.equal(s.recent.size, 0)
  s.journal.free()
  await p
  t.equal(await s.accepted(), 2)
  t.equal(await s.rejects(), 1)
  t.equal(s.recent.size, 2, 'remembered for re-delivery only now')
  t.same(s.journal.rows('positions'), [], 'no position rows in this engine\'s journal')
  t.match(s.journal.rows('rejects'), [{ reason: 'invalid_ts', topic: TOPIC }])
  t.same(s.log.stored.map((f) => f.ts), [NOW - 3000, NOW - 1000])
})

t.test('a message with fixes only: accepted when the sink resolves', async (t) => {
  const s = setup()
  s.log.hold = true
  let settled = false
  const p = s.ing.handle(TOPIC, one(NOW - 1000)) as Promise<void>
  void p.then(() => { settled = true })
  await new Promise((r) => setImmediate(r))
  t.notOk(settled)
  t.equal(await s.accepted(), 0)
  s.log.release()
  await p
  t.equal(await s.accepted(), 1)
  t.same((await s.metrics.fixesAccepted.get()).values[0]?.labels, { format: 'native', transport: 'mqtt' })
  t.equal(s.journal.records.length, 0, 'nothing journaled')
})

t.test('a message with rejects only never calls the sink and is acked at once', async (t) => {
  const s = setup()
  t.equal(s.ing.handle(TOPIC, Buffer.from('{"ts":1,"lat":')), undefined)
  t.same(s.log.calls, [])
  t.equal(await s.rejects(), 1)
  t.equal(s.journal.rows('rejects').length, 1)
})

t.test('a refusing sink leaves the message unaccepted; the re-delivery goes through', async (t) => {
  const s = setup()
  s.log.fail = true
  await t.rejects(s.ing.handle(TOPIC, one(NOW - 1000)) as Promise<void>, /NATS away/, 'the handler rejects: not acked')
  t.equal(await s.accepted(), 0)
  t.equal(s.recent.size, 0, 'not remembered: the re-delivery is not taken for a duplicate')
  s.log.fail = false
  await s.ing.handle(TOPIC, one(NOW - 1000))
  t.equal(s.log.calls.length, 2, 'the re-delivery reached the sink')
  t.equal(s.log.stored.length, 1)
  t.equal(await s.accepted(), 1)
  t.equal(await s.redelivered(), 0)
  s.log.fail = true
  const failed = s.ing.handle(TOPIC, one(NOW - 500)) as Promise<void>
  failed.catch(() => undefined)
  s.log.fail = false
  await s.ing.handle(TOPIC, one(NOW - 400))
  t.equal(await s.accepted(), 2, 'a message queued behind a failed one is still stored')
})

t.test('recent-fix dedup: a re-delivered fix is dropped before the sink, duplicates inside a message too', async (t) => {
  const s = setup()
  await s.ing.handle(TOPIC, one(NOW - 1000))
  t.equal(s.ing.handle(TOPIC, one(NOW - 1000)), undefined, 'a re-delivery of an accepted fix: acked at once')
  t.equal(s.log.calls.length, 1, 'the sink was not called again')
  t.equal(await s.redelivered(), 1)
  await s.ing.handle(TOPIC, batch(el(NOW - 1000), el(NOW - 900), el(NOW - 900)))
  t.same(s.log.calls[1]?.ts, [NOW - 900], 'the accepted one and the in-message duplicate dropped')
  t.equal(await s.redelivered(), 3)
  t.equal(await s.accepted(), 2)
})

t.test('an SOS whose handler returns a promise holds the settlement, after the fixes are stored', async (t) => {
  const order: string[] = []
  let release!: () => void
  const s = setup({ onSos: (signals) => { order.push(`sos ${signals.map((x) => x.unitId).join(',')}`); return new Promise<void>((r) => { release = r }) } })
  const f = fix('P-1', NOW - 1000, { lat: 36.49, lon: 117.86 }, { receivedAt: NOW })
  const result: DecodeResult = { format: 'jt808', fixes: [f], rejects: [], ignored: null, sos: [{ unitId: 'P-1', at: f.ts, via: 'jt808', fix: f }] }
  s.log.hold = true
  let settled = false
  const p = s.ing.ingest(result, NOW, 'jt808') as Promise<void>
  void p.then(() => { settled = true; order.push('settled') })
  await new Promise((r) => setImmediate(r))
  t.same(order, [], 'the SOS waits for the fix to be stored')
  order.push('stored')
  s.log.release()
  await new Promise((r) => setTimeout(r, 10))
  t.same(order, ['stored', 'sos P-1'])
  t.notOk(settled, 'held by the SOS handler\'s promise')
  release()
  await p
  t.same(order, ['stored', 'sos P-1', 'settled'])
  t.same(s.log.calls[0]?.transport, 'jt808')
})

t.test('an SOS without fixes, with a handler returning nothing: settled at once', async (t) => {
  const seen: SosSignal[][] = []
  const s = setup({ onSos: (signals) => { seen.push(signals) } })
  const result: DecodeResult = { format: 'osmand', fixes: [], rejects: [], ignored: null, sos: [{ unitId: 'P-2', at: NOW, via: 'osmand', fix: null }] }
  t.equal(s.ing.ingest(result, NOW, 'http'), undefined)
  t.equal(seen.length, 1)
  t.same(s.log.calls, [])
})

t.test('rejects waiting for journal space hold the ack even when no fix is new', async (t) => {
  const s = setup()
  await s.ing.handle(TOPIC, one(NOW - 1000))
  s.journal.full = true
  const p = s.ing.handle(TOPIC, batch(el(NOW - 1000), '{"ts":"x","lat":1,"lon":2}'))
  t.type(p, Promise)
  t.equal(s.log.calls.length, 1, 'the re-delivered fix does not reach the sink')
  await new Promise((r) => setImmediate(r))
  t.equal(await s.rejects(), 0, 'not counted before it is written')
  s.journal.free()
  await p
  t.equal(await s.rejects(), 1)
  t.equal(s.journal.rows('rejects').length, 1)
})

t.test('a message refused by the sink and delivered again stores its rejects once', async (t) => {
  const s = setup()
  s.log.fail = true
  const payload = batch(el(NOW - 1000), '{"ts":"x","lat":1,"lon":2}')
  await t.rejects(s.ing.handle(TOPIC, payload) as Promise<void>, /NATS away/)
  await t.rejects(s.ing.handle(TOPIC, payload) as Promise<void>, /NATS away/)
  s.log.fail = false
  await s.ing.handle(TOPIC, payload)
  t.equal(s.journal.rows('rejects').length, 1, 'one reject row, not one per delivery')
  t.equal(await s.rejects(), 1)
  t.equal(await s.accepted(), 1)
})
