// The decode stage: (topic, raw payload, arrival time) → accepted Fixes and Rejects with reasons.
// Pure and synchronous. Everything that depends on config (topic routes, limits) is fixed in
// createDecoder; hostile payloads (oversized, not UTF-8, deeply nested, prototype keys) yield
// rejects, never exceptions.
import { isUtf8 } from 'node:buffer'
import type { Config } from '../config/schema.js'
import { HexpatrolError } from '../errors.js'
import type { DecodeResult, Fix, RejectReason } from './fix.js'
import { FieldCheck, isObject, typeName } from './field-check.js'
import { nativeFix, type DecodeLimits } from './native.js'
import { owntracksFix } from './owntracks.js'
import { createTopicRouter, isValidUnitId, type PayloadFormat } from './topic-router.js'
import { truncateBuffer, truncateString } from './truncate.js'


export interface DecoderOptions {
  subscriptions: Array<{ topic: string; format: PayloadFormat }>
  maxPayloadBytes: number
  maxFutureSkewMs: number
  maxAgeMs: number
  maxBatchElements: number
  rejectPayloadBytes: number
  h3Resolution: number
}

export type Decode = (topic: string, payload: Buffer, receivedAt: number) => DecodeResult

export function decoderOptionsFromConfig(config: Config): DecoderOptions {
  return {
    subscriptions: config.mqtt.subscriptions.map((s) => ({ topic: s.topic, format: s.format })),
    maxPayloadBytes: config.mqtt.max_payload_bytes,
    maxFutureSkewMs: config.validation.max_future_skew,
    maxAgeMs: config.validation.max_age,
    maxBatchElements: config.validation.max_batch_elements,
    rejectPayloadBytes: config.validation.reject_payload_bytes,
    h3Resolution: config.h3.resolution,
  }
}

function checkOptions(o: DecoderOptions): void {
  const bad = (key: string, want: string) => new HexpatrolError('HEXP_ERR_CONFIG', `decoder option ${key} must be ${want}`)
  const positiveInt = ['maxPayloadBytes', 'maxBatchElements', 'rejectPayloadBytes'] as const
  for (const k of positiveInt) if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw bad(k, 'a positive integer')
  for (const k of ['maxFutureSkewMs', 'maxAgeMs'] as const) if (!(o[k] >= 0)) throw bad(k, 'a non-negative number of milliseconds')
  if (!Number.isInteger(o.h3Resolution) || o.h3Resolution < 0 || o.h3Resolution > 15) throw bad('h3Resolution', 'an integer from 0 to 15')
}

/** A batch element that cannot be serialized (nested beyond JSON.stringify's stack) is stored as this. */
const UNSERIALIZABLE = '<element nested too deeply to serialize>'
const MAX_PARSE_MESSAGE = 200

