// The one MQTT topic-filter matcher (MQTT 3.1.1 §4.7 / 5.0 §4.7): `+` one level, `#` the rest
// (also zero levels), a shared subscription `$share/<group>/<filter>` matches as <filter>, and a
// filter starting with a wildcard never matches a topic starting with `$` ($SYS, …). Used by the
// broker's ACLs, its ingestion check and the topic router, so they cannot disagree.

export type TopicMatcher = (topic: string) => boolean

const SHARE = /^\$share\/[^/+#]+\//

/** The filter a shared subscription matches with: `$share/g/fleet/+` → `fleet/+`. */
export function unshare(filter: string): string {
  return filter.replace(SHARE, '')
}

/**
 * The levels the wildcards matched (one entry per `+`, then the `#` tail joined with '/', absent
 * when it matched zero levels), or null when the topic does not match. Precompile with splitFilter.
 */
export function matchLevels(filter: readonly string[], topic: string): string[] | null {
  const t = topic.split('/')
  const out: string[] = []
  if (filter.length > 0 && (filter[0] === '+' || filter[0] === '#') && topic.startsWith('$')) return null
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i]
    if (level === '#') {
      if (i < t.length) out.push(t.slice(i).join('/'))
      return out
    }
    if (i >= t.length) return null
    if (level === '+') out.push(t[i]!)
    else if (level !== t[i]) return null
  }
  return filter.length === t.length ? out : null
}

export function splitFilter(filter: string): string[] {
  return unshare(filter).split('/')
}

export function compileFilter(filter: string): TopicMatcher {
  const f = splitFilter(filter)
  return (topic: string) => matchLevels(f, topic) !== null
}

/** True when every topic the `inner` filter can match is matched by `outer` (for subscribe ACLs). */
export function filterCovers(outer: string, inner: string): boolean {
  const o = splitFilter(outer)
  const i = splitFilter(inner)
  // `+/…` and `#` never match `$` topics, so they cannot cover a filter that names one.
  if ((o[0] === '+' || o[0] === '#') && i[0]!.startsWith('$')) return false
  for (let k = 0; k < o.length; k++) {
    if (o[k] === '#') return true
    if (k >= i.length) return false
    if (i[k] === '#') return false
    if (o[k] === '+') continue
    if (i[k] === '+' || o[k] !== i[k]) return false
  }
  return o.length === i.length
}
