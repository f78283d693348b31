// Config keys of the place lookup behind the incident form's "Find": `places` (the offline
// gazetteer's own entries, beside the posts, zones and plan checkpoints it also indexes) and
// `geocoder` (an optional online provider, asked after the gazetteer). Plugged into the root schema
// by src/config/schema.ts; the key is resolved like every secret by src/config/resolve.ts; the
// gazetteer is built by src/incidents/place-sources.ts.
import { Type } from '@sinclair/typebox'
import { Duration, Obj } from './schema-parts.js'

/** What a place is; shown beside it in the form's list. */
export const PLACE_KINDS = ['landmark', 'address', 'station', 'transport', 'hospital', 'school', 'market', 'government', 'residential', 'other'] as const

export const PlaceSchema = Obj({
  /** The place's name as a caller says it (Chinese or any language); searched with its aliases. */
  name: Type.String({ minLength: 1, maxLength: 100 }),
  /** English name, searched too and shown by the live map in English; unset: name. */
  name_en: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  /** Other names the place goes by (a short form, an old name): each is searched like name. */
  aliases: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20, default: [] }),
  /** Latitude of the place (WGS 84 degrees). */
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  /** Longitude of the place (WGS 84 degrees). */
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  /** What the place is: landmark, address, station, transport, hospital, school, market, government, residential or other. */
  kind: Type.Union(PLACE_KINDS.map((k) => Type.Literal(k)), { default: 'landmark' }),
})

// Bounded: a lookup scans every name (bench/places.ts: ~1.6 ms per lookup at 10,000 places, ~9 ms at 50,000).
export const PlacesSchema = Type.Array(PlaceSchema, { maxItems: 50_000, default: [] })

export const GeocoderSchema = Obj({
  /** Online geocoder asked after the offline places: none (offline only), amap (AMap/Gaode web service, GCJ-02 converted to WGS-84) or tianditu (CGCS2000, used as is). */
  provider: Type.Union([Type.Literal('none'), Type.Literal('amap'), Type.Literal('tianditu')], { default: 'none' }),
  /** The provider's key (AMap web-service key, Tianditu tk); prefer key_env. Never logged. */
  key: Type.Optional(Type.String({ minLength: 1 })),
  /** Name of an environment variable holding the key (instead of key); it must be set at start-up. */
  key_env: Type.Optional(Type.String({ minLength: 1 })),
  /** Replaces the provider's endpoint (a proxy in the command centre's network, or a test server); unset: the provider's own. */
  url: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** AMap only: the city (name, citycode or adcode) the lookup is restricted to. */
  city: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** Longest wait for the provider; past it the answer holds the offline places only, marked geocoder: failed. */
  timeout: Duration('3s'),
  /** How long a successful answer is reused for the same query (normalised like the offline names) and city, sparing the provider's daily quota and QPS; 0 disables. Failures are never kept. */
  cache_ttl: Duration('1h'),
  /** Answers kept at most; past it the least recently used goes first. */
  cache_size: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
})
