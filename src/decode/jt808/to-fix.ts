// JT/T 808 location reports → the typed Fix/Reject every other decoder produces. Validation is
// the shared one (time window, null island); the unit id and topic come from the authenticated
// connection, never from the frame. Additional items 0x01 (mileage), 0x30 (signal) and 0x31
// (satellites) have no column in the Fix model and are not stored; the message serial (a
// 16-bit counter that wraps) is not a device sequence number, so `seq` is null.
import type { DecodeResult, Fix, Reject } from '../fix.js'
import { FieldCheck } from '../field-check.js'
import { newFix } from '../new-fix.js'
import type { DecodeLimits } from '../native.js'
import { cellFor } from '../../geo/h3-index.js'
import { truncateString } from '../truncate.js'
import { isProblem, parseLocation, type LocationReport } from './location.js'

export const JT808_SOURCE = 'jt808'

export const jt808Topic = (phone: string): string => `jt808:${phone}`

export interface Jt808Location {
  fix: Fix | null
  reject: Reject | null
  /** The decoded report when the body could be read. */
  report: LocationReport | null
  /** The alarm flags (bit 0: emergency), read even from a report that is rejected. */
  alarm: number
}

/** One location body (b[from, to)) → a Fix or a Reject. `rawLimit` bounds the stored payload (hex). */
export function locationFix(
  b: Buffer, from: number, to: number, unitId: string, topic: string, receivedAt: number,
  offsetMinutes: number, lim: DecodeLimits, rawLimit: number, c: FieldCheck = new FieldCheck(),
): Jt808Location {
  const r = parseLocation(b, offsetMinutes, from, to)
  const reject = (reason: Reject['reason'], detail: string, report: LocationReport | null, alarm: number): Jt808Location => ({
    fix: null, report, alarm, reject: { receivedAt, topic, unitId, reason, detail, payload: truncateString(b.toString('hex', from, to), rawLimit) },
  })
  if (isProblem(r)) return reject(r.reason, r.detail, null, r.alarm)
  c.reset()
  c.window('time', r.ts, receivedAt, lim.maxFutureSkewMs, lim.maxAgeMs, false)
  c.nullIsland(r.lat, r.lon, lim.rejectNullIsland)
  if (c.reason !== null) return reject(c.reason, c.detail, r, r.alarm)
  const fix = newFix(unitId, r.ts, receivedAt, r.lat, r.lon, cellFor(r.lat, r.lon, lim.h3Resolution),
    r.speed, r.heading, null, r.altitude, null, null, JT808_SOURCE, topic)
  return { fix, reject: null, report: r, alarm: r.alarm }
}

/** Fixes and rejects of one message (a 0x0200 or a whole 0x0704 batch) as a DecodeResult. */
export function jt808Result(items: readonly Jt808Location[]): DecodeResult {
  const fixes: Fix[] = []
  const rejects: Reject[] = []
  for (const i of items) {
    if (i.fix !== null) fixes.push(i.fix)
    if (i.reject !== null) rejects.push(i.reject)
  }
  return { format: 'jt808', fixes, rejects, ignored: null }
}
