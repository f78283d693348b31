// What the integrity stage needs from the configuration, compiled once at boot (src/boot.ts): the
// detectors' options, each unit's kind, zone and display name, the units a post's watch keeps
// standing (not judged on stationary time), the phone → terminal pairs (units[].pair), and the
// local day of the reports (a new day flushes the open stretches). Pure.
import type { Config } from '../config/schema.js'
import type { IntegrityUnits } from './monitor.js'
import { integrityOptions, type IntegrityOptions } from './options.js'

export interface IntegritySetup {
  readonly options: IntegrityOptions
  readonly units: Required<IntegrityUnits>
  /** A unit's zone (units[].zone), for the events' zone filters. */
  readonly zoneOf: (unitId: string) => string | undefined
  /** A unit's display name in the configured locale (its id when it has none). */
  readonly nameOf: (unitId: string) => string
}

/** `dayOf`: the local day (reports.timezone) of an instant, as a number that changes at local midnight. */
export function compileIntegrity(config: Config, dayOf: (ts: number) => number): IntegritySetup {
  const kinds = new Map(config.units.map((u) => [u.id, u.kind]))
  const zones = new Map(config.units.flatMap((u) => (u.zone === undefined ? [] : [[u.id, u.zone] as const])))
  const names = new Map(config.units.map((u) => [u.id, (config.locale === 'en' ? u.name_en ?? u.name : u.name) ?? u.id]))
  const watchPosts = new Set(config.posts.filter((p) => p.watch).map((p) => p.id))
  const stationed = new Set(config.units.filter((u) => u.post !== undefined && watchPosts.has(u.post)).map((u) => u.id))
  const pairs = new Map(config.units.flatMap((u) => (u.pair === undefined ? [] : [[u.id, u.pair] as const])))
  return {
    options: integrityOptions(config.integrity),
    units: { kindOf: (id) => kinds.get(id), stationed: (id) => stationed.has(id), dayOf, pairs },
    zoneOf: (id) => zones.get(id),
    nameOf: (id) => names.get(id) ?? id,
  }
}
