// TypeBox schemas shared by the API routes: one definition gives validation, response
// serialization, TypeScript types and the OpenAPI document.
import { Type, type TSchema } from '@sinclair/typebox'

export const ErrorBody = Type.Object({
  code: Type.String({ description: 'Stable HEXP_ERR_… code (docs/errors.md).' }),
  message: Type.String(),
  help: Type.Optional(Type.String()),
}, { $id: 'ErrorBody', title: 'Error' })

const ErrorRef = Type.Ref('ErrorBody')

/** Response map with the coded error body on every error status a route can return. */
export function responses<T extends Record<number, TSchema>>(ok: T): T & Record<number, TSchema> {
  return { ...ok, 400: ErrorRef, 401: ErrorRef, 403: ErrorRef, 404: ErrorRef, 409: ErrorRef, 429: ErrorRef, 503: ErrorRef }
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) })

export const AlertEvent = Type.Object({
  eventId: Type.String(),
  alertId: Type.String(),
  type: Type.String(),
  kind: Type.String(),
  state: Type.String(),
  subject: Type.String(),
  at: Type.Number(),
  openedAt: Type.Number(),
  summary: Type.String(),
  unitId: Type.Optional(Type.String()),
  zoneId: Type.Optional(Type.String()),
  postId: Type.Optional(Type.String()),
  acknowledgedBy: Type.Optional(Type.String()),
  ackNote: Type.Optional(Type.String({ description: 'The note left with the acknowledgement (POST /alerts/{id}/ack), on that transition and later ones.' })),
}, { additionalProperties: true, title: 'AlertEvent', description: 'The alert transition, as in a webhook body\'s data (docs/webhooks.md).' })

export const AlertView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  subject: Type.String(),
  state: Type.Union([Type.Literal('opened'), Type.Literal('acknowledged'), Type.Literal('resolved')]),
  openedAt: Type.Number(),
  acknowledgedAt: Type.Optional(Type.Number()),
  acknowledgedBy: Type.Optional(Type.String()),
  ackNote: Type.Optional(Type.String()),
  resolvedAt: Type.Optional(Type.Number()),
  last: AlertEvent,
}, { title: 'Alert' })

export const Geometry = Type.Object({
  type: Type.String(),
  coordinates: Type.Array(Type.Unknown()),
})

export const Feature = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.Optional(Type.String()),
  geometry: Geometry,
  properties: Type.Object({}, { additionalProperties: true }),
})

export const FeatureCollection = Type.Object({
  type: Type.Literal('FeatureCollection'),
  features: Type.Array(Feature),
}, { description: 'GeoJSON (RFC 7946): coordinates are [lon, lat].' })

/** Schemas referenced by $ref, added once to the app. */
export const SHARED_SCHEMAS = [ErrorBody]
