// Issue 19, fuzzing: mutated and random payloads through the real decoders and the real Ingestor,
// for every decoder (native, native batch, OwnTracks over MQTT and HTTP, OsmAnd query, form and
// JSON), with known-good fixes interleaved with the bad ones (beside them in a message and in a
// batch). Whatever comes in: nothing throws, every good fix is journaled, every decoded fix is
// journaled exactly once and counted, and every reject is journaled and counted (the rejects
// metric moves by exactly the number of rejects, the stored reject rows match it).
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { createHttpDecoders } from '../../src/decode/http-decoders.js'
import type { DecodeResult, Fix } from '../../src/decode/fix.js'
import { Ingestor, type RuleSink } from '../../src/ingest/ingestor.js'
import { RecentFixes, fixKey } from '../../src/ingest/recent-fixes.js'
import { groupByTable } from '../../src/journal/record.js'
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js'
import { hostileValue, mutate, op, type Op } from '../helpers/fuzz.js'
import { MemoryJournal } from '../helpers/memory-journal.js'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
// HEXP_FUZZ_RUNS and HEXP_FUZZ_SEED run it longer or elsewhere (a failure prints its seed and path).
const NUM_RUNS = Number(process.env.HEXP_FUZZ_RUNS ?? 1000)
const SEED = process.env.HEXP_FUZZ_SEED === undefined ? null : Number(process.env.HEXP_FUZZ_SEED)
const config = validateConfig({})
const realDecode = createDecoder(decoderOptionsFromConfig(config))
const http = createHttpDecoders(decoderOptionsFromConfig(config))
const UNITS = ['P-1', 'P-2', 'O-3'] as const

// ---- Known-good fixes, each with a fix time of its own (so none is a re-delivery of another). ----
interface Good { unit: (typeof UNITS)[number]; lat: number; lon: number; speed: number; acc: number }
const coord = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((v) => Math.round(v * 1e6) / 1e6)
const good: fc.Arbitrary<Good> = fc.record({
  unit: fc.constantFrom(...UNITS),
  // Away from (0, 0), which is rejected as null island.
  lat: fc.oneof(coord(1, 60), coord(-60, -1)),
  lon: fc.oneof(coord(1, 179), coord(-179, -1)),
  speed: fc.integer({ min: 0, max: 60 }),
  acc: fc.integer({ min: 1, max: 500 }),
})
let clock = 0
/** Whole seconds (OwnTracks and OsmAnd send seconds), unique across the whole file. */
const nextTs = () => NOW - 3 * 86_400_000 + (++clock) * 1000

/** A good document with one field replaced, removed or added. */
const fieldEdit = fc.record({ field: fc.oneof(fc.constantFrom('ts', 'lat', 'lon', 'tst', '_type', 'speed', 'accuracy', 'acc', 'vel', 'batt', 'battery', 'unit', 'seq', 'heading', 'coords', 'timestamp', 'latitude', 'longitude', '__proto__', 'constructor'), fc.string({ maxLength: 6 })), value: fc.option(hostileValue, { nil: undefined }) })
function editDoc(doc: Record<string, unknown>, e: { field: string; value: unknown }): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc }
  const target = isObj(out.coords) ? (Math.abs(e.field.length % 2) === 0 ? out : (out.coords = { ...out.coords })) : out
  if (e.value === undefined) delete (target as Record<string, unknown>)[e.field]
  else Object.defineProperty(target, e.field, { value: e.value, enumerable: true, writable: true, configurable: true })
  return out
}
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

// ---- The documents each format takes ----
const nativeDoc = (g: Good, ts: number) => ({ ts, lat: g.lat, lon: g.lon, speed: g.speed, accuracy: g.acc })
const owntracksDoc = (g: Good, ts: number) => ({ _type: 'location', tst: ts / 1000, lat: g.lat, lon: g.lon, vel: g.speed, acc: g.acc })
const osmandLoc = (g: Good, ts: number) => ({ timestamp: new Date(ts).toISOString(), coords: { latitude: g.lat, longitude: g.lon, speed: g.speed, accuracy: g.acc } })
const osmandQuery = (g: Good, ts: number, id: string = g.unit) => `id=${encodeURIComponent(id)}&timestamp=${ts / 1000}&lat=${g.lat}&lon=${g.lon}&speed=${g.speed}&accuracy=${g.acc}`

