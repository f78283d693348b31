// One list from the offline places and the online geocoder's: the online ones keep their places at
// the end (a configured geocoder is never crowded out) and the offline ones fill the rest. An online
// place that names one of the lookup's offline places (its normalised name equals one of the
// offline place's names: name, English name, alias) and lies within DUPLICATE_RADIUS_M of it is the
// same place and is dropped: the offline one is listed instead, found by its id and aliases. Pure.
import { haversineM } from '../geo/distance.js'
import type { Place } from '../wire/places.js'
import { normalise } from './places.js'

/** An online place this close to an offline one of the same name is that place (GCJ-02 converted, a geocoder's point on a large site). */
export const DUPLICATE_RADIUS_M = 300

/** True when `online` is `offline` again: a same name (normalised) and within DUPLICATE_RADIUS_M. */
export function samePlace(online: Place, offline: Place, offlineNames: readonly string[]): boolean {
  return offlineNames.includes(normalise(online.name)) && haversineM(online.lat, online.lon, offline.lat, offline.lon) <= DUPLICATE_RADIUS_M
}

/**
 * At most `limit` places: the offline ones (best first) then the online ones, without the online
 * places that repeat an offline one. Such an offline place is always listed (it takes its online
 * twin's slot if the offline ones left would not reach it), so a place is never lost by the merge.
 * `namesOf` gives an offline place's normalised names.
 */
export function mergePlaces(offline: readonly Place[], online: readonly Place[], limit: number, namesOf: (p: Place) => readonly string[]): Place[] {
  const twins = new Set<Place>()
  const kept = online.slice(0, limit).filter((p) => {
    const twin = offline.find((o) => samePlace(p, o, namesOf(o)))
    if (twin !== undefined) twins.add(twin)
    return twin === undefined
  })
  let others = limit - kept.length - twins.size
  const listed = offline.filter((o) => twins.has(o) || others-- > 0)
  return [...listed, ...kept]
}
