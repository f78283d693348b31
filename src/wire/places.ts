// Places as they go over the wire: one match of GET /api/v1/places and the whole answer. The
// TypeBox schema is the one source: the API validates and documents with it, the gazetteer
// (incidents/places.ts) is typed by it (Static<>), and the page imports the types (type-only).
import { Type, type Static } from '@sinclair/typebox'
import { Closed } from './schema-helpers.js'

/** Where a place came from: the config's `places`, a post, a zone, a plan checkpoint, or an online geocoder. */
export const PLACE_SOURCES = ['config', 'post', 'zone', 'checkpoint', 'amap', 'tianditu'] as const
export type PlaceSource = (typeof PLACE_SOURCES)[number]

export const PlaceView = Closed({
  name: Type.String(),
  nameEn: Type.Optional(Type.String({ description: 'English name, when the config gives one.' })),
  kind: Type.String({ description: 'landmark, address, station, … (config places); station (posts), zone, checkpoint; the geocoder\'s own level for online results.' }),
  lat: Type.Number({ description: 'WGS-84 (online results converted: AMap answers in GCJ-02).' }),
  lon: Type.Number(),
  source: Type.Union(PLACE_SOURCES.map((s) => Type.Literal(s))),
})
export type Place = Static<typeof PlaceView>

export const PlacesAnswer = Closed({
  q: Type.String({ description: 'The query as received.' }),
  places: Type.Array(PlaceView, { description: 'Best first: offline places (exact name, then prefix, substring, the query\'s characters in order; shorter names first on ties), then the online geocoder\'s; at most `limit` in all.' }),
  geocoder: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('off')], { description: 'The online geocoder: answered (ok), failed or timed out (failed: offline places only), or not configured (off).' })),
})
export type PlacesAnswerView = Static<typeof PlacesAnswer>
