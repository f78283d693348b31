// Building blocks shared by every config schema module (the root schema and the stages' own parts):
// a duration that decodes to milliseconds, and a closed object whose keys all have defaults.
import { Type, type TSchema } from '@sinclair/typebox'
import { parseDuration } from './duration.js'

/** `250ms`, `90s`, `30m`, `2h`, `1d` or a number of seconds → milliseconds. */
export const Duration = (def?: string) =>
  Type.Transform(Type.Union([Type.String(), Type.Number({ minimum: 0 })], def === undefined ? {} : { default: def }))
    .Decode((v) => parseDuration(v))
    .Encode((ms) => `${ms / 1000}s`)

/** An object that refuses unknown keys and defaults to `{}` (so its own keys' defaults apply). */
export const Obj = <T extends Record<string, TSchema>>(props: T, opts: { default?: unknown } = {}) =>
  Type.Object(props, { additionalProperties: false, default: opts.default ?? {} })
