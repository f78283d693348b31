// SOS signals beside the fixes: a native `sos: true` (object or batch element), OsmAnd's
// alarm=sos (even when the position is rejected), dropped for unknown units under
// rules.known_units_only, and raised by the Ingestor only once the message is journaled.
import t from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { createHttpDecoders } from '../../src/decode/http-decoders.js'
import { rejectUnknownUnits } from '../../src/decode/known-units.js'
import type { SosSignal } from '../../src/decode/fix.js'
import { Ingestor } from '../../src/ingest/ingestor.js'
import { createMetrics } from '../../src/telemetry/metrics.js'

const NOW = Date.UTC(2026, 11, 6, 2, 0, 0)
const config = validateConfig({})
const decode = createDecoder(decoderOptionsFromConfig(config))
const http = createHttpDecoders(decoderOptionsFromConfig(config))
const pub = (unit: string, doc: unknown) => decode(`fleet/${unit}/position`, Buffer.from(JSON.stringify(doc)), NOW)

t.test('native sos: true, in an object or a batch', async (t) => {
  const one = pub('P-1', { ts: NOW - 1000, lat: 36.49, lon: 117.86, sos: true })
  t.match(one.sos, [{ unitId: 'P-1', at: NOW - 1000, via: 'native', fix: { lat: 36.49 } }])
  t.equal(pub('P-1', { ts: NOW - 1000, lat: 36.49, lon: 117.86, sos: false }).sos, undefined)
  t.equal(pub('P-1', { ts: NOW - 1000, lat: 36.49, lon: 117.86 }).sos, undefined)
  const noFix = pub('P-1', { ts: NOW - 1000, lat: 0, lon: 0, sos: true })
  t.same(noFix.rejects.map((r) => r.reason), ['null_island'])
  t.match(noFix.sos, [{ at: NOW, fix: null }], 'no fix: the arrival time')
  const batch = pub('P-1', [{ ts: NOW - 3000, lat: 36.49, lon: 117.86 }, { ts: NOW - 2000, lat: 36.5, lon: 117.86, sos: true }, 5])
  t.match(batch.sos, [{ at: NOW - 2000, fix: { lat: 36.5 } }], 'the newest fix of the batch')
  t.equal(pub('P-1', [{ ts: NOW - 3000, lat: 36.49, lon: 117.86 }]).sos, undefined)
})

t.test('OsmAnd alarm=sos', async (t) => {
  const req = (q: string) => http.osmandRequest(q, Buffer.alloc(0), 'key')!
  t.match(http.osmand(req(`id=P-1&lat=36.49&lon=117.86&timestamp=${NOW / 1000}&alarm=SOS`), 'P-1', NOW).sos, [{ via: 'osmand', at: NOW, fix: { lon: 117.86 } }])
  const invalid = http.osmand(req('id=P-1&lat=36.49&lon=117.86&valid=false&alarm=sos'), 'P-1', NOW)
  t.same(invalid.rejects.map((r) => r.reason), ['invalid_fix'])
  t.match(invalid.sos, [{ unitId: 'P-1', fix: null }], 'no GPS lock: still an SOS')
  t.equal(http.osmand(req('id=P-1&lat=36.49&lon=117.86&alarm=overspeed'), 'P-1', NOW).sos, undefined)
})

t.test('known_units_only drops an unknown unit\'s SOS', async (t) => {
  const strict = rejectUnknownUnits(decode, new Set(['P-1']), 256)
  const doc = (unit: string) => Buffer.from(JSON.stringify({ ts: NOW - 1000, lat: 36.49, lon: 117.86, sos: true }))
  t.same(strict('fleet/X-9/position', doc('X-9'), NOW).sos, [])
  t.equal(strict('fleet/P-1/position', doc('P-1'), NOW).sos?.length, 1)
})

t.test('the Ingestor raises SOS signals after the journal append, not when it fails', async (t) => {
  const raised: SosSignal[][] = []
  let writable = true
  let failing = false
  const waiters: Array<() => void> = []
  const journal = {
    append: () => {
      if (failing) throw new Error('disk full')
      return writable
    },
    whenWritable: () => new Promise<void>((r) => waiters.push(r)),
  }
  const ing = new Ingestor({ decode, journal, metrics: createMetrics({ defaults: false }), logger: pino({ level: 'silent' }), now: () => NOW, onSos: (s) => raised.push(s) })
  const msg = Buffer.from(JSON.stringify({ ts: NOW - 1000, lat: 36.49, lon: 117.86, sos: true }))
  t.equal(ing.handle('fleet/P-1/position', msg), undefined)
  t.equal(raised.length, 1, 'at once when the append succeeded')
  writable = false
  const p = ing.handle('fleet/P-1/position', Buffer.from(JSON.stringify({ ts: NOW - 500, lat: 36.49, lon: 117.86, sos: true })))
  t.equal(raised.length, 1, 'not while the record waits')
  writable = true
  waiters.shift()!()
  await p
  t.equal(raised.length, 2)
  failing = true
  t.throws(() => ing.handle('fleet/P-1/position', msg))
  t.equal(raised.length, 2, 'not journaled: not raised (the message is delivered again)')
  failing = false
  const quiet = new Ingestor({ decode, journal, metrics: createMetrics({ defaults: false }), logger: pino({ level: 'silent' }), now: () => NOW })
  t.equal(quiet.handle('fleet/P-1/position', msg), undefined, 'no SOS listener: nothing happens')
})
