// The place lookup behind GET /api/v1/places: the offline gazetteer first, then the online
// geocoder's results when one is configured. The list holds at most `limit` places: the online
// ones (a provider answers one to a few) keep their places at the end and the offline ones fill
// the rest, so a configured geocoder is never crowded out. A failed geocoder leaves the offline
// places and says so (`geocoder: failed`, one warning line with the reason, never the key). Each
// lookup sent counts hexpatrol_geocoder_lookups_total{provider, outcome} (ok | failed).
import type { Counter } from 'prom-client'
import type { ResolvedConfig } from '../config/resolve.js'
import { telemetryEvent, type TelemetryEvent } from '../telemetry/events.js'
import type { Place, PlacesAnswerView } from '../wire/places.js'
import { clampLimit, DEFAULT_LIMIT, Gazetteer } from './places.js'
import { geocoder, type Geocode } from './geocoder.js'
import { placeEntries, type PlaceConfig } from './place-sources.js'

export interface PlaceFinderOptions {
  gazetteer: Gazetteer
  /** The online geocoder; absent: offline only (`geocoder: off`). */
  geocode?: Geocode | undefined
  /** Its name for the log line (amap, tianditu). */
  provider?: string | undefined
  logger?: { debug(obj: object, msg: string): void; warn(obj: object, msg: string): void } | undefined
  /** hexpatrol_geocoder_lookups_total; absent: the events only log. */
  counter?: Pick<Counter<'provider' | 'outcome'>, 'inc'> | undefined
}

export class PlaceFinder {
  private readonly answered: TelemetryEvent<'provider' | 'outcome', 'outcome'>
  private readonly failed: TelemetryEvent<'provider' | 'outcome', 'outcome'>

  constructor(private readonly o: PlaceFinderOptions) {
    this.answered = telemetryEvent(o.logger, { counter: o.counter, level: 'debug', message: 'The online geocoder answered a place lookup.', fixed: { outcome: 'ok' } })
    this.failed = telemetryEvent(o.logger, { counter: o.counter, level: 'warn', message: 'The online geocoder failed; the place lookup answered with the offline places only.', fixed: { outcome: 'failed' } })
  }

  async find(q: string, limit = DEFAULT_LIMIT): Promise<Omit<PlacesAnswerView, 'q'>> {
    const n = clampLimit(limit)
    const offline = this.o.gazetteer.search(q, n)
    if (this.o.geocode === undefined) return { places: offline, geocoder: 'off' }
    const got = await this.o.geocode(q)
    const provider = { provider: this.o.provider ?? 'unknown' }
    if (!got.ok) {
      this.failed(provider, { reason: got.reason })
      return { places: offline, geocoder: 'failed' }
    }
    this.answered(provider, { results: got.places.length })
    const online: Place[] = got.places.slice(0, n)
    return { places: [...offline.slice(0, n - online.length), ...online], geocoder: 'ok' }
  }
}

/** The finder a config asks for: its gazetteer (compiled at boot, else here) and its geocoder, if any. */
export function placeFinderFor(config: PlaceConfig & Pick<ResolvedConfig, 'geocoder'>, logger?: PlaceFinderOptions['logger'], gazetteer = new Gazetteer(placeEntries(config)), counter?: PlaceFinderOptions['counter']): PlaceFinder {
  const g = config.geocoder
  const geocode = g.provider === 'none' || g.key === undefined ? undefined : geocoder({ provider: g.provider, key: g.key, url: g.url, city: g.city, timeoutMs: g.timeout })
  return new PlaceFinder({ gazetteer, geocode, provider: g.provider, logger, counter })
}
