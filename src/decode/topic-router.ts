// Topic → (payload format, unit id), compiled once from the configured MQTT subscription filters.
// The unit id is the `+`-matched levels joined with '-' (for `#`, the remaining levels joined with
// '-'), or, with `unit_from: first_level`, the first wildcard level alone: the level a broker's ACL
// binds to the login (`pattern write owntracks/%u/+`), so that a login reaches only its own unit id
// (`P` publishing `owntracks/P/002` is unit P, never P-002). OwnTracks topics default to
// first_level on every broker: a phone is one unit, its OwnTracks user (the login), whether it
// reports over MQTT (`owntracks/<user>/<device>`) or HTTP (Basic auth user = X-Limit-U); the
// device level names the phone's app, not another unit.
import { HexpatrolError } from '../errors.js'
import { matchLevels, splitFilter } from './topic-filter.js'

export type PayloadFormat = 'native' | 'owntracks'

/** Which wildcard levels name the unit: all of them joined with '-', or the first alone. */
export type UnitFrom = 'all_levels' | 'first_level'

export interface SubscriptionSpec {
  topic: string
  format: PayloadFormat
  /** Default all_levels. */
  unitFrom?: UnitFrom
}

/**
 * The subscriptions as the router reads them. `unit_from` unset: an OwnTracks topic names its unit
 * by the `<user>` level, the MQTT login (what the app puts there, what the embedded broker checks
 * and the shipped Mosquitto ACL binds with %u), the same unit as over HTTP; a native topic by every
 * level.
 */
export function subscriptionSpecs(mqtt: { subscriptions: ReadonlyArray<{ topic: string; format: PayloadFormat; unit_from?: UnitFrom | undefined }> }): SubscriptionSpec[] {
  return mqtt.subscriptions.map((s) => ({
    topic: s.topic,
    format: s.format,
    unitFrom: s.unit_from ?? (s.format === 'owntracks' ? 'first_level' : 'all_levels'),
  }))
}

export interface TopicRoute {
  format: PayloadFormat
  /** Raw unit id from the topic; check it with isValidUnitId (the decoder does). */
  unitId: string
}

export type TopicRouter = (topic: string) => TopicRoute | null

const UNIT_ID = /^[A-Za-z0-9_.:-]{1,64}$/

/** Unit ids are what rules, metrics-free logs and ClickHouse keys are built from: keep them short and plain. */
export function isValidUnitId(id: string): boolean {
  return UNIT_ID.test(id)
}

interface CompiledFilter {
  format: PayloadFormat
  first: boolean
  levels: string[]
  plus: number
  hash: boolean
}

function filterError(filter: string, problem: string): HexpatrolError {
  return new HexpatrolError('HEXP_ERR_CONFIG', `mqtt.subscriptions: topic filter "${filter}" ${problem}`)
}

function compileSpec(spec: SubscriptionSpec): CompiledFilter {
  const levels = splitFilter(spec.topic)
  let wildcards = 0
  for (const [i, level] of levels.entries()) {
    if (level === '+' || level === '#') wildcards++
    if (level === '#' && i !== levels.length - 1) throw filterError(spec.topic, "has '#' before its last level")
    if (level !== '+' && level !== '#' && (level.includes('+') || level.includes('#'))) {
      throw filterError(spec.topic, `has a wildcard inside the level "${level}"; '+' and '#' must stand alone`)
    }
  }
  if (wildcards === 0) throw filterError(spec.topic, "has no '+' or '#' level to name the unit")
  return { format: spec.format, first: spec.unitFrom === 'first_level', levels, plus: levels.filter((l) => l === '+').length, hash: levels.at(-1) === '#' }
}

/** Precompiled topic router: which subscription (format) a topic belongs to and the unit id it names, or null. */
export function createTopicRouter(subscriptions: ReadonlyArray<SubscriptionSpec>): TopicRouter {
  const filters = subscriptions.map(compileSpec)
  return (topic: string): TopicRoute | null => {
    for (const c of filters) {
      const parts = matchLevels(c.levels, topic)
      if (parts === null) continue
      // `#` matching `a/` (one empty level) adds nothing, like zero levels; an empty `+` level
      // (`fleet//position`) names no unit: the whole id becomes '' (invalid).
      if (c.hash && parts.length === c.plus + 1 && parts[c.plus] === '') parts.pop()
      if (parts.length === 0 || parts.some((p) => p === '')) return { format: c.format, unitId: '' }
      if (c.first) return { format: c.format, unitId: parts[0]!.split('/')[0]! }
      return { format: c.format, unitId: parts.map((p) => p.replaceAll('/', '-')).join('-') }
    }
    return null
  }
}
