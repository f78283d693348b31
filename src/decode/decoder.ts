// The decode stage: (topic, raw payload, arrival time) → accepted Fixes and Rejects with reasons.
// Pure and synchronous. Everything that depends on config (topic routes, limits) is fixed in
// createDecoder; hostile payloads (oversized, not UTF-8, deeply nested, prototype keys) yield
// rejects, never exceptions. Every accepted value fits the ClickHouse column it is stored in.
import type { Config } from '../config/schema.js'
import { HexpatrolError } from '../errors.js'
import type { DecodeResult } from './fix.js'
import { isObject, own, typeName } from './field-check.js'
import { withSos } from './sos.js'
import { DecodeCore, ParseFailure, readNative, readOwntracks, type CoreOptions } from './decode-core.js'
import { createTopicRouter, isValidUnitId, subscriptionSpecs, type SubscriptionSpec } from './topic-router.js'
import { truncateString } from './truncate.js'


export interface DecoderOptions extends CoreOptions {
  subscriptions: SubscriptionSpec[]
}

export type Decode = (topic: string, payload: Buffer, receivedAt: number) => DecodeResult

export function decoderOptionsFromConfig(config: Config): DecoderOptions {
  return {
    subscriptions: subscriptionSpecs(config.mqtt),
    maxPayloadBytes: config.mqtt.max_payload_bytes,
    maxFutureSkewMs: config.validation.max_future_skew,
    maxAgeMs: config.validation.max_age,
    maxBatchElements: config.validation.max_batch_elements,
    rejectPayloadBytes: config.validation.reject_payload_bytes,
    h3Resolution: config.h3.resolution,
    rejectNullIsland: config.validation.reject_null_island,
  }
}

/** Checks the options every decode route shares; throws HEXP_ERR_CONFIG. */
export function checkOptions(o: CoreOptions): void {
  const bad = (key: string, want: string) => new HexpatrolError('HEXP_ERR_CONFIG', `decoder option ${key} must be ${want}`)
  const positiveInt = ['maxPayloadBytes', 'maxBatchElements', 'rejectPayloadBytes'] as const
  for (const k of positiveInt) if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw bad(k, 'a positive integer')
  for (const k of ['maxFutureSkewMs', 'maxAgeMs'] as const) if (!(o[k] >= 0)) throw bad(k, 'a non-negative number of milliseconds')
  if (!Number.isInteger(o.h3Resolution) || o.h3Resolution < 0 || o.h3Resolution > 15) throw bad('h3Resolution', 'an integer from 0 to 15')
}

export function createDecoder(opts: DecoderOptions): Decode {
  checkOptions(opts)
  const route = createTopicRouter(opts.subscriptions)
  const core = new DecodeCore(opts)
  const cut = (topic: string) => truncateString(topic, core.rejectPayloadBytes)

  return function decode(topic: string, payload: Buffer, receivedAt: number): DecodeResult {
    const r = route(topic)
    if (r === null) {
      return core.one('unknown', receivedAt, cut(topic), '', 'unknown_topic',
        `no subscription matches topic ${JSON.stringify(truncateString(topic, 128))}`, core.raw(payload))
    }
    const { unitId, format } = r
    if (!isValidUnitId(unitId)) {
      return core.one(format, receivedAt, cut(topic), '', 'invalid_unit',
        `topic ${JSON.stringify(truncateString(topic, 128))} names no valid unit id (1-64 characters of A-Z a-z 0-9 _ . : -)`, core.raw(payload))
    }
    // OwnTracks clears a retained message (a deleted friend) with a zero-length payload: not an error.
    if (format === 'owntracks' && payload.length === 0) return { format, fixes: [], rejects: [], ignored: 'empty' }
    const doc = core.parse(format, payload, topic, unitId, receivedAt)
    if (doc instanceof ParseFailure) return doc.result
    if (format === 'native') {
      if (Array.isArray(doc)) {
        const r = core.batch(format, readNative, doc, topic, unitId, receivedAt, payload)
        return doc.some((el) => isObject(el) && own(el, 'sos') === true) ? withSos(r, unitId, receivedAt, 'native') : r
      }
      if (!isObject(doc)) {
        return core.one(format, receivedAt, topic, unitId, 'not_an_object', `payload must be a JSON object or an array of objects, got ${typeName(doc)}`, core.raw(payload))
      }
      const r = core.object(format, readNative, doc, topic, unitId, receivedAt, payload)
      return own(doc, 'sos') === true ? withSos(r, unitId, receivedAt, 'native') : r
    }
    if (!isObject(doc)) {
      return core.one(format, receivedAt, topic, unitId, 'not_an_object', `payload must be a JSON object, got ${typeName(doc)}`, core.raw(payload))
    }
    return core.object(format, readOwntracks, doc, topic, unitId, receivedAt, payload)
  }
}
