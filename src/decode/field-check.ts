// Field readers shared by the payload formats. One FieldCheck per decoder is reused for every
// message (decoding is synchronous), so the accept path allocates nothing beyond the Fix.
// Fields are read with own-property semantics: a polluted Object.prototype cannot supply a value.
import type { RejectReason } from './fix.js'

const hasOwn = Object.hasOwn

/** The own property `key` of a JSON.parse object, or undefined. */
export function own(o: Record<string, unknown>, key: string): unknown {
  const v = o[key]
  // Only a defined value can have come from the prototype chain; absent keys cost one load.
  return v !== undefined && hasOwn(o, key) ? v : undefined
}

/** JSON-ish type name for messages: 'string', 'boolean', 'object', 'array', 'null'. */
export function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
}

/** Plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

// RFC 3339 / ISO-8601 date-time with a mandatory zone designator. Date.parse alone would accept
// zone-less strings as local time and many non-ISO forms; the shape is checked first.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/
const MAX_TS_STRING = 40

/** Largest finite Float32: a larger value would be stored as inf by the Nullable(Float32) columns. */
export const FLOAT32_MAX = 3.4028234663852886e38
/** The range ClickHouse DateTime64(3) stores: 1900-01-01 to 2299-12-31 (UTC). */
const DT64_MIN = Date.UTC(1900, 0, 1)
const DT64_MAX = Date.UTC(2300, 0, 1) - 1

export class FieldCheck {
  reason: RejectReason | null = null
  detail = ''

  /** Clears the last problem; call before each object. */
  reset(): void {
    this.reason = null
    this.detail = ''
  }

  /**
   * Records a problem unless one is already recorded (the first one wins, so a format can read
   * every field and test `reason` once). Returns NaN so number readers can `return check.fail(...)`.
   */
  fail(reason: RejectReason, detail: string): number {
    if (this.reason === null) {
      this.reason = reason
      this.detail = detail
    }
    return Number.NaN
  }

  /** A required finite number in [min, max]; out of range → `rangeReason`. */
  num(o: Record<string, unknown>, key: string, min: number, max: number, rangeReason: RejectReason): number {
    const v = own(o, key)
    if (typeof v !== 'number') {
      return v === undefined || v === null
        ? this.fail('missing_field', `required field ${key} is ${v === null ? 'null' : 'missing'}`)
        : this.fail('wrong_type', `${key} must be a number, got ${typeName(v)}`)
    }
    if (v - v !== 0) return this.fail('not_finite', `${key} must be a finite number, got ${v}`)
    if (v < min || v > max) return this.fail(rangeReason, `${key} ${v} is outside [${min}, ${max}]`)
    return v
  }

  /** An optional finite number in [min, max]; absent or null → null. `integer` also requires a safe integer. */
  opt(o: Record<string, unknown>, key: string, min: number, max: number, integer = false): number | null {
    const v = own(o, key)
    if (v === undefined || v === null) return null
    if (typeof v !== 'number') return this.fail('wrong_type', `${key} must be a number or null, got ${typeName(v)}`)
    if (v - v !== 0) return this.fail('not_finite', `${key} must be a finite number, got ${v}`)
    if (v < min || v > max) return this.fail('value_out_of_range', `${key} ${v} is outside [${min}, ${max}]`)
    if (integer && !Number.isSafeInteger(v)) return this.fail('value_out_of_range', `${key} ${v} must be a whole number`)
    return v
  }

  /**
   * An optional measurement that cannot be negative (speed, heading, accuracy, battery), stored in
   * a Nullable(Float32) column. Absent, null or negative → null: devices send -1 for "unknown"
   * (OwnTracks vel/cog/acc, Traccar's negative speed). Above `max` → value_out_of_range.
   */
  measurement(o: Record<string, unknown>, key: string, max: number): number | null {
    const v = own(o, key)
    if (v === undefined || v === null) return null
    if (typeof v !== 'number') return this.fail('wrong_type', `${key} must be a number or null, got ${typeName(v)}`)
    if (v - v !== 0) return this.fail('not_finite', `${key} must be a finite number, got ${v}`)
    if (v < 0) return null
    if (v > max) return this.fail('value_out_of_range', `${key} ${v} is above its maximum ${max}`)
    return v
  }

