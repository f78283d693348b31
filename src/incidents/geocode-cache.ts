// The online geocoder's successful answers, kept so a place typed again (the same station, the same
// hospital) costs no request against the provider's daily quota and QPS. Bounded: at most `size`
// entries, the least recently used dropped first; an entry is served for `ttlMs` after it was
// stored (ttlMs 0: nothing is kept). Keyed by the configured city and the query as the gazetteer
// normalises it, so "人民广场" and "人民广场 " are one entry. Pure: the clock is injected.
import type { Place } from '../wire/places.js'
import { MAX_QUERY_CHARS, normalise } from './places.js'

export interface GeocodeCacheOptions {
  /** How long an answer is served after it was stored (ms); 0 disables the cache. */
  ttlMs: number
  /** Entries kept at most; the least recently used goes first. */
  size: number
  now: () => number
}

interface Entry {
  places: readonly Place[]
  storedAt: number
}

/** The cache key of a query: the configured city (if any) and the query normalised like the gazetteer's. */
export function cacheKey(query: string, city?: string): string {
  return `${city ?? ''}\u0000${normalise(query.slice(0, MAX_QUERY_CHARS))}`
}

export class GeocodeCache {
  // A Map iterates in insertion order: re-inserting on each hit keeps the least recently used first.
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly o: GeocodeCacheOptions) {}

  get enabled(): boolean {
    return this.o.ttlMs > 0 && this.o.size > 0
  }

  get size(): number {
    return this.entries.size
  }

  /** The places stored under `key`, unless absent or expired (an expired entry is dropped). */
  get(key: string): readonly Place[] | undefined {
    const e = this.entries.get(key)
    if (e === undefined) return undefined
    this.entries.delete(key)
    if (this.o.now() - e.storedAt >= this.o.ttlMs) return undefined
    this.entries.set(key, e)
    return e.places
  }

  /** Stores a successful answer (never a failure: the caller stores only those), evicting the least recently used past the bound. */
  set(key: string, places: readonly Place[]): void {
    if (!this.enabled) return
    this.entries.delete(key)
    this.entries.set(key, { places, storedAt: this.o.now() })
    while (this.entries.size > this.o.size) this.entries.delete(this.entries.keys().next().value as string)
  }
}
