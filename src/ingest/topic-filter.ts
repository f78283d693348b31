// MQTT topic-filter matching (`+` one level, `#` the rest), compiled once per filter.

export type TopicMatcher = (topic: string) => boolean

export function compileFilter(filter: string): TopicMatcher {
  const f = filter.split('/')
  return (topic: string) => {
    const t = topic.split('/')
    for (let i = 0; i < f.length; i++) {
      const level = f[i]
      if (level === '#') return true
      if (i >= t.length) return false
      if (level !== '+' && level !== t[i]) return false
    }
    return f.length === t.length
  }
}

/** True when every topic the `inner` filter can match is matched by `outer` (for subscribe ACLs). */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/')
  const i = inner.split('/')
  for (let k = 0; k < o.length; k++) {
    if (o[k] === '#') return true
    if (k >= i.length) return false
    if (i[k] === '#') return false
    if (o[k] === '+') continue
    if (i[k] === '+' || o[k] !== i[k]) return false
  }
  return o.length === i.length
}