/** An element of a batch: a good fix, or a bad element (a good one edited, or anything). */
const element = fc.oneof(
  { weight: 3, arbitrary: good.map((g) => ({ good: g })) },
  { weight: 2, arbitrary: fc.tuple(good, fieldEdit).map(([g, e]) => ({ edit: e, g })) },
  { weight: 1, arbitrary: hostileValue.map((v) => ({ any: v })) },
)
type Element = { good: Good } | { edit: { field: string; value: unknown }; g: Good } | { any: unknown }

type Mutation = null | { ops: Op[] } | { edit: { field: string; value: unknown } }
type Msg =
  | { kind: 'native' | 'owntracks-mqtt' | 'owntracks-http' | 'osmand-query' | 'osmand-form' | 'osmand-json'; g: Good; mutation: Mutation }
  | { kind: 'native-batch' | 'owntracks-bulk' | 'osmand-json-batch'; unit: (typeof UNITS)[number]; elements: Element[] }
  | { kind: 'random'; transport: 'mqtt-native' | 'mqtt-owntracks' | 'owntracks-http' | 'osmand'; bytes: Uint8Array }
  | { kind: 'topic'; topic: string; g: Good }

const singleKind = fc.constantFrom('native', 'owntracks-mqtt', 'owntracks-http', 'osmand-query', 'osmand-form', 'osmand-json') as fc.Arbitrary<'native'>
const message: fc.Arbitrary<Msg> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: singleKind, g: good, mutation: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, fc.array(op, { minLength: 1, maxLength: 4 }).map((ops) => ({ ops })), fieldEdit.map((edit) => ({ edit }))) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('native-batch', 'owntracks-bulk', 'osmand-json-batch') as fc.Arbitrary<'native-batch'>, unit: fc.constantFrom(...UNITS), elements: fc.array(element, { maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), transport: fc.constantFrom('mqtt-native', 'mqtt-owntracks', 'owntracks-http', 'osmand') as fc.Arbitrary<'osmand'>, bytes: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.json({ maxDepth: 3 }).map((s) => new Uint8Array(Buffer.from(s)))) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('topic' as const), topic: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ maxLength: 20 }).map((u) => `fleet/${u}/position`), fc.constantFrom('fleet//position', 'fleet/P-1/position/x', 'owntracks/P', 'fleet/+/position', 'fleet/#/position', `fleet/${'x'.repeat(70)}/position`)), g: good }) },
)

// ---- One world for the whole run: the real Ingestor, its journal and metrics ----
interface World { ingestor: Ingestor; journal: MemoryJournal; metrics: Metrics; results: DecodeResult[]; rulesSaw: Fix[] }
function world(withRules: boolean): World {
  const journal = new MemoryJournal()
  const metrics = createMetrics({ defaults: false })
  const results: DecodeResult[] = []
  const rulesSaw: Fix[] = []
  const rules: RuleSink | undefined = withRules ? { classify: () => 0, ingest: (f) => { rulesSaw.push(f); return [] } } : undefined
  const decode = (topic: string, payload: Buffer, at: number) => {
    const r = realDecode(topic, payload, at)
    results.push(r)
    return r
  }
  const ingestor = new Ingestor({ decode, journal, rules, metrics, logger: pino({ level: 'silent' }), now: () => NOW, recent: new RecentFixes(100_000) })
  return { ingestor, journal, metrics, results, rulesSaw }
}

