// The online geocoder behind its cache (geocode-cache.ts) and a single-flight gate: a query whose
// answer is stored is answered from it; one identical (same normalised query and city) to a lookup
// still in flight waits for that request instead of sending its own; otherwise one request is sent,
// and its answer stored when it succeeded (a timeout, error or bad answer is never stored, so the
// next lookup asks again). Each answer says how it was obtained, for the lookup counter.
import type { Place } from '../wire/places.js'
import type { Geocode, GeocodeResult } from './geocoder.js'
import { cacheKey, type GeocodeCache } from './geocode-cache.js'

/** sent: this lookup's own request; cache: a stored answer; shared: the answer of an identical request in flight. */
export type Via = 'sent' | 'cache' | 'shared'
export type CachedGeocode = (query: string) => Promise<GeocodeResult & { via: Via }>

export function cachedGeocode(geocode: Geocode, cache: GeocodeCache, city?: string): CachedGeocode {
  const inFlight = new Map<string, Promise<GeocodeResult>>()
  return async (query) => {
    const key = cacheKey(query, city)
    const stored = cache.get(key)
    if (stored !== undefined) return { ok: true, places: copy(stored), via: 'cache' }
    const pending = inFlight.get(key)
    if (pending !== undefined) return shared(await pending)
    const request = geocode(query)
    inFlight.set(key, request)
    try {
      const got = await request
      if (got.ok) cache.set(key, copy(got.places))
      return { ...got, via: 'sent' }
    } finally {
      inFlight.delete(key)
    }
  }
}

// Each answer gets its own array (and place objects), so a caller that edits its list edits no other.
const copy = (places: readonly Place[]): Place[] => places.map((p) => ({ ...p }))
const shared = (got: GeocodeResult): GeocodeResult & { via: Via } => got.ok ? { ok: true, places: copy(got.places), via: 'shared' } : { ...got, via: 'shared' }
