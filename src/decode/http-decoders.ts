// Decoders for the HTTP ingest endpoints, built on the same DecodeCore as the MQTT decoder, so a
// payload is judged the same way whichever transport carried it. Rejects and fixes carry the
// endpoint as their topic (`http:owntracks`, `http:osmand`). The endpoint authenticates the
// device first; these functions only ever see authenticated requests.
import { isUtf8 } from 'node:buffer'
import type { DecodeResult } from './fix.js'
import { isObject, own, typeName } from './field-check.js'
import { DecodeCore, ParseFailure, readOwntracks, type CoreOptions } from './decode-core.js'
import { checkOptions } from './decoder.js'
import { osmandDeviceId, osmandJsonFix, osmandParams, osmandParamsFix, type OsmandParams } from './osmand.js'
import { isValidUnitId } from './topic-router.js'
import { truncateString } from './truncate.js'
import { withSos } from './sos.js'

export const OWNTRACKS_TOPIC = 'http:owntracks'
export const OSMAND_TOPIC = 'http:osmand'

/** An OsmAnd request as read before authentication: its parameters or JSON body, and the id it names. */
export type OsmandRequest =
  | { kind: 'params'; params: OsmandParams; id: string | null; secret: string | null; raw: string }
  | { kind: 'json'; doc: Record<string, unknown>; id: string | null; secret: string | null; raw: string }

export interface HttpDecoders {
  /** An OwnTracks HTTP-mode body (an object, or an array of them in bulk mode) from an authenticated unit. */
  owntracks(unitId: string, body: Buffer, receivedAt: number): DecodeResult
  /**
   * Reads the parameters (query string first, as Traccar does, else a form body) or the JSON
   * body; null when the body is JSON that does not parse, so no device can be named. The
   * `secretParam` (query string or form) is returned apart and never kept in `raw`.
   */
  osmandRequest(query: string, body: Buffer, secretParam: string): OsmandRequest | null
  /** The fixes of an authenticated OsmAnd request. */
  osmand(req: OsmandRequest, unitId: string, receivedAt: number): DecodeResult
}

export function createHttpDecoders(opts: CoreOptions): HttpDecoders {
  checkOptions(opts)
  const core = new DecodeCore(opts)
  const cut = (s: string) => truncateString(s, core.rejectPayloadBytes)

  return {
    owntracks(unitId, body, receivedAt) {
      const topic = OWNTRACKS_TOPIC
      if (!isValidUnitId(unitId)) {
        return core.one('owntracks', receivedAt, topic, '', 'invalid_unit', `the credentials and X-Limit-U/X-Limit-D headers name no valid unit id (1-64 characters of A-Z a-z 0-9 _ . : -): ${JSON.stringify(truncateString(unitId, 128))}`, core.raw(body))
      }
      // The app POSTs a zero-length body when a friend is deleted: accepted and ignored.
      if (body.length === 0) return { format: 'owntracks', fixes: [], rejects: [], ignored: 'empty' }
      const doc = core.parse('owntracks', body, topic, unitId, receivedAt)
      if (doc instanceof ParseFailure) return doc.result
      if (Array.isArray(doc)) return core.batch('owntracks', readOwntracks, doc, topic, unitId, receivedAt, body)
      if (!isObject(doc)) {
        return core.one('owntracks', receivedAt, topic, unitId, 'not_an_object', `payload must be a JSON object or an array of objects, got ${typeName(doc)}`, core.raw(body))
      }
      return core.object('owntracks', readOwntracks, doc, topic, unitId, receivedAt, body)
    },

    osmandRequest(query, body, secretParam) {
      const q = osmandParams(query)
      const qSecret = q.get(secretParam) ?? null
      // Traccar reads the query string, else the body. A query string that names no device (only
      // the secret, put in the server URL) leaves the body to carry the position.
      if (q.has('id') || q.has('deviceid') || body.length === 0) {
        return paramsRequest(q, osmandDeviceId(q), qSecret, () => cut(redact(query, secretParam)))
      }
      const first = body[0]
      // 0x7b '{': the JSON body of newer Traccar Client versions.
      if (first === 0x7b) {
        if (body.length > core.maxPayloadBytes || !isUtf8(body)) return null
        let doc: unknown
        try {
          doc = JSON.parse(body.toString('utf8'))
        } catch {
          return null
        }
        // Text that starts with '{' and parses is an object.
        const obj = doc as Record<string, unknown>
        return { kind: 'json', doc: obj, id: osmandDeviceId(obj), secret: qSecret, raw: core.raw(body) }
      }
      const text = body.toString('latin1')
      const params = osmandParams(text)
      return paramsRequest(params, osmandDeviceId(params), qSecret ?? params.get(secretParam) ?? null, () => cut(redact(text, secretParam)))
    },

    osmand(req, unitId, receivedAt) {
      const topic = OSMAND_TOPIC
      const c = core.check
      if (req.kind === 'params') {
        c.reset()
        const fix = osmandParamsFix(req.params, topic, unitId, receivedAt, core.lim, c)
        const r: DecodeResult = fix === null ? core.one('osmand', receivedAt, topic, unitId, c.reason!, c.detail, req.raw) : { format: 'osmand', fixes: [fix], rejects: [], ignored: null }
        // Traccar Client's SOS button: alarm=sos.
        return req.params.get('alarm')?.toLowerCase() === 'sos' ? withSos(r, unitId, receivedAt, 'osmand') : r
      }
      const loc = own(req.doc, 'location')
      const raw = Buffer.from(req.raw)
      if (Array.isArray(loc)) return core.batch('osmand', osmandJsonFix, loc, topic, unitId, receivedAt, raw)
      if (!isObject(loc)) {
        return core.one('osmand', receivedAt, topic, unitId, loc === undefined || loc === null ? 'missing_field' : 'wrong_type',
          loc === undefined || loc === null ? 'required field location is missing' : `location must be an object or an array of objects, got ${typeName(loc)}`, req.raw)
      }
      return core.object('osmand', osmandJsonFix, loc, topic, unitId, receivedAt, raw)
    },
  }
}

/**
 * A parameters request whose `raw` (the redacted parameter string, kept only with a reject) is
 * made when first read: re-encoding every accepted request's parameters cost more than decoding it.
 */
function paramsRequest(params: OsmandParams, id: string | null, secret: string | null, raw: () => string): OsmandRequest {
  let text: string | undefined
  return {
    kind: 'params', params, id, secret,
    get raw() {
      return (text ??= raw())
    },
  }
}

/** The parameter string without `param`, so a device secret never reaches the rejects table. */
function redact(text: string, param: string): string {
  const p = new URLSearchParams(text)
  // Checked after decoding: `k%65y=` is the same parameter as `key=`.
  if (!p.has(param)) return text
  p.delete(param)
  return p.toString()
}
