// The offline gazetteer: named places (the config's `places`, posts, zones, plan checkpoints) and
// a ranked text lookup that suits Chinese, which has no spaces between words. Names, English names
// and aliases are normalised once (NFKC, lower case, no spaces or punctuation); a query matches a
// name exactly, as its prefix, inside it, or with all its characters in order ("人广" finds
// "人民广场"), ranked in that order, shorter names first on ties. Pure: no I/O, bounded work.
import type { Place } from '../wire/places.js'

/** A place with the other names it is found by. */
export interface PlaceEntry extends Place {
  aliases: readonly string[]
}

/** Characters of a query considered (a longer one is refused by the API). */
export const MAX_QUERY_CHARS = 64
export const DEFAULT_LIMIT = 8
export const MAX_LIMIT = 20

/** How a normalised name matches a normalised query; lower is better. */
export const RANK = { exact: 0, prefix: 1, substring: 2, inOrder: 3 } as const
export type Rank = (typeof RANK)[keyof typeof RANK]

/** A requested number of places as one a lookup answers: a whole number within 1–MAX_LIMIT. */
export function clampLimit(limit: number): number {
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)))
}

const STRIP = /[\s\p{P}\p{S}]/gu

/** NFKC (full-width → half-width), lower case, spaces and punctuation removed. */
export function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(STRIP, '')
}

/**
 * Every character of `q` appears in `name` in order (not necessarily together). Compared by UTF-16
 * code unit, the cheapest loop (most of a lookup's time is here, on names that do not match): a
 * character beyond the BMP could only match as its own pair of units, in order, in practice itself.
 */
function inOrder(name: string, q: string): boolean {
  let i = 0
  for (let j = 0; j < name.length && i < q.length; j++) if (name.charCodeAt(j) === q.charCodeAt(i)) i++
  return i === q.length
}

/** The rank of one normalised name for a normalised query, or null when it does not match. */
export function rankName(name: string, q: string): Rank | null {
  if (name === q) return RANK.exact
  if (name.startsWith(q)) return RANK.prefix
  if (name.includes(q)) return RANK.substring
  return inOrder(name, q) ? RANK.inOrder : null
}

interface Indexed {
  place: Place
  keys: string[]
}

interface Hit {
  place: Place
  rank: Rank
  length: number
  order: number
}

export class Gazetteer {
  private readonly entries: Indexed[]
  private readonly keysOf = new Map<Place, readonly string[]>()

  constructor(entries: readonly PlaceEntry[]) {
    this.entries = entries.map(({ aliases, ...place }) => ({
      place,
      keys: [...new Set([place.name, place.nameEn ?? '', ...aliases].map(normalise).filter((k) => k !== ''))],
    }))
    for (const e of this.entries) this.keysOf.set(e.place, e.keys)
  }

  /** The normalised names (name, English name, aliases) of a place this gazetteer answered; none for any other. */
  names(place: Place): readonly string[] {
    return this.keysOf.get(place) ?? []
  }

  get size(): number {
    return this.entries.length
  }

  /** Best matches first, at most `limit` (clamped to 1–MAX_LIMIT); a query that normalises to nothing finds nothing. */
  search(query: string, limit = DEFAULT_LIMIT): Place[] {
    const q = normalise(query.slice(0, MAX_QUERY_CHARS))
    if (q === '') return []
    const n = clampLimit(limit)
    const hits: Hit[] = []
    for (const [order, e] of this.entries.entries()) {
      let best: Hit | null = null
      for (const key of e.keys) {
        const rank = rankName(key, q)
        if (rank === null) continue
        if (best === null || rank < best.rank || (rank === best.rank && key.length < best.length)) best = { place: e.place, rank, length: key.length, order }
      }
      if (best !== null) hits.push(best)
    }
    hits.sort((a, b) => a.rank - b.rank || a.length - b.length || a.order - b.order)
    return hits.slice(0, n).map((h) => h.place)
  }
}