/** Feeds one message the way its transport does; returns the keys of the good fixes in it. */
async function feed(w: World, m: Msg): Promise<string[]> {
  const goods: string[] = []
  const keep = (g: Good, ts: number) => goods.push(fixKey(g.unit, ts, g.lat, g.lon))
  const viaHttp = async (r: DecodeResult) => {
    w.results.push(r)
    await w.ingestor.ingest(r, NOW, 'http')
  }
  const body = (doc: unknown, mutation: Mutation): Buffer => {
    if (mutation !== null && 'edit' in mutation) return Buffer.from(JSON.stringify(editDoc(doc as Record<string, unknown>, mutation.edit)))
    const b = Buffer.from(JSON.stringify(doc))
    return mutation === null ? b : mutate(b, mutation.ops)
  }
  const osmand = async (query: string, payload: Buffer) => {
    const req = http.osmandRequest(query, payload, 'key')
    // A request naming no valid device is refused by the route before decoding (test/api/fuzz-http-ingest.test.ts).
    if (req === null || req.id === null || !/^[A-Za-z0-9_.:-]{1,64}$/.test(req.id)) return
    await viaHttp(http.osmand(req, req.id, NOW))
  }
  switch (m.kind) {
    case 'native': case 'owntracks-mqtt': case 'owntracks-http': case 'osmand-query': case 'osmand-form': case 'osmand-json': {
      const ts = nextTs()
      if (m.mutation === null) keep(m.g, ts)
      if (m.kind === 'native') await w.ingestor.handle(`fleet/${m.g.unit}/position`, body(nativeDoc(m.g, ts), m.mutation))
      else if (m.kind === 'owntracks-mqtt') await w.ingestor.handle(`owntracks/${m.g.unit}/phone`, body(owntracksDoc(m.g, ts), m.mutation))
      else if (m.kind === 'owntracks-http') await viaHttp(http.owntracks(m.g.unit, body(owntracksDoc(m.g, ts), m.mutation), NOW))
      else if (m.kind === 'osmand-json') await osmand('', body({ device_id: m.g.unit, location: osmandLoc(m.g, ts) }, m.mutation))
      else {
        let q = osmandQuery(m.g, ts)
        if (m.mutation !== null) q = 'edit' in m.mutation ? `${q}&${encodeURIComponent(m.mutation.edit.field)}=${encodeURIComponent(JSON.stringify(m.mutation.edit.value ?? ''))}` : mutate(Buffer.from(q), m.mutation.ops).toString('latin1')
        if (m.kind === 'osmand-query') await osmand(q, Buffer.alloc(0))
        else await osmand('', Buffer.from(q, 'latin1'))
      }
      return goods
    }
    case 'native-batch': case 'owntracks-bulk': case 'osmand-json-batch': {
      const make = m.kind === 'native-batch' ? nativeDoc : m.kind === 'owntracks-bulk' ? owntracksDoc : osmandLoc
      const docs = m.elements.map((e) => {
        const ts = nextTs()
        if ('good' in e) {
          const g = { ...e.good, unit: m.unit }
          keep(g, ts)
          return make(g, ts)
        }
        if ('edit' in e) return editDoc(make({ ...e.g, unit: m.unit }, ts), e.edit)
        return e.any
      })
      const payload = Buffer.from(JSON.stringify(docs))
      if (m.kind === 'native-batch') await w.ingestor.handle(`fleet/${m.unit}/position`, payload)
      else if (m.kind === 'owntracks-bulk') await viaHttp(http.owntracks(m.unit, payload, NOW))
      else await osmand('', Buffer.from(JSON.stringify({ device_id: m.unit, location: docs })))
      return goods
    }
    case 'random': {
      const b = Buffer.from(m.bytes)
      if (m.transport === 'mqtt-native') await w.ingestor.handle('fleet/P-1/position', b)
      else if (m.transport === 'mqtt-owntracks') await w.ingestor.handle('owntracks/P-1/phone', b)
      else if (m.transport === 'owntracks-http') await viaHttp(http.owntracks('P-1', b, NOW))
      else await osmand('', b)
      return goods
    }
    case 'topic': {
      const ts = nextTs()
      await w.ingestor.handle(m.topic, Buffer.from(JSON.stringify(nativeDoc(m.g, ts))))
      return goods
    }
  }
}

