// The JT/T 808 location body (0x0200, and each item of a 0x0704 batch): alarm and status flags,
// position in 1e-6 degrees with the hemispheres in status bits 2/3, altitude (m), speed
// (0.1 km/h), direction, a BCD[6] time in the terminal's zone, then additional items (id, length,
// value). Pure: bytes → a typed report, or the reason it is not one.
import type { RejectReason } from '../fix.js'

export const ALARM_EMERGENCY = 1
export const STATUS_ACC = 1
export const STATUS_POSITIONED = 2
const STATUS_SOUTH = 4
const STATUS_WEST = 8
const FIXED_BYTES = 28

export interface LocationReport {
  alarm: number
  status: number
  lat: number
  lon: number
  /** metres */
  altitude: number
  /** m/s */
  speed: number
  /** degrees 0..359, null when the terminal sends more */
  heading: number | null
  /** epoch ms (UTC) */
  ts: number
  /** Additional item 0x01, km; null when absent. */
  mileageKm: number | null
  /** Additional item 0x30 (wireless signal strength); null when absent. */
  signal: number | null
  /** Additional item 0x31 (GNSS satellites in use); null when absent. */
  satellites: number | null
}

export interface LocationProblem {
  reason: RejectReason
  detail: string
  /** The alarm flags when the body was long enough to hold them (an SOS without a GNSS fix is still an SOS), else 0. */
  alarm: number
}

function bcdByte(c: number): number {
  const hi = c >> 4
  const lo = c & 15
  return hi > 9 || lo > 9 ? -1 : hi * 10 + lo
}

/**
 * YYMMDDhhmmss (years 2000-2099) in a zone `offsetMinutes` east of UTC → epoch ms, or NaN when
 * a digit or a field is out of range (an all-zero time is what a terminal without a fix sends).
 */
export function bcdTime(b: Buffer, off: number, offsetMinutes: number): number {
  const f: number[] = []
  for (let i = 0; i < 6; i++) f.push(bcdByte(b[off + i]!))
  const [y, mo, d, h, mi, s] = f as [number, number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || y < 0) return Number.NaN
  const ms = Date.UTC(2000 + y, mo - 1, d, h, mi, s)
  // Date.UTC rolls 31 February into March: such a day is out of range.
  if (new Date(ms).getUTCDate() !== d) return Number.NaN
  return ms - offsetMinutes * 60_000
}

/** The report in `b[from, to)`, or the problem. */
export function parseLocation(b: Buffer, offsetMinutes: number, from = 0, to = b.length): LocationReport | LocationProblem {
  if (to - from < FIXED_BYTES) return { reason: 'missing_field', detail: `location body is ${to - from} bytes, shorter than the ${FIXED_BYTES} of its fixed part`, alarm: to - from >= 4 ? b.readUInt32BE(from) : 0 }
  const alarm = b.readUInt32BE(from)
  const status = b.readUInt32BE(from + 4)
  const latRaw = b.readUInt32BE(from + 8)
  const lonRaw = b.readUInt32BE(from + 12)
  if ((status & STATUS_POSITIONED) === 0) return { reason: 'invalid_fix', detail: `status 0x${status.toString(16)} has bit 1 (positioned) clear: the terminal has no GNSS fix`, alarm }
  if (latRaw > 90_000_000) return { reason: 'lat_out_of_range', detail: `latitude ${latRaw / 1e6} is above 90`, alarm }
  if (lonRaw > 180_000_000) return { reason: 'lon_out_of_range', detail: `longitude ${lonRaw / 1e6} is above 180`, alarm }
  const ts = bcdTime(b, from + 22, offsetMinutes)
  if (Number.isNaN(ts)) return { reason: 'invalid_ts', detail: `time ${b.subarray(from + 22, from + 28).toString('hex')} is not a valid BCD YYMMDDhhmmss`, alarm }
  const dir = b.readUInt16BE(from + 20)
  const r: LocationReport = {
    alarm,
    status,
    lat: (status & STATUS_SOUTH) !== 0 ? -latRaw / 1e6 : latRaw / 1e6,
    lon: (status & STATUS_WEST) !== 0 ? -lonRaw / 1e6 : lonRaw / 1e6,
    altitude: b.readInt16BE(from + 16),
    speed: b.readUInt16BE(from + 18) / 36,
    heading: dir < 360 ? dir : null,
    ts,
    mileageKm: null,
    signal: null,
    satellites: null,
  }
  // Additional items; one that runs past the body ends the list (what follows cannot be framed).
  let i = from + FIXED_BYTES
  while (i + 2 <= to) {
    const id = b[i]!
    const len = b[i + 1]!
    const v = i + 2
    if (v + len > to) break
    if (id === 0x01 && len === 4) r.mileageKm = b.readUInt32BE(v) / 10
    else if (id === 0x30 && len === 1) r.signal = b[v]!
    else if (id === 0x31 && len === 1) r.satellites = b[v]!
    i = v + len
  }
  return r
}

export function isProblem(r: LocationReport | LocationProblem): r is LocationProblem {
  return 'reason' in r
}