  /**
   * A required time in epoch ms: a number times `scale` (1 for epoch ms, 1000 for epoch seconds),
   * or, when `allowIso`, an ISO-8601 string with a zone. NaN on failure. Epoch milliseconds must
   * be whole (the column is DateTime64(3)); seconds are rounded to the millisecond.
   */
  time(o: Record<string, unknown>, key: string, scale: number, allowIso: boolean): number {
    const v = own(o, key)
    if (typeof v === 'number') {
      if (v - v !== 0) return this.fail('not_finite', `${key} must be a finite number, got ${v}`)
      if (scale !== 1) return Math.round(v * scale)
      if (!Number.isInteger(v)) return this.fail('invalid_ts', `${key} ${v} must be whole epoch milliseconds`)
      return v
    }
    if (v === undefined || v === null) return this.fail('missing_field', `required field ${key} is ${v === null ? 'null' : 'missing'}`)
    if (typeof v !== 'string' || !allowIso) {
      return this.fail('wrong_type', `${key} must be ${allowIso ? 'a number (epoch ms) or an ISO-8601 string' : 'a number'}, got ${typeName(v)}`)
    }
    if (v.length > MAX_TS_STRING || !ISO_WITH_ZONE.test(v)) {
      return this.fail('invalid_ts', `${key} is not an ISO-8601 date-time with a timezone (Z or ±hh:mm): ${JSON.stringify(v.slice(0, MAX_TS_STRING))}`)
    }
    const ms = Date.parse(v)
    if (Number.isNaN(ms)) return this.fail('invalid_ts', `${key} is not a valid date-time: ${JSON.stringify(v)}`)
    return ms
  }

  /**
   * Checks a fix time against the arrival time. With `msHint`, a ts that would fit the window
   * if it were seconds (or microseconds) says so: the commonest device mistake.
   */
  window(key: string, ts: number, receivedAt: number, maxFutureSkewMs: number, maxAgeMs: number, msHint: boolean): boolean {
    const lo = receivedAt - maxAgeMs
    const hi = receivedAt + maxFutureSkewMs
    if (ts > hi) {
      const hint = msHint && ts / 1000 >= lo && ts / 1000 <= hi ? '; it looks like microseconds, send epoch milliseconds' : ''
      this.fail('ts_in_future', `${key} ${describeTime(ts)} is ${Math.round((ts - receivedAt) / 1000)} s after arrival (allowed skew ${maxFutureSkewMs / 1000} s)${hint}`)
      return false
    }
    if (ts < lo) {
      const hint = msHint && ts * 1000 >= lo && ts * 1000 <= hi ? '; it looks like epoch seconds, send epoch milliseconds' : ''
      this.fail('ts_too_old', `${key} ${describeTime(ts)} is ${Math.round((receivedAt - ts) / 1000)} s before arrival (maximum age ${maxAgeMs / 1000} s)${hint}`)
      return false
    }
    // Only reachable with a very wide validation window: a time the DateTime64 column cannot hold.
    if (ts < DT64_MIN || ts > DT64_MAX) {
      this.fail('invalid_ts', `${key} ${describeTime(ts)} is outside the range ClickHouse stores (1900-01-01 to 2299-12-31)`)
      return false
    }
    return true
  }

  /** (0, 0) is what many trackers send after losing GPS lock: not a position. */
  nullIsland(lat: number, lon: number, reject: boolean): void {
    if (reject && lat === 0 && lon === 0) this.fail('null_island', 'lat 0, lon 0 is what a tracker without GPS lock sends, not a position (validation.reject_null_island)')
  }
}

/** Date.prototype.toISOString throws beyond ±8.64e15 ms; absurd device times are shown as numbers. */
function describeTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms)
}
