// Topic → (payload format, unit id), compiled once from the configured MQTT subscription filters.
// The unit id is the `+`-matched levels joined with '-' (for `#`, the remaining levels joined with '-').
import { HexpatrolError } from '../errors.js'

export type PayloadFormat = 'native' | 'owntracks'

export interface SubscriptionSpec {
  topic: string
  format: PayloadFormat
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

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\]/g
const SHARE_PREFIX = /^\$share\/[^/]+\//

interface CompiledFilter {
  format: PayloadFormat
  re: RegExp
  /** Index of the capture group holding a `#` tail, whose '/' must become '-'; 0 when none. */
  hashGroup: number
  groups: number
}

function filterError(filter: string, problem: string): HexpatrolError {
  return new HexpatrolError('HEXP_ERR_CONFIG', `mqtt.subscriptions: topic filter "${filter}" ${problem}`)
}

function compileFilter(spec: SubscriptionSpec): CompiledFilter {
  // A shared subscription delivers topics without its `$share/<group>/` prefix.
  const filter = spec.topic.replace(SHARE_PREFIX, '')
  const levels = filter.split('/')
  let source = '^'
  let groups = 0
  let hashGroup = 0
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!
    // MQTT 4.7.2: wildcards at the first level never match topics starting with '$'.
    const guard = i === 0 ? '(?!\\$)' : ''
    if (level === '+') {
      source += (i === 0 ? '' : '/') + guard + '([^/]*)'
      groups++
    } else if (level === '#') {
      if (i !== levels.length - 1) throw filterError(spec.topic, "has '#' before its last level")
      // `a/#` also matches `a` itself (zero levels), which yields an empty (invalid) unit id.
      source += i === 0 ? guard + '(.*)' : '(?:/(.*))?'
      groups++
      hashGroup = groups
    } else {
      if (level.includes('+') || level.includes('#')) throw filterError(spec.topic, `has a wildcard inside the level "${level}"; '+' and '#' must stand alone`)
      source += (i === 0 ? '' : '/') + level.replace(REGEX_SPECIAL, '\\$&')
    }
  }
  if (groups === 0) throw filterError(spec.topic, "has no '+' or '#' level to name the unit")
  return { format: spec.format, re: new RegExp(source + '$'), hashGroup, groups }
}

/** Precompiled topic router: which subscription (format) a topic belongs to and the unit id it names, or null. */
export function createTopicRouter(subscriptions: ReadonlyArray<SubscriptionSpec>): TopicRouter {
  const filters = subscriptions.map(compileFilter)
  const n = filters.length
  return (topic: string): TopicRoute | null => {
    for (let f = 0; f < n; f++) {
      const c = filters[f]!
      const m = c.re.exec(topic)
      if (m === null) continue
      // An empty `+` level (`fleet//position`) names no unit: the whole id becomes '' (invalid).
      let unitId = ''
      for (let g = 1; g <= c.groups; g++) {
        const part = m[g]
        if (g === c.hashGroup) {
          // `#` may match zero levels; it then adds nothing rather than a dangling '-'.
          if (!part) continue
          unitId = unitId === '' ? part.replaceAll('/', '-') : unitId + '-' + part.replaceAll('/', '-')
        } else {
          if (!part) return { format: c.format, unitId: '' }
          unitId = g === 1 ? part : unitId + '-' + part
        }
      }
      return { format: c.format, unitId }
    }
    return null
  }
}
