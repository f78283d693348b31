// What every decode route shares, fixed once from the decoder options: the limits, one reused
// FieldCheck, the payload checks (size, UTF-8, JSON) and the object/array walkers that turn
// elements into fixes or rejects. Routes (MQTT topics, HTTP endpoints) differ only in how they
// find the unit id and which format they apply, so the same payload is judged the same way.
import { isUtf8 } from 'node:buffer'
import type { DecodeResult, Fix, MessageFormat, RejectReason } from './fix.js'
import { FieldCheck, isObject, typeName } from './field-check.js'
import { nativeFix, type DecodeLimits } from './native.js'
import { owntracksFix } from './owntracks.js'
import { truncateBuffer, truncateString } from './truncate.js'

export interface CoreOptions {
  maxPayloadBytes: number
  maxFutureSkewMs: number
  maxAgeMs: number
  maxBatchElements: number
  rejectPayloadBytes: number
  h3Resolution: number
  rejectNullIsland: boolean
}

/** Reads one object of a format: a Fix, an ignored type (string) or null with the problem in `c`. */
export type ElementReader = (o: Record<string, unknown>, topic: string, unitId: string, receivedAt: number, lim: DecodeLimits, c: FieldCheck) => Fix | string | null

export const readNative: ElementReader = nativeFix
export const readOwntracks: ElementReader = owntracksFix

/** A batch element that cannot be serialized (nested beyond JSON.stringify's stack) is stored as this. */
const UNSERIALIZABLE = '<element nested too deeply to serialize>'
const MAX_PARSE_MESSAGE = 200

/** A parse that failed: the result to return instead of a document (JSON.parse never makes one). */
export class ParseFailure {
  constructor(readonly result: DecodeResult) {}
}

export class DecodeCore {
  readonly lim: DecodeLimits
  readonly maxPayloadBytes: number
  readonly maxBatchElements: number
  readonly rejectPayloadBytes: number
  // Reused for every element: decode is synchronous, so there is never more than one in use.
  readonly check = new FieldCheck()

  constructor(o: CoreOptions) {
    this.lim = { maxFutureSkewMs: o.maxFutureSkewMs, maxAgeMs: o.maxAgeMs, h3Resolution: o.h3Resolution, rejectNullIsland: o.rejectNullIsland }
    this.maxPayloadBytes = o.maxPayloadBytes
    this.maxBatchElements = o.maxBatchElements
    this.rejectPayloadBytes = o.rejectPayloadBytes
  }

  one(format: MessageFormat, receivedAt: number, topic: string, unitId: string, reason: RejectReason, detail: string, payload: string): DecodeResult {
    return { format, fixes: [], rejects: [{ receivedAt, topic, unitId, reason, detail, payload }], ignored: null }
  }

  raw(payload: Buffer): string {
    return truncateBuffer(payload, this.rejectPayloadBytes)
  }

  elementJson(el: unknown): string {
    try {
      return truncateString(JSON.stringify(el), this.rejectPayloadBytes)
    } catch {
      return UNSERIALIZABLE
    }
  }

  /** Size, emptiness, UTF-8 and JSON checks; the parsed document or the reject to return. */
  parse(format: MessageFormat, payload: Buffer, topic: string, unitId: string, receivedAt: number): unknown {
    if (payload.length > this.maxPayloadBytes) {
      return new ParseFailure(this.one(format, receivedAt, topic, unitId, 'payload_too_large', `payload is ${payload.length} bytes, more than the ${this.maxPayloadBytes} allowed`, this.raw(payload)))
    }
    if (payload.length === 0) return new ParseFailure(this.one(format, receivedAt, topic, unitId, 'invalid_json', 'payload is empty', ''))
    // Checked before decoding: Buffer#toString would silently turn bad bytes into U+FFFD.
    if (!isUtf8(payload)) return new ParseFailure(this.one(format, receivedAt, topic, unitId, 'invalid_json', 'payload is not valid UTF-8', this.raw(payload)))
    try {
      return JSON.parse(payload.toString('utf8'))
    } catch (err) {
      // Includes RangeError from engines that parse nested JSON recursively.
      return new ParseFailure(this.one(format, receivedAt, topic, unitId, 'invalid_json', `payload is not valid JSON: ${truncateString((err as Error).message, MAX_PARSE_MESSAGE)}`, this.raw(payload)))
    }
  }

  /** One object: a fix, an ignored message, or a reject carrying the whole payload. */
  object(format: MessageFormat, read: ElementReader, doc: Record<string, unknown>, topic: string, unitId: string, receivedAt: number, payload: Buffer): DecodeResult {
    const c = this.check
    c.reset()
    const fix = read(doc, topic, unitId, receivedAt, this.lim, c)
    if (typeof fix === 'string') return { format, fixes: [], rejects: [], ignored: fix }
    if (fix === null) return this.one(format, receivedAt, topic, unitId, c.reason!, c.detail, this.raw(payload))
    return { format, fixes: [fix], rejects: [], ignored: null }
  }

  /** An array of objects: each element judged alone, so a bad one never drops its neighbours. */
  batch(format: MessageFormat, read: ElementReader, doc: unknown[], topic: string, unitId: string, receivedAt: number, payload: Buffer): DecodeResult {
    const max = this.maxBatchElements
    if (doc.length > max) {
      return this.one(format, receivedAt, topic, unitId, 'batch_too_large', `batch has ${doc.length} elements, more than the ${max} allowed`, this.raw(payload))
    }
    if (doc.length === 0) return { format, fixes: [], rejects: [], ignored: 'empty_batch' }
    const out: DecodeResult = { format, fixes: [], rejects: [], ignored: null }
    const c = this.check
    for (let i = 0; i < doc.length; i++) {
      const el = doc[i]
      if (!isObject(el)) {
        out.rejects.push({ receivedAt, topic, unitId, reason: 'not_an_object', detail: `batch element ${i} must be a JSON object, got ${typeName(el)}`, payload: this.elementJson(el) })
        continue
      }
      c.reset()
      const fix = read(el, topic, unitId, receivedAt, this.lim, c)
      if (fix === null) out.rejects.push({ receivedAt, topic, unitId, reason: c.reason!, detail: `batch element ${i}: ${c.detail}`, payload: this.elementJson(el) })
      else if (typeof fix !== 'string') out.fixes.push(fix)
      // An ignored element (an OwnTracks lwt inside an HTTP bulk post) is neither fix nor reject.
      else if (out.ignored === null) out.ignored = fix
    }
    return out
  }
}
