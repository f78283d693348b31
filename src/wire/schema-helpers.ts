// TypeBox helpers every wire schema uses (the API's responses, the rules' read model, the web
// client's types): one definition of a nullable field and of a closed object.
import { Type, type TObject, type TProperties, type TSchema, type TNull, type TUnion, type ObjectOptions } from '@sinclair/typebox'

/** The value or null (a JSON null, never an absent key). */
export const Nullable = <T extends TSchema>(s: T): TUnion<[T, TNull]> => Type.Union([s, Type.Null()])

/** An object that declares every key it may hold (additionalProperties: false). */
export const Closed = <T extends TProperties>(props: T, opts: ObjectOptions = {}): TObject<T> => Type.Object(props, { additionalProperties: false, ...opts })
