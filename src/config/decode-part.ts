// Checks a document against a config schema the way start-up does (defaults applied, unknown keys
// refused, durations decoded) and says what is wrong per key. One owner of the config's validation:
// the whole file at boot (load.ts) and a part of it sent at run time (a plan through the API).
import type { StaticDecode, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { SECRET_KEY } from './resolve.js'

export type DecodedPart<T extends TSchema> = { ok: true; value: StaticDecode<T> } | { ok: false; problems: string[] }

/** `/checkpoints/0/lat` → `checkpoints.0.lat`, after `prefix` (e.g. `plans.`); the empty pointer is `root`. */
export function pointerToKey(pointer: string, root = '(top level)'): string {
  return pointer.replace(/^\//, '').replace(/\//g, '.') || root
}

/** At most `max` problems, the most specific one per key (unknown keys, then types). */
export function decodePart<T extends TSchema>(schema: T, raw: unknown, o: { root?: string; max?: number } = {}): DecodedPart<T> {
  const max = o.max ?? 10
  const doc = Value.Default(schema, structuredClone(raw))
  const errors = [...Value.Errors(schema, doc)]
  if (errors.length > 0) {
    const seen = new Set<string>()
    const lines: string[] = []
    for (const e of errors) {
      const key = pointerToKey(e.path, o.root)
      if (seen.has(key)) continue
      seen.add(key)
      if (e.schema && (e.schema as { additionalProperties?: unknown }).additionalProperties === false && e.message.includes('Unexpected property')) {
        lines.push(`${key}: unknown key (check the spelling against docs/configuration.md)`)
      } else {
        // A secret's value is never echoed (it may be a real password with a typo).
        const shown = e.value !== undefined && typeof e.value !== 'object' && !SECRET_KEY.test(key)
        lines.push(`${key}: ${e.message}${shown ? ` (got ${JSON.stringify(e.value)})` : ''}`)
      }
      if (lines.length >= max) break
    }
    return { ok: false, problems: lines }
  }
  try {
    return { ok: true, value: Value.Decode(schema, doc) }
  } catch (err) {
    const e = err as { path?: string; message: string }
    return { ok: false, problems: [`${pointerToKey(e.path ?? '', o.root)}: ${e.message}`] }
  }
}