export function createDecoder(opts: DecoderOptions): Decode {
  checkOptions(opts)
  const route = createTopicRouter(opts.subscriptions)
  const { maxPayloadBytes, maxBatchElements, rejectPayloadBytes } = opts
  const lim: DecodeLimits = { maxFutureSkewMs: opts.maxFutureSkewMs, maxAgeMs: opts.maxAgeMs, h3Resolution: opts.h3Resolution }
  // Reused for every element: decode is synchronous, so there is never more than one in use.
  const check = new FieldCheck()

  function one(receivedAt: number, topic: string, unitId: string, reason: RejectReason, detail: string, payload: string): DecodeResult {
    return { fixes: [], rejects: [{ receivedAt, topic, unitId, reason, detail, payload }], ignored: null }
  }

  function elementJson(el: unknown): string {
    try {
      return truncateString(JSON.stringify(el), rejectPayloadBytes)
    } catch {
      return UNSERIALIZABLE
    }
  }

  function decodeBatch(doc: unknown[], topic: string, unitId: string, receivedAt: number, payload: Buffer): DecodeResult {
    if (doc.length > maxBatchElements) {
      return one(receivedAt, topic, unitId, 'batch_too_large', `batch has ${doc.length} elements, more than the ${maxBatchElements} allowed`, truncateBuffer(payload, rejectPayloadBytes))
    }
    if (doc.length === 0) return { fixes: [], rejects: [], ignored: 'empty_batch' }
    const out: DecodeResult = { fixes: [], rejects: [], ignored: null }
    for (let i = 0; i < doc.length; i++) {
      const el = doc[i]
      if (!isObject(el)) {
        out.rejects.push({ receivedAt, topic, unitId, reason: 'not_an_object', detail: `batch element ${i} must be a JSON object, got ${typeName(el)}`, payload: elementJson(el) })
        continue
      }
      check.reset()
      const fix = nativeFix(el, topic, unitId, receivedAt, lim, check)
      if (fix !== null) out.fixes.push(fix)
      else out.rejects.push({ receivedAt, topic, unitId, reason: check.reason!, detail: `batch element ${i}: ${check.detail}`, payload: elementJson(el) })
    }
    return out
  }

  return function decode(topic: string, payload: Buffer, receivedAt: number): DecodeResult {
    const r = route(topic)
    if (r === null) {
      return one(receivedAt, truncateString(topic, rejectPayloadBytes), '', 'unknown_topic',
        `no subscription matches topic ${JSON.stringify(truncateString(topic, 128))}`, truncateBuffer(payload, rejectPayloadBytes))
    }
    const unitId = r.unitId
    if (!isValidUnitId(unitId)) {
      return one(receivedAt, truncateString(topic, rejectPayloadBytes), '', 'invalid_unit',
        `topic ${JSON.stringify(truncateString(topic, 128))} names no valid unit id (1-64 characters of A-Z a-z 0-9 _ . : -)`, truncateBuffer(payload, rejectPayloadBytes))
    }
    if (payload.length > maxPayloadBytes) {
      return one(receivedAt, topic, unitId, 'payload_too_large', `payload is ${payload.length} bytes, more than the ${maxPayloadBytes} allowed`, truncateBuffer(payload, rejectPayloadBytes))
    }
    if (payload.length === 0) return one(receivedAt, topic, unitId, 'invalid_json', 'payload is empty', '')
    // Checked before decoding: Buffer#toString would silently turn bad bytes into U+FFFD.
    if (!isUtf8(payload)) return one(receivedAt, topic, unitId, 'invalid_json', 'payload is not valid UTF-8', truncateBuffer(payload, rejectPayloadBytes))
    let doc: unknown
    try {
      doc = JSON.parse(payload.toString('utf8'))
    } catch (err) {
      // Includes RangeError from engines that parse nested JSON recursively.
      return one(receivedAt, topic, unitId, 'invalid_json', `payload is not valid JSON: ${truncateString((err as Error).message, MAX_PARSE_MESSAGE)}`, truncateBuffer(payload, rejectPayloadBytes))
    }
    let fix: Fix | string | null
    if (r.format === 'native') {
      if (Array.isArray(doc)) return decodeBatch(doc, topic, unitId, receivedAt, payload)
      if (!isObject(doc)) {
        return one(receivedAt, topic, unitId, 'not_an_object', `payload must be a JSON object or an array of objects, got ${typeName(doc)}`, truncateBuffer(payload, rejectPayloadBytes))
      }
      check.reset()
      fix = nativeFix(doc, topic, unitId, receivedAt, lim, check)
    } else {
      if (!isObject(doc)) {
        return one(receivedAt, topic, unitId, 'not_an_object', `payload must be a JSON object, got ${typeName(doc)}`, truncateBuffer(payload, rejectPayloadBytes))
      }
      check.reset()
      fix = owntracksFix(doc, topic, unitId, receivedAt, lim, check)
      if (typeof fix === 'string') return { fixes: [], rejects: [], ignored: fix }
    }
    if (fix === null) return one(receivedAt, topic, unitId, check.reason!, check.detail, truncateBuffer(payload, rejectPayloadBytes))
    return { fixes: [fix], rejects: [], ignored: null }
  }
}
