// The progress marks' value format and the reader's merge rule, free of I/O. A partition's marks
// say how far its lease holder has carried its side effects: `rows` (position rows written to
// ClickHouse) and `alerts` (alert events delivered), each the stream sequence of the last record
// handled, plus an optional `intent` (a new owner announcing the range it is about to deliver).
// Stored as JSON with the sequences as decimal strings (a bigint does not fit a JSON number);
// an absent key means all zero. A value that does not decode is read as zero marks and reported
// through the warning callback: the reader then keeps its pending effects, which is the safe side.

export interface Marks {
  rows: bigint
  alerts: bigint
  intent: { from: bigint; to: bigint } | null
}

export const ZERO_MARKS: Readonly<Marks> = Object.freeze({ rows: 0n, alerts: 0n, intent: null })

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const DECIMAL = /^(0|[1-9][0-9]*)$/

function checkSeq(name: string, v: bigint): void {
  if (typeof v !== 'bigint' || v < 0n) throw new RangeError(`marks.${name} must be a non-negative bigint stream sequence (got ${String(v)})`)
}

/** The stored bytes of a partition's marks. Throws RangeError on negative sequences or from > to. */
export function encodeMarks(m: Marks): Uint8Array {
  checkSeq('rows', m.rows)
  checkSeq('alerts', m.alerts)
  const v: { rows: string; alerts: string; intent?: { from: string; to: string } } = { rows: m.rows.toString(), alerts: m.alerts.toString() }
  if (m.intent !== null) {
    checkSeq('intent.from', m.intent.from)
    checkSeq('intent.to', m.intent.to)
    if (m.intent.from > m.intent.to) throw new RangeError(`marks.intent.from (${m.intent.from}) is after intent.to (${m.intent.to})`)
    v.intent = { from: m.intent.from.toString(), to: m.intent.to.toString() }
  }
  return encoder.encode(JSON.stringify(v))
}

function seq(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !DECIMAL.test(v)) throw new Error(`${what} is not a decimal sequence string (${JSON.stringify(v) ?? 'undefined'})`)
  return BigInt(v)
}

function parse(bytes: Uint8Array): Marks {
  const v: unknown = JSON.parse(decoder.decode(bytes))
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object')
  const o = v as Record<string, unknown>
  let intent: Marks['intent'] = null
  if (o.intent !== undefined && o.intent !== null) {
    if (typeof o.intent !== 'object' || Array.isArray(o.intent)) throw new Error('intent is not an object')
    const i = o.intent as Record<string, unknown>
    intent = { from: seq(i.from, 'intent.from'), to: seq(i.to, 'intent.to') }
    if (intent.from > intent.to) throw new Error('intent.from is after intent.to')
  }
  return { rows: seq(o.rows, 'rows'), alerts: seq(o.alerts, 'alerts'), intent }
}

/**
 * Decodes a stored value; null/undefined (no key) is zero marks. A garbled value is zero marks too,
 * with `onWarning` told why (the caller names the key).
 */
export function decodeMarks(bytes: Uint8Array | null | undefined, onWarning: (reason: string) => void = () => undefined): Marks {
  if (bytes === null || bytes === undefined || bytes.length === 0) return { ...ZERO_MARKS }
  try {
    return parse(bytes)
  } catch (err) {
    onWarning(`unreadable progress marks, read as zero (the partition's owner rewrites them on its next progress): ${err instanceof Error ? err.message : String(err)}`)
    return { ...ZERO_MARKS }
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b)

/**
 * What a reader believes after seeing `next` when it believed `prev`: the sequences never move
 * backwards (a late or older write cannot make a reader redo what the owner already handled);
 * the intent is the newer value's.
 */
export function mergeMarks(prev: Marks, next: Marks): Marks {
  return { rows: max(prev.rows, next.rows), alerts: max(prev.alerts, next.alerts), intent: next.intent }
}

export function sameMarks(a: Marks, b: Marks): boolean {
  return a.rows === b.rows && a.alerts === b.alerts &&
    (a.intent === null ? b.intent === null : b.intent !== null && a.intent.from === b.intent.from && a.intent.to === b.intent.to)
}