const sum = async (c: { get(): Promise<{ values: Array<{ value: number }> }> }) => (await c.get()).values.reduce((n, v) => n + v.value, 0)
const keyOf = (r: Record<string, unknown>) => fixKey(r.unit_id as string, r.ts as number, r.lat as number, r.lon as number)

async function property(t: Test, withRules: boolean, seed: number): Promise<void> {
  const w = world(withRules)
  let goodTotal = 0
  let messages = 0
  const stored = new Set<string>()
  await fc.assert(fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), fc.boolean(), async (msgs, stall) => {
    const before = { rejects: await sum(w.metrics.rejects), accepted: await sum(w.metrics.fixesAccepted), received: await sum(w.metrics.messagesReceived), redeliveries: await sum(w.metrics.redeliveries), results: w.results.length, records: w.journal.records.length }
    // Now and then the journal is at its bound: the messages queue (in order) until it has room.
    if (stall) w.journal.full = true
    const pending: Array<Promise<string[]>> = msgs.map((m) => feed(w, m))
    if (stall) setImmediate(() => w.journal.free())
    const goods = (await Promise.all(pending)).flat()
    const records = w.journal.records.slice(before.records)
    const { tables } = groupByTable(records)
    const rows = (tables.get('positions') ?? []).map((l) => JSON.parse(l) as Record<string, unknown>)
    const rejectRows = tables.get('rejects') ?? []
    for (const r of rows) stored.add(keyOf(r))
    const missing = goods.filter((k) => !stored.has(k))
    if (missing.length > 0) throw new Error(`good fixes not journaled: ${missing.slice(0, 3).join(', ')}`)
    const results = w.results.slice(before.results)
    const decodedRejects = results.reduce((n, r) => n + r.rejects.length, 0)
    const decodedFixes = results.flatMap((r) => r.fixes)
    const rejects = (await sum(w.metrics.rejects)) - before.rejects
    const accepted = (await sum(w.metrics.fixesAccepted)) - before.accepted
    const redelivered = (await sum(w.metrics.redeliveries)) - before.redeliveries
    if (rejects !== decodedRejects) throw new Error(`rejects metric moved by ${rejects}, the decoders rejected ${decodedRejects}`)
    if (rejectRows.length !== rejects) throw new Error(`${rejectRows.length} reject rows journaled for ${rejects} counted rejects`)
    if (rows.length !== accepted) throw new Error(`${rows.length} position rows journaled, fixes accepted metric moved by ${accepted}`)
    if (accepted + redelivered !== decodedFixes.length) throw new Error(`${decodedFixes.length} fixes decoded, ${accepted} accepted + ${redelivered} re-deliveries`)
    for (const f of decodedFixes) if (!stored.has(fixKey(f.unitId, f.ts, f.lat, f.lon))) throw new Error(`decoded fix ${f.unitId}@${f.ts} not journaled`)
    if ((await sum(w.metrics.messagesReceived)) - before.received !== results.length) throw new Error('messages received does not match the messages fed')
    goodTotal += goods.length
    messages += msgs.length
  }), { numRuns: NUM_RUNS, seed })
  if (withRules) t.equal(w.rulesSaw.length, w.journal.rows('positions').length, 'the rules saw every journaled fix, once')
  t.ok(goodTotal > NUM_RUNS, `good fixes kept: ${goodTotal} in ${messages} messages`)
  t.ok(w.journal.rows('rejects').length > NUM_RUNS, `rejects stored: ${w.journal.rows('rejects').length}`)
}

t.test('without rules: batched records', (t) => property(t, false, SEED ?? 20261206))
t.test('with rules: one record per fix', (t) => property(t, true, SEED ?? 20261207))
