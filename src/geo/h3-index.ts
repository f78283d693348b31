// H3 indexing for fixes, and the conversions between h3-js's hex strings and ClickHouse's UInt64.
// Pure functions. h3-js cells are lowercase hex without leading zeros (15 digits for valid cells).
import { latLngToCell } from 'h3-js'

/** Valid-cell shape is checked cheaply; h3 semantics (mode bits, digits) are not. */
const HEX_CELL = /^[0-9a-f]{1,16}$/i
const DECIMAL_U64 = /^[0-9]{1,20}$/
const UINT64_MAX = (1n << 64n) - 1n

/** The H3 cell (h3-js hex string) holding a point, degrees WGS84. */
export function cellFor(lat: number, lon: number, resolution: number): string {
  return latLngToCell(lat, lon, resolution)
}

/** The cell as an unsigned 64-bit integer, as ClickHouse stores it (`UInt64`). */
export function cellToUInt64(cell: string): bigint {
  if (!HEX_CELL.test(cell)) throw new TypeError(`not an H3 cell: ${JSON.stringify(cell.slice(0, 32))} (expected up to 16 hex digits)`)
  return BigInt('0x' + cell)
}

/** The cell as a decimal string: how ClickHouse's JSON formats read and write UInt64 exactly. */
export function cellToDecimalString(cell: string): string {
  return cellToUInt64(cell).toString()
}

/** Back from a ClickHouse UInt64 (bigint, or the decimal string its JSON formats use) to the h3-js hex string. */
export function uint64ToCell(value: bigint | string): string {
  let n: bigint
  if (typeof value === 'bigint') {
    n = value
  } else {
    if (!DECIMAL_U64.test(value)) throw new TypeError(`not a UInt64 decimal string: ${JSON.stringify(value.slice(0, 32))}`)
    n = BigInt(value)
  }
  if (n <= 0n || n > UINT64_MAX) throw new RangeError(`H3 cell integer out of range: ${n}`)
  return n.toString(16)
}
