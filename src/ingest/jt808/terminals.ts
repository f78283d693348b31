// The terminals the gateway knows, compiled once from the config: phone number (leading zeros
// dropped) → unit id and the zone of its times. Duplicate phone numbers and impossible zones
// are config errors. Auto-registered terminals become unit `jt808-<phone>` in the default zone.
import type { Config } from '../../config/schema.js'
import { phoneKey } from '../../decode/jt808/message.js'

export interface Terminal {
  unitId: string
  /** Minutes east of UTC of the terminal's BCD times. */
  offsetMinutes: number
}

export interface Terminals {
  /** The configured terminal, the auto-registered one, or null (refused). */
  find(phone: string): Terminal | null
  /** Whether the phone number belongs to a configured unit. */
  configured(phone: string): boolean
}

/** `+08:00` → 480; throws on a zone beyond ±14:00 or minutes ≥ 60. */
export function parseOffset(z: string, key: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(z)
  const h = Number(m?.[2])
  const min = Number(m?.[3])
  if (m === null || h > 14 || min > 59 || h * 60 + min > 14 * 60) throw new Error(`${key}: ${JSON.stringify(z)} is not a UTC offset from -14:00 to +14:00`)
  return (m[1] === '-' ? -1 : 1) * (h * 60 + min)
}

type Jt808Config = Pick<Config, 'jt808' | 'units'>

/** Throws Error naming the key (src/boot.ts turns it into HEXP_ERR_CONFIG). */
export function compileTerminals(config: Jt808Config): Terminals {
  const fallback = parseOffset(config.jt808.timezone, 'jt808.timezone')
  const byPhone = new Map<string, Terminal>()
  for (const [i, u] of config.units.entries()) {
    if (u.jt808 === undefined) {
      if (u.jt808_timezone !== undefined) throw new Error(`units.${i}.jt808_timezone: unit ${u.id} has no jt808 phone number`)
      continue
    }
    const key = phoneKey(u.jt808)
    const other = byPhone.get(key)
    if (other !== undefined) throw new Error(`units.${i}.jt808: phone number ${u.jt808} is also unit ${other.unitId}'s`)
    byPhone.set(key, { unitId: u.id, offsetMinutes: u.jt808_timezone === undefined ? fallback : parseOffset(u.jt808_timezone, `units.${i}.jt808_timezone`) })
  }
  const auto = config.jt808.auto_register
  return {
    find: (phone) => byPhone.get(phoneKey(phone)) ?? (auto ? { unitId: `jt808-${phoneKey(phone)}`, offsetMinutes: fallback } : null),
    configured: (phone) => byPhone.has(phoneKey(phone)),
  }
}
