// The place lookup behind GET /api/v1/places: the offline gazetteer first, then the online
// geocoder's results when one is configured, merged by merge-places.ts (at most `limit`, the online
// ones at the end, an online place that repeats an offline one dropped). The geocoder is asked
// through its cache and single-flight gate (cached-geocode.ts). A failed geocoder leaves the
// offline places and says so (`geocoder: failed`, one warning line with the reason, never the key).
// hexpatrol_geocoder_lookups_total{provider, outcome} counts each request sent (ok | failed: their
// sum is the quota used) and each lookup answered without one (cached: a stored answer, or the
// successful answer of an identical request in flight; a shared failure counts nothing more).
import type { Counter } from 'prom-client'
import type { ResolvedConfig } from '../config/resolve.js'
import { telemetryEvent, type TelemetryEvent } from '../telemetry/events.js'
import type { PlacesAnswerView } from '../wire/places.js'
import { clampLimit, DEFAULT_LIMIT, Gazetteer } from './places.js'
import { geocoder, type Geocode } from './geocoder.js'
import { GeocodeCache } from './geocode-cache.js'
import { cachedGeocode, type CachedGeocode } from './cached-geocode.js'
import { mergePlaces } from './merge-places.js'
import { placeEntries, type PlaceConfig } from './place-sources.js'

export interface PlaceFinderOptions {
  gazetteer: Gazetteer
  /** The online geocoder; absent: offline only (`geocoder: off`). */
  geocode?: Geocode | undefined
  /** Its successful answers; absent: none kept (identical lookups in flight still share one request). */
  cache?: GeocodeCache | undefined
  /** The configured city (geocoder.city), part of the cache key. */
  city?: string | undefined
  /** Its name for the log line (amap, tianditu). */
  provider?: string | undefined
  logger?: { debug(obj: object, msg: string): void; warn(obj: object, msg: string): void } | undefined
  /** hexpatrol_geocoder_lookups_total; absent: the events only log. */
  counter?: Pick<Counter<'provider' | 'outcome'>, 'inc'> | undefined
}

const NO_CACHE = new GeocodeCache({ ttlMs: 0, size: 0, now: Date.now })

export class PlaceFinder {
  private readonly answered: TelemetryEvent<'provider' | 'outcome', 'outcome'>
  private readonly failed: TelemetryEvent<'provider' | 'outcome', 'outcome'>
  private readonly cached: TelemetryEvent<'provider' | 'outcome', 'outcome'>
  private readonly lookup: CachedGeocode | undefined

  constructor(private readonly o: PlaceFinderOptions) {
    this.answered = telemetryEvent(o.logger, { counter: o.counter, level: 'debug', message: 'The online geocoder answered a place lookup.', fixed: { outcome: 'ok' } })
    this.failed = telemetryEvent(o.logger, { counter: o.counter, level: 'warn', message: 'The online geocoder failed; the place lookup answered with the offline places only.', fixed: { outcome: 'failed' } })
    this.cached = telemetryEvent(o.logger, { counter: o.counter, level: 'debug', message: 'A place lookup was answered without a request to the online geocoder.', fixed: { outcome: 'cached' } })
    this.lookup = o.geocode === undefined ? undefined : cachedGeocode(o.geocode, o.cache ?? NO_CACHE, o.city)
  }

  async find(q: string, limit = DEFAULT_LIMIT): Promise<Omit<PlacesAnswerView, 'q'>> {
    const n = clampLimit(limit)
    const offline = this.o.gazetteer.search(q, n)
    if (this.lookup === undefined) return { places: offline, geocoder: 'off' }
    const got = await this.lookup(q)
    const provider = { provider: this.o.provider ?? 'unknown' }
    if (!got.ok) {
      if (got.via === 'sent') this.failed(provider, { reason: got.reason })
      return { places: offline, geocoder: 'failed' }
    }
    if (got.via === 'sent') this.answered(provider, { results: got.places.length })
    else this.cached(provider, { results: got.places.length, via: got.via })
    return { places: mergePlaces(offline, got.places, n, (p) => this.o.gazetteer.names(p)), geocoder: 'ok' }
  }
}

/** What placeFinderFor takes beside the config; each is optional. */
export interface PlaceFinderWiring {
  logger?: PlaceFinderOptions['logger']
  /** The gazetteer compiled at boot (default: compiled here from the config). */
  gazetteer?: Gazetteer
  counter?: PlaceFinderOptions['counter']
  /** The engine's clock, for the cache (default Date.now). */
  now?: () => number
}

/** The finder a config asks for: its gazetteer (compiled at boot, else here) and its geocoder, if any, with its cache on the engine's clock. */
export function placeFinderFor(config: PlaceConfig & Pick<ResolvedConfig, 'geocoder'>, w: PlaceFinderWiring = {}): PlaceFinder {
  const g = config.geocoder
  const geocode = g.provider === 'none' || g.key === undefined ? undefined : geocoder({ provider: g.provider, key: g.key, url: g.url, city: g.city, timeoutMs: g.timeout })
  const cache = new GeocodeCache({ ttlMs: g.cache_ttl, size: g.cache_size, now: w.now ?? Date.now })
  return new PlaceFinder({ gazetteer: w.gazetteer ?? new Gazetteer(placeEntries(config)), geocode, cache, city: g.city, provider: g.provider, logger: w.logger, counter: w.counter })
}
