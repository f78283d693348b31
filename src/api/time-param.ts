// Time query parameters: epoch milliseconds or ISO-8601, within the range a Date can hold.
import { HexpatrolError } from '../errors.js'

/** Largest epoch ms a JavaScript Date represents (±100,000,000 days). */
export const MAX_TIME_MS = 8.64e15

export function parseTime(value: string | undefined, fallback: number, key: string): number {
  if (value === undefined || value === '') return fallback
  const n = /^-?\d{1,16}$/.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN
  if (!Number.isFinite(n) || Math.abs(n) > MAX_TIME_MS) {
    throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `"${key}" must be epoch milliseconds or an ISO-8601 time (got "${value.slice(0, 40)}").`)
  }
  return n
}
