// JSON.stringify in pieces: a large value (the live stream's snapshot of a whole fleet) is
// serialised as the socket drains, one piece of about `size` characters at a time, never as one
// multi-megabyte string. Joined, the pieces are exactly JSON.stringify(value).

/** Plain objects and arrays are walked; anything else (numbers, dates, …) is stringified whole. */
function* tokens(value: unknown, depth: number): Generator<string> {
  if (depth > 0 && Array.isArray(value)) {
    yield '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ','
      const v: unknown = value[i]
      // As JSON.stringify does: undefined, functions and symbols in an array become null.
      yield* (omitted(v) ? ['null'] : tokens(v, depth - 1))
    }
    yield ']'
  } else if (depth > 0 && isPlainObject(value)) {
    yield '{'
    let first = true
    for (const [k, v] of Object.entries(value)) {
      if (omitted(v)) continue
      yield `${first ? '' : ','}${JSON.stringify(k)}:`
      first = false
      yield* tokens(v, depth - 1)
    }
    yield '}'
  } else {
    yield JSON.stringify(value) ?? 'null'
  }
}

function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol'
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v) as unknown
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function'
}

/**
 * Pieces of at least `size` characters (the last may be shorter) whose concatenation is
 * `prefix + JSON.stringify(value) + suffix`. Only the top `depth` levels are walked: below them
 * (e.g. one unit of a snapshot) a value is stringified whole, when its piece is produced.
 */
export function* jsonPieces(value: unknown, size: number, opts: { prefix?: string; suffix?: string; depth?: number } = {}): Generator<string> {
  let buf = opts.prefix ?? ''
  for (const t of tokens(value, opts.depth ?? 2)) {
    buf += t
    if (buf.length >= size) {
      yield buf
      buf = ''
    }
  }
  buf += opts.suffix ?? ''
  if (buf !== '') yield buf
}

/** Strings joined into pieces of at least `size` characters (the last may be shorter). */
export function* joinPieces(parts: Iterable<string>, size: number): Generator<string> {
  let buf = ''
  for (const p of parts) {
    buf += p
    if (buf.length >= size) {
      yield buf
      buf = ''
    }
  }
  if (buf !== '') yield buf
}
